"""Deploy, roll back and list the function's versions. The toolkit owns the function's code after Terraform's
first apply: Terraform creates the function, its first version and the `live` alias, then ignores both.

Deploy: build (or reuse) the zip; if the `live` version already runs it, publish nothing. Otherwise upload it to
the artifacts bucket under `<function>/<sha256>.zip`, point `$LATEST` at it, publish an immutable version whose
description records the git commit and the sha256, smoke-test that version (by number, not through the
alias) and only then move `live` to it. Each deploy's smoke verdict is kept beside the artifacts
(`<function>/smoke/<version>.json`), so a rollback never lands on a version that failed its smoke test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from . import REPO_ROOT
from .envfile import EnvFile, load_env
from .invoker import invoke_function
from .local_lambda import artifact_key
from .services import boto3_client, ensure_services
from .smoke import DEFAULT_PAYLOAD, SmokeReport, basic_payload, check_basic, load_payload, run_smoke

# What goes into the package: a change there makes the recorded commit `-dirty`.
PACKAGE_INPUTS = ("lambda_src", "requirements.txt")
_DESCRIPTION = re.compile(r"git=(?P<git>\S+)\s+sha256=(?P<sha>[0-9a-f]{64})")

Printer = Callable[[str], None]


class DeployError(RuntimeError):
    """The deploy stopped; `live` was not moved. `failing_check` names the smoke check that failed, if any."""

    def __init__(self, message: str, *, failing_check: str | None = None, version: str | None = None):
        super().__init__(message)
        self.failing_check = failing_check
        self.version = version


class RollbackError(DeployError):
    """The rollback could not find, move to or validate the target version."""


@dataclass(frozen=True)
class DeployResult:
    function_name: str
    published: bool
    live_version: str  # where `live` points after the deploy
    previous_version: str
    sha256: str  # hex digest of the zip
    description: str
    seconds: float
    smoke: SmokeReport | None = None


@dataclass(frozen=True)
class RollbackResult:
    function_name: str
    from_version: str
    to_version: str
    seconds: float  # the whole rollback, check included
    alias_seconds: float  # the alias move alone


@dataclass(frozen=True)
class VersionInfo:
    version: str
    git: str
    sha256: str  # hex, from CodeSha256
    code_sha256: str  # as Lambda reports it (base64)
    last_modified: str
    description: str
    is_live: bool
    smoke: str  # "passed", "failed: <check>", or "" when the toolkit never smoke-tested it


# --- deploy ---------------------------------------------------------------------------------------------------


def deploy(
    env_name: str | EnvFile | None,
    *,
    printer: Printer = print,
    smoke_payload: Path | str = DEFAULT_PAYLOAD,
    build: Callable[[EnvFile, Printer], Any] | None = None,
) -> DeployResult:
    """Publish the current code as a new version and move `live` to it once its smoke test passes.

    `build(env, printer)` returns the package (path, sha256 hex, size_bytes, skipped); by default
    `toolkit.packaging.build_package`. Raises DeployError, leaving `live` where it was.
    """
    started = time.perf_counter()
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    load_payload(smoke_payload)  # a bad payload path fails now, not after the upload
    printer(f"deploy {env.function_name} ({env.name})")
    ensure_services(env, printer=printer)
    lambda_client = boto3_client(env, "lambda")
    s3_client = boto3_client(env, "s3")
    steps = _Steps(printer)

    with steps.step("package") as note:
        package = (build or _build_package)(env, printer)
        sha_hex = package.sha256
        code_sha256 = base64.b64encode(bytes.fromhex(sha_hex)).decode()
        reused = "unchanged, reused" if package.skipped else "built"
        note(f"{Path(package.path).name}, {_size(package.size_bytes)}, sha256 {sha_hex[:12]}… ({reused})")

    with steps.step("live") as note:
        alias = _get_alias(lambda_client, env)
        live_version = alias["FunctionVersion"]
        live_config = lambda_client.get_function_configuration(FunctionName=env.function_name, Qualifier=live_version)
        note(f"{env.alias_name} → version {live_version}, sha256 {_hex(live_config['CodeSha256'])[:12]}…")

    if live_config["CodeSha256"] == code_sha256:
        seconds = time.perf_counter() - started
        printer(f"unchanged: version {live_version} already runs sha256 {sha_hex[:12]}…, nothing published ({seconds:.1f} s)")
        return DeployResult(env.function_name, False, live_version, live_version, sha_hex, live_config.get("Description", ""), seconds)

    key = artifact_key(env.function_name, sha_hex)
    with steps.step("upload") as note:
        uploaded = upload_artifact(s3_client, env.artifacts_bucket, key, Path(package.path), code_sha256)
        note(f"s3://{env.artifacts_bucket}/{key}" + ("" if uploaded else " (already there)"))

    with steps.step("update") as note:
        waiter = lambda_client.get_waiter("function_updated_v2")
        waiter.wait(FunctionName=env.function_name, WaiterConfig={"Delay": 2, "MaxAttempts": 150})
        updated = lambda_client.update_function_code(FunctionName=env.function_name, S3Bucket=env.artifacts_bucket, S3Key=key)
        if updated["CodeSha256"] != code_sha256:
            raise DeployError(f"$LATEST reports CodeSha256 {updated['CodeSha256']} after the update, expected {code_sha256}")
        waiter.wait(FunctionName=env.function_name, WaiterConfig={"Delay": 2, "MaxAttempts": 150})
        note("$LATEST updated from the artifacts bucket")

    description = f"git={git_revision()} sha256={sha_hex}"
    with steps.step("publish") as note:
        # CodeSha256 makes Lambda refuse to publish if someone else changed $LATEST meanwhile.
        published = lambda_client.publish_version(FunctionName=env.function_name, CodeSha256=code_sha256, Description=description)
        version = published["Version"]
        if published["CodeSha256"] != code_sha256:
            raise DeployError(f"version {version} holds CodeSha256 {published['CodeSha256']}, expected {code_sha256}", version=version)
        note(f"version {version}: {description.split(' sha256=')[0]}")

    with steps.step("smoke") as note:
        report = run_smoke(env, smoke_payload, qualifier=version, printer=lambda line: printer("    " + line if line else ""))
        record_smoke(s3_client, env, version, code_sha256, report)
        failing = report.failing_check
        note(f"version {version}: " + ("passed" if report.ok else f"FAILED at {failing.name if failing else '?'}"))
    if not report.ok:
        name = failing.name if failing else "smoke"
        detail = failing.detail if failing else "no check ran"
        raise DeployError(
            f"smoke test of version {version} failed at check '{name}': {detail}; "
            f"{env.alias_name} stays on version {live_version}",
            failing_check=name,
            version=version,
        )

    with steps.step("alias") as note:
        _move_alias(lambda_client, env, version, alias.get("RevisionId"))
        note(f"{env.alias_name}: {live_version} → {version}")

    seconds = time.perf_counter() - started
    printer(f"deployed version {version} (sha256 {sha_hex[:12]}…) in {seconds:.1f} s: {env.alias_name} {live_version} → {version}")
    return DeployResult(env.function_name, True, version, live_version, sha_hex, description, seconds, report)


def upload_artifact(s3_client, bucket: str, key: str, path: Path, code_sha256: str) -> bool:
    """Put the zip under its content key with `code-sha256` metadata; False if it was already there."""
    try:
        head = s3_client.head_object(Bucket=bucket, Key=key)
        if head.get("Metadata", {}).get("code-sha256") == code_sha256:
            return False
    except s3_client.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    body = path.read_bytes()
    if base64.b64encode(hashlib.sha256(body).digest()).decode() != code_sha256:
        raise DeployError(f"{path.name} changed on disk since it was built; build again")
    s3_client.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType="application/zip",
        Metadata={"code-sha256": code_sha256},
        ChecksumSHA256=code_sha256,  # S3 refuses the upload if the bytes arrive altered
    )
    return True


def git_revision(repo: Path = REPO_ROOT) -> str:
    """Short commit, `-dirty` when the package's inputs differ from it; `unknown` outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", *PACKAGE_INPUTS], cwd=repo, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


def _build_package(env: EnvFile, printer: Printer):
    from .packaging import build_package

    return build_package(env.name, env=env, printer=printer)


# --- smoke records ---------------------------------------------------------------------------------------------


def smoke_record_key(function_name: str, version: str) -> str:
    return f"{function_name}/smoke/{version}.json"


def record_smoke(s3_client, env: EnvFile, version: str, code_sha256: str, report: SmokeReport) -> None:
    failing = report.failing_check
    record = {
        "version": version,
        "code_sha256": code_sha256,
        "passed": report.ok,
        "failing_check": failing.name if failing else None,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "checks": [{"name": c.name, "status": c.status, "seconds": round(c.seconds, 3), "detail": c.detail} for c in report.checks],
    }
    s3_client.put_object(
        Bucket=env.artifacts_bucket,
        Key=smoke_record_key(env.function_name, version),
        Body=json.dumps(record, ensure_ascii=False).encode(),
        ContentType="application/json",
    )


def smoke_records(s3_client, env: EnvFile) -> dict[str, dict]:
    """Recorded smoke verdicts by version number."""
    prefix = f"{env.function_name}/smoke/"
    keys = []
    try:
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=env.artifacts_bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(".json"))
    except s3_client.exceptions.NoSuchBucket:
        return {}

    def read(key: str) -> dict:
        return json.loads(s3_client.get_object(Bucket=env.artifacts_bucket, Key=key)["Body"].read())

    with ThreadPoolExecutor(max_workers=8) as pool:
        records = list(pool.map(read, keys))
    return {str(record["version"]): record for record in records}


# --- versions -------------------------------------------------------------------------------------------------


def list_versions(env_name: str | EnvFile | None, *, printer: Printer = print) -> list[VersionInfo]:
    """Published versions, oldest first, with their deploy metadata and where `live` points."""
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    ensure_services(env, printer=printer)
    lambda_client = boto3_client(env, "lambda")
    live = _get_alias(lambda_client, env)["FunctionVersion"]
    records = smoke_records(boto3_client(env, "s3"), env)
    versions = []
    for config in _published_versions(lambda_client, env):
        description = config.get("Description", "")
        match = _DESCRIPTION.search(description)
        record = records.get(config["Version"])
        smoke = ""
        if record and record.get("code_sha256") == config["CodeSha256"]:
            smoke = "passed" if record.get("passed") else f"failed: {record.get('failing_check') or '?'}"
        versions.append(
            VersionInfo(
                version=config["Version"],
                git=match.group("git") if match else "",
                sha256=_hex(config["CodeSha256"]),
                code_sha256=config["CodeSha256"],
                last_modified=config.get("LastModified", ""),
                description=description,
                is_live=config["Version"] == live,
                smoke=smoke,
            )
        )
    return versions


def format_versions(versions: list[VersionInfo], alias_name: str = "live") -> str:
    rows = [("", "version", "git", "sha256", "smoke", "last modified")]
    for info in versions:
        rows.append(
            (alias_name if info.is_live else "", info.version, info.git or "-", info.sha256[:12], info.smoke or "-", info.last_modified[:19])
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join("  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths)).rstrip() for row in rows)


def _published_versions(lambda_client, env: EnvFile) -> list[dict]:
    versions = []
    for page in lambda_client.get_paginator("list_versions_by_function").paginate(FunctionName=env.function_name):
        versions.extend(v for v in page["Versions"] if v["Version"] != "$LATEST")
    return sorted(versions, key=lambda v: int(v["Version"]))


# --- rollback -------------------------------------------------------------------------------------------------


def rollback(
    env_name: str | EnvFile | None,
    to_version: str | int | None = None,
    printer: Printer = print,
    *,
    check_payload: Path | str = DEFAULT_PAYLOAD,
) -> RollbackResult:
    """Move `live` to the previous good version (or `to_version`) in one call, then check it with a basic
    invocation; if the check fails, move `live` back and raise RollbackError.

    The previous good version is the highest published version below the current one that did not fail
    its smoke test at deploy.
    """
    started = time.perf_counter()
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    payload = basic_payload(load_payload(check_payload), mode="drill")
    printer(f"rollback {env.function_name}:{env.alias_name} ({env.name})")
    ensure_services(env, printer=printer)
    lambda_client = boto3_client(env, "lambda")
    alias = _get_alias(lambda_client, env)
    current = alias["FunctionVersion"]
    versions = _published_versions(lambda_client, env)
    target = _rollback_target(env, versions, current, to_version, boto3_client(env, "s3"))

    moved = time.perf_counter()
    _move_alias(lambda_client, env, target, alias.get("RevisionId"))
    alias_seconds = time.perf_counter() - moved
    printer(f"  alias    {env.alias_name}: {current} → {target} ({alias_seconds:.2f} s)")

    checked = time.perf_counter()
    check, result = check_basic(lambda event: invoke_function(env, env.alias_name, event, printer=printer), payload)
    problem = None if check.ok else check.detail
    if problem is None and result.executed_version and result.executed_version != target:
        problem = f"{env.alias_name} ran version {result.executed_version}, expected {target}"
    if problem:
        _move_alias(lambda_client, env, current, None)
        printer(f"  check    FAILED in {time.perf_counter() - checked:.2f} s: {problem}")
        printer(f"  alias    {env.alias_name}: {target} → {current} (moved back)")
        raise RollbackError(f"version {target} failed its check ({problem}); {env.alias_name} moved back to {current}")
    printer(f"  check    ok in {time.perf_counter() - checked:.2f} s: {check.detail}")
    seconds = time.perf_counter() - started
    printer(f"rolled back {env.alias_name}: {current} → {target} in {seconds:.1f} s (alias moved in {alias_seconds:.2f} s)")
    return RollbackResult(env.function_name, current, target, seconds, alias_seconds)


def _rollback_target(env: EnvFile, versions: list[dict], current: str, to_version, s3_client) -> str:
    numbers = {v["Version"]: v for v in versions}
    if not current.isdigit() and to_version is None:
        raise RollbackError(f"{env.alias_name} points to {current}, not a published version: name one with --to")
    if to_version is not None:
        target = str(to_version).strip()
        if target not in numbers:
            known = ", ".join(numbers) or "none"
            raise RollbackError(f"{env.function_name} has no version {target} (published: {known})")
        if target == current:
            raise RollbackError(f"{env.alias_name} already points to version {target}")
        return target
    records = smoke_records(s3_client, env)
    skipped = []
    for version in sorted((v for v in numbers if int(v) < int(current)), key=int, reverse=True):
        record = records.get(version)
        if record and record.get("code_sha256") == numbers[version]["CodeSha256"] and not record.get("passed"):
            skipped.append(version)
            continue
        return version
    note = f" (skipped versions that failed their smoke test: {', '.join(skipped)})" if skipped else ""
    raise RollbackError(f"no version to roll back to below {current}{note}: `invoke versions` lists them, `invoke rollback --to N` picks one")


# --- helpers --------------------------------------------------------------------------------------------------


def _get_alias(lambda_client, env: EnvFile) -> dict:
    try:
        return lambda_client.get_alias(FunctionName=env.function_name, Name=env.alias_name)
    except lambda_client.exceptions.ResourceNotFoundException:
        raise DeployError(
            f"{env.function_name} or its alias {env.alias_name!r} does not exist: run `invoke tf.apply --env {env.name}` first"
        ) from None


def _move_alias(lambda_client, env: EnvFile, version: str, revision_id: str | None) -> None:
    request = {"FunctionName": env.function_name, "Name": env.alias_name, "FunctionVersion": version}
    if revision_id:
        request["RevisionId"] = revision_id  # refuse if someone else moved the alias meanwhile
    try:
        lambda_client.update_alias(**request)
    except lambda_client.exceptions.PreconditionFailedException:
        raise DeployError(f"{env.alias_name} was moved by someone else meanwhile; nothing changed, try again") from None


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1e6:.2f} MB" if size_bytes >= 100_000 else f"{size_bytes / 1e3:.1f} kB"


def _hex(code_sha256: str) -> str:
    return base64.b64decode(code_sha256).hex()


class _Steps:
    """Prints one line per step with its duration."""

    def __init__(self, printer: Printer):
        self.printer = printer

    @contextmanager
    def step(self, name: str) -> Iterator[Callable[[str], None]]:
        started = time.perf_counter()
        text = [""]
        try:
            yield lambda note: text.__setitem__(0, note)
        except BaseException:
            self.printer(f"  {name:<8} failed after {time.perf_counter() - started:.2f} s")
            raise
        self.printer(f"  {name:<8} {text[0]} ({time.perf_counter() - started:.2f} s)")
