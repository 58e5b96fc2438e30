"""Deploy, roll back and list the function's versions. The toolkit owns the function's code after Terraform's
first apply: Terraform creates the function, its first version and the `live` alias, then ignores both.

A release is the code, the function's configuration (environment, timeout, memory, runtime, handler,
architectures) and the config files (client configs, canonical scopes, prices). Deploy:

1. checks every config file with the engine's parser: a bad one is refused, naming file and field, before
   anything is uploaded or published;
2. takes the deploy lease (one deploy or rollback at a time, see `toolkit.deploy_lease`);
3. builds (or reuses) the zip and compares the release with what `live` runs: its code (CodeSha256), its
   configuration against `$LATEST`'s (Terraform changes it there) and the config digest it was smoke-tested
   with. Nothing changed: nothing is published;
4. uploads the config files that changed (they live outside versions, so `live` reads them from now on);
5. when code or configuration changed: uploads the zip to the artifacts bucket under `<function>/<sha256>.zip`,
   points `$LATEST` at it, publishes an immutable version (guarded by CodeSha256 and RevisionId) whose
   description records the git commit and the sha256, waits until it is Active, smoke-tests that version (by
   number, not through the alias) and only then moves `live`;
   when only the config files changed: smoke-tests the `live` version with them;
6. if the smoke test fails, puts the previous config files back and leaves `live` where it was.

Each smoke verdict is kept beside the artifacts (`<function>/smoke/<version>.json`, with the config digest it
was tested with): a rollback lands only on a version that passed its smoke test (or on the version Terraform
created), never on one published by a deploy that died before its smoke test passed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import WaiterError

from . import REPO_ROOT
from . import release_config as rc
from .deploy_lease import LeaseHeld, deploy_lease
from .envfile import EnvFile, load_env
from .invoker import invoke_function
from .local_target import ensure_services
from .packaging import artifact_key
from .services import boto3_client, service_url
from .smoke import DEFAULT_PAYLOAD, SmokeReport, basic_payload, check_basic, load_payload, run_smoke

# What goes into the package: a change there makes the recorded commit `-dirty`.
PACKAGE_INPUTS = ("lambda_src", "requirements.txt")
_DESCRIPTION = re.compile(r"git=(?P<git>\S+)\s+sha256=(?P<sha>[0-9a-f]{64})")
# The configuration a version snapshots besides its code, as GetFunctionConfiguration names it.
FUNCTION_SETTINGS = ("Runtime", "Handler", "Timeout", "MemorySize", "Architectures", "Environment")
TERRAFORM_LABEL = "terraform"  # the version Terraform created: its description has no git= marker
ACTIVE_WAIT = {"Delay": 2, "MaxAttempts": 150}  # published_version_active: up to 5 minutes
# A version mismatch right after an alias move can be a read served before the move reached every host.
MISMATCH_RETRIES = 3
MISMATCH_BACKOFF_S = 0.5

Printer = Callable[[str], None]
Hook = Callable[[str], None]


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
    config_digest: str = ""
    config_changes: tuple[rc.ConfigChange, ...] = ()
    reasons: tuple[str, ...] = ()  # why a version was published or live re-tested: code, settings, config


@dataclass(frozen=True)
class RollbackResult:
    function_name: str
    from_version: str
    to_version: str
    seconds: float  # the whole rollback, check included
    alias_seconds: float  # the alias move alone
    forward: bool = False  # the target is newer than the version live left


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
    config_digest: str = ""  # of the config files its last passing smoke test ran with
    created_by_terraform: bool = False
    differs_from_live: tuple[str, ...] = ()  # "code", "environment LOG_LEVEL", "timeout 900 → 600"

    @property
    def origin(self) -> str:
        return TERRAFORM_LABEL if self.created_by_terraform else self.git


# --- pure helpers ---------------------------------------------------------------------------------------------


def function_settings(config: dict) -> dict[str, Any]:
    """The part of a GetFunctionConfiguration answer a published version freezes besides the code."""
    settings = {name: config.get(name) for name in FUNCTION_SETTINGS}
    settings["Environment"] = dict((config.get("Environment") or {}).get("Variables") or {})
    settings["Architectures"] = list(config.get("Architectures") or ["x86_64"])
    return settings


def settings_differences(candidate: dict, live: dict) -> list[str]:
    """What differs in `candidate`'s configuration from `live`'s, in words (variable names, never values)."""
    new, old = function_settings(candidate), function_settings(live)
    differences = []
    for name in FUNCTION_SETTINGS:
        if name == "Environment":
            changed = sorted(k for k in set(new[name]) | set(old[name]) if new[name].get(k) != old[name].get(k))
            if changed:
                differences.append("environment " + ", ".join(changed))
        elif new[name] != old[name]:
            before = ",".join(old[name]) if isinstance(old[name], list) else old[name]
            after = ",".join(new[name]) if isinstance(new[name], list) else new[name]
            differences.append(f"{name.lower()} {before} → {after}")
    return differences


def version_label(config: dict) -> str:
    """`version 3 (git 1a2b3c4, sha256 9f8e7d6c5b4a)`: a version and what it runs."""
    return f"version {config['Version']} ({what_it_runs(config)})"


def what_it_runs(config: dict) -> str:
    match = _DESCRIPTION.search(config.get("Description", ""))
    origin = f"git {match.group('git')}" if match else "created by Terraform"
    return f"{origin}, sha256 {_hex(config['CodeSha256'])[:12]}"


def is_terraform_version(config: dict) -> bool:
    return not _DESCRIPTION.search(config.get("Description", ""))


def smoke_passed(record: dict | None, config: dict) -> bool | None:
    """True/False: the version's recorded smoke verdict; None: never smoke-tested by a deploy."""
    if not record or record.get("code_sha256") != config["CodeSha256"]:
        return None
    return bool(record.get("passed"))


# --- deploy ---------------------------------------------------------------------------------------------------


def deploy(
    env_name: str | EnvFile | None,
    *,
    printer: Printer = print,
    smoke_payload: Path | str = DEFAULT_PAYLOAD,
    build: Callable[[EnvFile, Printer], Any] | None = None,
    config_dir: Path = rc.CONFIG_DIR,
    break_lease: bool = False,
    hook: Hook | None = None,
) -> DeployResult:
    """Release the current code, function configuration and config files; move `live` once the smoke test passes.

    `build(env, printer)` returns the package (path, sha256 hex, size_bytes, skipped); by default
    `toolkit.packaging.build_package`. `hook(step)` is called after each step (tests use it to stop a deploy
    there). Raises DeployError, leaving `live` on a version that passed its smoke test.
    """
    started = time.perf_counter()
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    load_payload(smoke_payload)  # a bad payload path fails now, not after the upload
    printer(f"deploy {env.function_name} ({env.name})")
    steps = _Steps(printer, hook)
    with steps.step("validate") as note:
        texts = rc.read_config_dir(config_dir)  # checked before any service starts or anything is uploaded
        try:
            rc.validate_config(texts)
        except rc.ReleaseConfigError as exc:
            raise DeployError(f"{exc}; fix it and deploy again (nothing was uploaded or published)") from None
        note(f"{len(texts)} config file(s) valid")
    ensure_services(env, printer=printer)
    release = rc.render_config(texts, service_url(env, "sample_feeds") if env.emulator else None)
    lambda_client = boto3_client(env, "lambda")
    s3_client = boto3_client(env, "s3")
    _get_alias(lambda_client, env)  # a missing function says "apply Terraform first" before the lease
    with _lease(s3_client, env, "deploy", printer, break_lease):
        steps.hook("lease")
        return _deploy_locked(env, lambda_client, s3_client, release, steps, printer, smoke_payload, build, started)


def _deploy_locked(
    env, lambda_client, s3_client, release, steps, printer, smoke_payload, build, started
) -> DeployResult:
    with steps.step("package") as note:
        package = (build or _build_package)(env, printer)
        sha_hex = package.sha256
        code_sha256 = base64.b64encode(bytes.fromhex(sha_hex)).decode()
        reused = "unchanged, reused" if package.skipped else "built"
        note(f"{Path(package.path).name}, {_size(package.size_bytes)}, sha256 {sha_hex[:12]}… ({reused})")

    config_bucket = env.lambda_environment["CONFIG_BUCKET"]
    with steps.step("live") as note:
        alias = _get_alias(lambda_client, env)
        live_version = alias["FunctionVersion"]
        live_config = lambda_client.get_function_configuration(FunctionName=env.function_name, Qualifier=live_version)
        latest_config = lambda_client.get_function_configuration(FunctionName=env.function_name)
        live_record = smoke_records(s3_client, env).get(live_version)
        previous_config = _read_config_bucket(s3_client, env, config_bucket, release)
        note(f"{env.alias_name} → {version_label(live_config)}")

    changes = rc.diff_config(release, previous_config)
    tested_digest = (live_record or {}).get("config_digest") if smoke_passed(live_record, live_config) else None
    # A live version no deploy ever smoke-tested (Terraform's) is taken to run with what the bucket holds.
    baseline = tested_digest or rc.config_digest(
        [rc.ConfigFile(k, v) for k, v in previous_config.items() if v is not None]
    )
    code_changed = live_config["CodeSha256"] != code_sha256
    settings_changed = settings_differences(latest_config, live_config)
    interrupted = _config_pending(s3_client, env)  # a deploy uploaded config files and died before its smoke test
    config_changed = (
        release.digest != baseline or any(c.status != rc.UNCHANGED for c in changes) or interrupted is not None
    )
    written = [c for c in changes if c.status != rc.UNCHANGED]
    config_reason = rc.describe_changes(written) if written else "not smoke-tested with live"
    if interrupted and not written:
        config_reason += " (a deploy was interrupted)"
    reasons = tuple(
        (["code"] if code_changed else [])
        + [f"$LATEST {difference}" for difference in settings_changed]
        + ([f"config {config_reason}"] if config_changed else [])
    )
    if not reasons:
        seconds = time.perf_counter() - started
        printer(
            f"unchanged: version {live_version} already runs sha256 {sha_hex[:12]}…, its configuration and config "
            f"{release.digest[:12]}; nothing published ({seconds:.1f} s)"
        )
        return DeployResult(
            env.function_name,
            False,
            live_version,
            live_version,
            sha_hex,
            live_config.get("Description", ""),
            seconds,
            config_digest=release.digest,
            config_changes=tuple(changes),
        )

    uploaded_config: list[str] = []
    completed = False
    try:
        with steps.step("config") as note:
            if written:
                _mark_config_pending(s3_client, env, release)
            uploaded_config = rc.upload_changes(s3_client, config_bucket, release, changes)
            for change in changes:
                printer(f"    {change.key}: {change.status}")
            note(
                f"s3://{config_bucket}/: {len(uploaded_config)} of {len(changes)} file(s) written, digest {release.digest[:12]}"
            )
        if code_changed or settings_changed:
            result = _publish_and_promote(
                env,
                lambda_client,
                s3_client,
                steps,
                printer,
                package,
                code_sha256,
                latest_config,
                alias,
                live_config,
                release,
                smoke_payload,
                reasons,
                started,
            )
        else:
            result = _retest_live(
                env, s3_client, steps, printer, live_config, release, smoke_payload, reasons, started, sha_hex
            )
        completed = True
        _clear_config_pending(s3_client, env)
        return replace(result, config_changes=tuple(changes))
    finally:
        if uploaded_config and not completed:
            undo_config_upload(s3_client, env, previous_config, uploaded_config, printer)


def _publish_and_promote(
    env,
    lambda_client,
    s3_client,
    steps,
    printer,
    package,
    code_sha256,
    latest_config,
    alias,
    live_config,
    release,
    smoke_payload,
    reasons,
    started,
) -> DeployResult:
    sha_hex = package.sha256
    live_version = alias["FunctionVersion"]
    key = artifact_key(env.function_name, sha_hex)
    if latest_config["CodeSha256"] != code_sha256:
        with steps.step("upload") as note:
            uploaded = upload_artifact(s3_client, env.artifacts_bucket, key, Path(package.path), code_sha256)
            note(f"s3://{env.artifacts_bucket}/{key}" + ("" if uploaded else " (already there)"))
        with steps.step("update") as note:
            revision_id = update_code(lambda_client, env.function_name, env.artifacts_bucket, key, code_sha256)
            note("$LATEST updated from the artifacts bucket")
    else:  # $LATEST already holds this code (Terraform changed its settings, or a deploy died after the update)
        revision_id = settled_revision(lambda_client, env.function_name, code_sha256)

    description = f"git={git_revision()} sha256={sha_hex}"
    with steps.step("publish") as note:
        published = publish_version(lambda_client, env.function_name, code_sha256, revision_id, description)
        version = published["Version"]
        note(f"{version_label(published)} Active; because of {'; '.join(reasons)}")

    steps.hook("smoke:started")
    with steps.step("smoke") as note:
        report = run_smoke(
            env, smoke_payload, qualifier=version, printer=lambda line: printer("    " + line if line else "")
        )
        record_smoke(s3_client, env, version, code_sha256, report, release=release)
        failing = report.failing_check
        note(f"version {version}: " + ("passed" if report.ok else f"FAILED at {failing.name if failing else '?'}"))
    if not report.ok:
        name, detail = _failure(report)
        raise DeployError(
            f"smoke test of {version_label(published)} failed at check '{name}': {detail}; "
            f"{env.alias_name} stays on version {live_version}",
            failing_check=name,
            version=version,
        )

    with steps.step("alias") as note:
        _move_alias(lambda_client, env, version, alias.get("RevisionId"))
        note(f"{env.alias_name}: {live_version} → {version}")

    seconds = time.perf_counter() - started
    printer(
        f"deployed version {version} (sha256 {sha_hex[:12]}…, config {release.digest[:12]}) in {seconds:.1f} s: "
        f"{env.alias_name} {live_version} → {version}"
    )
    return DeployResult(
        env.function_name,
        True,
        version,
        live_version,
        sha_hex,
        description,
        seconds,
        report,
        release.digest,
        reasons=tuple(reasons),
    )


def _failure(report: SmokeReport) -> tuple[str, str]:
    """The failing check's name and detail, for the one-line error of a failed smoke test."""
    failing = report.failing_check
    return (failing.name, failing.detail) if failing else ("smoke", "no check ran")


def _retest_live(
    env, s3_client, steps, printer, live_config, release, smoke_payload, reasons, started, sha_hex
) -> DeployResult:
    """Only the config files changed: `live` already reads them, so its version is smoke-tested with them."""
    version = live_config["Version"]
    steps.hook("smoke:started")
    with steps.step("smoke") as note:
        report = run_smoke(
            env, smoke_payload, qualifier=version, printer=lambda line: printer("    " + line if line else "")
        )
        failing = report.failing_check
        if report.ok:  # a failure is not recorded: the version itself still passed with the previous config
            record_smoke(s3_client, env, version, live_config["CodeSha256"], report, release=release)
        verdict = "passed" if report.ok else f"FAILED at {failing.name if failing else '?'}"
        note(f"{version_label(live_config)} with config {release.digest[:12]}: {verdict}")
    if not report.ok:
        name, detail = _failure(report)
        raise DeployError(
            f"smoke test of {version_label(live_config)} with the new config files failed at check '{name}': {detail}; "
            f"the previous config files are back and {env.alias_name} stays on version {version}",
            failing_check=name,
            version=version,
        )
    seconds = time.perf_counter() - started
    printer(
        f"config released: {env.alias_name} (version {version}, code unchanged, nothing published) runs config "
        f"{release.digest[:12]}, smoke-tested, in {seconds:.1f} s"
    )
    return DeployResult(
        env.function_name,
        False,
        version,
        version,
        sha_hex,
        live_config.get("Description", ""),
        seconds,
        report,
        release.digest,
        reasons=tuple(reasons),
    )


def update_code(lambda_client, function_name: str, bucket: str, key: str, code_sha256: str) -> str | None:
    """Point $LATEST at the zip and wait until the update is done; returns the RevisionId to publish from.

    The RevisionId update_function_code returns changes again when the update settles (AWS moves it on the
    status change), so the revision to guard the publish with is the settled one, read once and checked to
    hold our code: a later change by anyone else makes PublishVersion refuse.
    """
    waiter = lambda_client.get_waiter("function_updated_v2")
    waiter.wait(FunctionName=function_name, WaiterConfig={"Delay": 2, "MaxAttempts": 150})
    updated = lambda_client.update_function_code(FunctionName=function_name, S3Bucket=bucket, S3Key=key)
    if updated["CodeSha256"] != code_sha256:
        raise DeployError(
            f"$LATEST reports CodeSha256 {updated['CodeSha256']} after the update, expected {code_sha256}"
        )
    return settled_revision(lambda_client, function_name, code_sha256) or updated.get("RevisionId")


def settled_revision(lambda_client, function_name: str, code_sha256: str) -> str | None:
    """Wait until no update of $LATEST is in progress, check it holds `code_sha256`, return its RevisionId."""
    lambda_client.get_waiter("function_updated_v2").wait(
        FunctionName=function_name, WaiterConfig={"Delay": 2, "MaxAttempts": 150}
    )
    settled = lambda_client.get_function_configuration(FunctionName=function_name)
    if settled["CodeSha256"] != code_sha256:
        raise DeployError(
            f"$LATEST was changed by someone else during the update (it holds {settled['CodeSha256']}); deploy again"
        )
    return settled.get("RevisionId")


def publish_version(
    lambda_client, function_name: str, code_sha256: str, revision_id: str | None, description: str
) -> dict:
    """Publish $LATEST as a version only if it still holds `code_sha256` at `revision_id`, then wait until the
    version is Active (a Pending version cannot be invoked yet)."""
    request = {"FunctionName": function_name, "CodeSha256": code_sha256, "Description": description}
    if revision_id:
        request["RevisionId"] = revision_id
    try:
        published = lambda_client.publish_version(**request)
    except lambda_client.exceptions.PreconditionFailedException:
        raise DeployError(
            "$LATEST changed since this deploy updated it (another deploy?); nothing published, deploy again"
        ) from None
    version = published["Version"]
    if published["CodeSha256"] != code_sha256:
        raise DeployError(
            f"version {version} holds CodeSha256 {published['CodeSha256']}, expected {code_sha256}", version=version
        )
    try:
        lambda_client.get_waiter("published_version_active").wait(
            FunctionName=function_name, Qualifier=version, WaiterConfig=ACTIVE_WAIT
        )
    except WaiterError as exc:
        state = (exc.last_response or {}).get("StateReason") or str(exc)
        raise DeployError(
            f"version {version} did not become Active: {state}; live was not moved", version=version
        ) from None
    return published


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
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return "unknown"
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", *PACKAGE_INPUTS],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
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


def record_smoke(
    s3_client,
    env: EnvFile,
    version: str,
    code_sha256: str,
    report: SmokeReport,
    *,
    release: rc.ReleaseConfig | None = None,
) -> None:
    failing = report.failing_check
    record = {
        "version": version,
        "code_sha256": code_sha256,
        "passed": report.ok,
        "failing_check": failing.name if failing else None,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "checks": [
            {"name": c.name, "status": c.status, "seconds": round(c.seconds, 3), "detail": c.detail}
            for c in report.checks
        ],
    }
    if release is not None:
        record["config_digest"] = release.digest
        record["config_files"] = release.file_digests()
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
    """Published versions, oldest first, with their deploy metadata, what differs from `live` and where it points."""
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    ensure_services(env, printer=printer)
    lambda_client = boto3_client(env, "lambda")
    live = _get_alias(lambda_client, env)["FunctionVersion"]
    records = smoke_records(boto3_client(env, "s3"), env)
    configs = _published_versions(lambda_client, env)
    live_config = next((c for c in configs if c["Version"] == live), None)
    return [_version_info(config, records.get(config["Version"]), live_config) for config in configs]


def _version_info(config: dict, record: dict | None, live_config: dict | None) -> VersionInfo:
    description = config.get("Description", "")
    match = _DESCRIPTION.search(description)
    passed = smoke_passed(record, config)
    smoke = "" if passed is None else "passed" if passed else f"failed: {record.get('failing_check') or '?'}"
    differs: list[str] = []
    if live_config is not None and config["Version"] != live_config["Version"]:
        differs = (["code"] if config["CodeSha256"] != live_config["CodeSha256"] else []) + settings_differences(
            config, live_config
        )
    return VersionInfo(
        version=config["Version"],
        git=match.group("git") if match else "",
        sha256=_hex(config["CodeSha256"]),
        code_sha256=config["CodeSha256"],
        last_modified=config.get("LastModified", ""),
        description=description,
        is_live=live_config is not None and config["Version"] == live_config["Version"],
        smoke=smoke,
        config_digest=(record or {}).get("config_digest", "") if passed else "",
        created_by_terraform=match is None,
        differs_from_live=tuple(differs),
    )


def latest_differences(env_name: str | EnvFile | None, *, printer: Printer = print) -> list[str]:
    """How `$LATEST`'s configuration differs from the `live` version's (what the next deploy would publish)."""
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    ensure_services(env, printer=printer)
    lambda_client = boto3_client(env, "lambda")
    live = _get_alias(lambda_client, env)["FunctionVersion"]
    latest = lambda_client.get_function_configuration(FunctionName=env.function_name)
    live_config = lambda_client.get_function_configuration(FunctionName=env.function_name, Qualifier=live)
    code = ["code"] if latest["CodeSha256"] != live_config["CodeSha256"] else []
    return code + settings_differences(latest, live_config)


def format_versions(
    versions: list[VersionInfo], alias_name: str = "live", latest_differs: list[str] | None = None
) -> str:
    """The versions table: one header row, then a row per version; a note when `$LATEST` differs from live."""
    rows = [("alias", "version", "git", "sha256", "config", "smoke", "differs from live", "last modified")]
    for info in versions:
        rows.append(
            (
                alias_name if info.is_live else "",
                info.version,
                info.origin or "-",
                info.sha256[:12],
                info.config_digest[:12] or "-",
                info.smoke or "-",
                ", ".join(info.differs_from_live) or "-",
                info.last_modified[:19],
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    if latest_differs:
        differences = ", ".join(latest_differs)
        lines.append(
            f"$LATEST differs from {alias_name}: {differences} (the next `invoke deploy` publishes and smoke-tests it)"
        )
    return "\n".join(lines)


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
    break_lease: bool = False,
    invoke: Callable[[EnvFile, str, dict], Any] | None = None,
    mismatch_retries: int = MISMATCH_RETRIES,
    mismatch_backoff_s: float = MISMATCH_BACKOFF_S,
) -> RollbackResult:
    """Move `live` to the previous good version (or `to_version`, older or newer) in one call, then check it with
    a basic invocation; if the check fails, move `live` back and raise RollbackError.

    The previous good version is the highest published version below the current one that passed its smoke
    test at deploy, or the version Terraform created. A version published by a deploy that never passed its
    smoke test is never a target. `invoke(env, qualifier, event)` defaults to `toolkit.invoker.invoke_function`.
    """
    started = time.perf_counter()
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    payload = basic_payload(load_payload(check_payload), mode="drill")
    printer(f"rollback {env.function_name}:{env.alias_name} ({env.name})")
    ensure_services(env, printer=printer)
    lambda_client = boto3_client(env, "lambda")
    s3_client = boto3_client(env, "s3")
    _get_alias(lambda_client, env)
    with _lease(s3_client, env, "rollback", printer, break_lease):
        alias = _get_alias(lambda_client, env)
        current = alias["FunctionVersion"]
        versions = _published_versions(lambda_client, env)
        records = smoke_records(s3_client, env)
        target = _rollback_target(env, versions, current, to_version, records, printer)
        by_number = {v["Version"]: v for v in versions}
        target_label = version_label(by_number[target])
        current_runs = f" ({what_it_runs(by_number[current])})" if current in by_number else ""
        forward = current.isdigit() and int(target) > int(current)

        moved = time.perf_counter()
        revision = _move_alias(lambda_client, env, target, alias.get("RevisionId"))
        alias_seconds = time.perf_counter() - moved
        printer(f"  alias    {env.alias_name}: {current} → {target} ({alias_seconds:.2f} s): now {target_label}")

        checked = time.perf_counter()
        problem, detail = _check_alias(env, target, payload, invoke, printer, mismatch_retries, mismatch_backoff_s)
        if problem:
            _move_alias(lambda_client, env, current, revision)
            printer(f"  check    FAILED in {time.perf_counter() - checked:.2f} s: {problem}")
            printer(f"  alias    {env.alias_name}: {target} → {current} (moved back)")
            raise RollbackError(
                f"version {target} failed its check ({problem}); {env.alias_name} moved back to {current}{current_runs}; "
                f"version {target} runs {what_it_runs(by_number[target])}"
            )
        printer(f"  check    ok in {time.perf_counter() - checked:.2f} s: {detail}")
    seconds = time.perf_counter() - started
    verb = f"moved {env.alias_name} forward" if forward else f"rolled back {env.alias_name}"
    printer(
        f"{verb}: {current} → {target} in {seconds:.1f} s (alias moved in {alias_seconds:.2f} s); "
        f"{env.alias_name} runs {target_label}"
    )
    return RollbackResult(env.function_name, current, target, seconds, alias_seconds, forward)


def _check_alias(env, target, payload, invoke, printer, retries: int, backoff_s: float) -> tuple[str | None, str]:
    """(problem or None, detail) of a basic invocation through the alias. A run by another version right after
    the move is retried a few times with a short backoff before it counts as a failure."""
    call = invoke or (
        lambda environment, qualifier, event: invoke_function(environment, qualifier, event, printer=printer)
    )
    for attempt in range(retries + 1):
        check, result = check_basic(lambda event: call(env, env.alias_name, event), payload)
        if not check.ok:
            return check.detail, check.detail
        ran = result.executed_version if result else ""
        if not ran or ran == target:
            return None, check.detail
        if attempt < retries:
            printer(
                f"  check    {env.alias_name} ran version {ran}, expected {target}: the move may not have reached every host; retrying"
            )
            time.sleep(backoff_s * 2**attempt)
    return f"{env.alias_name} ran version {ran}, expected {target} ({retries + 1} attempts)", ""


def _rollback_target(
    env: EnvFile, versions: list[dict], current: str, to_version, records: dict, printer: Printer
) -> str:
    numbers = {v["Version"]: v for v in versions}
    if not current.isdigit() and to_version is None:
        raise RollbackError(
            f"{env.alias_name} points to {current}, not a published version: name one with `invoke rollback --to N`"
        )

    def refusal(config: dict) -> str | None:
        passed = smoke_passed(records.get(config["Version"]), config)
        if passed is False:
            return f"failed its smoke test at '{records[config['Version']].get('failing_check') or '?'}'"
        if passed is None and not is_terraform_version(config):
            return "was published by a deploy that never finished its smoke test"
        return None

    if to_version is not None:
        target = str(to_version).strip()
        if target not in numbers:
            known = ", ".join(numbers) or "none"
            raise RollbackError(
                f"{env.function_name} has no version {target} (published: {known}); see `invoke versions`"
            )
        if target == current:
            raise RollbackError(f"{env.alias_name} already points to {version_label(numbers[target])}")
        why = refusal(numbers[target])
        if why:
            raise RollbackError(
                f"{version_label(numbers[target])} {why}: it is never a rollback target; see `invoke versions`"
            )
        return target
    skipped = []
    for version in sorted((v for v in numbers if int(v) < int(current)), key=int, reverse=True):
        why = refusal(numbers[version])
        if why:
            skipped.append(f"{version} {why}")
            continue
        return version
    note = f" (skipped: {'; '.join(skipped)})" if skipped else ""
    current_label = version_label(numbers[current]) if current in numbers else f"version {current}"
    live_config = numbers.get(current)
    table = format_versions(
        [_version_info(c, records.get(c["Version"]), live_config) for c in versions], env.alias_name
    )
    for line in table.splitlines():
        printer("  " + line)
    newer = [v for v in sorted(numbers, key=int, reverse=True) if int(v) > int(current) and not refusal(numbers[v])]
    env_flag = "" if env.name == "local" else f" --env {env.name}"
    hint = (
        f"to move {env.alias_name} to a newer version that passed its smoke test, run `invoke rollback --to {newer[0]}{env_flag}`"
        if newer
        else f"deploy a new version with `invoke package deploy{env_flag}`, then `invoke rollback{env_flag}` can return to {current}"
    )
    raise RollbackError(
        f"no version to roll back to below {current}{note}: {env.alias_name} runs {current_label}, the oldest good one; {hint}"
    )


# --- helpers --------------------------------------------------------------------------------------------------


def _get_alias(lambda_client, env: EnvFile) -> dict:
    try:
        return lambda_client.get_alias(FunctionName=env.function_name, Name=env.alias_name)
    except lambda_client.exceptions.ResourceNotFoundException:
        raise DeployError(
            f"{env.function_name} or its alias {env.alias_name!r} does not exist: run `invoke tf.apply --env {env.name}` first"
        ) from None


def _move_alias(lambda_client, env: EnvFile, version: str, revision_id: str | None) -> str | None:
    """Point the alias at `version`; with `revision_id`, only if nobody moved it since. Returns the new RevisionId."""
    request = {"FunctionName": env.function_name, "Name": env.alias_name, "FunctionVersion": version}
    if revision_id:
        request["RevisionId"] = revision_id  # refuse if someone else moved the alias meanwhile
    try:
        return lambda_client.update_alias(**request).get("RevisionId")
    except lambda_client.exceptions.PreconditionFailedException:
        raise DeployError(f"{env.alias_name} was moved by someone else meanwhile; nothing changed, try again") from None


@contextmanager
def _lease(s3_client, env: EnvFile, action: str, printer: Printer, break_lease: bool) -> Iterator[None]:
    held = ExitStack()
    try:
        held.enter_context(
            deploy_lease(
                s3_client, env.artifacts_bucket, env.function_name, action, printer=printer, break_lease=break_lease
            )
        )
    except LeaseHeld as exc:
        raise DeployError(f"{action} refused: {exc}") from None
    with held:
        yield


def undo_config_upload(
    s3_client, env: EnvFile, previous: dict[str, bytes | None], uploaded: list[str], printer: Printer
) -> None:
    """Put back the config files a deploy that did not complete had uploaded (a process killed outright cannot:
    the pending marker it leaves makes the next deploy smoke-test live with what the bucket holds)."""
    try:
        rc.restore_config(s3_client, env.lambda_environment["CONFIG_BUCKET"], previous, uploaded)
        _clear_config_pending(s3_client, env)
        printer(f"  config   put back the previous {', '.join(uploaded)} (live keeps what it was tested with)")
    except Exception as exc:
        printer(f"  config   could not put back the previous config files: {exc}")


def config_pending_key(function_name: str) -> str:
    return f"{function_name}/config-pending.json"


def _mark_config_pending(s3_client, env: EnvFile, release: rc.ReleaseConfig) -> None:
    """Written before config files are uploaded, removed once they passed a smoke test or were put back: a deploy
    killed in between leaves it, and the next deploy smoke-tests live with the files the bucket holds."""
    body = {"config_digest": release.digest, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    s3_client.put_object(
        Bucket=env.artifacts_bucket, Key=config_pending_key(env.function_name), Body=json.dumps(body).encode()
    )


def _config_pending(s3_client, env: EnvFile) -> dict | None:
    try:
        return json.loads(
            s3_client.get_object(Bucket=env.artifacts_bucket, Key=config_pending_key(env.function_name))["Body"].read()
        )
    except s3_client.exceptions.NoSuchKey:
        return None


def _clear_config_pending(s3_client, env: EnvFile) -> None:
    s3_client.delete_object(Bucket=env.artifacts_bucket, Key=config_pending_key(env.function_name))


def _read_config_bucket(s3_client, env: EnvFile, bucket: str, release: rc.ReleaseConfig) -> dict[str, bytes | None]:
    try:
        return rc.read_current(s3_client, bucket, [f.key for f in release.files])
    except s3_client.exceptions.NoSuchBucket:
        raise DeployError(
            f"config bucket {bucket} does not exist: run `invoke tf.apply --env {env.name}` first"
        ) from None


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1e6:.2f} MB" if size_bytes >= 100_000 else f"{size_bytes / 1e3:.1f} kB"


def _hex(code_sha256: str) -> str:
    return base64.b64decode(code_sha256).hex()


class _Steps:
    """Prints one line per step with its duration; calls `hook(step)` after each step that completed."""

    def __init__(self, printer: Printer, hook: Hook | None = None):
        self.printer = printer
        self._hook = hook

    def hook(self, name: str) -> None:
        if self._hook:
            self._hook(name)

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
        self.hook(name)
