"""Deploy, rollback and versions against the emulator, with the local target running tiny function zips."""

from __future__ import annotations

import json
import subprocess

import pytest
from lambda_testkit import (
    BROKEN_HANDLER,
    GOOD_HANDLER,
    builder,
    code_sha256,
    create_function,
    emulator,
    fake_env,
    fake_package,
    handler_zip,
    live_version,
    publish,
)

from toolkit.config_sync import CONFIG_DIR, sync_config
from toolkit.deploy import DeployError, RollbackError, deploy, format_versions, git_revision, list_versions, rollback
from toolkit.local.endpoints import service_url
from toolkit.services import boto3_client

pytestmark = pytest.mark.slow

QUIET = {"printer": lambda line: None}


def published_versions(env) -> list[str]:
    versions = boto3_client(env, "lambda").list_versions_by_function(FunctionName=env.function_name)["Versions"]
    return sorted((v["Version"] for v in versions if v["Version"] != "$LATEST"), key=int)


def upload_config(env, config_dir=CONFIG_DIR) -> None:
    """What Terraform's first apply and `invoke run` leave in the config bucket."""
    sync_config(
        boto3_client(env, "s3"), env.lambda_environment["CONFIG_BUCKET"], service_url(env, "sample_feeds"), config_dir
    )


def deploy_zip(env, tmp_path, body: bytes, **kwargs):
    return deploy(env, build=builder(fake_package(tmp_path, body)), **{**QUIET, **kwargs})


def test_deploying_the_code_live_already_runs_publishes_nothing(fake_env, tmp_path):
    body = handler_zip(GOOD_HANDLER)
    create_function(fake_env, body)
    upload_config(fake_env)
    printed = []

    result = deploy_zip(fake_env, tmp_path, body, printer=printed.append)

    assert result.published is False and result.live_version == "1"
    assert published_versions(fake_env) == ["1"]
    assert any(line.startswith("unchanged: version 1 already runs") for line in printed)


def test_deploy_publishes_a_described_version_smoke_tests_it_and_then_moves_live(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    body = handler_zip(GOOD_HANDLER, "v2")
    package = fake_package(tmp_path, body)

    result = deploy(fake_env, build=builder(package), **QUIET)

    assert result.published and (result.previous_version, result.live_version) == ("1", "2")
    assert live_version(fake_env) == "2"
    assert result.smoke.ok and result.smoke.qualifier == "2"  # the version itself, not the alias
    config = boto3_client(fake_env, "lambda").get_function_configuration(
        FunctionName=fake_env.function_name, Qualifier="2"
    )
    assert config["CodeSha256"] == code_sha256(body)
    assert config["Description"] == f"git={git_revision()} sha256={package.sha256}"


def test_deploy_keeps_the_zip_in_the_artifacts_bucket_under_its_hash_with_lambdas_digest(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    body = handler_zip(GOOD_HANDLER, "v2")
    package = fake_package(tmp_path, body)

    deploy(fake_env, build=builder(package), **QUIET)

    s3 = boto3_client(fake_env, "s3")
    key = f"{fake_env.function_name}/{package.sha256}.zip"
    assert s3.get_object(Bucket=fake_env.artifacts_bucket, Key=key)["Body"].read() == body
    assert s3.head_object(Bucket=fake_env.artifacts_bucket, Key=key)["Metadata"] == {"code-sha256": code_sha256(body)}


def test_deploy_prints_every_step_with_its_time(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    printed = []

    deploy_zip(fake_env, tmp_path, handler_zip(GOOD_HANDLER, "v2"), printer=printed.append)

    for step in ("package", "live", "upload", "update", "publish", "smoke", "alias"):
        assert any(line.startswith(f"  {step} ") and line.endswith(" s)") for line in printed), step
    assert printed[-1].startswith("deployed version 2") and "live 1 → 2" in printed[-1]


def test_broken_version_fails_its_smoke_test_names_the_check_and_live_stays(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))

    with pytest.raises(DeployError) as failure:
        deploy_zip(fake_env, tmp_path, handler_zip(BROKEN_HANDLER))

    assert failure.value.failing_check == "basic" and failure.value.version == "2"
    assert "failed at check 'basic'" in str(failure.value) and "live stays on version 1" in str(failure.value)
    assert published_versions(fake_env) == ["1", "2"]
    assert live_version(fake_env) == "1"


def test_versions_list_git_sha_smoke_verdict_and_where_live_points(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    deploy_zip(fake_env, tmp_path, handler_zip(GOOD_HANDLER, "v2"))
    with pytest.raises(DeployError):
        deploy_zip(fake_env, tmp_path, handler_zip(BROKEN_HANDLER))

    versions = list_versions(fake_env, **QUIET)

    assert [(v.version, v.is_live, v.smoke) for v in versions] == [
        ("1", False, ""),
        ("2", True, "passed"),
        ("3", False, "failed: basic"),
    ]
    assert versions[1].git == git_revision()
    assert versions[1].sha256 == fake_package(tmp_path, handler_zip(GOOD_HANDLER, "v2")).sha256
    table = format_versions(versions)
    assert table.splitlines()[2].startswith("live   2")


def test_rollback_moves_live_to_the_previous_version_and_prints_from_to(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    deploy_zip(fake_env, tmp_path, handler_zip(GOOD_HANDLER, "v2"))
    printed = []

    result = rollback(fake_env, printer=printed.append)

    assert (result.from_version, result.to_version) == ("2", "1")
    assert live_version(fake_env) == "1"
    assert any("live: 2 → 1" in line for line in printed)
    assert printed[-1].startswith("rolled back live: 2 → 1 in ")


def test_rollback_skips_a_version_that_failed_its_smoke_test(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    deploy_zip(fake_env, tmp_path, handler_zip(GOOD_HANDLER, "v2"))
    with pytest.raises(DeployError):
        deploy_zip(fake_env, tmp_path, handler_zip(BROKEN_HANDLER))  # version 3, never live
    deploy_zip(fake_env, tmp_path, handler_zip(GOOD_HANDLER, "v4"))

    result = rollback(fake_env, **QUIET)

    assert (result.from_version, result.to_version) == ("4", "2")


def test_rollback_to_a_named_version(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    publish(fake_env, handler_zip(GOOD_HANDLER, "v2"))
    deploy_zip(fake_env, tmp_path, handler_zip(GOOD_HANDLER, "v3"))

    result = rollback(fake_env, to_version=1, **QUIET)

    assert result.to_version == "1" and live_version(fake_env) == "1"


def test_rollback_moves_live_back_when_the_target_fails_its_check(fake_env, tmp_path):
    create_function(fake_env, handler_zip(BROKEN_HANDLER))  # version 1: never smoke-tested by a deploy
    deploy_zip(fake_env, tmp_path, handler_zip(GOOD_HANDLER, "v2"))

    with pytest.raises(RollbackError, match="version 1 failed its check .*live moved back to 2"):
        rollback(fake_env, **QUIET)

    assert live_version(fake_env) == "2"


def test_rollback_with_nothing_below_the_current_version_is_refused(fake_env):
    create_function(fake_env, handler_zip(GOOD_HANDLER))

    with pytest.raises(RollbackError, match="no version to roll back to below 1"):
        rollback(fake_env, **QUIET)


def test_git_revision_marks_uncommitted_package_changes_dirty(tmp_path):
    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    assert git_revision(tmp_path) == "unknown"  # no commit yet
    (tmp_path / "lambda_src").mkdir()
    (tmp_path / "lambda_src" / "handler.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("not packaged\n")
    git("add", "lambda_src")
    git("commit", "-q", "-m", "engine")
    commit = git_revision(tmp_path)

    assert len(commit) >= 7 and not commit.endswith("-dirty")  # notes.txt is not a package input
    (tmp_path / "lambda_src" / "handler.py").write_text("x = 2\n")
    assert git_revision(tmp_path) == commit + "-dirty"


def test_smoke_verdicts_are_recorded_beside_the_artifacts(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    deploy_zip(fake_env, tmp_path, handler_zip(GOOD_HANDLER, "v2"))

    record = json.loads(
        boto3_client(fake_env, "s3")
        .get_object(Bucket=fake_env.artifacts_bucket, Key=f"{fake_env.function_name}/smoke/2.json")["Body"]
        .read()
    )

    assert record["passed"] is True and [c["name"] for c in record["checks"]] == ["basic", "cache", "regions"]


def test_deploy_before_the_function_exists_says_to_apply_terraform_first(fake_env, tmp_path):
    with pytest.raises(DeployError, match="run `invoke tf.apply --env local` first"):
        deploy_zip(fake_env, tmp_path, handler_zip(GOOD_HANDLER))
