"""The stack: Terraform is the one owner of its buckets, function, alias, log group and schedules.

On a target that brings its stack up on demand (the emulator: `Target.stack_on_demand`), commands that need the
stack (`invoke run`, `config-sync`, the benchmark, the main job) call `ensure_stack`: when the emulator lacks a
piece (a fresh or restarted emulator), it runs the same `terraform apply` as `invoke tf.apply`; when everything is
there, it adopts it as it is. On AWS only `invoke tf.apply` changes the stack. Nothing else creates these resources.
"""

from __future__ import annotations

from collections.abc import Callable

from .envfile import EnvFile
from .services import boto3_client
from .target import open_target

Printer = Callable[[str], None]


def missing_stack_parts(env: EnvFile) -> list[str]:
    """What of the stack the emulator lacks: bucket names, the function, its alias. Empty when all is there."""
    variables = env.lambda_environment
    wanted = [
        env.artifacts_bucket,
        variables["CONFIG_BUCKET"],
        variables["DATA_BUCKET"],
        variables["NEWSLETTERS_BUCKET"],
    ]
    existing = {bucket["Name"] for bucket in boto3_client(env, "s3").list_buckets().get("Buckets", [])}
    missing = [f"bucket {name}" for name in wanted if name not in existing]
    lambda_client = boto3_client(env, "lambda")
    try:
        lambda_client.get_alias(FunctionName=env.function_name, Name=env.alias_name)
    except lambda_client.exceptions.ResourceNotFoundException:
        missing.append(f"function {env.function_name}:{env.alias_name}")
    sqs = boto3_client(env, "sqs")
    try:
        sqs.get_queue_url(QueueName=f"{env.function_name}-runs")  # the fleet's run queue (fleet_fanout)
    except sqs.exceptions.QueueDoesNotExist:
        missing.append(f"queue {env.function_name}-runs")
    return missing


def ensure_stack(env: EnvFile, printer: Printer = print) -> bool:
    """Bring the stack up through Terraform if the target does so on demand and any piece is missing; True when it
    applied."""
    target = open_target(env)
    if not target.stack_on_demand:
        return False
    missing = missing_stack_parts(env)
    if not missing:
        return False
    from .terraform import apply

    printer(f"  the emulator has no {missing[0]}{' (and more)' if len(missing) > 1 else ''}: applying Terraform")
    apply(env.name, printer=printer, endpoint_url=target.terraform_endpoint)
    return True


def apply_stack(
    env_name: str | EnvFile | None,
    printer: Printer = print,
    *,
    verbose: bool | None = None,
    plan_file: str | None = None,
    dry_run: bool = False,
) -> dict:
    """`invoke tf.apply`: terraform apply (of a saved plan, with `plan_file`); on a target that brings its stack up
    on demand (the emulator), then the client configs with feeds pointed at the sample server, so the stack can run
    as soon as it exists. Returns the stack's outputs. `dry_run` runs `terraform plan` instead (and lists the
    config files the emulator would get), applying and uploading nothing; it returns no outputs."""
    from .envfile import load_env
    from .terraform import apply, plan

    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    target = open_target(env)
    target.ready(printer)
    if dry_run:
        from .dry_run import apply_plan

        return apply_plan(target, printer, plan, plan_file=plan_file)
    outputs = apply(
        env.name, printer=printer, verbose=verbose, endpoint_url=target.terraform_endpoint, plan_file=plan_file
    )
    if target.stack_on_demand:
        prepare_stack(env, printer)
    return outputs


def prepare_stack(env: EnvFile, printer: Printer = print):
    """The target ready, the stack applied by Terraform if the target brings it up on demand and lacks a piece,
    the config uploaded (feeds pointed at the sample server on the emulator). Returns the S3 client it used."""
    from .config_sync import sync_config

    target = open_target(env)
    target.ready(printer)
    ensure_stack(env, printer)
    s3 = target.client("s3")
    sync_config(s3, env.lambda_environment["CONFIG_BUCKET"], target.feeds_base_url, printer=printer)
    return s3
