"""The local Terraform state against the emulator's memory: drop a state the emulator no longer matches.

The emulator keeps its resources in memory while the local Terraform state stays on disk: after the emulator
restarts, the state describes resources that no longer exist, and Terraform would fail refreshing them. Before
Terraform plans or applies an emulator environment, the local target checks the emulator for the stack's buckets
and drops such a stale state.

`ws` is the release toolkit's Terraform workspace (`toolkit.terraform.Workspace`): its environment, its
directory, its backend, its state file and the process environment Terraform runs with (the emulator's endpoint and keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..envfile import EnvFile
from ..errors import ToolkitError

Printer = Callable[[str], None]


class EmulatorStateError(ToolkitError, RuntimeError):
    """The emulator holds the stack's buckets but no Terraform state knows them."""


def state_resources(ws: Any) -> list[dict]:
    """Resources of the environment's local state file (empty when there is none)."""
    path = ws.state_path
    if ws.backend != "local" or not path.is_file():
        return []
    try:
        return list(json.loads(path.read_text() or "{}").get("resources", []))
    except ValueError:
        return []


def emulator_buckets(ws: Any) -> set[str] | None:
    """Bucket names the environment's emulator holds; None when it does not answer."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "s3",
        region_name=ws.env.aws_region,
        endpoint_url=ws.process_env["AWS_ENDPOINT_URL"],
        aws_access_key_id=ws.process_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=ws.process_env["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"total_max_attempts": 2}, connect_timeout=5, read_timeout=20),
    )
    try:
        return {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
    except (BotoCoreError, ClientError):
        return None


def stack_bucket_names(env: EnvFile) -> set[str]:
    variables = env.lambda_environment
    return {env.artifacts_bucket, variables["CONFIG_BUCKET"], variables["DATA_BUCKET"], variables["NEWSLETTERS_BUCKET"]}


def forget_stale_emulator_state(ws: Any, printer: Printer) -> bool:
    """Drop the local state when the emulator holds none of the buckets it lists (the emulator was restarted).

    Refuses, naming the way out, when the emulator holds the stack's buckets but no state knows them.
    """
    resources = state_resources(ws)
    existing = emulator_buckets(ws)
    if existing is None:
        return False  # an unreachable emulator fails the command itself, with Terraform's own message
    known = stack_bucket_names(ws.env) & existing
    if not resources:
        if known:
            raise EmulatorStateError(
                f"the emulator holds {', '.join(sorted(known))} but terraform/envs/{ws.env.name} has no state for them: "
                f"run `invoke local.down` first (it empties the emulator), then `invoke tf.apply --env {ws.env.name}`"
            )
        return False
    buckets_in_state = {
        instance.get("attributes", {}).get("bucket")
        for resource in resources
        if resource.get("type") == "aws_s3_bucket"
        for instance in resource.get("instances", [])
    } - {None}
    if not buckets_in_state or buckets_in_state & existing:
        return False  # the emulator kept its state: a refresh sorts out anything else that changed
    for path in ws.directory.glob(f"{ws.state_path.name}*"):
        path.unlink()
    printer(
        f"terraform state ({ws.env.name}): the emulator was restarted since the last apply; starting from a fresh state"
    )
    return True
