"""The buckets' lifecycle rules, as dev and prod get them, applied through the local environment on the emulator.

The local environment skips the rules by default (TF_VAR_bucket_lifecycle_rules turns them on), because creating
them costs a fixed ~55 s in the AWS provider on any endpoint: it polls until the rules read back stable
(hashicorp/terraform-provider-aws#41363, PR #41764). So this module applies only what it checks, the buckets module
(`-target`), on an emulator of its own, and the minute is spent beside the rest of the suite rather than before the
stack checks of test_terraform_emulator.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
import pytest
from lambda_testkit import emulator_process, make_zip

from tests.test_terraform import copy_infrastructure, require_terraform_provider
from toolkit import terraform
from toolkit.envfile import load_env

pytestmark = pytest.mark.slow

ENV = load_env("local")
LAMBDA_ENV = ENV.lambda_environment
BUCKETS = "-target=module.vectora_inbox.module.buckets"


@dataclass
class AppliedBuckets:
    s3: object
    second_plan: tuple[int, list[str]]


@pytest.fixture(scope="module")
def buckets(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("terraform-lifecycle")
    with pytest.MonkeyPatch.context() as patch, emulator_process() as port:
        require_terraform_provider(patch)
        patch.setenv("TF_VAR_bucket_lifecycle_rules", "true")  # Terraform reads TF_VAR_* from its environment
        endpoint = f"http://127.0.0.1:{port}"
        package = workdir / "package.zip"  # the root module needs one; the buckets do not read it
        package.write_bytes(make_zip({"handler.py": "def lambda_handler(event, context):\n    return {}\n"}))
        ws = terraform.workspace("local", repo_root=copy_infrastructure(workdir / "repo"), endpoint_url=endpoint)
        lines: list[str] = []
        try:
            terraform._init(ws, lines.append, backend=True)
            variables = [f"-var=package_path={package}"]
            terraform._run(ws, ["apply", "-input=false", "-auto-approve", BUCKETS, *variables], lines.append, "apply")
            plan_lines: list[str] = []
            code = terraform._run(
                ws,
                ["plan", "-input=false", "-detailed-exitcode", BUCKETS, *variables],
                plan_lines.append,
                "plan",
                ok_codes=(0, 2),
                stream=True,
            )
        except terraform.TerraformError as exc:
            pytest.fail(f"{exc}\n" + "\n".join(lines[-60:]))
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=ENV.aws_region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        yield AppliedBuckets(s3, (code, plan_lines))


def test_second_plan_of_the_buckets_with_their_rules_shows_no_changes(buckets):
    code, lines = buckets.second_plan

    assert code == 0, "\n".join(lines[-60:])


def test_editorial_cache_expires(buckets):
    rules = buckets.s3.get_bucket_lifecycle_configuration(Bucket=LAMBDA_ENV["NEWSLETTERS_BUCKET"])["Rules"]

    cache_rules = [rule for rule in rules if rule.get("Filter", {}).get("Prefix") == "cache/"]
    assert [rule["Expiration"]["Days"] for rule in cache_rules] == [30]


def test_the_shared_store_and_stale_locks_expire(buckets):
    rules = buckets.s3.get_bucket_lifecycle_configuration(Bucket=LAMBDA_ENV["DATA_BUCKET"])["Rules"]

    days = {rule["Filter"]["Prefix"]: rule["Expiration"]["Days"] for rule in rules if "Expiration" in rule}
    assert (days["shared/"], days["locks/"]) == (30, 1)


@pytest.mark.parametrize("bucket", ["NEWSLETTERS_BUCKET", "DATA_BUCKET"])
def test_check_run_output_expires_within_days(buckets, bucket):
    rules = buckets.s3.get_bucket_lifecycle_configuration(Bucket=LAMBDA_ENV[bucket])["Rules"]

    check_rules = [rule for rule in rules if rule.get("Filter", {}).get("Prefix") == "checks/"]
    assert [rule["Expiration"]["Days"] for rule in check_rules] == [3]


def test_every_bucket_drops_abandoned_uploads_and_old_versions(buckets):
    for name in (
        ENV.artifacts_bucket,
        *(LAMBDA_ENV[k] for k in ("CONFIG_BUCKET", "DATA_BUCKET", "NEWSLETTERS_BUCKET")),
    ):
        rules = {rule["ID"]: rule for rule in buckets.s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]}

        assert rules["abort-incomplete-multipart-uploads"]["Status"] == "Enabled", name
        assert "NoncurrentDays" in rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"], name
