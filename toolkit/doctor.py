"""`invoke doctor --env ENV`: a preflight before the first deploy to an account, one line per check.

Each check says ok, problem (with how to fix it), could not check (and why), or skipped. Checks: the credentials
and the account and Region they reach; Terraform and its AWS provider; the state backend (dev: the S3 backend
with its lock file; local: local state); the bucket names (free, or ours); model access for each Bedrock
inference profile (a one-token call only with `--invoke`); the boto3 the deployed function reports at init; and
whether the function's role may do what the engine does (IAM policy simulation, where the caller may run it).

On `local` the same checks run against the emulator and the Bedrock stand-in; its target (`toolkit.target`) says
which checks have no use there (model availability, the role simulation).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vectora_core import layout, log_phrases

from . import REPO_ROOT
from .envfile import ACCOUNT_ID, EnvFile, load_env
from .services import boto3_client
from .target import MODEL_AVAILABILITY, ROLE_SIMULATION, open_target

OK, PROBLEM, UNCHECKED, SKIPPED = "ok", "problem", "could not check", "skipped"
MIN_TERRAFORM = (1, 11, 0)  # S3 native state locking (use_lockfile) is generally available from 1.11
PROVIDER = "registry.terraform.io/hashicorp/aws"
PROVIDER_RANGE = ((5, 80, 0), (6, 0, 0))  # the modules' `>= 5.80, < 6.0`
SDK_LOG_LINE = log_phrases.RUNTIME_SDK
LOG_LOOKBACK_MS = 30 * 86_400_000

Printer = Callable[[str], None]


@dataclass(frozen=True)
class Finding:
    check: str
    status: str
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        first = f"{self.status:<15} {self.check:<28} {self.detail}"
        return [first] + ([f"{'':15} {'':28} fix: {self.fix}"] if self.fix else [])


@dataclass
class DoctorReport:
    env: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problems(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.status == PROBLEM]

    def by_check(self, check: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.check == check or finding.check.startswith(check + " ")]


@dataclass
class Edges:
    """What the checks touch: AWS clients (the emulator's for local), a process runner, the repository."""

    client: Callable[..., Any]  # (service, region=None) -> boto3 client
    run: Callable[[list[str], Path], subprocess.CompletedProcess]
    repo_root: Path = REPO_ROOT


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code", "") if isinstance(response, dict) else type(exc).__name__


def _message(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


# --- the checks ---------------------------------------------------------------------------------------------


def check_credentials(env: EnvFile, edges: Edges) -> tuple[Finding, str]:
    """Who the credentials are and which account and Region they reach; returns the account id too."""
    try:
        identity = edges.client("sts").get_caller_identity()
    except Exception as exc:  # no credentials, expired session, no network: all say the same thing here
        return Finding(
            "credentials",
            PROBLEM,
            f"no working AWS credentials: {_message(exc)}",
            "configure credentials for the target account (aws configure sso, or AWS_PROFILE), "
            "then check with: aws sts get-caller-identity",
        ), ""
    where = open_target(env).where
    return Finding("credentials", OK, f"account {identity['Account']} as {identity['Arn']}, {where}"), identity[
        "Account"
    ]


def check_terraform(env: EnvFile, edges: Edges) -> list[Finding]:
    from .terraform import TerraformError, terraform_binary

    directory = edges.repo_root / "terraform" / "envs" / env.name
    try:
        binary = terraform_binary()
    except TerraformError as exc:
        return [Finding("terraform", PROBLEM, str(exc), "install Terraform 1.11 or later")]
    done = edges.run([binary, "version", "-json"], directory)
    try:
        info = json.loads(done.stdout)
    except ValueError:
        return [
            Finding("terraform", UNCHECKED, f"terraform version -json answered: {(done.stderr or done.stdout)[:160]}")
        ]
    findings = [terraform_version_finding(info.get("terraform_version", ""))]
    findings.append(provider_finding(info.get("provider_selections", {}), directory / ".terraform.lock.hcl"))
    return findings


def terraform_version_finding(version: str) -> Finding:
    wanted = ".".join(map(str, MIN_TERRAFORM))
    if _version(version) >= MIN_TERRAFORM:
        return Finding("terraform", OK, f"Terraform {version} (>= {wanted}: S3 state locking with use_lockfile)")
    return Finding(
        "terraform",
        PROBLEM,
        f"Terraform {version or 'of unknown version'} is older than {wanted}",
        f"install Terraform {wanted} or later (use_lockfile state locking is generally available from {wanted})",
    )


def provider_finding(selections: dict[str, str], lock_file: Path) -> Finding:
    version = selections.get(PROVIDER, "")
    if not version and lock_file.is_file():
        match = re.search(
            r'provider "registry\.terraform\.io/hashicorp/aws" \{\s*version\s*=\s*"([^"]+)"', lock_file.read_text()
        )
        version = match.group(1) if match else ""
    low, high = PROVIDER_RANGE
    wanted = f">= {'.'.join(map(str, low[:2]))}, < {high[0]}.0"
    if not version:
        return Finding(
            "terraform provider", OK, f"hashicorp/aws not installed yet: terraform init installs it ({wanted})"
        )
    if low <= _version(version) < high:
        return Finding("terraform provider", OK, f"hashicorp/aws {version} ({wanted})")
    return Finding(
        "terraform provider",
        PROBLEM,
        f"hashicorp/aws {version} is outside {wanted}",
        "terraform init -upgrade (invoke tf.plan runs init) to select a provider in range",
    )


def read_backend_file(path: Path) -> dict[str, str]:
    """`key = "value"` pairs of a backend.hcl (comments dropped)."""
    values = {}
    for line in path.read_text().splitlines():
        match = re.match(r'^\s*([a-z_]+)\s*=\s*"?([^"#]*?)"?\s*(?:#.*)?$', line)
        if match:
            values[match.group(1)] = match.group(2).strip()
    return values


def check_state_backend(env: EnvFile, edges: Edges, account: str) -> Finding:
    from .terraform import Workspace, terraform_env

    directory = edges.repo_root / "terraform" / "envs" / env.name
    backend = Workspace(env, edges.repo_root, directory, terraform_env(env, base={})).backend
    if backend == "local":
        return Finding(
            "state backend", OK, f"local state in terraform/envs/{env.name} (no locking needed on one machine)"
        )
    if backend != "s3":
        return Finding("state backend", UNCHECKED, f"backend {backend!r}: only the s3 and local backends are checked")
    path = directory / "backend.hcl"
    if not path.is_file():
        return Finding(
            "state backend",
            PROBLEM,
            f"terraform/envs/{env.name}/backend.hcl is missing",
            f"invoke tf.bootstrap --env {env.name} (creates the state bucket and writes backend.hcl)",
        )
    config = read_backend_file(path)
    problems = []
    if config.get("use_lockfile", "").lower() != "true":
        problems.append(
            ("the state is not locked (use_lockfile is not true)", "set use_lockfile = true in backend.hcl")
        )
    if config.get("dynamodb_table"):
        problems.append(
            ("dynamodb_table is deprecated since Terraform 1.11", "remove dynamodb_table; use_lockfile locks in S3")
        )
    bucket = config.get("bucket", "")
    if not bucket or bucket.startswith("<"):
        problems.append(("backend.hcl names no state bucket", f"invoke tf.bootstrap --env {env.name}"))
    else:
        s3 = edges.client("s3", config.get("region") or env.aws_region)
        try:
            s3.head_bucket(Bucket=bucket, **({"ExpectedBucketOwner": account} if account else {}))
            versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "")
            if versioning != "Enabled":
                problems.append(
                    (
                        f"state bucket {bucket} is not versioned",
                        f"aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled",
                    )
                )
        except Exception as exc:
            code = _code(exc)
            if code in ("404", "NoSuchBucket", "NotFound"):
                problems.append((f"state bucket {bucket} does not exist", f"invoke tf.bootstrap --env {env.name}"))
            elif code in ("403", "AccessDenied"):
                problems.append(
                    (
                        f"state bucket {bucket} is not this account's or not readable ({code})",
                        "name a state bucket of this account in backend.hcl (invoke tf.bootstrap creates one)",
                    )
                )
            else:
                return Finding("state backend", UNCHECKED, f"state bucket {bucket}: {_message(exc)}")
    if problems:
        return Finding("state backend", PROBLEM, "; ".join(p for p, _ in problems), "; ".join(f for _, f in problems))
    return Finding("state backend", OK, f"s3://{bucket}/{config.get('key', '')}, versioned, locked with use_lockfile")


def check_bucket_names(env: EnvFile, edges: Edges, account: str) -> list[Finding]:
    if env.unresolved or any(ACCOUNT_ID in name for name in env.bucket_names.values()):
        return [
            Finding(
                "bucket names",
                UNCHECKED,
                f"names hold {ACCOUNT_ID} and the account is unknown ({env.unresolved})",
                "fix the credentials first",
            )
        ]
    s3 = edges.client("s3")
    owner = open_target(env).expected_owner(account)
    findings = []
    for role, name in env.bucket_names.items():
        try:
            s3.head_bucket(Bucket=name, **owner)
            findings.append(Finding(f"bucket {role}", OK, f"{name} exists and is ours"))
        except Exception as exc:
            code = _code(exc)
            if code in ("404", "NoSuchBucket", "NotFound"):
                findings.append(Finding(f"bucket {role}", OK, f"{name} is free: terraform apply creates it"))
            elif code in ("403", "AccessDenied"):
                findings.append(
                    Finding(
                        f"bucket {role}",
                        PROBLEM,
                        f"{name} belongs to another account",
                        f'name it by account in env/{env.name}.json ("...-{ACCOUNT_ID}") or choose another name',
                    )
                )
            else:
                findings.append(Finding(f"bucket {role}", UNCHECKED, f"{name}: {_message(exc)}"))
    return findings


def _targets(env: EnvFile) -> list[Any]:
    from vectora_core.settings import load_settings

    settings = load_settings({**env.lambda_environment, "LLM_BACKEND": "bedrock"})
    unique = {}
    for target in (settings.newsletter, settings.normalization):
        unique.setdefault((target.model_id, target.region), target)
    return list(unique.values())


def check_model_access(env: EnvFile, edges: Edges, invoke: bool) -> list[Finding]:
    """One line per inference profile. With `invoke`, a one-token InvokeModel (a fraction of a cent)."""
    from vectora_core.llm.bedrock import ANTHROPIC_VERSION, blocking_problem

    not_available_here = open_target(env).skips(MODEL_AVAILABILITY)
    findings = []
    for target in _targets(env):
        name = f"model {target.model_id.split('.')[0]}."
        where = f"{target.model_id} from {target.region}"
        if invoke:
            body = {
                "anthropic_version": ANTHROPIC_VERSION,
                "max_tokens": 1,
                "messages": [{"role": "user", "content": "Reply with one word."}],
            }
            try:
                response = edges.client("bedrock-runtime", target.region).invoke_model(
                    modelId=target.model_id,
                    body=json.dumps(body),
                    contentType="application/json",
                    accept="application/json",
                )
                answer = json.loads(response["body"].read())
                findings.append(Finding(name, OK, f"{where} answered (stop_reason {answer.get('stop_reason')})"))
            except Exception as exc:
                problem = blocking_problem(exc, target)
                if problem:
                    findings.append(
                        Finding(name, PROBLEM, f"{where}: {problem.error_code}: {problem.message}", problem.fix)
                    )
                else:
                    findings.append(
                        Finding(name, UNCHECKED, f"{where}: {_code(exc) or 'error'}: {_message(exc)} (retry later)")
                    )
            continue
        if not_available_here:
            findings.append(Finding(name, SKIPPED, f"{where}: {not_available_here}"))
            continue
        findings.append(_model_availability(target, edges, where, name))
    return findings


def _model_availability(target, edges: Edges, where: str, name: str) -> Finding:
    """Bedrock's own view of model access (no model call, no cost); --invoke proves it end to end."""
    model = target.model_id.split(".", 1)[1]
    try:
        answer = edges.client("bedrock", target.region).get_foundation_model_availability(modelId=model)
    except Exception as exc:
        return Finding(name, UNCHECKED, f"{where}: {_code(exc)}: {_message(exc)}; add --invoke for a one-token call")
    agreement = answer.get("agreementAvailability", {}).get("status", "")
    states = {
        "agreement": agreement,
        "authorization": answer.get("authorizationStatus", ""),
        "entitlement": answer.get("entitlementAvailability", ""),
        "region": answer.get("regionAvailability", ""),
    }
    missing = {k: v for k, v in states.items() if v not in ("AVAILABLE", "AUTHORIZED")}
    if not missing:
        return Finding(name, OK, f"{where}: model access granted")
    return Finding(
        name,
        PROBLEM,
        f"{where}: " + ", ".join(f"{k} {v}" for k, v in missing.items()),
        f"enable model access for {target.model_id} in the Bedrock console of {target.region} "
        "(Marketplace subscription + Anthropic use-case form)",
    )


def check_runtime_sdk(env: EnvFile, edges: Edges, now_ms: int) -> Finding:
    """The boto3/botocore the deployed function logged at its last init."""
    from vectora_core import sdk

    from .smoke import log_messages

    logs = edges.client("logs")
    events: list[dict] = []
    request = {
        "logGroupName": env.log_group,
        "startTime": now_ms - LOG_LOOKBACK_MS,
        "filterPattern": f'"{SDK_LOG_LINE}"',
    }
    try:
        # Every page: FilterLogEvents scans the group in chunks and may answer a page with no events and a token.
        while True:
            page = logs.filter_log_events(**request)
            events.extend(page.get("events", []))
            if not page.get("nextToken"):
                break
            request["nextToken"] = page["nextToken"]
    except Exception as exc:
        if _code(exc) == "ResourceNotFoundException":
            return Finding("runtime boto3", UNCHECKED, "the function has not run yet: deploy, then run doctor again")
        return Finding("runtime boto3", UNCHECKED, f"{env.log_group}: {_message(exc)}")
    events.sort(key=lambda event: event["timestamp"])
    records = [m.record for e in events for m in log_messages(e["message"]) if m.record and m.record.get("botocore")]
    if not records:
        return Finding("runtime boto3", UNCHECKED, "no init has logged its SDK yet: deploy, then run doctor again")
    last = records[-1]
    detail = f"boto3 {last.get('boto3', '?')}, botocore {last['botocore']} ({last.get('source', 'runtime')})"
    problem = sdk.botocore_problem(str(last["botocore"]))
    if problem:
        return Finding("runtime boto3", PROBLEM, detail, problem.split(": ", 1)[-1])
    return Finding("runtime boto3", OK, f"{detail} >= {sdk.MIN_BOTOCORE_TEXT}")


def engine_permissions(env: EnvFile, account: str, partition: str = "aws") -> list[tuple[str, str, dict[str, str]]]:
    """(action, resource, context) for what one engine run does: read config, read/write data, delete its lease,
    publish, use the cache, call each profile and its model through it, write its logs."""
    buckets = env.bucket_names
    arn = f"arn:{partition}:s3:::"
    checks = [
        ("s3:ListBucket", arn + buckets["config"], {}),
        ("s3:GetObject", f"{arn}{buckets['config']}/{layout.client_key('x')}", {}),
        # Listing turns a missing object into a 404 the engine reads as "not there" instead of a 403.
        ("s3:ListBucket", arn + buckets["data"], {}),
        ("s3:ListBucket", arn + buckets["newsletters"], {"s3:prefix": f"{layout.CACHE_PREFIX}x"}),
        ("s3:GetObject", f"{arn}{buckets['data']}/{layout.ITEMS_PREFIX}x.json", {}),
        ("s3:PutObject", f"{arn}{buckets['data']}/{layout.ITEMS_PREFIX}x.json", {}),
        ("s3:DeleteObject", f"{arn}{buckets['data']}/{layout.LOCKS_PREFIX}x.json", {}),
        (
            "s3:PutObject",
            f"{arn}{buckets['newsletters']}/{layout.NEWSLETTERS_PREFIX}x/{layout.EDITION_FILES['html']}",
            {},
        ),
        ("s3:GetObject", f"{arn}{buckets['newsletters']}/{layout.CACHE_PREFIX}x.json", {}),
        ("s3:PutObject", f"{arn}{buckets['newsletters']}/{layout.CACHE_PREFIX}x.json", {}),
        (
            "logs:CreateLogStream",
            f"arn:{partition}:logs:{env.aws_region}:{account}:log-group:{env.log_group}:log-stream:x",
            {},
        ),
        (
            "logs:PutLogEvents",
            f"arn:{partition}:logs:{env.aws_region}:{account}:log-group:{env.log_group}:log-stream:x",
            {},
        ),
    ]
    for target in _targets(env):
        profile = f"arn:{partition}:bedrock:{target.region}:{account}:inference-profile/{target.model_id}"
        model = f"arn:{partition}:bedrock:{target.region}::foundation-model/{target.model_id.split('.', 1)[1]}"
        checks.append(("bedrock:InvokeModel", profile, {}))
        checks.append(("bedrock:InvokeModel", model, {"bedrock:InferenceProfileArn": profile}))
    return checks


def check_role(env: EnvFile, edges: Edges, account: str) -> Finding:
    try:
        role = edges.client("lambda").get_function_configuration(FunctionName=env.function_name)["Role"]
    except Exception as exc:
        if _code(exc) == "ResourceNotFoundException":
            return Finding(
                "function role",
                UNCHECKED,
                f"{env.function_name} does not exist yet: run doctor again after terraform apply",
            )
        return Finding("function role", UNCHECKED, f"{env.function_name}: {_message(exc)}")
    no_simulation = open_target(env).skips(ROLE_SIMULATION)
    if no_simulation:
        return Finding("function role", UNCHECKED, f"{role}: {no_simulation}")
    iam = edges.client("iam")
    denied = []
    try:
        for action, resource, context in engine_permissions(env, account):
            entries = [
                {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"} for k, v in context.items()
            ]
            result = iam.simulate_principal_policy(
                PolicySourceArn=role, ActionNames=[action], ResourceArns=[resource], ContextEntries=entries
            )["EvaluationResults"][0]
            if result["EvalDecision"] != "allowed":
                denied.append(f"{action} on {resource} ({result['EvalDecision']})")
    except Exception as exc:
        why = "the caller may not run iam:SimulatePrincipalPolicy" if _code(exc) == "AccessDenied" else _message(exc)
        return Finding("function role", UNCHECKED, f"{role}: {why}")
    if denied:
        return Finding(
            "function role",
            PROBLEM,
            f"{role} may not: " + "; ".join(denied[:4]) + ("; …" if len(denied) > 4 else ""),
            "terraform apply (terraform/modules/engine_function grants what the engine does)",
        )
    return Finding("function role", OK, f"{role} may do all {len(engine_permissions(env, account))} things a run does")


# --- the report ---------------------------------------------------------------------------------------------


def run_doctor(
    env_name: str | EnvFile | None = None,
    *,
    invoke: bool = False,
    printer: Printer = print,
    edges: Edges | None = None,
    now_ms: int | None = None,
) -> DoctorReport:
    from .cloudwatch import now_ms as current_ms

    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    target = open_target(env)
    target.ready(printer)
    if edges is None:
        edges = Edges(client=lambda service, region=None: _client(env, service, region), run=_run)
    report = DoctorReport(env.name)
    printer(f"doctor for {env.name} ({target.where})")

    def add(findings: Finding | Iterable[Finding]) -> None:
        for finding in [findings] if isinstance(findings, Finding) else findings:
            report.findings.append(finding)
            for line in finding.lines():
                printer(line)

    credentials, account = check_credentials(env, edges)
    add(credentials)
    if account and env.unresolved:  # the env file was read before the credentials answered
        env = load_env(env.name, env_dir=env.path.parent, account_id=account)
    add(check_terraform(env, edges))
    add(check_state_backend(env, edges, account))
    if account:
        add(check_bucket_names(env, edges, account))
        add(check_model_access(env, edges, invoke))
        add(check_runtime_sdk(env, edges, now_ms if now_ms is not None else current_ms()))
        add(check_role(env, edges, account))
    else:
        add(Finding("AWS checks", SKIPPED, "buckets, model access, runtime boto3 and role need working credentials"))
    problems = len(report.problems)
    printer(f"doctor: {problems} problem(s)" if problems else "doctor: no problem found")
    return report


def _client(env: EnvFile, service: str, region: str | None = None):
    if not env.unresolved:  # the target's client (names of an emulator environment never wait on an account)
        return boto3_client(env, service, region)
    import boto3  # names unresolved (no credentials): STS still says why

    return boto3.client(service, region_name=region or env.aws_region)
