"""The walk the any-order modules share: one set of local services on ports of the module (emulator, Bedrock
stand-in, sample feeds), one copy of the Terraform tree, and steps that either succeed or come back refused with
the one-line message the task would print. Each test module that imports `walk` gets its own.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import urllib.request

import pytest
from lambda_testkit import local_services

import tasks
from tests.test_terraform import copy_infrastructure, require_terraform_provider
from toolkit import packaging, terraform
from toolkit.local import lambda_runner as local_lambda
from toolkit.local import services

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
        urllib.request.urlopen(
            urllib.request.Request(f"{self.emulator_url}/moto-api/reset", method="POST"), timeout=10
        ).read()

    def step(self, action, *args, **kwargs):
        """The step's result, or the message of the error the task would print (then exit 1)."""
        try:
            return action(*args, printer=self.printed.append, **kwargs)
        except tasks._known_errors() as exc:
            return Refused(str(exc))

    def succeeds(self, action, *args, **kwargs):
        result = self.step(action, *args, **kwargs)
        assert not isinstance(result, Refused), f"{action.__name__} failed: {result.message}\n" + "\n".join(
            self.printed[-30:]
        )
        return result

    def published_edition(self) -> dict[str, str]:
        from toolkit.services import boto3_client

        s3 = boto3_client(self.env, "s3")
        bucket = self.env.lambda_environment["NEWSLETTERS_BUCKET"]
        listing = s3.list_objects_v2(Bucket=bucket, Prefix="newsletters/").get("Contents", [])
        return {
            o["Key"]: hashlib.sha256(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()).hexdigest()
            for o in listing
        }


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
