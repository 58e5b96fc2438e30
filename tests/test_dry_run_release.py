"""`deploy --dry-run` and `rollback --dry-run` against the emulator, `tf.apply --dry-run`: the plan is printed,
nothing moves."""

from __future__ import annotations

import pytest
from lambda_testkit import (
    GOOD_HANDLER,
    builder,
    create_function,
    emulator,
    fake_env,
    fake_package,
    handler_zip,
    live_version,
)

from toolkit.config_sync import CONFIG_DIR, sync_config
from toolkit.deploy import deploy, rollback
from toolkit.local.endpoints import service_url
from toolkit.services import boto3_client

pytestmark = pytest.mark.slow

QUIET = {"printer": lambda line: None}


def environment_state(env) -> dict:
    """What a deploy or rollback could change: every object of every bucket, the versions, where the alias points."""
    s3 = boto3_client(env, "s3")
    objects = {
        (bucket["Name"], o["Key"]): o["ETag"]
        for bucket in s3.list_buckets()["Buckets"]
        for o in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
    }
    lambda_client = boto3_client(env, "lambda")
    versions = lambda_client.list_versions_by_function(FunctionName=env.function_name)["Versions"]
    return {
        "objects": objects,
        "versions": sorted((v["Version"], v["CodeSha256"]) for v in versions),
        "live": live_version(env),
        "latest": lambda_client.get_function_configuration(FunctionName=env.function_name)["CodeSha256"],
    }


def _upload_config(env) -> None:
    sync_config(
        boto3_client(env, "s3"), env.lambda_environment["CONFIG_BUCKET"], service_url(env, "sample_feeds"), CONFIG_DIR
    )


def test_a_dry_run_deploy_says_what_it_would_publish_and_where_live_would_move_and_changes_nothing(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    _upload_config(fake_env)
    package = fake_package(tmp_path, handler_zip(GOOD_HANDLER, "v2"))
    before = environment_state(fake_env)
    printed: list[str] = []

    result = deploy(fake_env, build=builder(package), printer=printed.append, dry_run=True)

    assert environment_state(fake_env) == before
    assert result.published is False and result.live_version == "1" and result.reasons[0] == "code"
    key = f"{fake_env.function_name}/{package.sha256}.zip"
    assert f"  would upload {package.path.name} to s3://{fake_env.artifacts_bucket}/{key}" in printed
    assert any(line.startswith("  would publish a new version (next number 2) because of code") for line in printed)
    assert "  would smoke-test version 2, then move live: 1 → 2" in printed
    assert printed[-1] == "dry run: nothing was changed"


def test_a_dry_run_deploy_lists_the_config_files_it_would_write(fake_env, tmp_path):
    body = handler_zip(GOOD_HANDLER)
    create_function(fake_env, body)  # the config bucket is empty: every file would be added
    before = environment_state(fake_env)
    printed: list[str] = []

    deploy(fake_env, build=builder(fake_package(tmp_path, body)), printer=printed.append, dry_run=True)

    assert environment_state(fake_env) == before
    bucket = fake_env.lambda_environment["CONFIG_BUCKET"]
    assert f"  would write s3://{bucket}/clients/lai_weekly_v3.yaml (added)" in printed
    assert any(line.startswith("  would smoke-test version 1 (") for line in printed)
    assert "  live stays on version 1" in printed


def test_a_dry_run_rollback_says_from_which_version_to_which_and_moves_nothing(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    deploy(fake_env, build=builder(fake_package(tmp_path, handler_zip(GOOD_HANDLER, "v2"))), **QUIET)
    before = environment_state(fake_env)
    printed: list[str] = []

    result = rollback(fake_env, printer=printed.append, dry_run=True)

    assert environment_state(fake_env) == before and live_version(fake_env) == "2"
    assert (result.from_version, result.to_version) == ("2", "1")
    assert any(line.startswith("  would roll back live: 2 → 1 (version 1 (") for line in printed)
    assert printed[-1] == "dry run: nothing was changed"


def test_a_dry_run_of_tf_apply_plans_instead_of_applying(monkeypatch):
    import toolkit.terraform as terraform
    from toolkit.stack import apply_stack

    called: list[str] = []
    monkeypatch.setattr(terraform, "plan", lambda env_name, **options: called.append(f"plan {env_name}") or 0)
    monkeypatch.setattr(terraform, "apply", lambda env_name, **options: called.append(f"apply {env_name}") or {})
    printed: list[str] = []

    assert apply_stack("dev", printer=printed.append, dry_run=True) == {}
    assert called == ["plan dev"]
    assert printed[-1].startswith("dry run: nothing was changed")


def test_a_dry_run_of_tf_apply_refuses_a_saved_plan_saying_how_to_show_it():
    from toolkit.errors import ToolkitError
    from toolkit.stack import apply_stack

    with pytest.raises(ToolkitError, match="terraform show dev.tfplan"):
        apply_stack("dev", printer=lambda _line: None, plan_file="dev.tfplan", dry_run=True)
