"""Roll `live` back (or forward) in one call, then check it with one invocation; move it back if the check fails."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .envfile import EnvFile, load_env
from .invoker import invoke_function
from .services import boto3_client
from .smoke import DEFAULT_PAYLOAD, basic_payload, check_basic, load_payload
from .target import open_target
from .versions import (
    RollbackError,
    _get_alias,
    _lease,
    _move_alias,
    _published_versions,
    _version_info,
    format_versions,
    rollback_refusal,
    smoke_records,
    terraform_initial_version,
    version_label,
    what_it_runs,
)

# A version mismatch right after an alias move can be a read served before the move reached every host.
MISMATCH_RETRIES = 3
MISMATCH_BACKOFF_S = 0.5

Printer = Callable[[str], None]


@dataclass(frozen=True)
class RollbackResult:
    function_name: str
    from_version: str
    to_version: str
    seconds: float  # the whole rollback, check included
    alias_seconds: float  # the alias move alone
    forward: bool = False  # the target is newer than the version live left


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
    dry_run: bool = False,
) -> RollbackResult:
    """Move `live` to the previous good version (or `to_version`, older or newer) in one call, then check it with
    a basic invocation; if the check fails, move `live` back and raise RollbackError.

    The previous good version is the highest published version below the current one that passed its smoke
    test at deploy, or the version Terraform created. A version published by a deploy that never passed its
    smoke test is never a target. `invoke(env, qualifier, event)` defaults to `toolkit.invoker.invoke_function`.
    `dry_run` prints from which version to which `live` would move, taking no lease and moving nothing.
    """
    started = time.perf_counter()
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    payload = basic_payload(load_payload(check_payload), mode="drill")
    printer(f"rollback {env.function_name}:{env.alias_name} ({env.name})")
    open_target(env).ready(printer)
    lambda_client = boto3_client(env, "lambda")
    s3_client = boto3_client(env, "s3")
    _get_alias(lambda_client, env)
    if dry_run:  # the same choice of target, read without the lease (taking it would write to the artifacts bucket)
        from .dry_run import print_rollback_plan

        current = _get_alias(lambda_client, env)["FunctionVersion"]
        versions = _published_versions(lambda_client, env)
        target = _rollback_target(env, versions, current, to_version, smoke_records(s3_client, env), printer)
        forward = current.isdigit() and int(target) > int(current)
        label = version_label(next(v for v in versions if v["Version"] == target))
        print_rollback_plan(env, printer, current, target, label, forward)
        return RollbackResult(env.function_name, current, target, time.perf_counter() - started, 0.0, forward)
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

    initial = terraform_initial_version(versions)

    def refusal(config: dict) -> str | None:
        return rollback_refusal(config, records.get(config["Version"]), initial) or None

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
        [_version_info(c, records.get(c["Version"]), live_config, initial) for c in versions], env.alias_name
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
