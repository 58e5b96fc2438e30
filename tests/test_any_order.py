"""The everyday commands in several orders, from an empty emulator, with the real engine and the real Terraform.

Each step either succeeds or fails with a one-line message naming the command to run first. The functions called
are the ones the Invoke tasks wrap. Each test starts from an empty emulator (what `invoke local.down` then
`local.up` gives) while the local Terraform state stays on disk, as it does for a user: the toolkit must notice that
the state went stale. One set of services (emulator, Bedrock stand-in, sample feeds, on ports of this module) and
one copy of the Terraform tree serve the whole module.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import urllib.request
from pathlib import Path

import pytest
from lambda_testkit import local_services

import tasks
from tests.test_terraform import copy_infrastructure, require_terraform_provider
from toolkit import packaging, terraform
from toolkit.local import lambda_runner as local_lambda
from toolkit.local import services
from toolkit.cloudwatch import tail_logs
from toolkit.deploy import deploy, list_versions, rollback
from toolkit.drivers.demo import drill_package, main_job, schedule_payload
from toolkit.invoker import invoke_function
from toolkit.local.run_local import run_payload
from toolkit.smoke import run_smoke
from toolkit.stack import apply_stack

PAYLOAD = {"client_id": "lai_weekly_v3", "period_days": 7, "force_regenerate": False}
NAMES_A_COMMAND = re.compile(r"`invoke [a-z][a-z.-]*")


class Walk:
    """Runs steps against the module's environment and records how each ended."""

    def __init__(self, env, emulator_url: str):
        self.env = env
        self.emulator_url = emulator_url
        self.printed: list[str] = []

    def fresh_emulator(self) -> None:
        """What `invoke local.down` then `local.up` leave: an empty emulator, the Terraform state still on disk."""
        urllib.request.urlopen(urllib.request.Request(f"{self.emulator_url}/moto-api/reset", method="POST"), timeout=10).read()

    def step(self, action, *args, **kwargs):
        """The step's result, or the message of the error the task would print (then exit 1)."""
        try:
            return action(*args, printer=self.printed.append, **kwargs)
        except tasks._known_errors() as exc:
            return Refused(str(exc))

    def succeeds(self, action, *args, **kwargs):
        result = self.step(action, *args, **kwargs)
        assert not isinstance(result, Refused), f"{action.__name__} failed: {result.message}\n" + "\n".join(self.printed[-30:])
        return result

    def published_edition(self) -> dict[str, str]:
        from toolkit.services import boto3_client

        s3 = boto3_client(self.env, "s3")
        bucket = self.env.lambda_environment["NEWSLETTERS_BUCKET"]
        listing = s3.list_objects_v2(Bucket=bucket, Prefix="newsletters/").get("Contents", [])
        return {o["Key"]: hashlib.sha256(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()).hexdigest() for o in listing}


class Refused:
    def __init__(self, message: str):
        self.message = message


def refused_with_a_command_to_run_first(result) -> bool:
    return isinstance(result, Refused) and "\n" not in result.message and bool(NAMES_A_COMMAND.search(result.message))


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    provider = pytest.MonkeyPatch()
    require_terraform_provider(provider)
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    workdir = tmp_path_factory.mktemp("any-order")
    root = copy_infrastructure(workdir / "repo")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with pytest.MonkeyPatch.context() as patch:
            # Terraform's tree and state, packages, logs and unpacked versions stay in the module's directory.
            patch.setattr(terraform, "REPO_ROOT", root)
            patch.setattr(packaging, "DIST_DIR", workdir / "dist")
            patch.setattr(services, "STATE_DIR", workdir / ".local")
            patch.setattr(local_lambda, "FUNCTIONS_DIR", workdir / "functions")
            patch.setattr(local_lambda, "RUNTIME_DIR", workdir / "lambda-runtime")
            patch.delenv("TF_VAR_bucket_lifecycle_rules", raising=False)
            with local_services(port, standin_latency_ms=300) as (env, _feeds, _standin):
                yield Walk(env, f"http://{host}:{port}")
    finally:
        server.stop()
        provider.undo()
        shutil.rmtree(workdir / "functions", ignore_errors=True)


def test_run_before_apply_brings_the_stack_up_through_terraform(walk, tmp_path):
    walk.fresh_emulator()

    result = walk.succeeds(run_payload, walk.env, PAYLOAD, out_dir=tmp_path)

    assert result["status"] == "ok"
    assert walk.succeeds(terraform.plan, "local", endpoint_url=walk.emulator_url, detailed_exitcode=True) == 0


def test_apply_twice_changes_nothing_the_second_time(walk):
    walk.fresh_emulator()
    walk.succeeds(apply_stack, walk.env)

    walk.printed.clear()
    walk.succeeds(apply_stack, walk.env)

    applies = [line for line in walk.printed if line.startswith("terraform apply (local)")]
    assert len(applies) == 1 and "0 added, 0 changed, 0 destroyed" in applies[0]


def test_commands_needing_the_stack_name_tf_apply_on_an_empty_emulator(walk):
    walk.fresh_emulator()

    commands = ((deploy, ()), (run_smoke, ("payloads/test-payload-p1.json",)), (rollback, ()), (list_versions, ()), (tail_logs, ()))
    for action, args in commands:
        result = walk.step(action, walk.env, *args)
        assert refused_with_a_command_to_run_first(result), f"{action.__name__}: {getattr(result, 'message', result)}"
        assert "invoke tf.apply" in result.message


def test_apply_then_smoke_then_deploy_then_smoke_pass_on_a_fresh_stack(walk):
    walk.fresh_emulator()
    walk.succeeds(apply_stack, walk.env)

    assert walk.succeeds(run_smoke, walk.env, "payloads/test-payload-p1.json").ok
    assert walk.succeeds(deploy, walk.env).live_version == "1"
    assert walk.succeeds(run_smoke, walk.env, "payloads/test-payload-p1.json").ok


def test_down_up_demo_then_rollback(walk, tmp_path):
    """After `local.down` and `local.up` the demo re-applies from a fresh state; a rollback after it either works
    or names the command that would (the demo leaves `live` on the version Terraform created)."""
    walk.fresh_emulator()
    walk.succeeds(apply_stack, walk.env)
    walk.fresh_emulator()  # local.down, local.up: the Terraform state now lists what the emulator lost

    saved = walk.succeeds(main_job, env=walk.env, out_root=tmp_path)
    result = walk.step(rollback, walk.env)

    assert (saved / "newsletter.html").is_file()
    demo_log = (services.STATE_DIR / "logs" / "demo.log").read_text()
    assert "the emulator was restarted since the last apply" in demo_log
    assert not isinstance(result, Refused) or refused_with_a_command_to_run_first(result), result.message


def test_published_edition_is_byte_identical_after_deploy_smoke_and_rollback(walk, tmp_path):
    walk.fresh_emulator()
    walk.succeeds(apply_stack, walk.env)
    weekly = invoke_function(walk.env, walk.env.alias_name, schedule_payload(), printer=walk.printed.append)
    assert weekly.payload["mode"] == "publish"
    before = walk.published_edition()
    assert {weekly.payload["s3"]["markdown"], weekly.payload["s3"]["html"], weekly.payload["s3"]["manifest"]} <= set(before)

    current = packaging.build_package("local", printer=walk.printed.append)
    drill = drill_package(Path(current.path), tmp_path)
    assert walk.succeeds(deploy, walk.env, build=lambda _env, _printer: drill).live_version == "2"
    assert walk.succeeds(run_smoke, walk.env, "payloads/test-payload-p1.json").ok
    assert walk.succeeds(rollback, walk.env).to_version == "1"

    assert walk.published_edition() == before


def test_buckets_no_state_knows_are_refused_with_the_way_out(walk):
    from toolkit.services import boto3_client

    walk.fresh_emulator()
    for path in (terraform.REPO_ROOT / "terraform" / "envs" / "local").glob("terraform.tfstate*"):
        path.unlink()
    bucket = walk.env.lambda_environment["DATA_BUCKET"]
    boto3_client(walk.env, "s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": walk.env.aws_region})

    result = walk.step(apply_stack, walk.env)

    assert refused_with_a_command_to_run_first(result) and "invoke local.down" in result.message


def test_state_is_kept_when_the_emulator_still_holds_some_of_its_buckets(walk):
    import json

    from toolkit.services import boto3_client

    walk.fresh_emulator()
    ws = terraform.workspace("local", endpoint_url=walk.emulator_url)
    bucket = walk.env.lambda_environment["DATA_BUCKET"]
    state = {"resources": [
        {"type": "aws_s3_bucket", "instances": [{"attributes": {"bucket": name}}]}
        for name in (bucket, walk.env.lambda_environment["CONFIG_BUCKET"])
    ]}  # fmt: skip
    (ws.directory / terraform.STATE_FILE).write_text(json.dumps(state))
    boto3_client(walk.env, "s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": walk.env.aws_region})

    dropped = terraform.forget_stale_emulator_state(ws, walk.printed.append)

    assert dropped is False and (ws.directory / terraform.STATE_FILE).is_file()
    (ws.directory / terraform.STATE_FILE).unlink()
