"""The walk the any-order modules share: one set of local services on ports of the module (emulator, Bedrock
stand-in, sample feeds), one copy of the Terraform tree, and steps that either succeed or come back refused with
the one-line message the task would print. Each test module that imports `walk` gets its own.

A fresh `terraform apply` costs a minute (mostly the AWS provider's fixed waits), so `applied_walk` gives the
module's emulator the session's one apply of the stack (`stack_template`: the same requests Terraform made,
replayed, and its state) followed by what `invoke tf.apply` does after Terraform on the emulator, whenever the
emulator does not hold the stack as a fresh apply leaves it. The tests of the stack coming up (`invoke run` before
any apply, the demo after `local.down`/`local.up`) apply from an empty emulator themselves. Tests that take the
stack down or tamper with the Terraform state use `empty_walk`, an emulator and tree of their own, and leave the
module's stack alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import re
import shutil
import urllib.request
from pathlib import Path

import pytest
from lambda_testkit import emulator_process, local_services

import tasks
from tests.test_terraform import copy_infrastructure, require_terraform_provider
from toolkit import packaging, terraform
from toolkit.local import emulator_state, services
from toolkit.local import lambda_runner as local_lambda
from toolkit.stack import missing_stack_parts, prepare_stack

PAYLOAD = {"client_id": "lai_weekly_v3", "period_days": 7, "force_regenerate": False}
NAMES_A_COMMAND = re.compile(r"`invoke [a-z][a-z.-]*")


class Walk:
    """Runs steps against the module's environment and records how each ended."""

    def __init__(self, env, emulator_url: str, root: Path):
        self.env = env
        self.emulator_url = emulator_url
        self.root = root  # the module's copy of the Terraform tree (terraform.REPO_ROOT while the walk runs)
        self.printed: list[str] = []

    def stack_as_applied(self) -> bool:
        """The emulator holds the stack as a fresh apply leaves it (the version Terraform published, `live` on it),
        and the Terraform state on disk knows it."""
        from toolkit.services import boto3_client

        state = self.root / "terraform" / "envs" / self.env.name / terraform.STATE_FILE
        if not state.is_file() or missing_stack_parts(self.env):
            return False
        lambda_client = boto3_client(self.env, "lambda")
        listed = lambda_client.list_versions_by_function(FunctionName=self.env.function_name)["Versions"]
        live = lambda_client.get_alias(FunctionName=self.env.function_name, Name=self.env.alias_name)
        return [v["Version"] for v in listed if v["Version"] != "$LATEST"] == [live["FunctionVersion"]]

    def leave_a_stale_state(self) -> None:
        """What `invoke tf.apply` then `local.down`/`local.up` leave: a Terraform state on disk listing buckets the
        emulator lost. Only the buckets are applied (seconds, not the stack's half minute): what the toolkit reads to
        tell a stale state is the buckets it lists."""
        ws = terraform.workspace(self.env.name, endpoint_url=self.emulator_url)
        terraform._init(ws, self.printed.append, backend=True)
        package = terraform._package_var(ws, None, self.printed.append)
        target = "-target=module.vectora_inbox.module.buckets"
        terraform._run(ws, ["apply", "-input=false", "-auto-approve", target, *package], self.printed.append, "apply")
        assert {r["type"] for r in emulator_state.state_resources(ws)} >= {"aws_s3_bucket"}
        self.fresh_emulator()

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


@contextlib.contextmanager
def _emulator_and_tree(workdir: Path):
    """A moto server on an ephemeral loopback port and a copy of the Terraform tree; yields (host, port, root)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    root = copy_infrastructure(workdir / "repo")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield host, port, root
    finally:
        server.stop()


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    provider = pytest.MonkeyPatch()
    require_terraform_provider(provider)
    workdir = tmp_path_factory.mktemp("any-order")
    try:
        with contextlib.ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
            host, port, root = stack.enter_context(_emulator_and_tree(workdir))
            # Terraform's tree and state, packages, logs and unpacked versions stay in the module's directory.
            patch.setattr(terraform, "REPO_ROOT", root)
            patch.setattr(packaging, "DIST_DIR", workdir / "dist")
            patch.setattr(services, "STATE_DIR", workdir / ".local")
            patch.setattr(local_lambda, "FUNCTIONS_DIR", workdir / "functions")
            patch.setattr(local_lambda, "RUNTIME_DIR", workdir / "lambda-runtime")
            patch.delenv("TF_VAR_bucket_lifecycle_rules", raising=False)
            env, _feeds, _standin = stack.enter_context(local_services(port, standin_latency_ms=300))
            module_walk = Walk(env, f"http://{host}:{port}", root)
            module_walk.second_emulator = lambda: _second_walk(module_walk, stack, workdir / "empty")
            yield module_walk
    finally:
        provider.undo()
        shutil.rmtree(workdir / "functions", ignore_errors=True)


def _second_walk(module_walk: Walk, stack: contextlib.ExitStack, workdir: Path) -> Walk:
    """The emulator and tree `empty_walk` uses, started the first time a test asks (and stopped with the module's).

    The emulator runs in a process of its own: moto keeps one state per process, so emptying a second server in
    this process would empty the module's too."""
    if getattr(module_walk, "_second", None) is None:
        port = stack.enter_context(emulator_process())
        root = copy_infrastructure(workdir / "repo")
        # The module's Bedrock stand-in and sample feeds; the emulator and the tree are this walk's own.
        env = dataclasses.replace(
            module_walk.env, local_services={**module_walk.env.local_services, "emulator_port": port}
        )
        module_walk._second = Walk(env, f"http://127.0.0.1:{port}", root)
    return module_walk._second


@pytest.fixture
def applied_walk(walk, stack_template):
    """The module's walk with the stack as a fresh `invoke tf.apply` leaves it: the session's apply restored into
    the emptied emulator, then the client configs uploaded as `tf.apply` does on the emulator, when the emulator
    lacks the stack (at the start of the module) or a test left it otherwise (a version published, `live` moved);
    otherwise it is reused as it is."""
    if not walk.stack_as_applied():
        stack_template.restore(walk.emulator_url, walk.root, walk.env.name)
        walk.succeeds(prepare_stack, walk.env)
        assert walk.stack_as_applied(), "the restored stack is not as a fresh apply leaves it"
    return walk


@pytest.fixture
def empty_walk(walk, monkeypatch):
    """An emptied emulator and a Terraform tree of their own (state files and all), for steps that take the stack
    down or tamper with the state, so the module's stack stays up for the tests that share it."""
    second = walk.second_emulator()
    monkeypatch.setattr(terraform, "REPO_ROOT", second.root)
    second.fresh_emulator()
    second.printed.clear()
    return second
