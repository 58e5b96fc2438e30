"""Interrupted and concurrent deploys, publish ordering against AWS's documented answers, and a rollback that
guides. After every scenario `live` must point at a version that passed its smoke test (or Terraform's)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import Stubber
from lambda_testkit import (
    BROKEN_HANDLER,
    GOOD_HANDLER,
    builder,
    create_function,
    emulator,
    fake_env,
    fake_package,
    handler_zip,
    live_version,
)

from toolkit import deploy as deploy_module
from toolkit.config_sync import CONFIG_DIR, sync_config
from toolkit.deploy import DeployError, RollbackError, deploy, publish_version, rollback, smoke_records, update_code
from toolkit.deploy_lease import LeaseHeld, LeaseRecord, deploy_lease, lease_key
from toolkit.invoker import InvokeResult
from toolkit.local.endpoints import service_url
from toolkit.services import boto3_client

pytestmark = pytest.mark.slow

QUIET = {"printer": lambda line: None}
SHA_A = base64.b64encode(b"a" * 32).decode()
SHA_B = base64.b64encode(b"b" * 32).decode()


class Killed(BaseException):
    """Stands for the deploy's process dying at a step (not an Exception: nothing may swallow it)."""


def kill_at(step: str):
    def hook(reached: str) -> None:
        if reached == step:
            raise Killed(step)

    return hook


def stack(env) -> None:
    create_function(env, handler_zip(GOOD_HANDLER))
    sync_config(boto3_client(env, "s3"), env.lambda_environment["CONFIG_BUCKET"], service_url(env, "sample_feeds"))


def deploy_body(env, tmp_path, marker: str, **kwargs):
    return deploy(env, build=builder(fake_package(tmp_path, handler_zip(GOOD_HANDLER, marker))), **{**QUIET, **kwargs})


def assert_live_passed_its_smoke_test(env) -> str:
    version = live_version(env)
    config = boto3_client(env, "lambda").get_function_configuration(FunctionName=env.function_name, Qualifier=version)
    record = smoke_records(boto3_client(env, "s3"), env).get(version)
    terraform_created = "git=" not in config.get("Description", "")
    assert terraform_created or (record and record["passed"] and record["code_sha256"] == config["CodeSha256"]), version
    return version


# --- interrupted deploys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "step", ["lease", "package", "config", "upload", "update", "publish", "smoke:started", "smoke"]
)
def test_a_deploy_killed_at_a_step_leaves_live_on_a_tested_version_and_the_next_deploy_completes(
    fake_env, tmp_path, step
):
    stack(fake_env)  # live → 1, Terraform's

    with pytest.raises(Killed):
        deploy_body(fake_env, tmp_path, "v2", hook=kill_at(step))
    assert assert_live_passed_its_smoke_test(fake_env) == "1"

    completed = deploy_body(fake_env, tmp_path, "v2")
    assert completed.published and completed.smoke.ok
    assert assert_live_passed_its_smoke_test(fake_env) == completed.live_version == "2"


def test_a_deploy_killed_between_two_smoke_checks_leaves_live_and_the_next_deploy_completes(fake_env, tmp_path):
    stack(fake_env)

    def die_at_the_cache_check(line: str) -> None:
        if "cache    … invoking" in line:  # the basic check passed, the verdict is not written yet
            raise Killed("smoke")

    with pytest.raises(Killed):
        deploy_body(fake_env, tmp_path, "v2", printer=die_at_the_cache_check)
    assert assert_live_passed_its_smoke_test(fake_env) == "1"
    assert "2" not in smoke_records(boto3_client(fake_env, "s3"), fake_env)

    assert deploy_body(fake_env, tmp_path, "v2").live_version == "2" == assert_live_passed_its_smoke_test(fake_env)


def test_a_version_published_by_a_killed_deploy_is_never_a_rollback_target(fake_env, tmp_path):
    stack(fake_env)
    deploy_body(fake_env, tmp_path, "v2")
    with pytest.raises(Killed):
        deploy_body(fake_env, tmp_path, "v3", hook=kill_at("publish"))  # version 3, never smoke-tested
    deploy_body(fake_env, tmp_path, "v4")  # version 4

    with pytest.raises(
        RollbackError, match="version 3 .* never finished its smoke test: it is never a rollback target"
    ):
        rollback(fake_env, to_version=3, **QUIET)
    result = rollback(fake_env, **QUIET)

    assert (result.from_version, result.to_version) == ("4", "2")


def test_a_deploy_killed_after_publishing_is_not_taken_for_unchanged_by_the_next(fake_env, tmp_path):
    stack(fake_env)
    with pytest.raises(Killed):
        deploy_body(fake_env, tmp_path, "v2", hook=kill_at("publish"))  # $LATEST and version 2 hold v2

    completed = deploy_body(fake_env, tmp_path, "v2")

    assert completed.published and completed.live_version == "2" and completed.smoke.ok


def test_a_config_only_release_killed_during_its_smoke_test_is_tested_by_the_next_deploy(
    fake_env, tmp_path, monkeypatch
):
    stack(fake_env)
    body = (
        boto3_client(fake_env, "s3")
        .get_object(Bucket=fake_env.artifacts_bucket, Key=next(iter(artifact_keys(fake_env))))["Body"]
        .read()
    )
    config_dir = shutil.copytree(CONFIG_DIR, tmp_path / "config")
    client = config_dir / "clients" / "lai_weekly_v3.yaml"
    client.write_text(client.read_text().replace('name: "LAI Weekly"', 'name: "LAI Weekly (new)"'))
    monkeypatch.setattr(deploy_module, "undo_config_upload", lambda *args: None)  # a killed process cleans up nothing

    with pytest.raises(Killed):
        deploy(
            fake_env,
            build=builder(fake_package(tmp_path, body)),
            config_dir=config_dir,
            hook=kill_at("smoke:started"),
            **QUIET,
        )
    again = deploy(fake_env, build=builder(fake_package(tmp_path, body)), config_dir=config_dir, **QUIET)

    assert again.smoke is not None and again.smoke.ok and again.published is False  # the bucket already held it
    assert smoke_records(boto3_client(fake_env, "s3"), fake_env)["1"]["config_digest"] == again.config_digest


def artifact_keys(env) -> list[str]:
    listed = boto3_client(env, "s3").list_objects_v2(Bucket=env.artifacts_bucket, Prefix=f"{env.function_name}/")
    return [item["Key"] for item in listed.get("Contents", []) if item["Key"].endswith(".zip")]


def test_the_lease_is_released_after_a_deploy_whatever_its_outcome(fake_env, tmp_path):
    stack(fake_env)
    s3 = boto3_client(fake_env, "s3")
    deploy_body(fake_env, tmp_path, "v2")
    with pytest.raises(DeployError):
        deploy(fake_env, build=builder(fake_package(tmp_path, handler_zip(BROKEN_HANDLER))), **QUIET)

    listed = s3.list_objects_v2(Bucket=fake_env.artifacts_bucket, Prefix=lease_key(fake_env.function_name))
    assert listed.get("KeyCount", 0) == 0


# --- concurrent deploys ---------------------------------------------------------------------------------------


def test_two_deploys_at_once_end_with_one_winner_and_one_clean_refusal(fake_env, tmp_path):
    stack(fake_env)
    first_holds_lease, second_done = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def hold(step: str) -> None:
        if step == "lease":
            first_holds_lease.set()
            second_done.wait(timeout=30)

    def run(name: str, marker: str, **kwargs) -> None:
        try:
            outcomes[name] = deploy_body(fake_env, tmp_path / name, marker, **kwargs)
        except DeployError as exc:
            outcomes[name] = exc
        finally:
            if name == "second":
                second_done.set()

    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = threading.Thread(
        target=run,
        args=(
            "first",
            "first",
        ),
        kwargs={"hook": hold},
    )
    first.start()
    assert first_holds_lease.wait(timeout=30)
    second = threading.Thread(target=run, args=("second", "second"))
    second.start()
    second.join(timeout=60)
    first.join(timeout=60)

    refusal = outcomes["second"]
    assert isinstance(refusal, DeployError)
    assert (
        str(refusal).startswith("deploy refused: another deploy by ")
        and " since " in str(refusal)
        and "pid" in str(refusal)
    )
    assert outcomes["first"].live_version == "2" == assert_live_passed_its_smoke_test(fake_env)


def test_a_rollback_during_a_deploy_is_refused(fake_env, tmp_path):
    stack(fake_env)
    deploy_body(fake_env, tmp_path, "v2")
    s3 = boto3_client(fake_env, "s3")

    with deploy_lease(s3, fake_env.artifacts_bucket, fake_env.function_name, "deploy", **QUIET):
        with pytest.raises(DeployError, match="rollback refused: another deploy by"):
            rollback(fake_env, **QUIET)

    assert live_version(fake_env) == "2"


# --- the lease ------------------------------------------------------------------------------------------------


@pytest.fixture
def lease_bucket(fake_aws_credentials):
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-3")
        s3.create_bucket(Bucket="artifacts-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        yield s3


def put_lease(s3, **fields) -> None:
    now = datetime.now(UTC)
    record = {
        "owner": "ci@builder",
        "host": "builder",
        "pid": 4242,
        "action": "deploy",
        "started": now.isoformat(timespec="seconds"),
        "expires": (now + timedelta(minutes=30)).isoformat(timespec="seconds"),
    }
    s3.put_object(Bucket="artifacts-test", Key=lease_key("fn"), Body=json.dumps({**record, **fields}).encode())


def test_a_current_lease_is_refused_naming_owner_and_start_time(lease_bucket):
    put_lease(lease_bucket, started="2026-01-05T06:00:00+00:00")

    with pytest.raises(LeaseHeld, match=r"another deploy by ci@builder \(pid 4242\) since 06:00:00 UTC.*--break-lease"):
        with deploy_lease(lease_bucket, "artifacts-test", "fn", "deploy", **QUIET):
            pass


def test_an_expired_lease_is_taken_over(lease_bucket):
    put_lease(lease_bucket, expires="2026-01-05T06:30:00+00:00")
    printed: list[str] = []

    with deploy_lease(lease_bucket, "artifacts-test", "fn", "deploy", printer=printed.append) as record:
        held = json.loads(lease_bucket.get_object(Bucket="artifacts-test", Key=lease_key("fn"))["Body"].read())
        assert LeaseRecord(**held) == record
    assert any(
        "took over the lease of deploy by ci@builder" in line and "expired at 06:30:00" in line for line in printed
    )


def test_a_lease_left_by_a_dead_process_on_this_machine_is_taken_over(lease_bucket):
    import socket

    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    put_lease(lease_bucket, host=socket.gethostname(), pid=int(finished.stdout))
    printed: list[str] = []

    with deploy_lease(lease_bucket, "artifacts-test", "fn", "deploy", printer=printed.append):
        pass

    assert any("no longer runs" in line for line in printed)


def test_break_lease_takes_over_a_current_lease(lease_bucket):
    put_lease(lease_bucket)

    with deploy_lease(lease_bucket, "artifacts-test", "fn", "deploy", break_lease=True, **QUIET):
        pass

    assert lease_bucket.list_objects_v2(Bucket="artifacts-test").get("KeyCount", 0) == 0


def test_a_holder_whose_lease_was_taken_over_does_not_delete_its_successors(lease_bucket):
    printed: list[str] = []
    with deploy_lease(lease_bucket, "artifacts-test", "fn", "deploy", printer=printed.append):
        put_lease(lease_bucket, owner="successor@builder")  # taken over meanwhile (new ETag)

    held = json.loads(lease_bucket.get_object(Bucket="artifacts-test", Key=lease_key("fn"))["Body"].read())
    assert held["owner"] == "successor@builder"
    assert any("taken over by another deploy" in line for line in printed)


# --- publish ordering, answered the way AWS documents it (botocore Stubber) -----------------------------------


@pytest.fixture
def stubbed_lambda(fake_aws_credentials, monkeypatch):
    monkeypatch.setattr("botocore.waiter.time.sleep", lambda seconds: None)
    client = boto3.client("lambda", region_name="eu-west-3")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def configuration(**fields) -> dict:
    return {"FunctionName": "fn", "Version": "$LATEST", "CodeSha256": SHA_A, **fields}


def test_publish_passes_the_revision_and_waits_for_a_pending_version_to_be_active(stubbed_lambda):
    client, stubber = stubbed_lambda
    stubber.add_response(
        "publish_version",
        configuration(Version="7", State="Pending"),
        {"FunctionName": "fn", "CodeSha256": SHA_A, "Description": "git=abc sha256=x", "RevisionId": "rev-settled"},
    )
    stubber.add_response(
        "get_function_configuration",
        configuration(Version="7", State="Pending"),
        {"FunctionName": "fn", "Qualifier": "7"},
    )
    stubber.add_response(
        "get_function_configuration",
        configuration(Version="7", State="Active"),
        {"FunctionName": "fn", "Qualifier": "7"},
    )

    published = publish_version(client, "fn", SHA_A, "rev-settled", "git=abc sha256=x")

    assert published["Version"] == "7"
    stubber.assert_no_pending_responses()  # it polled until Active


def test_a_version_that_fails_to_become_active_stops_the_deploy(stubbed_lambda):
    client, stubber = stubbed_lambda
    stubber.add_response("publish_version", configuration(Version="7", State="Pending"))
    stubber.add_response(
        "get_function_configuration", configuration(Version="7", State="Failed", StateReason="Init error")
    )

    with pytest.raises(DeployError, match="version 7 did not become Active"):
        publish_version(client, "fn", SHA_A, "rev", "d")


def test_publish_refused_because_latest_moved_on_says_so(stubbed_lambda):
    client, stubber = stubbed_lambda
    stubber.add_client_error("publish_version", "PreconditionFailedException", http_status_code=412)

    with pytest.raises(DeployError, match=r"\$LATEST changed since this deploy updated it"):
        publish_version(client, "fn", SHA_A, "rev-stale", "d")


def test_the_code_update_returns_the_revision_of_the_settled_update(stubbed_lambda):
    client, stubber = stubbed_lambda
    stubber.add_response(
        "get_function", {"Configuration": configuration(LastUpdateStatus="Successful", RevisionId="rev-0")}
    )
    stubber.add_response("update_function_code", configuration(LastUpdateStatus="InProgress", RevisionId="rev-1"))
    stubber.add_response(
        "get_function", {"Configuration": configuration(LastUpdateStatus="InProgress", RevisionId="rev-1")}
    )
    stubber.add_response(
        "get_function", {"Configuration": configuration(LastUpdateStatus="Successful", RevisionId="rev-2")}
    )
    stubber.add_response("get_function_configuration", configuration(LastUpdateStatus="Successful", RevisionId="rev-2"))

    assert update_code(client, "fn", "bucket", "key.zip", SHA_A) == "rev-2"


def test_a_code_update_overtaken_by_another_is_refused(stubbed_lambda):
    client, stubber = stubbed_lambda
    stubber.add_response("get_function", {"Configuration": configuration(LastUpdateStatus="Successful")})
    stubber.add_response("update_function_code", configuration(RevisionId="rev-1"))
    stubber.add_response("get_function", {"Configuration": configuration(LastUpdateStatus="Successful")})
    stubber.add_response("get_function_configuration", configuration(CodeSha256=SHA_B, RevisionId="rev-9"))

    with pytest.raises(DeployError, match="changed by someone else during the update"):
        update_code(client, "fn", "bucket", "key.zip", SHA_A)


# --- rollback check after the alias move ----------------------------------------------------------------------


def ran(version: str) -> InvokeResult:
    return InvokeResult(200, None, {"status": "ok", "cache": "hit"}, "", 1.0, "req", executed_version=version)


def test_the_rollback_check_retries_a_version_mismatch_seen_right_after_the_move(fake_env, tmp_path):
    stack(fake_env)
    deploy_body(fake_env, tmp_path, "v2")
    answers = iter([ran("2"), ran("1")])  # the first read still reaches the old version
    printed: list[str] = []

    result = rollback(
        fake_env, invoke=lambda env, qualifier, event: next(answers), mismatch_backoff_s=0, printer=printed.append
    )

    assert result.to_version == "1" and live_version(fake_env) == "1"
    assert any("ran version 2, expected 1" in line and "retrying" in line for line in printed)


def test_the_rollback_check_moves_back_when_the_mismatch_persists(fake_env, tmp_path):
    stack(fake_env)
    deploy_body(fake_env, tmp_path, "v2")

    with pytest.raises(RollbackError, match=r"live ran version 2, expected 1 \(3 attempts\)"):
        rollback(
            fake_env, invoke=lambda env, qualifier, event: ran("2"), mismatch_retries=2, mismatch_backoff_s=0, **QUIET
        )

    assert live_version(fake_env) == "2"


# --- a rollback that guides -----------------------------------------------------------------------------------


def test_rollback_with_nothing_older_prints_the_versions_and_the_command_that_works(fake_env, tmp_path):
    stack(fake_env)
    deploy_body(fake_env, tmp_path, "v2")
    rollback(fake_env, **QUIET)  # live → 1, Terraform's
    printed: list[str] = []

    with pytest.raises(RollbackError) as refused:
        rollback(fake_env, printer=printed.append)

    message = str(refused.value)
    assert message.startswith("no version to roll back to below 1")
    assert "live runs version 1 (created by Terraform, sha256 " in message
    assert message.endswith("run `invoke rollback --to 2`")
    assert any(line.split()[:2] == ["alias", "version"] for line in printed)  # the versions table


def test_rollback_with_nothing_at_all_says_to_deploy_first(fake_env):
    stack(fake_env)

    with pytest.raises(RollbackError, match=r"below 1: .*deploy a new version with `invoke package deploy`"):
        rollback(fake_env, **QUIET)


def test_rollback_to_a_newer_version_says_it_moved_live_forward(fake_env, tmp_path):
    stack(fake_env)
    deploy_body(fake_env, tmp_path, "v2")
    rollback(fake_env, **QUIET)
    printed: list[str] = []

    result = rollback(fake_env, to_version=2, printer=printed.append)

    assert result.forward and live_version(fake_env) == "2"
    assert printed[-1].startswith("moved live forward: 1 → 2 in ")
    assert "live runs version 2 (git " in printed[-1] and "sha256 " in printed[-1]


def test_rollback_names_the_version_it_moved_to_and_what_it_runs(fake_env, tmp_path):
    stack(fake_env)
    deploy_body(fake_env, tmp_path, "v2")
    printed: list[str] = []

    rollback(fake_env, printer=printed.append)

    sha = boto3_client(fake_env, "lambda").get_function_configuration(
        FunctionName=fake_env.function_name, Qualifier="1"
    )["CodeSha256"]
    assert printed[-1].endswith(
        f"live runs version 1 (created by Terraform, sha256 {base64.b64decode(sha).hex()[:12]})"
    )


def test_rollback_to_a_version_that_failed_its_smoke_test_is_refused(fake_env, tmp_path):
    stack(fake_env)
    deploy_body(fake_env, tmp_path, "v2")
    with pytest.raises(DeployError):
        deploy(fake_env, build=builder(fake_package(tmp_path, handler_zip(BROKEN_HANDLER))), **QUIET)  # version 3

    with pytest.raises(
        RollbackError, match=r"version 3 \(git .*\) failed its smoke test at 'basic': it is never a rollback target"
    ):
        rollback(fake_env, to_version=3, **QUIET)
    assert live_version(fake_env) == "2"


def test_versions_label_the_version_terraform_created(fake_env, tmp_path):
    stack(fake_env)
    deploy_body(fake_env, tmp_path, "v2")

    table = deploy_module.format_versions(deploy_module.list_versions(fake_env, **QUIET)).splitlines()

    assert table[0].split()[0] == "alias"
    assert table[1].split()[:2] == ["1", "terraform"] and table[2].split()[:3] == [
        "live",
        "2",
        deploy_module.git_revision(),
    ]
