"""The function's published versions as the toolkit sees them: what each runs (git commit, sha256), its smoke
verdict, whether it is a rollback target, and what differs from `live`; the smoke records kept beside the
artifacts; the alias and the deploy lease that deploy and rollback share.

Each smoke verdict is kept beside the artifacts (`<function>/smoke/<version>.json`, with the config digest it
was tested with), written by a deploy's pre-promotion smoke test and by `invoke smoke`. A rollback lands only on a
version that passed one, or on the version Terraform created first; never on one published by a deploy that died
before its smoke test passed, nor on one Terraform published later (`publish = true` publishes after any
configuration change, with whatever code `$LATEST` holds).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vectora_core.layout import smoke_record_key, smoke_records_prefix

from . import release_config as rc
from .deploy_lease import LeaseHeld, deploy_lease
from .envfile import EnvFile, load_env
from .errors import ToolkitError
from .services import boto3_client
from .smoke import SmokeReport
from .target import open_target

_DESCRIPTION = re.compile(r"git=(?P<git>\S+)\s+sha256=(?P<sha>[0-9a-f]{64})")
# The configuration a version snapshots besides its code, as GetFunctionConfiguration names it.
FUNCTION_SETTINGS = ("Runtime", "Handler", "Timeout", "MemorySize", "Architectures", "Environment")
TERRAFORM_LABEL = "terraform"  # the version Terraform created: its description has no git= marker
# A deploy of a drill build (the demo's and the benchmark's rollback drill: the current code plus a note file)
# marks its version so, after the sha256: not a release of its own, though it passed its smoke test.
DRILL_MARK = "build=drill"

Printer = Callable[[str], None]


class DeployError(ToolkitError, RuntimeError):
    """The deploy stopped; `live` was not moved. `failing_check` names the smoke check that failed, if any."""

    def __init__(self, message: str, *, failing_check: str | None = None, version: str | None = None):
        super().__init__(message)
        self.failing_check = failing_check
        self.version = version


class RollbackError(DeployError):
    """The rollback could not find, move to or validate the target version."""


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
    not_a_target: str = ""  # why a rollback never lands here ("" : it is a rollback target)
    drill: bool = False
    terraform_initial: bool = False  # the version Terraform created with the function

    @property
    def origin(self) -> str:
        """Who published it: the git commit of a release, `terraform` for Terraform's first version, `terraform
        publish` for one Terraform published later after a configuration change."""
        if self.created_by_terraform:
            return TERRAFORM_LABEL if self.terraform_initial else f"{TERRAFORM_LABEL} publish"
        return f"{self.git} (drill build)" if self.drill else self.git

    @property
    def rollback_target(self) -> bool:
        return not self.not_a_target


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


def terraform_initial_version(configs: list[dict]) -> str | None:
    """The version Terraform created with the function: the first one, without a deploy's git= marker. Versions
    Terraform published later (`publish = true` after a configuration change) ran whatever code `$LATEST` held."""
    if not configs:
        return None
    first = min(configs, key=lambda c: int(c["Version"]))
    return first["Version"] if is_terraform_version(first) else None


def smoke_passed(record: dict | None, config: dict) -> bool | None:
    """True/False: the version's recorded smoke verdict; None: never smoke-tested."""
    if not record or record.get("code_sha256") != config["CodeSha256"]:
        return None
    return bool(record.get("passed"))


def rollback_refusal(config: dict, record: dict | None, initial_version: str | None) -> str:
    """Why a rollback never lands on this version ("" when it may): the one rule `rollback`, `versions` and
    `status` share. A target passed a smoke test, or is Terraform's first version."""
    passed = smoke_passed(record, config)
    if passed:
        return ""
    if passed is False:
        return f"failed its smoke test at '{(record or {}).get('failing_check') or '?'}'"
    if is_terraform_version(config):
        if config["Version"] == initial_version:
            return ""
        return "was published by Terraform after a configuration change and never smoke-tested"
    return "was published by a deploy that never finished its smoke test"


# --- smoke records ---------------------------------------------------------------------------------------------


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
    prefix = smoke_records_prefix(env.function_name)
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
    open_target(env).ready(printer)
    lambda_client = boto3_client(env, "lambda")
    live = _get_alias(lambda_client, env)["FunctionVersion"]
    records = smoke_records(boto3_client(env, "s3"), env)
    configs = _published_versions(lambda_client, env)
    live_config = next((c for c in configs if c["Version"] == live), None)
    initial = terraform_initial_version(configs)
    return [_version_info(config, records.get(config["Version"]), live_config, initial) for config in configs]


def _version_info(
    config: dict, record: dict | None, live_config: dict | None, initial_version: str | None = None
) -> VersionInfo:
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
        not_a_target=rollback_refusal(config, record, initial_version),
        drill=DRILL_MARK in description.split(),
        terraform_initial=match is None and config["Version"] == initial_version,
    )


def latest_differences(env_name: str | EnvFile | None, *, printer: Printer = print) -> list[str]:
    """How `$LATEST`'s settings differ from the `live` version's: what the next deploy publishes whatever the code.

    `$LATEST`'s code is not compared: after a rollback it still holds the code of the version rolled back from,
    and a deploy replaces it with the package it builds (publishing only if that differs from live's code)."""
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    open_target(env).ready(printer)
    lambda_client = boto3_client(env, "lambda")
    live = _get_alias(lambda_client, env)["FunctionVersion"]
    latest = lambda_client.get_function_configuration(FunctionName=env.function_name)
    live_config = lambda_client.get_function_configuration(FunctionName=env.function_name, Qualifier=live)
    return settings_differences(latest, live_config)


def format_versions(
    versions: list[VersionInfo], alias_name: str = "live", latest_differs: list[str] | None = None
) -> str:
    """The versions table: one header row, then a row per version; a note when `$LATEST` differs from live."""
    rows = [
        ("alias", "version", "origin", "sha256", "config", "smoke", "rollback", "differs from live", "last modified")
    ]
    for info in versions:
        rows.append(
            (
                alias_name if info.is_live else "",
                info.version,
                info.origin or "-",
                info.sha256[:12],
                info.config_digest[:12] or "-",
                info.smoke or "-",
                "target" if info.rollback_target else "never",
                ", ".join(info.differs_from_live) or "-",
                info.last_modified[:19],
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    reasons = [f"  version {info.version} {info.not_a_target}" for info in versions if info.not_a_target]
    if reasons:
        lines.append("rollback never lands on:")
        lines.extend(reasons)
    if latest_differs:
        differences = ", ".join(latest_differs)
        lines.append(
            f"$LATEST's settings differ from {alias_name}: {differences} (set by Terraform; the next `invoke deploy` "
            "publishes a version with them and smoke-tests it)"
        )
    return "\n".join(lines)


def _published_versions(lambda_client, env: EnvFile) -> list[dict]:
    versions = []
    for page in lambda_client.get_paginator("list_versions_by_function").paginate(FunctionName=env.function_name):
        versions.extend(v for v in page["Versions"] if v["Version"] != "$LATEST")
    return sorted(versions, key=lambda v: int(v["Version"]))


# --- the alias and the lease --------------------------------------------------------------------------------------------------


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


def _hex(code_sha256: str) -> str:
    return base64.b64decode(code_sha256).hex()


def smoke_and_record(
    env_name: str | EnvFile | None,
    payload_path=None,
    qualifier: str = "live",
    printer: Printer = print,
) -> SmokeReport:
    """`invoke smoke`: the smoke test, and its pass recorded for the version that ran when none is recorded yet
    (Terraform's first version, say), so `versions` shows what passed. A failure prints and is not recorded over
    a deploy's pass: one throttled check does not take a rollback target away."""
    from .smoke import DEFAULT_PAYLOAD, run_smoke

    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    report = run_smoke(env, payload_path or DEFAULT_PAYLOAD, qualifier=qualifier, printer=printer)
    version = str(getattr(report, "executed_version", "") or "")
    if not (report.ok and version.isdigit()):
        return report
    config = boto3_client(env, "lambda").get_function_configuration(FunctionName=env.function_name, Qualifier=version)
    s3 = boto3_client(env, "s3")
    if not smoke_passed(smoke_records(s3, env).get(version), config):
        record_smoke(s3, env, version, config["CodeSha256"], report)
        printer(f"smoke verdict recorded for version {version}: passed")
    return report
