"""Shared fixtures: the engine on an in-process S3 emulator, fed by the sample-feed server."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

LOCAL_ENV = json.loads((REPO_ROOT / "env" / "local.json").read_text())
LAMBDA_ENV = LOCAL_ENV["lambda_environment"]
REGION = LOCAL_ENV["aws_region"]
# The local target keeps execution environments warm, as Lambda does; in the suite they end soon after their
# test instead of minutes later.
os.environ.setdefault("VECTORA_LAMBDA_IDLE_SECONDS", "20")


def _parse_botocore_models_once() -> None:
    """One botocore data loader for every session of the test process.

    moto's `mock_aws` starts each test with a new default boto3 session, and each new session parses the JSON model
    of every service it makes a client for again: about 0.1 s of CPU per client, several per engine test. The
    models are read-only data, already shared by the clients of one session; here all sessions share them."""
    import botocore.session

    if getattr(botocore.session.create_loader, "shared", False):
        return
    loaders: dict = {}
    create_loader = botocore.session.create_loader

    def shared_loader(search_path_string=None):
        if search_path_string not in loaders:
            loaders[search_path_string] = create_loader(search_path_string)
        return loaders[search_path_string]

    shared_loader.shared = True
    botocore.session.create_loader = shared_loader


_parse_botocore_models_once()

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
REAL_AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_PROFILE")


def use_fake_credentials(patch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_CREDENTIALS.items():
        patch.setenv(name, value)
    for name in REAL_AWS_VARIABLES:
        patch.delenv(name, raising=False)


def use_lambda_environment(patch: pytest.MonkeyPatch, **overrides: str) -> dict[str, str]:
    """Fake credentials and the local environment's Lambda variables, offline LLM unless overridden."""
    use_fake_credentials(patch)
    environment = {**LAMBDA_ENV, "LLM_BACKEND": "offline", **overrides}
    for name, value in environment.items():
        patch.setenv(name, value)
    return environment


@contextlib.contextmanager
def engine_buckets(feeds_base_url: str):
    """In-process S3 with the three engine buckets and the config pointed at the sample feeds; yields the client."""
    import boto3
    from moto import mock_aws

    from toolkit.config_sync import sync_config

    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        for key in ("CONFIG_BUCKET", "DATA_BUCKET", "NEWSLETTERS_BUCKET"):
            client.create_bucket(Bucket=LAMBDA_ENV[key], CreateBucketConfiguration={"LocationConstraint": REGION})
        sync_config(client, LAMBDA_ENV["CONFIG_BUCKET"], feeds_base_url)
        yield client


@contextlib.contextmanager
def fresh_handler():
    """The Lambda handler with a fresh container (no state kept from another test)."""
    import handler
    from vectora_core.llm import bedrock

    handler._runtime.clear()
    bedrock.reset_clients()
    try:
        yield handler
    finally:
        handler._runtime.clear()
        bedrock.reset_clients()


@dataclass
class RecordedRun:
    """What one handler run returned, wrote (every object of every bucket) and logged."""

    result: dict
    objects: dict[str, dict[str, bytes]]
    logs: list[dict]

    def read(self, bucket: str, key: str) -> bytes:
        return self.objects[bucket][key]

    def log_lines(self, message: str) -> list[dict]:
        return [line for line in self.logs if line.get("message") == message]


def record_run(handler_module, s3, payload: dict, context=None) -> RecordedRun:
    """Run the handler once, capturing its JSON log lines, then copy every bucket's objects."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        result = handler_module.lambda_handler(dict(payload), context or FakeContext())
    objects = {}
    for bucket in (LAMBDA_ENV[k] for k in ("CONFIG_BUCKET", "DATA_BUCKET", "NEWSLETTERS_BUCKET")):
        listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        objects[bucket] = {o["Key"]: read_object(s3, bucket, o["Key"]) for o in listed}
    logs = [json.loads(line) for line in output.getvalue().splitlines() if line.startswith("{")]
    return RecordedRun(result, objects, logs)


@pytest.fixture
def fake_aws_credentials(monkeypatch):
    use_fake_credentials(monkeypatch)


@pytest.fixture
def lambda_env(monkeypatch):
    """The local environment's Lambda variables, offline LLM unless a test says otherwise."""
    return use_lambda_environment(monkeypatch)


@pytest.fixture
def feed_server():
    from toolkit.local.sample_feeds import SampleFeedServer

    server = SampleFeedServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3(lambda_env, feed_server):
    """In-process S3 with the three engine buckets and the config pointed at the sample feeds."""
    with engine_buckets(feed_server.base_url) as client:
        yield client


@pytest.fixture
def handler_module(s3):
    """The Lambda handler with a fresh container (no state kept from another test)."""
    with fresh_handler() as handler:
        yield handler


class FakeContext:
    aws_request_id = "test-request"
    function_name = "vectora-inbox-engine-local"

    def __init__(self, remaining_ms: int = 900_000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def context():
    return FakeContext()


def read_object(s3_client, bucket: str, key: str) -> bytes:
    return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture(autouse=True)
def _no_local_port_offset(monkeypatch):
    """Tests pick their own ports; a port offset set for the local services must not shift them."""
    monkeypatch.delenv("VECTORA_LOCAL_PORT_OFFSET", raising=False)


# --- random test order (pytest-randomly): say which order ran, so a failure can be replayed ---------------


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    seed = getattr(config.option, "randomly_seed", None)
    if isinstance(seed, int) and config.pluginmanager.hasplugin("randomly"):
        terminalreporter.write_line(f"random test order, seed {seed}: replay it with --randomly-seed={seed}")


# --- the fast subset ----------------------------------------------------------------------------------------
# `make test-fast` runs what is not marked `slow`. So that it stays fast as the suite grows, a test that is not marked
# slow fails as soon as it starts what the marker is for: Terraform (other than `fmt`/`version`), the AWS emulator
# or another local service as a process, or the local Lambda runner. tests/test_suite_markers.py checks the marks
# against what each module uses.

SLOW = "slow"


class SlowWorkInFastTest(BaseException):
    """A test not marked slow started slow work (a BaseException, so no `except Exception` in the code hides it)."""


def slow_work(argv) -> str | None:
    """What the `slow` marker is for in a command a test starts, in a few words; None when it is not."""
    import shlex

    words = shlex.split(argv) if isinstance(argv, (str, bytes)) else [os.fsdecode(word) for word in argv or ()]
    if not words:
        return None
    if Path(words[0]).name.startswith("terraform"):
        command = next((word for word in words[1:] if not word.startswith("-")), "")
        return None if command in ("", "fmt", "version") else f"runs `terraform {command}`"
    module = words[words.index("-m") + 1] if "-m" in words[:-1] else ""
    if module == "moto.server":
        return "starts the AWS emulator"
    if module.startswith("toolkit.local."):
        return f"starts a local service ({module})"
    if any(Path(word).name == "lambda_bootstrap.py" for word in words):
        return "runs a function on the local Lambda runner"
    return None


_fast_test: list = []  # the test being set up, run or torn down, when it is not marked slow


def _refuse_slow_work_in_fast_tests(event: str, args: tuple) -> None:
    if event == "subprocess.Popen" and _fast_test:
        reason = slow_work(args[1])
        if reason:
            item = _fast_test[0]
            raise SlowWorkInFastTest(
                f"{item.nodeid} {reason} but is not marked slow: add `pytestmark = pytest.mark.slow` to "
                f"{item.path.name} (or `@pytest.mark.slow` to the test)"
            )


if not getattr(sys, "_vectora_fast_test_guard", False):  # audit hooks cannot be removed: install it once
    sys.addaudithook(_refuse_slow_work_in_fast_tests)
    sys._vectora_fast_test_guard = True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _watched(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _watched(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _watched(item))


def _watched(item):
    if item.get_closest_marker(SLOW) is None:
        _fast_test[:] = [item]
    try:
        return (yield)
    finally:
        _fast_test.clear()


# --- xdist order -----------------------------------------------------------------------------------------------
# The modules that apply Terraform or run the real engine take from half a minute to over a minute each. `--dist
# loadfile` keeps each module on one xdist worker and `make test` (--no-loadscope-reorder) hands modules out in
# collection order, so the slow ones go first, longest first, each worker starting on one; the short modules fill in
# around them (and around the provider's fixed waits, which is why `make test` runs more workers than cores). A
# stable sort keeps the random order of everything else. `invoke loop-bench` prints where the time goes.
SLOW_MODULES_FIRST = (
    "test_toolkit_local.py",  # the first to need the session's one apply of the stack (tests/stack_template.py)
    "test_terraform_emulator.py",
    "test_cycle_integration.py",
    "test_terraform_lifecycle.py",
    "test_any_order_releases.py",
    "test_any_order.py",
    "test_role_policies.py",
    "test_deploy_safety.py",
    "test_operations_local.py",
    "test_terraform.py",
)


# Tests long enough to get a worker of their own rather than wait behind the rest of their module: the demo after
# `local.down`/`local.up` (a fresh apply and the whole main job) would otherwise double its module's time.
OWN_WORKER = ("tests/test_any_order_releases.py::test_down_up_demo_then_rollback",)


def pytest_collection_modifyitems(config, items):
    rank = {name: position for position, name in enumerate(SLOW_MODULES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_MODULES_FIRST)))


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, except that a worker still busy with a slow module is handed a short module next, never a
    second slow one, and the tests of OWN_WORKER go out on their own. xdist gives a worker its next module while two
    of its tests are still to run (and a worker holds its last test until then), so plain loadfile can queue, say,
    the whole-cycle test behind the demo's."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    def slow(scope: str) -> bool:
        return Path(scope.split("::")[0]).name in SLOW_MODULES_FIRST

    class SlowModulesApart(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid if nodeid.startswith(OWN_WORKER) else super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            busy = self.assigned_work.get(node, {})
            if any(slow(scope) and not all(done.values()) for scope, done in busy.items()):
                short = next((scope for scope in self.workqueue if not slow(scope)), None)
                if short is not None:
                    self.workqueue.move_to_end(short, last=False)
            super()._assign_work_unit(node)

    return SlowModulesApart(config, log)
