"""The two targets behind `toolkit.target.Target`: AWS in the env's Region, the stand-ins on this machine."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from toolkit.envfile import load_env
from toolkit.local import emulator_state, lambda_async, lambda_runner
from toolkit.local import services as stand_in_services
from toolkit.local.target import LocalTarget
from toolkit.target import CHECKS, AwsTarget, open_target

ACCOUNT = "123456789012"


@pytest.fixture
def dev():
    return load_env("dev", account_id=ACCOUNT)


@pytest.fixture
def local(tmp_path):
    # A field of its own keeps this env's target apart from every other test's (open_target memoizes per env).
    base = load_env("local")
    return dataclasses.replace(base, lambda_environment={**base.lambda_environment, "TEST_CACHE_DIR": str(tmp_path)})


@pytest.fixture
def no_local_services(monkeypatch):
    """Fail the test if anything starts the local services."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("the local services were started")

    monkeypatch.setattr(stand_in_services, "ensure_services", refuse)


def test_an_aws_environment_opens_the_aws_target_with_plain_clients_in_its_region(dev, fake_aws_credentials):
    target = open_target(dev)
    s3 = target.client("s3")
    bedrock = target.client("bedrock-runtime", "us-east-1")

    assert isinstance(target, AwsTarget) and target.where == f"Region {dev.aws_region}"
    assert s3.meta.region_name == dev.aws_region and "amazonaws.com" in s3.meta.endpoint_url
    assert bedrock.meta.region_name == "us-east-1" and "amazonaws.com" in bedrock.meta.endpoint_url
    assert target.process_environment() == {"AWS_DEFAULT_REGION": dev.aws_region, "AWS_REGION": dev.aws_region}


def test_the_aws_target_starts_nothing_repairs_nothing_and_skips_no_check(dev, no_local_services, monkeypatch):
    forgotten: list[object] = []
    monkeypatch.setattr(emulator_state, "forget_stale_emulator_state", lambda ws, printer: forgotten.append(ws))
    target = open_target(dev)

    assert target.ready(print) == {}
    target.prepare_terraform(object(), print)
    assert forgotten == []
    assert (target.feeds_base_url, target.terraform_endpoint, target.stack_on_demand) == (None, None, False)
    assert target.expected_owner(ACCOUNT) == {"ExpectedBucketOwner": ACCOUNT} and target.expected_owner("") == {}
    assert [target.skips(check) for check in CHECKS] == ["", "", ""]


def test_the_aws_target_passes_terraform_the_callers_environment_as_it_is(dev):
    base = {"AWS_PROFILE": "ops", "AWS_ENDPOINT_URL_S3": "http://proxy:1", "AWS_REGION": dev.aws_region}

    assert open_target(dev).terraform_environment(base, "http://127.0.0.1:1") == base


def test_an_aws_run_never_loads_the_stand_ins():
    script = (
        "import sys, json\n"
        "from toolkit.envfile import load_env\n"
        "from toolkit.target import open_target\n"
        f"target = open_target(load_env('dev', account_id='{ACCOUNT}'))\n"
        "target.ready(print); target.client('s3'); target.terraform_environment({}); target.skips('role simulation')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('toolkit.local'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_aws_invocations_go_through_lambdas_api(dev, fake_aws_credentials, monkeypatch):
    from toolkit import lambda_invoke

    calls: list[tuple] = []
    monkeypatch.setattr(lambda_invoke, "invoke_aws", lambda env, q, p, **clients: calls.append(("sync", q, p)))
    monkeypatch.setattr(lambda_invoke, "invoke_aws_async", lambda env, q, p, **clients: calls.append(("event", q, p)))
    target = open_target(dev)

    target.invoke("live", {"a": 1})
    target.invoke("3", {}, invocation_type="Event")

    assert calls == [("sync", "live", {"a": 1}), ("event", "3", {})]


def test_an_emulator_environment_opens_the_local_target_pointed_at_the_emulator_and_the_standin(local):
    target = open_target(local)
    s3 = target.client("s3")
    runtime = target.client("bedrock-runtime", "us-east-1")

    assert isinstance(target, LocalTarget)
    assert s3.meta.endpoint_url == f"http://127.0.0.1:{local.service_port('emulator')}"
    assert runtime.meta.endpoint_url == f"http://127.0.0.1:{local.service_port('bedrock_standin')}"
    assert runtime.meta.region_name == "us-east-1"
    assert s3._request_signer._credentials.access_key == "testing"
    assert target.process_environment()["AWS_ENDPOINT_URL"] == s3.meta.endpoint_url
    assert target.feeds_base_url == f"http://127.0.0.1:{local.service_port('sample_feeds')}"
    assert target.terraform_endpoint == s3.meta.endpoint_url and target.stack_on_demand
    with pytest.raises(RuntimeError, match="no Bedrock control plane"):
        target.client("bedrock")


def test_one_target_per_environment_and_process(local):
    assert open_target(local) is open_target(dataclasses.replace(local))
    assert open_target(local) is not open_target(dataclasses.replace(local, function_name="other"))


def test_the_local_target_starts_the_services_once_and_again_when_the_ports_move(local, monkeypatch):
    started: list[int] = []

    def ensure(env, printer, timeout_s):
        started.append(env.service_port("emulator"))
        return {"emulator": f"http://127.0.0.1:{started[-1]}"}

    monkeypatch.setattr(stand_in_services, "ensure_services", ensure)
    monkeypatch.setattr(stand_in_services, "listening", lambda env: bool(started))
    monkeypatch.delenv("VECTORA_LOCAL_PORT_OFFSET", raising=False)
    target = LocalTarget(local)

    first = target.ready(print)
    target.ready(print)
    monkeypatch.setenv("VECTORA_LOCAL_PORT_OFFSET", "100")
    target.ready(print)

    assert started == [local.service_port("emulator") - 100, local.service_port("emulator")]
    assert first == {"emulator": f"http://127.0.0.1:{started[0]}"}


def test_the_local_target_starts_the_services_again_after_they_were_stopped(local, monkeypatch):
    started: list[str] = []
    up = {"now": False}

    def ensure(env, printer, timeout_s):
        started.append("up")
        up["now"] = True
        return {}

    monkeypatch.setattr(stand_in_services, "ensure_services", ensure)
    monkeypatch.setattr(stand_in_services, "listening", lambda env: up["now"])
    target = LocalTarget(local)

    target.ready(print)
    up["now"] = False  # `invoke local.down` in the same task list
    target.ready(print)

    assert started == ["up", "up"]


def test_the_local_target_repairs_the_state_before_terraform_and_starts_services_only_for_its_own_emulator(
    local, monkeypatch
):
    happened: list[str] = []
    monkeypatch.setattr(
        stand_in_services, "ensure_services", lambda env, printer, timeout_s: happened.append("up") or {}
    )
    monkeypatch.setattr(emulator_state, "forget_stale_emulator_state", lambda ws, printer: happened.append(ws))

    LocalTarget(local).prepare_terraform("ws", print, start_services=False)
    LocalTarget(local).prepare_terraform("ws", print)

    assert happened == ["ws", "up", "ws"]


def test_the_local_target_points_terraform_at_the_emulator_with_test_keys_and_no_profile(local):
    base = {"AWS_PROFILE": "ops", "AWS_ENDPOINT_URL_S3": "http://proxy:1", "PATH": "/bin"}
    target = open_target(local)

    process_env = target.terraform_environment(base)
    elsewhere = target.terraform_environment(base, "http://127.0.0.1:1")

    assert "AWS_PROFILE" not in process_env and "AWS_ENDPOINT_URL_S3" not in process_env
    assert process_env["AWS_ENDPOINT_URL"] == target.terraform_endpoint and process_env["PATH"] == "/bin"
    assert process_env["AWS_ACCESS_KEY_ID"] == "testing" and elsewhere["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"


def test_local_invocations_run_on_this_machine(local, monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(lambda_runner, "invoke_local", lambda env, q, p, printer: calls.append(("sync", q)))
    monkeypatch.setattr(lambda_async, "invoke_local_async", lambda env, q, p, printer: calls.append(("event", q)))
    target = open_target(local)

    target.invoke("live", {})
    target.invoke("2", {}, invocation_type="Event")

    assert calls == [("sync", "live"), ("event", "2")]


def test_the_local_target_names_why_each_aws_only_check_is_skipped_and_checks_no_owner(local):
    target = open_target(local)

    assert all(target.skips(check) for check in CHECKS) and target.skips("credentials") == ""
    assert target.expected_owner(ACCOUNT) == {}
