"""Bucket names are global across AWS accounts: dev's carry the account id, filled in from the caller's credentials."""

from __future__ import annotations

import json

import pytest

from toolkit import envfile
from toolkit.envfile import EnvFileError, load_env
from toolkit.services import boto3_client

pytestmark = pytest.mark.slow


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(envfile, "_accounts", {})


def test_dev_bucket_names_carry_the_account_id():
    env = load_env("dev", account_id="111122223333")

    assert set(env.bucket_names.values()) == {
        "vectora-inbox-config-dev-111122223333",
        "vectora-inbox-data-dev-111122223333",
        "vectora-inbox-newsletters-dev-111122223333",
        "vectora-inbox-artifacts-dev-111122223333",
    }
    assert env.lambda_environment["BEDROCK_REGION_NEWSLETTER"] == "eu-west-3"  # only bucket names change


def test_the_account_comes_from_the_callers_credentials(monkeypatch):
    from moto import mock_aws

    monkeypatch.setattr(envfile, "_accounts", {})
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        env = load_env("dev")

    assert env.lambda_environment["CONFIG_BUCKET"] == "vectora-inbox-config-dev-123456789012" and not env.unresolved


def test_without_credentials_aws_calls_are_refused_naming_the_fix(no_credentials):
    env = load_env("dev")

    assert "{account_id}" in env.artifacts_bucket and env.unresolved == "no AWS credentials found"
    with pytest.raises(EnvFileError, match=r"account is unknown: no AWS credentials found; configure AWS credentials"):
        boto3_client(env, "s3")


def test_local_names_stay_as_written_and_need_no_account(no_credentials):
    env = load_env("local")

    assert env.lambda_environment["CONFIG_BUCKET"] == "vectora-inbox-config-local" and not env.unresolved


def test_an_emulator_environment_may_not_name_buckets_by_account(tmp_path):
    data = json.loads((envfile.ENV_DIR / "local.json").read_text())
    data["artifacts_bucket"] = "artifacts-{account_id}"
    (tmp_path / "local.json").write_text(json.dumps(data))

    with pytest.raises(EnvFileError, match="emulator environment names its buckets without"):
        load_env("local", env_dir=tmp_path)


def test_dev_terraform_fills_the_account_id_into_every_bucket_name(tmp_path, monkeypatch):
    """The dev composition fills {account_id} from aws_caller_identity, as the toolkit does (plan on an emulator,
    the S3 backend left out)."""
    import re
    import subprocess

    from moto.server import ThreadedMotoServer

    from tests.test_terraform import copy_infrastructure, require_terraform_provider
    from toolkit import terraform

    require_terraform_provider(monkeypatch)
    root = copy_infrastructure(tmp_path)
    versions = root / "terraform" / "envs" / "dev" / "versions.tf"
    versions.write_text(versions.read_text().replace('backend "s3" {}', ""))
    package = tmp_path / "engine.zip"
    package.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip: the plan only hashes it
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        process_env = terraform.terraform_env(
            load_env("dev", account_id="0"),
            base={
                "PATH": __import__("os").environ["PATH"],
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server._server.server_port}",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
            },
        )
        directory = root / "terraform" / "envs" / "dev"
        binary = terraform.terraform_binary()
        subprocess.run(
            [binary, "init", "-input=false", *terraform.plugin_dir_args()],
            cwd=directory,
            env=process_env,
            check=True,
            capture_output=True,
        )
        plan = subprocess.run(
            [binary, "plan", "-input=false", "-no-color", f"-var=package_path={package}"],
            cwd=directory,
            env=process_env,
            capture_output=True,
            text=True,
        )
    finally:
        server.stop()

    assert plan.returncode == 0, plan.stderr[-2000:]
    names = set(re.findall(r'bucket\s+= "(vectora-inbox-[a-z]+-dev[^"]*)"', plan.stdout))
    assert names == set(load_env("dev", account_id="123456789012").bucket_names.values())
