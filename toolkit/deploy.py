"""Deploy: release code, function configuration and config files. The toolkit owns the function's code after
Terraform's first apply: Terraform creates the function, its first version and the `live` alias, then ignores
both. Rollback is `toolkit.rollback`, the versions and their smoke records `toolkit.versions` (both re-exported
here).

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

Each smoke verdict is kept beside the artifacts (see `toolkit.versions`): a rollback lands only on a version that
passed its smoke test (or on the version Terraform created first).
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import WaiterError

from vectora_core.layout import artifact_key, config_pending_key

from . import REPO_ROOT
from . import release_config as rc
from .envfile import EnvFile, load_env
from .rollback import RollbackResult, rollback
from .smoke import DEFAULT_PAYLOAD, SmokeReport, load_payload, run_smoke
from .target import open_target
from .versions import (
    DeployError,
    RollbackError,
    VersionInfo,
    _get_alias,
    _lease,
    _move_alias,
    format_versions,
    function_settings,
    latest_differences,
    list_versions,
    record_smoke,
    settings_differences,
    smoke_passed,
    smoke_record_key,
    smoke_records,
    version_label,
    what_it_runs,
)

__all__ = [
    "DeployError",
    "DeployResult",
    "RollbackError",
    "RollbackResult",
    "VersionInfo",
    "deploy",
    "format_versions",
    "function_settings",
    "latest_differences",
    "list_versions",
    "publish_version",
    "record_smoke",
    "rollback",
    "settings_differences",
    "smoke_record_key",
    "smoke_records",
    "update_code",
    "upload_artifact",
    "what_it_runs",
]

# What goes into the package: a change there makes the recorded commit `-dirty`.
PACKAGE_INPUTS = ("lambda_src", "requirements.txt")
ACTIVE_WAIT = {"Delay": 2, "MaxAttempts": 150}  # published_version_active: up to 5 minutes

Printer = Callable[[str], None]
Hook = Callable[[str], None]


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
    mark: str = "",
    dry_run: bool = False,
) -> DeployResult:
    """Release the current code, function configuration and config files; move `live` once the smoke test passes.

    `build(env, printer)` returns the package (path, sha256 hex, size_bytes, skipped); by default
    `toolkit.packaging.build_package`. `hook(step)` is called after each step (tests use it to stop a deploy
    there). `mark` is appended to a published version's description (`build=drill` for a drill build). Raises
    DeployError, leaving `live` on a version that passed its smoke test. `dry_run` builds (or reuses) the zip and
    prints what the deploy would upload, publish and move, taking no lease and changing nothing.
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
    target = open_target(env)
    target.ready(printer)
    release = rc.render_config(texts, target.feeds_base_url)
    lambda_client = target.client("lambda")
    s3_client = target.client("s3")
    _get_alias(lambda_client, env)  # a missing function says "apply Terraform first" before the lease
    if dry_run:  # reads only: taking the lease would write to the artifacts bucket
        return _deploy_locked(
            env, lambda_client, s3_client, release, steps, printer, smoke_payload, build, started, mark, dry_run=True
        )
    with _lease(s3_client, env, "deploy", printer, break_lease):
        steps.hook("lease")
        return _deploy_locked(
            env, lambda_client, s3_client, release, steps, printer, smoke_payload, build, started, mark
        )


def _deploy_locked(
    env, lambda_client, s3_client, release, steps, printer, smoke_payload, build, started, mark="", dry_run=False
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
    if dry_run and reasons:
        from .dry_run import print_deploy_plan
        from .versions import _published_versions

        publishes = bool(code_changed or settings_changed)
        versions = _published_versions(lambda_client, env) if publishes else []
        print_deploy_plan(
            env,
            printer,
            package,
            live_config,
            latest_config,
            code_sha256,
            changes,
            release,
            reasons,
            versions,
            version_label(live_config),
        )
    if not reasons or dry_run:
        seconds = time.perf_counter() - started
        if not reasons:
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
            reasons=reasons,
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
                mark,
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
    mark="",
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

    description = f"git={git_revision()} sha256={sha_hex}" + (f" {mark}" if mark else "")
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
    from .packaging import format_size

    return format_size(size_bytes)


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
