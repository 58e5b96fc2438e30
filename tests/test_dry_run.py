"""`--dry-run` on the mutating tasks: it prints what would change and changes nothing (files, buckets, services)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

import tasks
from toolkit import REPO_ROOT
from toolkit.envfile import load_env

ACCOUNT = "123456789012"
BUCKET = "vectora-inbox-config-test"


def _options(task) -> dict[str, str]:
    return {argument.name: argument.help for argument in task.get_arguments()}


@pytest.mark.parametrize(
    "task",
    [
        tasks.deploy,
        tasks.rollback,
        tasks.config_sync,
        tasks.clients.new,
        tasks.tf.tf_apply,
        tasks.tf.tf_bootstrap,
        tasks.local.local_down,
    ],
    ids=lambda task: task.name,
)
def test_every_mutating_task_offers_dry_run(task):
    assert _options(task).get("dry_run")


@pytest.fixture
def config_dir(tmp_path) -> Path:
    return Path(shutil.copytree(REPO_ROOT / "config", tmp_path / "config"))


def test_a_dry_run_of_client_new_prints_the_file_and_writes_nothing(config_dir):
    from toolkit.onboarding import new_client

    before = sorted(p.name for p in (config_dir / "clients").iterdir())
    printed: list[str] = []

    new_client("oncology_weekly", config_dir=config_dir, printer=printed.append, dry_run=True)

    assert sorted(p.name for p in (config_dir / "clients").iterdir()) == before
    assert printed[0] == "  would write config/clients/oncology_weekly.yaml from lai_weekly_v3 (it checks):"
    assert any("oncology_weekly" in line for line in printed[1:])
    assert printed[-1] == "dry run: nothing was changed"


def test_a_dry_run_of_client_new_still_refuses_an_invalid_id(config_dir):
    from toolkit.onboarding import OnboardingError, new_client

    with pytest.raises(OnboardingError, match="client id"):
        new_client("Bad Id", config_dir=config_dir, printer=lambda _line: None, dry_run=True)


@pytest.fixture
def s3(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-3")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        yield client


def _objects(s3, bucket: str) -> dict[str, str]:
    return {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_a_dry_run_of_config_sync_lists_the_files_it_would_write_and_uploads_none(s3, config_dir):
    from toolkit.config_sync import sync_config

    sync_config(s3, BUCKET, config_dir=config_dir)
    edited = config_dir / "clients" / "lai_weekly_v3.yaml"
    edited.write_text(edited.read_text().replace("LAI Weekly", "LAI Weekly (edited)", 1))
    before = _objects(s3, BUCKET)
    printed: list[str] = []

    sync_config(s3, BUCKET, config_dir=config_dir, printer=printed.append, dry_run=True)

    assert _objects(s3, BUCKET) == before
    assert printed[0] == f"  would write s3://{BUCKET}/clients/lai_weekly_v3.yaml (changed)"
    assert printed[-1] == "dry run: nothing was changed"


def test_a_dry_run_of_config_sync_on_a_missing_bucket_says_what_creates_it(s3, config_dir):
    from toolkit.config_sync import sync_config

    printed: list[str] = []
    sync_config(s3, "not-there", config_dir=config_dir, printer=printed.append, dry_run=True)

    assert "does not exist yet (`invoke tf.apply` creates it)" in printed[0]
    assert "not-there" not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_a_dry_run_of_tf_bootstrap_creates_no_bucket_and_writes_no_backend(monkeypatch, tmp_path):
    from toolkit.bootstrap import bootstrap_state

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "terraform" / "envs" / "dev").mkdir(parents=True)
    printed: list[str] = []
    with mock_aws():
        s3, sts = boto3.client("s3", region_name="eu-west-3"), boto3.client("sts", region_name="eu-west-3")
        env = load_env("dev", account_id=ACCOUNT)

        bucket = bootstrap_state(env, printed.append, repo_root=tmp_path, s3=s3, sts=sts, dry_run=True)

        assert s3.list_buckets()["Buckets"] == []
    assert not (tmp_path / "terraform" / "envs" / "dev" / "backend.hcl").exists()
    assert printed == [
        f"  would create state bucket s3://{bucket} (versioned, encrypted, public access blocked)",
        "  would write backend.hcl (use_lockfile = true)",
        "dry run: nothing was changed",
    ]


def test_a_dry_run_of_local_down_names_the_running_service_and_stops_nothing(monkeypatch, tmp_path):
    from toolkit.local import services

    sleeper = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        monkeypatch.setattr(services, "_pid_file", lambda name: tmp_path / f"{name}.pid")
        monkeypatch.setattr(services, "STATE_DIR", tmp_path)
        first = services.SERVICES[0]
        (tmp_path / f"{first.name}.pid").write_text(str(sleeper.pid))
        printed: list[str] = []

        services.stop_services(load_env("local"), printed.append, dry_run=True)

        assert sleeper.poll() is None and (tmp_path / f"{first.name}.pid").exists()
        assert printed[0] == f"  would stop {first.description} (pid {sleeper.pid})"
        assert printed[-1] == "dry run: nothing was changed"
    finally:
        sleeper.kill()
        sleeper.wait()
