"""The whole cycle on the embedded default, with the real engine and the real Terraform:

terraform apply (version 1) → deploy of the same code publishes nothing → deploy v2 (smoke passes, live → 2)
→ a deliberately broken v3 fails its smoke and leaves live on 2 → rollback to 1 → a second terraform apply
leaves live on 1 → the log group holds the hybrid-region lines.

Runs against an emulator, a Bedrock stand-in and a sample-feed server on ephemeral ports, with Terraform
working on a copy of the repository's Terraform, env and config files (its state stays in the test's
directory). Terraform's AWS provider comes from the registry or from TF_PLUGIN_DIR, as for `invoke tf.apply`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lambda_testkit import emulator, live_version, local_services

from tests.test_terraform import require_terraform_provider
from toolkit import REPO_ROOT, terraform
from toolkit.cloudwatch import filter_events, now_ms
from toolkit.config_sync import sync_config
from toolkit.deploy import DeployError, deploy, list_versions, rollback
from toolkit.local import lambda_runner as local_lambda
from toolkit.packaging import build_package
from toolkit.services import boto3_client
from toolkit.smoke import run_smoke

pytestmark = pytest.mark.slow

BROKEN_RELEASE = """

def lambda_handler(event, context):  # a release that breaks every invocation
    raise RuntimeError("deliberately broken release")
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of what Terraform and the package read, so state and builds stay in the test's directory."""
    ignore = shutil.ignore_patterns(".terraform", "terraform.tfstate*", "*.tfplan", "__pycache__")
    for name in ("terraform", "env", "config", "lambda_src"):
        shutil.copytree(REPO_ROOT / name, tmp_path / name, ignore=ignore)
    return tmp_path


@pytest.fixture
def local_stack(emulator, workspace, monkeypatch):
    """The local environment on ephemeral ports; the local target works under the test's directory."""
    require_terraform_provider(monkeypatch)
    monkeypatch.setattr(local_lambda, "FUNCTIONS_DIR", workspace / "functions")
    monkeypatch.setattr(local_lambda, "RUNTIME_DIR", workspace / "lambda-runtime")
    # Model-like latency keeps the smoke test's cache check meaningful.
    with local_services(emulator, standin_latency_ms=600) as (env, feeds, _standin):
        yield env, feeds


def test_deploy_smoke_broken_release_rollback_and_reapply_on_the_emulator(local_stack, workspace):
    env, feeds = local_stack
    printed: list[str] = []
    source = workspace / "lambda_src"

    def build(environment, printer):
        return build_package(
            environment.name, env=environment, source_dir=source, dist_dir=workspace / "dist", printer=printer
        )

    def apply(package_path: Path) -> dict:
        return terraform.apply(
            "local",
            printer=printed.append,
            repo_root=workspace,
            endpoint_url=env.emulator_url(),
            package_path=package_path,
        )

    first_package = build(env, printed.append)
    outputs = apply(first_package.path)
    assert outputs["initial_version"] == "1" and live_version(env) == "1"
    sync_config(boto3_client(env, "s3"), env.lambda_environment["CONFIG_BUCKET"], feeds.base_url)
    started_ms = now_ms()

    unchanged = deploy(env, printer=printed.append, build=build)
    assert unchanged.published is False

    (source / "handler.py").write_text((source / "handler.py").read_text() + "\n# release 2\n")
    second = deploy(env, printer=printed.append, build=build)
    assert second.published and second.live_version == "2" and second.smoke.ok, "\n".join(printed[-30:])

    # CI smoke-tests live right after the deploy's own smoke: on Lambda both reuse warm environments, and so does
    # the local target. Twice in a row, each passes, with warm invocations among its runs.
    warm_from_ms = now_ms()
    for _ in range(2):
        report = run_smoke(env, qualifier=env.alias_name, printer=printed.append)
        assert report.ok, "\n".join(printed[-20:])
    reports = [
        e.message
        for e in filter_events(boto3_client(env, "logs"), env.log_group, start_ms=warm_from_ms, filter_pattern="REPORT")
    ]
    assert len(reports) == 6 and any("Init Duration" not in line for line in reports)

    (source / "handler.py").write_text((source / "handler.py").read_text() + BROKEN_RELEASE)
    with pytest.raises(DeployError) as broken:
        deploy(env, printer=printed.append, build=build)
    assert broken.value.failing_check == "basic" and broken.value.version == "3"
    assert live_version(env) == "2"

    rolled = rollback(env, printer=printed.append)
    assert (rolled.from_version, rolled.to_version) == ("2", "1")

    apply(first_package.path)
    assert live_version(env) == "1"
    assert [(v.version, v.smoke) for v in list_versions(env, printer=printed.append)] == [
        ("1", ""),
        ("2", "passed"),
        ("3", "failed: basic"),
    ]

    region_lines = [
        event.message
        for event in filter_events(
            boto3_client(env, "logs"), env.log_group, start_ms=started_ms, filter_pattern='"Client Bedrock hybride"'
        )
    ]
    assert any("newsletter → eu-west-3" in line for line in region_lines)
    assert any("normalization → us-east-1" in line for line in region_lines)
