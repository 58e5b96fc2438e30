"""A release is code, function configuration and config files: deploy checks, uploads, publishes and smoke-tests
whichever of them changed, and `versions` shows what each version runs."""

from __future__ import annotations

import json
import shutil

import pytest
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
from toolkit.deploy import DeployError, deploy, format_versions, latest_differences, list_versions
from toolkit.local.endpoints import service_url
from toolkit.release_config import load_release_config
from toolkit.services import boto3_client
from toolkit.smoke import FAILED, CheckResult, SmokeReport

pytestmark = pytest.mark.slow

QUIET = {"printer": lambda line: None}
CLIENT_KEY = "clients/lai_weekly_v3.yaml"


@pytest.fixture
def config_dir(tmp_path):
    """A copy of config/ the test may edit."""
    return shutil.copytree(CONFIG_DIR, tmp_path / "config")


def config_bucket_objects(env) -> dict[str, bytes]:
    s3 = boto3_client(env, "s3")
    bucket = env.lambda_environment["CONFIG_BUCKET"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def published(env) -> list[str]:
    versions = boto3_client(env, "lambda").list_versions_by_function(FunctionName=env.function_name)["Versions"]
    return sorted((v["Version"] for v in versions if v["Version"] != "$LATEST"), key=int)


def smoke_record(env, version: str) -> dict:
    body = boto3_client(env, "s3").get_object(
        Bucket=env.artifacts_bucket, Key=f"{env.function_name}/smoke/{version}.json"
    )["Body"]
    return json.loads(body.read())


def stack_with_config(env, config_dir) -> bytes:
    """Terraform's first version with the config files already in the bucket; returns the version's zip."""
    body = handler_zip(GOOD_HANDLER)
    create_function(env, body)
    sync_config(
        boto3_client(env, "s3"), env.lambda_environment["CONFIG_BUCKET"], service_url(env, "sample_feeds"), config_dir
    )
    return body


def rename_newsletter(config_dir, name: str) -> None:
    path = config_dir / CLIENT_KEY
    path.write_text(path.read_text().replace('name: "LAI Weekly"', f'name: "{name}"'))


# --- config files ---------------------------------------------------------------------------------------------


def test_a_bad_config_is_refused_before_anything_is_uploaded_or_published(fake_env, tmp_path, config_dir):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    client = config_dir / CLIENT_KEY
    client.write_text(client.read_text().replace("kind: company", "kind: blog", 1))

    with pytest.raises(DeployError, match=r"config/clients/lai_weekly_v3\.yaml: sources\[0\]\.kind: must be one of"):
        deploy(
            fake_env,
            build=builder(fake_package(tmp_path, handler_zip(GOOD_HANDLER, "v2"))),
            config_dir=config_dir,
            **QUIET,
        )

    assert published(fake_env) == ["1"] and live_version(fake_env) == "1"
    assert config_bucket_objects(fake_env) == {}
    zips = boto3_client(fake_env, "s3").list_objects_v2(
        Bucket=fake_env.artifacts_bucket, Prefix=f"{fake_env.function_name}/"
    )
    assert len(zips.get("Contents", [])) == 1  # only Terraform's zip


def test_deploy_uploads_config_files_and_prints_added_changed_unchanged_per_file(fake_env, tmp_path, config_dir):
    stack_with_config(fake_env, config_dir)
    rename_newsletter(config_dir, "LAI Weekly (renamed)")
    (config_dir / "clients" / "second_client.yaml").write_text(
        (config_dir / CLIENT_KEY).read_text().replace("client_id: lai_weekly_v3", "client_id: second_client")
    )
    printed: list[str] = []

    deploy(
        fake_env,
        build=builder(fake_package(tmp_path, handler_zip(GOOD_HANDLER, "v2"))),
        config_dir=config_dir,
        printer=printed.append,
    )

    assert [line for line in printed if line.startswith("    ") and line.endswith(("changed", "added"))] == [
        "    bedrock_pricing.yaml: unchanged",
        "    canonical/lai_scopes.yaml: unchanged",
        "    canonical/obesity_scopes.yaml: unchanged",
        "    clients/glp1_obesity_weekly.yaml: unchanged",
        "    clients/lai_weekly_v3.yaml: changed",
        "    clients/second_client.yaml: added",
    ]
    assert b"name: LAI Weekly (renamed)" in config_bucket_objects(fake_env)[CLIENT_KEY]


def test_the_config_digest_is_recorded_with_the_smoke_verdict_and_shown_by_versions(fake_env, tmp_path, config_dir):
    stack_with_config(fake_env, config_dir)
    digest = load_release_config(config_dir, service_url(fake_env, "sample_feeds")).digest

    result = deploy(
        fake_env, build=builder(fake_package(tmp_path, handler_zip(GOOD_HANDLER, "v2"))), config_dir=config_dir, **QUIET
    )

    assert result.config_digest == digest and smoke_record(fake_env, "2")["config_digest"] == digest
    assert smoke_record(fake_env, "2")["config_files"][CLIENT_KEY]  # one sha256 per file too
    versions = list_versions(fake_env, **QUIET)
    assert versions[1].config_digest == digest
    assert digest[:12] in format_versions(versions).splitlines()[2]


def test_a_config_only_change_is_uploaded_and_smoke_tested_on_live_without_publishing(fake_env, tmp_path, config_dir):
    body = stack_with_config(fake_env, config_dir)
    rename_newsletter(config_dir, "LAI Weekly (config only)")
    printed: list[str] = []

    result = deploy(
        fake_env, build=builder(fake_package(tmp_path, body)), config_dir=config_dir, printer=printed.append
    )

    assert result.published is False and published(fake_env) == ["1"] and live_version(fake_env) == "1"
    assert result.smoke.ok and result.smoke.qualifier == "1"
    assert smoke_record(fake_env, "1")["config_digest"] == result.config_digest
    assert printed[-1].startswith("config released: live (version 1, code unchanged, nothing published)")


def test_a_second_deploy_of_the_same_config_publishes_and_tests_nothing(fake_env, tmp_path, config_dir):
    body = stack_with_config(fake_env, config_dir)
    rename_newsletter(config_dir, "LAI Weekly (config only)")
    deploy(fake_env, build=builder(fake_package(tmp_path, body)), config_dir=config_dir, **QUIET)

    again = deploy(fake_env, build=builder(fake_package(tmp_path, body)), config_dir=config_dir, **QUIET)

    assert again.smoke is None and again.published is False


def test_a_config_only_change_failing_its_smoke_test_puts_the_previous_files_back(
    fake_env, tmp_path, config_dir, monkeypatch
):
    body = stack_with_config(fake_env, config_dir)
    before = config_bucket_objects(fake_env)
    rename_newsletter(config_dir, "LAI Weekly (breaks the run)")
    failing = SmokeReport(
        "local", fake_env.function_name, "1", checks=[CheckResult("basic", FAILED, 0.1, "ConfigError")]
    )
    monkeypatch.setattr(deploy_module, "run_smoke", lambda *args, **kwargs: failing)

    with pytest.raises(DeployError, match="the previous config files are back and live stays on version 1"):
        deploy(fake_env, build=builder(fake_package(tmp_path, body)), config_dir=config_dir, **QUIET)

    assert config_bucket_objects(fake_env) == before


def test_a_code_release_failing_its_smoke_test_puts_the_previous_config_back(fake_env, tmp_path, config_dir):
    stack_with_config(fake_env, config_dir)
    before = config_bucket_objects(fake_env)
    rename_newsletter(config_dir, "LAI Weekly (with a broken build)")

    with pytest.raises(DeployError, match="failed at check 'basic'"):
        deploy(
            fake_env, build=builder(fake_package(tmp_path, handler_zip(BROKEN_HANDLER))), config_dir=config_dir, **QUIET
        )

    assert config_bucket_objects(fake_env) == before and live_version(fake_env) == "1"


def test_deploy_before_the_config_bucket_exists_says_to_apply_terraform(fake_env, tmp_path):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    boto3_client(fake_env, "s3").delete_bucket(Bucket=fake_env.lambda_environment["CONFIG_BUCKET"])

    with pytest.raises(
        DeployError,
        match=r"config bucket vectora-inbox-config-local does not exist: run `invoke tf.apply --env local` first",
    ):
        deploy(fake_env, build=builder(fake_package(tmp_path, handler_zip(GOOD_HANDLER, "v2"))), **QUIET)


# --- function configuration -----------------------------------------------------------------------------------


def change_latest_environment(env, **variables) -> None:
    """What `terraform apply` does when only the function's environment changed."""
    lambda_client = boto3_client(env, "lambda")
    current = lambda_client.get_function_configuration(FunctionName=env.function_name)["Environment"]["Variables"]
    lambda_client.update_function_configuration(
        FunctionName=env.function_name, Environment={"Variables": {**current, **variables}}
    )


def test_an_environment_only_change_is_published_smoke_tested_and_made_live(fake_env, tmp_path, config_dir):
    body = stack_with_config(fake_env, config_dir)
    change_latest_environment(fake_env, LOG_LEVEL="DEBUG")
    printed: list[str] = []

    result = deploy(
        fake_env, build=builder(fake_package(tmp_path, body)), config_dir=config_dir, printer=printed.append
    )

    assert result.published and result.live_version == "2" and result.smoke.qualifier == "2"
    assert result.reasons == ("$LATEST environment LOG_LEVEL",)
    live = boto3_client(fake_env, "lambda").get_function_configuration(
        FunctionName=fake_env.function_name, Qualifier="live"
    )
    assert live["Environment"]["Variables"]["LOG_LEVEL"] == "DEBUG"
    assert not any(line.startswith("  upload ") for line in printed)  # the code was already there


def test_a_timeout_change_is_published_too(fake_env, tmp_path, config_dir):
    body = stack_with_config(fake_env, config_dir)
    boto3_client(fake_env, "lambda").update_function_configuration(FunctionName=fake_env.function_name, Timeout=20)

    result = deploy(fake_env, build=builder(fake_package(tmp_path, body)), config_dir=config_dir, **QUIET)

    assert result.published and result.reasons == ("$LATEST timeout 30 → 20",)


def test_versions_show_how_latest_and_each_version_differ_from_live(fake_env, tmp_path, config_dir):
    body = stack_with_config(fake_env, config_dir)
    change_latest_environment(fake_env, LOG_LEVEL="DEBUG")
    assert latest_differences(fake_env, **QUIET) == ["environment LOG_LEVEL"]
    deploy(fake_env, build=builder(fake_package(tmp_path, body)), config_dir=config_dir, **QUIET)

    versions = list_versions(fake_env, **QUIET)
    table = format_versions(versions, latest_differs=["timeout 30 → 20"])

    assert [(v.version, v.differs_from_live) for v in versions] == [("1", ("environment LOG_LEVEL",)), ("2", ())]
    assert table.splitlines()[0].split()[:2] == ["alias", "version"] and "differs from live" in table.splitlines()[0]
    assert table.splitlines()[-1].startswith("$LATEST's settings differ from live: timeout 30 → 20")
    assert latest_differences(fake_env, **QUIET) == []
