"""IAM as AWS would enforce it, for every role: each AWS call a command makes on the emulator, evaluated against
the policy of the role that would make it on AWS.

The emulator enforces no IAM, so a missing grant would first show on a real account, after `live` has moved.
Here the calls are recorded — Terraform's from the emulator's request log (moto's recorder), the toolkit's from
boto3's events — and `toolkit.iam_policy` evaluates each (action, resource ARN, condition keys) against:

- the plan role (terraform/modules/github_deploy_role) for `tf.plan`, as pull requests run it;
- the deploy role for `tf.apply`, deploy, smoke, rollback, versions, status and failures, as the release and
  rollback workflows run them;
- the schedules' role for putting each client's run on the fleet's run queue (the function role's own check is in
  tests/test_terraform_emulator.py, with the same evaluator).

The roles are the bootstrap's, applied for the local environment's names. A failure names the call and the grant
it needs. What stays invisible here: the S3 backend's state and lock calls (the local environment keeps local
state; tests/test_deploy_role.py checks those grants by reading them), KMS and service-linked roles the emulator
does not model, and calls the AWS provider makes only against real AWS (it skips some reads on the emulator).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import urllib.request
from pathlib import Path

import boto3
import pytest
from lambda_testkit import emulator_process, local_services
from stack_template import stack_template

from tests.test_terraform import copy_infrastructure, require_terraform_provider
from toolkit import REPO_ROOT, iam_requests, terraform
from toolkit.envfile import load_env
from toolkit.iam_policy import Request, denied, evaluate
from toolkit.iam_requests import AwsCall, calls_from_recording, recording, requests_for
from vectora_core import layout

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"  # the emulator's account


def _bootstrap_roles(root: Path) -> dict[str, list[dict]]:
    """The plan and deploy roles the bootstrap makes for the local environment's names, as IAM holds them."""
    directory = root / terraform.BOOTSTRAP_DIR
    (directory / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    local = load_env("local")
    lines: list[str] = []
    # An emulator process of its own: other modules' in-process servers share one moto state.
    with emulator_process() as port:
        endpoint = f"http://127.0.0.1:{port}"
        ws = terraform.Workspace(local, root, directory, terraform.terraform_env(local, endpoint_url=endpoint))
        try:
            terraform._init(ws, lines.append, backend=True)
            terraform._run(
                ws,
                [
                    "apply", "-input=false", "-auto-approve", "-var=environment=local",
                    "-var=github_repository=acme/vectora-inbox", "-var=state_bucket=acme-terraform-state",
                ],
                lines.append,
                "apply-bootstrap",
            )  # fmt: skip
        except terraform.TerraformError as exc:
            pytest.fail(f"{exc}\n" + "\n".join(lines[-60:]))
        iam = boto3.client(
            "iam", endpoint_url=endpoint, region_name=local.aws_region, aws_access_key_id="t", aws_secret_access_key="t"
        )
        roles = {}
        for name, role in (
            ("plan", "vectora-inbox-local-github-plan"),
            ("deploy", "vectora-inbox-local-github-deploy"),
        ):
            statements = []
            for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                document = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
                document = json.loads(document) if isinstance(document, str) else document
                body = document["Statement"]
                statements.extend(body if isinstance(body, list) else [body])
            roles[name] = statements
        return roles


def _report(missing: list[str], statements: list[dict]) -> str:
    """Every denied call in full, and the statements the role holds (by Sid), to tell a missing grant from a role
    read incompletely."""
    sids = ", ".join(str(s.get("Sid", "?")) for s in statements)
    return "\n".join([*missing, f"the role holds {len(statements)} statements: {sids}"])


def _recorder(port: int, verb: str) -> bytes:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/moto-api/recorder/{verb}", method="GET" if verb.startswith("download") else "POST"
    )
    return urllib.request.urlopen(request, timeout=30).read()


@dataclasses.dataclass
class Recorded:
    roles: dict[str, list[dict]]
    apply_calls: list[AwsCall]
    plan_calls: list[AwsCall]
    toolkit_calls: dict[str, list[AwsCall]]  # command → its calls
    schedule_role: list[dict]
    edition_due_role: list[dict]
    env: object


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, stack_template):
    workdir = tmp_path_factory.mktemp("role-policies")
    with pytest.MonkeyPatch.context() as patch:
        require_terraform_provider(patch)
        root = copy_infrastructure(workdir / "repo")
        roles = _bootstrap_roles(copy_infrastructure(workdir / "bootstrap"))
        patch.setenv("MOTO_RECORDER_FILEPATH", str(workdir / "emulator-requests.jsonl"))
        with emulator_process() as port, local_services(port, standin_latency_ms=300) as (env, feeds, _standin):
            from toolkit.local import lambda_runner
            from toolkit.packaging import build_package

            patch.setattr(lambda_runner, "FUNCTIONS_DIR", workdir / "functions")
            patch.setattr(lambda_runner, "RUNTIME_DIR", workdir / "lambda-runtime")
            package = build_package("local", env=env, dist_dir=workdir / "dist", printer=lambda _l: None)
            lines: list[str] = []

            def terraform_calls(action, **kwargs) -> list[AwsCall]:
                _recorder(port, "reset-recording")
                _recorder(port, "start-recording")
                try:
                    action("local", printer=lines.append, repo_root=root, endpoint_url=env.emulator_url(), **kwargs)
                except terraform.TerraformError as exc:
                    pytest.fail(f"{exc}\n" + "\n".join(lines[-60:]))
                finally:
                    _recorder(port, "stop-recording")
                raw = _recorder(port, "download-recording").decode().splitlines()
                return calls_from_recording(raw)

            # `tf.apply`'s calls are those of the session's one apply of the same tree, recorded on an emulator of
            # its own; restored here, the stack is the one that apply made, for the plan and the commands after it.
            apply_calls = calls_from_recording(stack_template.recording.read_text().splitlines())
            stack_template.restore(env.emulator_url(), root)
            plan_calls = terraform_calls(terraform.plan, package_path=package.path, verbose=False)
            toolkit_calls = _toolkit_commands(env, feeds, root, workdir)
            schedule_role = _schedule_role_statements(env)
            due_role = _schedule_role_statements(env, f"{env.function_name}-edition-due-schedule")
            yield Recorded(roles, apply_calls, plan_calls, toolkit_calls, schedule_role, due_role, env)


def _toolkit_commands(env, feeds, root: Path, workdir: Path) -> dict[str, list[AwsCall]]:
    """Each release command as the workflows run it, with the calls it made (the local target's own left out)."""
    from toolkit.config_sync import sync_config
    from toolkit.deploy import deploy, latest_differences, list_versions, rollback
    from toolkit.operations import collect_status, failed_invocations, trigger_scheduled_run
    from toolkit.packaging import build_package
    from toolkit.services import boto3_client
    from toolkit.smoke import run_smoke

    quiet = {"printer": lambda _line: None}
    sync_config(boto3_client(env, "s3"), env.lambda_environment["CONFIG_BUCKET"], feeds.base_url)
    source = root / "lambda_src"
    shutil.copytree(REPO_ROOT / "lambda_src", source, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    (source / "handler.py").write_text((source / "handler.py").read_text() + "\n# release 2\n")

    def build(environment, printer):
        return build_package(
            environment.name, env=environment, source_dir=source, dist_dir=workdir / "dist", printer=printer
        )

    commands = {
        "deploy": lambda: deploy(env, build=build, **quiet),
        "smoke": lambda: run_smoke(env, **quiet),
        "rollback": lambda: rollback(env, **quiet),
        "versions": lambda: (list_versions(env, **quiet), latest_differences(env, **quiet)),
        "status": lambda: collect_status(env, **quiet),
        "failures": lambda: failed_invocations(env, **quiet),
        "trigger": lambda: trigger_scheduled_run(env, "lai_weekly_v3", **quiet),
    }
    calls = {}
    for name, command in commands.items():
        with recording() as made:
            outcome = command()
        if name == "deploy":
            assert outcome.published, "the release under test publishes a version"
        if name == "smoke":
            assert outcome.ok
        calls[name] = list(made)
    return calls


def _schedule_role_statements(env, role: str | None = None) -> list[dict]:
    from toolkit.services import boto3_client

    iam = boto3_client(env, "iam")
    role = role or f"{env.function_name}-fleet-schedule"
    statements = []
    for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        statements.extend(document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]])
    return statements


# --- the checks -----------------------------------------------------------------------------------------------


def test_terraform_apply_needs_nothing_the_deploy_role_lacks(recorded):
    assert len(recorded.apply_calls) > 50  # the recording holds Terraform's calls, not an empty log
    missing = denied(recorded.roles["deploy"], requests_for(recorded.apply_calls, ACCOUNT))
    assert not missing, _report(missing, recorded.roles["deploy"])


def test_a_pull_request_plan_needs_nothing_the_plan_role_lacks(recorded):
    assert {c.operation for c in recorded.plan_calls} >= {"GetFunction", "GetBucketPolicy"}
    missing = denied(recorded.roles["plan"], requests_for(recorded.plan_calls, ACCOUNT))
    assert not missing, _report(missing, recorded.roles["plan"])


@pytest.mark.parametrize("command", ["deploy", "smoke", "rollback", "versions", "status", "failures", "trigger"])
def test_each_release_command_needs_nothing_the_deploy_role_lacks(recorded, command):
    calls = recorded.toolkit_calls[command]
    assert calls, f"{command} made no AWS call"
    missing = denied(recorded.roles["deploy"], requests_for(calls, ACCOUNT))
    assert not missing, _report(missing, recorded.roles["deploy"])


def test_a_release_deletes_its_lease_and_needs_the_grant_to(recorded):
    # The fault this check exists for: without ReleaseDeployLease the deploy's lease release is AccessDenied on AWS.
    requests = requests_for(recorded.toolkit_calls["deploy"], ACCOUNT)
    deletes = [r for r in requests if r.action == "s3:DeleteObject"]
    lease = f"arn:aws:s3:::{recorded.env.artifacts_bucket}/{layout.deploy_lease_key(recorded.env.function_name)}"
    assert lease in {r.resource for r in deletes}
    without = [s for s in recorded.roles["deploy"] if s.get("Sid") != "ReleaseDeployLease"]
    assert any(layout.deploy_lease_key(recorded.env.function_name) in line for line in denied(without, deletes))


def test_the_local_target_records_the_invocation_the_caller_makes_and_not_lambdas_own_calls(recorded):
    smoke = recorded.toolkit_calls["smoke"]
    assert [c for c in smoke if c.operation == "Invoke" and c.source == "local target"]
    assert not [c for c in smoke if c.operation in ("PutLogEvents", "CreateLogStream")]


def test_the_schedule_role_may_put_runs_on_the_run_queue_and_nothing_else(recorded):
    # Every client's schedule puts its run on the fleet's run queue (terraform/modules/fleet_fanout); Lambda reads the
    # queue with the function's own role, so the schedules' role needs no Lambda permission at all.
    env = recorded.env
    queue = f"arn:aws:sqs:{env.aws_region}:{ACCOUNT}:{env.function_name}-runs"
    alias = f"arn:aws:lambda:{env.aws_region}:{ACCOUNT}:function:{env.function_name}:{env.alias_name}"
    statements = recorded.schedule_role
    assert evaluate(statements, Request("sqs:SendMessage", queue)).allowed
    assert not evaluate(statements, Request("sqs:SendMessage", queue.replace("-runs", "-failed-runs"))).allowed
    assert not evaluate(statements, Request("sqs:PurgeQueue", queue)).allowed
    assert not evaluate(statements, Request("lambda:InvokeFunction", alias)).allowed


def test_the_edition_due_schedule_may_put_its_mark_in_the_run_metrics_only(recorded):
    # What EventBridge Scheduler calls at a client's deadline (its universal target), with the role it is given.
    mark = AwsCall("cloudwatch", "PutMetricData", {"Namespace": "VectoraInbox", "MetricData": []}, "eu-west-3")
    other = AwsCall("cloudwatch", "PutMetricData", {"Namespace": "AWS/Lambda", "MetricData": []}, "eu-west-3")
    assert denied(recorded.edition_due_role, requests_for([mark], ACCOUNT)) == []
    assert denied(recorded.edition_due_role, requests_for([other], ACCOUNT))


def test_an_unmapped_call_is_an_error_naming_it():
    with pytest.raises(iam_requests.UnmappedCall, match="kinesis.PutRecord"):
        requests_for([AwsCall("kinesis", "PutRecord", {})], ACCOUNT)


def test_an_event_source_mapping_is_authorized_by_the_function_it_targets():
    create = AwsCall(
        "lambda", "CreateEventSourceMapping", {"FunctionName": "fn:live", "EventSourceArn": "q"}, "eu-west-3"
    )
    get = AwsCall("lambda", "GetEventSourceMapping", {"UUID": "1234"}, "eu-west-3")
    [created] = requests_for([create], ACCOUNT)
    [read] = requests_for([get], ACCOUNT)
    assert (created.action, created.resource) == ("lambda:CreateEventSourceMapping", "*")
    assert created.context == {"lambda:FunctionArn": f"arn:aws:lambda:eu-west-3:{ACCOUNT}:function:fn:live"}
    assert read.resource == f"arn:aws:lambda:eu-west-3:{ACCOUNT}:event-source-mapping:1234"
