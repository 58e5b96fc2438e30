"""The CI deploy roles (terraform/bootstrap): applied on the emulator, then their trust and permissions read back.

Least privilege, checked on the policies IAM holds: trust limited to this repository (and for deploys to its
protected environment), every grant named after the stack, iam:PassRole only to the services that need the
stack's own roles, the state reachable only at its key, and a plan role that can write nothing but its lock.
"""

from __future__ import annotations

import json
import logging
import subprocess
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.test_terraform import copy_infrastructure, require_terraform_provider
from toolkit import terraform
from toolkit.envfile import load_env

pytestmark = pytest.mark.slow

DEV = load_env("dev")
FN = DEV.function_name
REPOSITORY = "acme/vectora-inbox"
STATE_BUCKET = "acme-terraform-state"
STATE_KEY = "vectora-inbox/dev/terraform.tfstate"
ACCOUNT = "123456789012"  # the emulator's account
REGION = DEV.aws_region
OIDC = "token.actions.githubusercontent.com"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def roles(tmp_path_factory):
    provider = pytest.MonkeyPatch()
    require_terraform_provider(provider)
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    root = copy_infrastructure(tmp_path_factory.mktemp("bootstrap") / "repo")
    directory = root / terraform.BOOTSTRAP_DIR
    # The real root keeps its state in S3; here it stays beside the copy (an override file replaces the backend).
    (directory / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).read()
    ws = terraform.Workspace(DEV, root, directory, terraform.terraform_env(load_env("local"), endpoint_url=endpoint))
    lines: list[str] = []
    try:
        terraform._init(ws, lines.append, backend=True)
        terraform._run(
            ws,
            [
                "apply",
                "-input=false",
                "-auto-approve",
                f"-var=github_repository={REPOSITORY}",
                f"-var=state_bucket={STATE_BUCKET}",
            ],
            lines.append,
            "apply-bootstrap",
        )
    except terraform.TerraformError as exc:
        server.stop()
        provider.undo()
        pytest.fail(f"{exc}\n" + "\n".join(lines[-60:]))
    outputs = json.loads(
        subprocess.run(
            ["terraform", "output", "-json"],
            cwd=directory,
            env=ws.process_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    iam = boto3.client(
        "iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    yield {name: item["value"] for name, item in outputs.items()}, iam
    server.stop()
    provider.undo()


def _document(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value


def _listed(value) -> list[str]:
    return sorted(value) if isinstance(value, list) else [value]


def _grants(iam, role_name: str) -> list[dict]:
    """Every statement of the role's inline policies, with Action and Resource as sorted lists."""
    statements = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = _document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
        for statement in document["Statement"]:
            statements.append(
                {**statement, "Action": _listed(statement["Action"]), "Resource": _listed(statement["Resource"])}
            )
    return statements


def _trust(iam, role_name: str) -> list[dict]:
    return _document(iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"])["Statement"]


# Every resource the stack's roles may reach, named as Terraform names them (terraform/modules/*).
STACK_RESOURCES = (
    f"arn:aws:s3:::{STATE_BUCKET}",
    *(
        f"arn:aws:s3:::{name}"
        for name in (
            DEV.artifacts_bucket,
            *(DEV.lambda_environment[k] for k in ("CONFIG_BUCKET", "DATA_BUCKET", "NEWSLETTERS_BUCKET")),
        )
    ),
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}",
    f"arn:aws:iam::{ACCOUNT}:role/{FN}-",
    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{FN}",
    f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{FN}-",
    f"arn:aws:sns:{REGION}:{ACCOUNT}:{FN}-alarms",
    f"arn:aws:sqs:{REGION}:{ACCOUNT}:{FN}-failed-invocations",
    f"arn:aws:sqs:{REGION}:{ACCOUNT}:{FN}-runs",
    f"arn:aws:sqs:{REGION}:{ACCOUNT}:{FN}-failed-runs",
    f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{FN}-",
)


def test_the_bootstrap_configuration_is_valid(tmp_path, monkeypatch):
    require_terraform_provider(monkeypatch)
    lines: list[str] = []

    assert terraform.validate_bootstrap(lines.append, repo_root=copy_infrastructure(tmp_path)) == 0, "\n".join(lines)


def test_deploy_role_trusts_only_the_repositorys_protected_environment(roles):
    outputs, iam = roles

    [statement] = _trust(iam, outputs["deploy_role_name"])

    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": outputs["oidc_provider_arn"]}
    assert statement["Condition"] == {
        "StringEquals": {f"{OIDC}:aud": "sts.amazonaws.com", f"{OIDC}:sub": f"repo:{REPOSITORY}:environment:dev"}
    }


def test_plan_role_trusts_only_the_repositorys_pull_requests(roles):
    outputs, iam = roles

    [statement] = _trust(iam, outputs["plan_role_name"])

    assert statement["Condition"]["StringEquals"][f"{OIDC}:sub"] == f"repo:{REPOSITORY}:pull_request"
    assert statement["Principal"] == {"Federated": outputs["oidc_provider_arn"]}


def test_the_oidc_provider_is_githubs_for_sts(roles):
    outputs, iam = roles

    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=outputs["oidc_provider_arn"])

    assert provider["Url"].removeprefix("https://") == OIDC and provider["ClientIDList"] == ["sts.amazonaws.com"]


FUNCTION_ARNS = [
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}",
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}:*",
]
MAPPING_ACTIONS = {
    "lambda:GetEventSourceMapping",
    "lambda:ListTags",
    "lambda:DeleteEventSourceMapping",
    "lambda:TagResource",
    "lambda:UntagResource",
    "lambda:UpdateEventSourceMapping",
}


@pytest.mark.parametrize("role", ["deploy_role_name", "plan_role_name"])
def test_every_grant_names_a_resource_of_this_stack(roles, role):
    outputs, iam = roles

    for statement in _grants(iam, outputs[role]):
        assert statement["Effect"] == "Allow"
        assert all(action.split(":")[1] != "*" for action in statement["Action"]), statement["Sid"]
        for resource in statement["Resource"]:
            if statement["Sid"] == "DescribeLogGroups":  # the API takes no log group ARN
                assert statement["Action"] == ["logs:DescribeLogGroups"] and resource.endswith(":log-group:*")
                continue
            if statement["Sid"] == "DescribeAlarms":  # a list call, authorized on the account's alarms
                assert statement["Action"] == ["cloudwatch:DescribeAlarms"] and resource.endswith(":alarm:*")
                continue
            if statement["Sid"] == "ListEventSourceMappings":  # a list call that takes no resource
                assert statement["Action"] == ["lambda:ListEventSourceMappings"] and resource == "*"
                continue
            if statement["Sid"] == "CreateRunQueueMapping":  # authorized on *, limited by the function it targets
                assert statement["Action"] == ["lambda:CreateEventSourceMapping"] and resource == "*"
                assert statement["Condition"] == {"ArnLike": {"lambda:FunctionArn": FUNCTION_ARNS}}
                continue
            if resource.endswith(":event-source-mapping:*"):  # mappings are named by a UUID Lambda gives them
                assert set(statement["Action"]) <= MAPPING_ACTIONS, statement["Sid"]
                continue
            assert resource.startswith(STACK_RESOURCES), (statement["Sid"], resource)


def test_roles_are_passed_only_to_the_service_that_uses_them(roles):
    outputs, iam = roles

    passing = [
        s
        for s in _grants(iam, outputs["deploy_role_name"])
        if any(a == "iam:PassRole" or a == "iam:*" for a in s["Action"])
    ]

    assert sorted((s["Action"], s["Resource"], s["Condition"]) for s in passing) == sorted([
        (["iam:PassRole"], [f"arn:aws:iam::{ACCOUNT}:role/{FN}-role"], {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
        (["iam:PassRole"], [f"arn:aws:iam::{ACCOUNT}:role/{FN}-*-schedule"], {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}),
    ])  # fmt: skip


@pytest.mark.parametrize("role", ["deploy_role_name", "plan_role_name"])
def test_the_state_bucket_is_reachable_only_at_the_state_key_and_its_lock(roles, role):
    outputs, iam = roles
    state = f"arn:aws:s3:::{STATE_BUCKET}"

    reached = {r for s in _grants(iam, outputs[role]) for r in s["Resource"] if r.startswith(state)}
    listing = [s for s in _grants(iam, outputs[role]) if state in s["Resource"]]

    assert reached <= {state, f"{state}/{STATE_KEY}", f"{state}/{STATE_KEY}.tflock"}
    assert [sorted(s["Condition"]["StringLike"]["s3:prefix"]) for s in listing] == [sorted([f"{STATE_KEY}*", "env:/"])]
    assert [list(s["Condition"]) for s in listing] == [["StringLike"]]


def test_plan_role_writes_nothing_but_its_state_lock(roles):
    outputs, iam = roles
    writes = (
        "Put",
        "Create",
        "Update",
        "Delete",
        "Tag",
        "Untag",
        "Invoke",
        "Publish",
        "Pass",
        "Set",
        "Subscribe",
        "Send",
    )

    written = sorted(
        (action, resource)
        for s in _grants(iam, outputs["plan_role_name"])
        for action in s["Action"]
        for resource in s["Resource"]
        if action.split(":")[1].startswith(writes)
    )

    lock = f"arn:aws:s3:::{STATE_BUCKET}/{STATE_KEY}.tflock"
    assert written == [("s3:DeleteObject", lock), ("s3:PutObject", lock)]


def test_deploy_role_can_release_but_not_destroy(roles):
    outputs, iam = roles
    actions = {a for s in _grants(iam, outputs["deploy_role_name"]) for a in s["Action"]}

    assert {
        "lambda:PublishVersion",
        "lambda:UpdateAlias",
        "lambda:UpdateFunctionCode",
        "lambda:InvokeFunction",
    } <= actions
    assert {"scheduler:CreateSchedule", "cloudwatch:PutMetricAlarm", "sqs:CreateQueue", "sns:CreateTopic"} <= actions
    assert not actions & {
        "lambda:DeleteFunction",
        "s3:DeleteBucket",
        "sqs:DeleteQueue",
        "sqs:PurgeQueue",
        "sqs:DeleteMessage",
        "sns:DeleteTopic",
    }


def test_every_root_that_locks_its_state_in_s3_requires_terraform_1_11():
    # use_lockfile (S3 native locking) is generally available from Terraform 1.11; an older one ignores it or fails.
    import re

    roots = [REPO / "terraform" / "bootstrap", *sorted((REPO / "terraform" / "envs").iterdir())]
    for root in roots:
        text = (root / "versions.tf").read_text()
        required = re.search(r'required_version\s*=\s*">=\s*(\d+)\.(\d+)', text)
        assert required and (int(required[1]), int(required[2])) >= (1, 11), root.name


def test_a_repository_with_immutable_subject_claims_is_trusted_by_its_ids_only(tmp_path, monkeypatch):
    """Repositories created, renamed or transferred after GitHub turned immutable subject claims on get tokens whose
    `sub` names owner and repository with their numeric ids: repo:acme@4242/vectora-inbox@9001:environment:dev."""
    from lambda_testkit import emulator_process

    require_terraform_provider(monkeypatch)
    root = copy_infrastructure(tmp_path / "repo")
    directory = root / terraform.BOOTSTRAP_DIR
    (directory / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    # An emulator process of its own: the module's other roles live in this process's moto state.
    with emulator_process() as port:
        endpoint = f"http://127.0.0.1:{port}"
        ws = terraform.Workspace(
            DEV, root, directory, terraform.terraform_env(load_env("local"), endpoint_url=endpoint)
        )
        lines: list[str] = []
        try:
            terraform._init(ws, lines.append, backend=True)
            terraform._run(
                ws,
                [
                    "apply", "-input=false", "-auto-approve", f"-var=github_repository={REPOSITORY}",
                    f"-var=state_bucket={STATE_BUCKET}", "-var=github_owner_id=4242", "-var=github_repository_id=9001",
                ],
                lines.append,
                "apply-bootstrap",
            )  # fmt: skip
        except terraform.TerraformError as exc:
            pytest.fail(f"{exc}\n" + "\n".join(lines[-60:]))
        iam = boto3.client(
            "iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
        )
        [deploy] = _trust(iam, "vectora-inbox-dev-github-deploy")
        [plan] = _trust(iam, "vectora-inbox-dev-github-plan")
    assert deploy["Condition"]["StringEquals"][f"{OIDC}:sub"] == "repo:acme@4242/vectora-inbox@9001:environment:dev"
    assert plan["Condition"]["StringEquals"][f"{OIDC}:sub"] == "repo:acme@4242/vectora-inbox@9001:pull_request"
