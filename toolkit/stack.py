"""The stack on the emulator: Terraform is the one owner of its buckets, function, alias, log group and schedules.

Commands that need the stack on the embedded default (`invoke run`, `config-sync`, the benchmark, the main job) call
`ensure_stack`: when the emulator lacks a piece (a fresh or restarted emulator), it runs the same `terraform apply`
as `invoke tf.apply`; when everything is there, it adopts it as it is. Nothing else creates these resources.
"""

from __future__ import annotations

from collections.abc import Callable

from .envfile import EnvFile
from .services import boto3_client, service_url

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
    """Bring the emulator's stack up through Terraform if any piece is missing; True when it applied."""
    if not env.emulator:
        return False
    missing = missing_stack_parts(env)
    if not missing:
        return False
    from .terraform import apply

    printer(f"  the emulator has no {missing[0]}{' (and more)' if len(missing) > 1 else ''}: applying Terraform")
    apply(env.name, printer=printer, endpoint_url=env.emulator_url())
    return True


def apply_stack(
    env_name: str | EnvFile | None,
    printer: Printer = print,
    *,
    verbose: bool | None = None,
    plan_file: str | None = None,
    dry_run: bool = False,
) -> dict:
    """`invoke tf.apply`: terraform apply (of a saved plan, with `plan_file`); on the emulator, then the client
    configs with feeds pointed at the sample server, so the stack can run as soon as it exists. Returns the
    stack's outputs. `dry_run` runs `terraform plan` instead (and lists the config files the emulator would get),
    applying and uploading nothing; it returns no outputs."""
    from .envfile import load_env
    from .terraform import apply, plan

    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    if dry_run:
        from .dry_run import apply_plan
        from .local_target import ensure_services

        if env.emulator:
            ensure_services(env, printer)
        return apply_plan(env, printer, plan, plan_file=plan_file)
    if not env.emulator:
        return apply(env.name, printer=printer, verbose=verbose, plan_file=plan_file)
    from .local_target import ensure_services

    ensure_services(env, printer)
    outputs = apply(env.name, printer=printer, verbose=verbose, endpoint_url=env.emulator_url(), plan_file=plan_file)
    prepare_stack(env, printer)
    return outputs


def prepare_stack(env: EnvFile, printer: Printer = print):
    """Services up, the stack applied by Terraform if the emulator lacks it, config uploaded with feeds pointed
    at the sample server. Returns the S3 client it used."""
    from .config_sync import sync_config
    from .local_target import ensure_services

    ensure_services(env, printer)
    ensure_stack(env, printer)
    s3 = boto3_client(env, "s3")
    sync_config(s3, env.lambda_environment["CONFIG_BUCKET"], service_url(env, "sample_feeds"), printer=printer)
    return s3
