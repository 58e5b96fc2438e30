"""The release commands agree with each other: what `versions` says the next deploy does is what deploy does,
`status` names a version as `versions` does, a version that passed smoke shows it, one rule decides rollback
targets, one size unit, one package summary."""

from __future__ import annotations

import shutil

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
    publish,
)

from toolkit.config_sync import CONFIG_DIR, sync_config
from toolkit.deploy import deploy, format_versions, latest_differences, list_versions, rollback
from toolkit.local.endpoints import service_url
from toolkit.operations import live_version as status_live_version
from toolkit.packaging import build_package, format_size
from toolkit.services import boto3_client
from toolkit.versions import smoke_and_record

pytestmark = pytest.mark.slow

QUIET = {"printer": lambda _line: None}


@pytest.fixture
def stack(fake_env, tmp_path):
    """Terraform's version 1 with the config files in the bucket; returns (env, its zip)."""
    body = handler_zip(GOOD_HANDLER)
    create_function(fake_env, body)
    config = shutil.copytree(CONFIG_DIR, tmp_path / "config")
    sync_config(
        boto3_client(fake_env, "s3"),
        fake_env.lambda_environment["CONFIG_BUCKET"],
        service_url(fake_env, "sample_feeds"),
        config,
    )
    return fake_env, body


def test_after_a_rollback_versions_and_deploy_agree_that_nothing_would_be_published(stack, tmp_path):
    env, body = stack
    deploy(env, build=builder(fake_package(tmp_path, handler_zip(GOOD_HANDLER, "release 2"))), **QUIET)
    rollback(env, **QUIET)  # live → 1; $LATEST still holds version 2's code

    assert latest_differences(env, **QUIET) == []
    assert "$LATEST" not in format_versions(
        list_versions(env, **QUIET), latest_differs=latest_differences(env, **QUIET)
    )
    again = deploy(env, build=builder(fake_package(tmp_path, body)), **QUIET)
    assert again.published is False and live_version(env) == "1"


def test_status_names_the_live_version_as_versions_does(stack):
    env, _body = stack

    [terraform_version] = list_versions(env, **QUIET)
    live = status_live_version(env, QUIET["printer"])

    assert terraform_version.origin == "terraform" and live.git == "terraform"


def test_a_version_that_passed_invoke_smoke_shows_it_in_versions(stack):
    env, _body = stack
    assert [v.smoke for v in list_versions(env, **QUIET)] == [""]

    report = smoke_and_record(env, printer=QUIET["printer"])

    assert report.ok
    assert [v.smoke for v in list_versions(env, **QUIET)] == ["passed"]


def test_a_version_terraform_publishes_after_a_configuration_change_is_never_a_rollback_target(stack, tmp_path):
    env, _body = stack
    # `publish = true`: Terraform publishes after any configuration change, with whatever code $LATEST holds.
    untested = publish(env, handler_zip(GOOD_HANDLER, "whatever $LATEST held"))
    release = deploy(env, build=builder(fake_package(tmp_path, handler_zip(GOOD_HANDLER, "release 3"))), **QUIET)
    assert (untested, release.live_version) == ("2", "3")

    versions = {v.version: v for v in list_versions(env, **QUIET)}
    assert versions["2"].origin == "terraform publish" and not versions["2"].rollback_target
    assert versions["1"].rollback_target and versions["3"].rollback_target
    table = format_versions(list(versions.values()))
    assert "version 2 was published by Terraform after a configuration change and never smoke-tested" in table

    back = rollback(env, **QUIET)
    assert (back.from_version, back.to_version) == ("3", "1")


def test_every_size_is_printed_in_one_unit(tmp_path):
    assert format_size(2_190_000) == "2.19 MB" and format_size(51_200) == "51.2 kB"
    lines: list[str] = []
    package = build_package("local", dist_dir=tmp_path / "dist", printer=lines.append)
    size = format_size(package.size_bytes)
    assert any(line.strip().startswith(f"size    {size} zipped") for line in lines)

    reused: list[str] = []
    again = build_package("local", dist_dir=tmp_path / "dist", printer=reused.append)
    assert again.skipped and len(reused) == 1 and size in reused[0]  # the summary once, then one line
