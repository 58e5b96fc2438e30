"""`invoke doctor`: the preflight passes on the local emulator and names each problem with its fix."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from lambda_testkit import emulator, local_services

from toolkit import doctor
from toolkit.cloudwatch import now_ms
from toolkit.doctor import OK, PROBLEM, UNCHECKED, Edges, Finding, run_doctor
from toolkit.envfile import load_env
from toolkit.local.log_writer import write_events
from toolkit.services import boto3_client

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"


@pytest.fixture
def local_stack(emulator):
    with local_services(emulator) as (env, _feeds, standin):
        yield env, standin


def _statuses(report, check):
    return [finding.status for finding in report.by_check(check)]


def test_doctor_passes_on_local_against_the_emulator_and_the_standin(local_stack):
    env, standin = local_stack
    lines: list[str] = []

    report = run_doctor(env, invoke=True, printer=lines.append)

    assert report.ok, "\n".join(lines)
    assert _statuses(report, "credentials") == [OK] and _statuses(report, "terraform") == [OK, OK]  # and its provider
    assert _statuses(report, "state backend") == [OK]
    assert set(_statuses(report, "bucket")) == {OK}
    assert _statuses(report, "model") == [OK, OK]
    assert {c["region"] for c in standin.calls} == {"eu-west-3", "us-east-1"}
    assert lines[-1] == "doctor: no problem found"


def test_model_access_denied_is_a_problem_with_the_console_fix(local_stack):
    env, standin = local_stack
    standin.configure(access_denied_models=["eu.anthropic.claude-sonnet-4-5-20250929-v1:0"])

    report = run_doctor(env, invoke=True, printer=lambda _: None)

    [problem] = report.problems
    assert problem.check == "model eu." and "AccessDeniedException" in problem.detail
    assert problem.fix.startswith(
        "enable model access for eu.anthropic.claude-sonnet-4-5-20250929-v1:0 in the Bedrock console of eu-west-3"
    )


def test_a_runtime_botocore_too_old_for_the_lease_is_a_problem_naming_bundle_boto3(local_stack):
    env, _ = local_stack
    line = {
        "level": "INFO",
        "message": "SDK AWS du runtime",
        "boto3": "1.34.131",
        "botocore": "1.34.131",
        "source": "runtime",
    }
    write_events(boto3_client(env, "logs"), env.log_group, "2026/11/26/[1]init", [(now_ms(), json.dumps(line))])

    report = run_doctor(env, printer=lambda _: None)

    [problem] = report.problems
    assert problem.check == "runtime boto3" and "botocore 1.34.131" in problem.detail
    assert problem.fix == 'set "bundle_boto3": true in env/<env>.json, then invoke package deploy'


def test_the_runtime_boto3_the_function_reports_is_shown(local_stack):
    env, _ = local_stack
    line = {
        "level": "INFO",
        "message": "SDK AWS du runtime",
        "boto3": "1.40.1",
        "botocore": "1.40.1",
        "source": "runtime",
    }
    write_events(boto3_client(env, "logs"), env.log_group, "2026/11/26/[1]init", [(now_ms(), json.dumps(line))])

    [finding] = run_doctor(env, printer=lambda _: None).by_check("runtime boto3")

    assert finding.status == OK and finding.detail.startswith("boto3 1.40.1, botocore 1.40.1 (runtime)")


def test_old_terraform_is_a_problem_naming_the_version_with_lockfile_locking():
    finding = doctor.terraform_version_finding("1.10.5")

    assert finding.status == PROBLEM and "older than 1.11.0" in finding.detail and "use_lockfile" in finding.fix


# --- AWS answers as documented, through botocore's Stubber -------------------------------------------------------


def _stubbed(*services):
    clients = {
        name: boto3.client(name, region_name="eu-west-3", aws_access_key_id="x", aws_secret_access_key="x")
        for name in services
    }
    stubs = {name: Stubber(client) for name, client in clients.items()}
    edges = Edges(client=lambda service, region=None: clients[service], run=lambda args, cwd: None)
    return edges, stubs


def test_a_bucket_name_held_by_another_account_is_a_problem():
    env = load_env("dev", account_id=ACCOUNT)
    edges, stubs = _stubbed("s3")
    for role, name in env.bucket_names.items():
        if role == "data":
            stubs["s3"].add_client_error(
                "head_bucket", "403", "Forbidden", 403, expected_params={"Bucket": name, "ExpectedBucketOwner": ACCOUNT}
            )
        else:
            stubs["s3"].add_client_error(
                "head_bucket", "404", "Not Found", 404, expected_params={"Bucket": name, "ExpectedBucketOwner": ACCOUNT}
            )

    with stubs["s3"]:
        findings = doctor.check_bucket_names(env, edges, ACCOUNT)

    assert [f.status for f in findings] == [OK, PROBLEM, OK, OK]
    assert "belongs to another account" in findings[1].detail and "{account_id}" in findings[1].fix


def test_a_role_missing_a_permission_the_engine_uses_is_a_problem():
    env = load_env("dev", account_id=ACCOUNT)
    edges, stubs = _stubbed("lambda", "iam")
    role = f"arn:aws:iam::{ACCOUNT}:role/{env.function_name}-role"
    stubs["lambda"].add_response("get_function_configuration", {"Role": role}, {"FunctionName": env.function_name})
    for action, resource, _context in doctor.engine_permissions(env, ACCOUNT):
        decision = "implicitDeny" if action == "s3:DeleteObject" else "allowed"
        stubs["iam"].add_response(
            "simulate_principal_policy",
            {"EvaluationResults": [{"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision}]},
        )

    with stubs["lambda"], stubs["iam"]:
        finding = doctor.check_role(env, edges, ACCOUNT)

    assert finding.status == PROBLEM
    assert (
        f"s3:DeleteObject on arn:aws:s3:::vectora-inbox-data-dev-{ACCOUNT}/locks/x.json (implicitDeny)"
        in finding.detail
    )
    assert "terraform apply" in finding.fix


def test_role_check_says_could_not_check_when_the_caller_may_not_simulate():
    env = load_env("dev", account_id=ACCOUNT)
    edges, stubs = _stubbed("lambda", "iam")
    stubs["lambda"].add_response("get_function_configuration", {"Role": f"arn:aws:iam::{ACCOUNT}:role/r"})
    stubs["iam"].add_client_error("simulate_principal_policy", "AccessDenied", "not authorized", 403)

    with stubs["lambda"], stubs["iam"]:
        finding = doctor.check_role(env, edges, ACCOUNT)

    assert finding.status == UNCHECKED and "may not run iam:SimulatePrincipalPolicy" in finding.detail


def test_model_access_not_yet_granted_is_a_problem_without_a_model_call():
    env = load_env("dev", account_id=ACCOUNT)
    edges, stubs = _stubbed("bedrock")
    for _ in range(2):  # eu. and us. profiles
        stubs["bedrock"].add_response(
            "get_foundation_model_availability",
            {
                "modelId": "anthropic.claude-sonnet-4-5-20250929-v1:0",
                "agreementAvailability": {"status": "NOT_AVAILABLE"},
                "authorizationStatus": "NOT_AUTHORIZED",
                "entitlementAvailability": "AVAILABLE",
                "regionAvailability": "AVAILABLE",
            },
            {"modelId": "anthropic.claude-sonnet-4-5-20250929-v1:0"},
        )

    with stubs["bedrock"]:
        findings = doctor.check_model_access(env, edges, invoke=False)

    assert [f.status for f in findings] == [PROBLEM, PROBLEM]
    assert "agreement NOT_AVAILABLE, authorization NOT_AUTHORIZED" in findings[0].detail
    assert "Marketplace subscription + Anthropic use-case form" in findings[0].fix


# --- the state backend and its bootstrap -----------------------------------------------------------------------


@pytest.fixture
def dev_repo(tmp_path):
    from tests.test_terraform import copy_infrastructure

    return copy_infrastructure(tmp_path)


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield lambda service, region=None: boto3.client(service, region_name=region or "eu-west-3")


def test_missing_backend_file_is_a_problem_pointing_at_bootstrap(dev_repo, aws):
    env = load_env("dev", account_id=ACCOUNT)

    finding = doctor.check_state_backend(env, Edges(client=aws, run=None, repo_root=dev_repo), ACCOUNT)

    assert finding.status == PROBLEM and "backend.hcl is missing" in finding.detail
    assert finding.fix.startswith("invoke tf.bootstrap --env dev")


def test_bootstrap_creates_a_versioned_state_bucket_and_a_locked_backend(dev_repo, aws):
    from toolkit.bootstrap import bootstrap_state

    env = load_env("dev", account_id=ACCOUNT)
    bucket = bootstrap_state(env, lambda _: None, repo_root=dev_repo, s3=aws("s3"), sts=aws("sts"))

    assert bucket == f"vectora-inbox-tfstate-{ACCOUNT}-eu-west-3"
    assert aws("s3").get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    finding = doctor.check_state_backend(env, Edges(client=aws, run=None, repo_root=dev_repo), ACCOUNT)
    assert finding == Finding(
        "state backend", OK, f"s3://{bucket}/vectora-inbox/dev/terraform.tfstate, versioned, locked with use_lockfile"
    )


def test_a_backend_without_lockfile_is_a_problem(dev_repo, aws):
    from toolkit.bootstrap import bootstrap_state

    env = load_env("dev", account_id=ACCOUNT)
    bootstrap_state(env, lambda _: None, repo_root=dev_repo, s3=aws("s3"), sts=aws("sts"))
    backend = dev_repo / "terraform" / "envs" / "dev" / "backend.hcl"
    backend.write_text(backend.read_text().replace("use_lockfile = true", 'dynamodb_table = "locks"'))

    finding = doctor.check_state_backend(env, Edges(client=aws, run=None, repo_root=dev_repo), ACCOUNT)

    assert finding.status == PROBLEM
    assert "not locked" in finding.detail and "dynamodb_table is deprecated" in finding.detail


def test_the_runtime_sdk_line_is_found_past_the_first_page_of_logs():
    # FilterLogEvents may answer a page with no events and a nextToken (it scans the group in chunks): the line
    # the function logged at init can be on any later page.
    env = load_env("dev", account_id=ACCOUNT)
    edges, stubs = _stubbed("logs")
    line = '{"level": "INFO", "message": "SDK AWS du runtime", "boto3": "1.40.0", "botocore": "1.40.0", "source": "runtime"}'
    stubs["logs"].add_response("filter_log_events", {"events": [], "nextToken": "page-2"})
    stubs["logs"].add_response(
        "filter_log_events", {"events": [{"timestamp": 1, "message": line, "logStreamName": "s", "eventId": "1"}]}
    )

    with stubs["logs"]:
        finding = doctor.check_runtime_sdk(env, edges, now_ms=10**13)

    assert finding.status == OK and "botocore 1.40.0" in finding.detail
