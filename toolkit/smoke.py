"""The three post-deploy checks, run against one qualifier (the `live` alias or a version number).

Every invocation is a check run (`"mode": "smoke"`): its files go under `checks/smoke/<version>/` and its editorial
cache under `checks/cache/`, so a smoke test never replaces or feeds a published edition.

- basic: the payload with `period_days` 1 answers StatusCode 200, no FunctionError, `status` "ok", and no
  `blocking_problems` (a degradation that retrying will not heal, such as model access not enabled);
- cache: `force_regenerate` true then false: the first run logs `Newsletter sauvegardée en cache`, the second
  `Newsletter récupérée depuis cache S3` and its editorial stage (the engine's `timings_ms.editorial`, or the
  whole run for a function that does not report it) is faster;
- regions: those runs' logs show the newsletter and normalization Bedrock clients in the regions the
  environment file names, with the inference profile ids used, and no throttling error.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vectora_core import log_phrases

from . import REPO_ROOT
from .envfile import EnvFile, load_env
from .errors import ToolkitError
from .invoker import InvokeResult, invoke_function
from .target import open_target

DEFAULT_PAYLOAD = Path("payloads/test-payload-p1.json")
SMOKE_MODE = "smoke"
SAVED_TO_CACHE = log_phrases.CACHE_SAVED
READ_FROM_CACHE = log_phrases.CACHE_HIT
_PROFILE_ID = re.compile(r"\b(?:eu|us|apac|global|us-gov|ca|jp|au)\.[a-z0-9-]+\.[A-Za-z0-9.:-]+")
_THROTTLING = re.compile(r"throttl", re.IGNORECASE)
_ERROR_LEVELS = {"ERROR", "CRITICAL", "FATAL"}

OK, FAILED, SKIPPED = "ok", "FAILED", "skipped"


class SmokeError(ToolkitError, RuntimeError):
    """The smoke test cannot start (missing payload file, unreadable payload)."""


@dataclass
class CheckResult:
    name: str
    status: str
    seconds: float
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass
class SmokeReport:
    env: str
    function_name: str
    qualifier: str
    executed_version: str = ""
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def failing_check(self) -> CheckResult | None:
        return next((check for check in self.checks if check.status == FAILED), None)

    def to_json(self) -> str:
        data = asdict(self)
        data["ok"] = self.ok
        return json.dumps(data, indent=2, ensure_ascii=False)

    def table(self) -> str:
        rows = [("check", "result", "time", "detail")]
        for check in self.checks:
            time_text = f"{check.seconds:.2f} s" if check.status != SKIPPED and check.seconds else "-"
            rows.append((check.name, check.status, time_text, check.detail))
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        return "\n".join(
            f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}".rstrip() for row in rows
        )


def load_payload(payload_path: Path | str) -> dict:
    """Read a payload file; relative paths are tried from the working directory, then the repository root."""
    path = Path(payload_path)
    if not path.is_absolute() and not path.exists():
        path = REPO_ROOT / path
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SmokeError(f"payload file {payload_path} not found") from None
    except json.JSONDecodeError as exc:
        raise SmokeError(f"payload file {payload_path} is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise SmokeError(f"payload file {payload_path} must hold a JSON object")
    return payload


def describe_payload(payload_path: Path | str, payload: dict) -> str:
    """What the payload file decides in a smoke test, in one line: the client of every check, and the window and
    target date of the cache check (the basic check always asks one day; no check publishes)."""
    used = {key: payload[key] for key in ("client_id", "period_days", "target_date") if key in payload}
    ignored = sorted(set(payload) - set(used) - {"mode"})
    told = ", ".join(f"{key} {value}" for key, value in used.items()) or "nothing (the defaults)"
    tail = f"; {', '.join(ignored)} set by each check itself" if ignored else ""
    return f"{Path(payload_path).name}: {told}{tail}; every check runs as mode smoke, never publishing"


def basic_payload(payload: dict, mode: str = SMOKE_MODE) -> dict:
    """The basic invocation: the client of the payload, one day, the cache used as normal, as a check run."""
    base = {key: value for key, value in payload.items() if key != "force_regenerate"}
    return {**base, "period_days": 1, "mode": mode}


def check_payload(payload: dict, mode: str = SMOKE_MODE) -> dict:
    """The payload as a check run: whatever mode the file names, a check never publishes."""
    return {**payload, "mode": mode}


def run_smoke(
    env_name: str | EnvFile | None,
    payload_path: Path | str = DEFAULT_PAYLOAD,
    qualifier: str = "live",
    printer: Callable[[str], None] = print,
) -> SmokeReport:
    """Run basic, cache and regions against `qualifier`; print progress and the table; return the report.

    A failed basic check skips the other two (they would fail for the same reason, slowly).
    """
    started = time.perf_counter()
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    payload = check_payload(load_payload(payload_path))
    open_target(env).ready(printer)
    report = SmokeReport(env=env.name, function_name=env.function_name, qualifier=str(qualifier))
    printer(f"smoke test of {env.function_name}:{qualifier} ({env.name})")

    def invoke(event: dict) -> InvokeResult:
        return invoke_function(env, str(qualifier), event, printer=printer)

    printer(f"  payload  {describe_payload(payload_path, payload)}")
    printer(f"  basic    … invoking {payload.get('client_id', '?')} for one day (period_days 1)")
    basic, basic_run = check_basic(invoke, basic_payload(payload))
    report.checks.append(basic)
    report.executed_version = basic_run.executed_version if basic_run else ""
    if not basic.ok and "ClientNotFound" in basic.detail:
        basic.detail += f"; upload the client configuration first: `invoke config-sync --env {env.name}`"
    _progress(printer, basic)

    runs = [basic_run] if basic_run else []
    if basic.ok:
        printer(
            f"  cache    … invoking {payload.get('client_id', '?')} with the payload's window "
            f"(period_days {payload.get('period_days', 'default')}): force_regenerate true, then false"
        )
        cache, cache_runs = check_cache(invoke, payload)
        runs.extend(cache_runs)
        report.checks.append(cache)
        _progress(printer, cache)
        regions = check_regions(env, runs)
        report.checks.append(regions)
        _progress(printer, regions)
    else:
        for name in ("cache", "regions"):
            report.checks.append(CheckResult(name, SKIPPED, 0.0, "basic failed"))

    report.seconds = time.perf_counter() - started
    printer("")
    for line in report.table().splitlines():
        printer(line)
    verdict = "passed" if report.ok else f"FAILED at {report.failing_check.name}"
    version = f" (version {report.executed_version})" if report.executed_version else ""
    printer(f"smoke test {verdict}{version} in {report.seconds:.1f} s")
    return report


def _progress(printer: Callable[[str], None], check: CheckResult) -> None:
    printer(f"  {check.name:<8} {check.status} in {check.seconds:.2f} s: {check.detail}")


# --- the checks -----------------------------------------------------------------------------------------------


def check_basic(invoke: Callable[[dict], InvokeResult], payload: dict) -> tuple[CheckResult, InvokeResult | None]:
    started = time.perf_counter()
    result = invoke(payload)
    seconds = time.perf_counter() - started
    problems = invocation_problems(result)
    data = {
        "request_id": result.request_id,
        "duration_ms": result.duration_ms,
        "executed_version": result.executed_version,
    }
    if problems:
        return CheckResult("basic", FAILED, seconds, "; ".join(problems), data), result
    body = result.payload
    editorial = body.get("editorial") or {}
    parts = [f"status ok, cache {body.get('cache', '?')}"]
    if editorial:
        parts.append(
            f"editorial {editorial.get('backend', '?')} {editorial.get('model_id', '?')} in {editorial.get('region', '?')}"
        )
        if editorial.get("degraded"):
            parts.append(f"degraded: {editorial.get('degraded_reason') or 'no reason given'}")
    if result.executed_version:
        parts.append(f"version {result.executed_version}")
    return CheckResult("basic", OK, seconds, ", ".join(parts), data), result


def blocking_problem_lines(body: dict) -> list[str]:
    """`stage: code (message); fix: …` for each of the response's `blocking_problems`."""
    lines = []
    for problem in body.get("blocking_problems") or []:
        if not isinstance(problem, dict):
            continue
        lines.append(
            f"blocking {problem.get('stage', '?')} problem {problem.get('error_code', '?')}"
            f" ({str(problem.get('message', ''))[:160]}); fix: {problem.get('fix', 'no fix given')}"
        )
    return lines


def invocation_problems(result: InvokeResult) -> list[str]:
    """Why an invocation does not count as a success: status code, FunctionError, `status` not ok, a blocking problem."""
    if result.status_code != 200:
        return [f"StatusCode {result.status_code}"]
    if result.function_error:
        return [f"FunctionError {result.function_error}: {result.error_summary()}"]
    body = result.payload
    if not isinstance(body, dict):
        return [f"response is not a JSON object: {str(body)[:200]}"]
    if body.get("status") != "ok":
        reason = body.get("error") or body.get("message") or body.get("errors") or ""
        return [f"status {body.get('status')!r}, expected 'ok'" + (f" ({str(reason)[:200]})" if reason else "")]
    # A degradation no retry will heal (model access, validation, unknown model, refusal): a version whose runs
    # cannot reach the model must not be promoted, whichever check's run meets it.
    return blocking_problem_lines(body)


def check_cache(invoke: Callable[[dict], InvokeResult], payload: dict) -> tuple[CheckResult, list[InvokeResult]]:
    started = time.perf_counter()
    first = invoke({**payload, "force_regenerate": True})
    runs = [first]
    problems = [f"run 1: {problem}" for problem in invocation_problems(first)]
    second = None
    if not problems:
        second = invoke({**payload, "force_regenerate": False})
        runs.append(second)
        problems += [f"run 2: {problem}" for problem in invocation_problems(second)]
    seconds = time.perf_counter() - started
    data: dict[str, Any] = {"first_ms": first.duration_ms, "second_ms": second.duration_ms if second else None}
    if problems:
        return CheckResult("cache", FAILED, seconds, "; ".join(problems), data), runs
    if not log_contains(first.log_text, SAVED_TO_CACHE):
        problems.append(f"run 1 (force_regenerate true) did not log '{SAVED_TO_CACHE}'")
    if not log_contains(second.log_text, READ_FROM_CACHE):
        problems.append(f"run 2 (force_regenerate false) did not log '{READ_FROM_CACHE}'")
    ratio = first.duration_ms / second.duration_ms if second.duration_ms > 0 else float("inf")
    data["ratio"] = round(ratio, 2) if ratio != float("inf") else None
    timing = f"run 1 {first.duration_ms / 1000:.2f} s, run 2 {second.duration_ms / 1000:.2f} s ({ratio:.1f}× faster)"
    stages = (editorial_ms(first), editorial_ms(second))
    if None not in stages:
        # The engine times its editorial stage: what the cache saves, without the noise of the rest of the run
        # (a one-day difference in stored items, a busy machine) that can swamp a fast model's answer.
        data["editorial_ms"] = list(stages)
        timing = f"run 1 {first.duration_ms / 1000:.2f} s, run 2 {second.duration_ms / 1000:.2f} s; editorial {stages[0]} ms → {stages[1]} ms"
        if stages[1] >= stages[0]:
            problems.append(f"run 2's editorial was not faster: {stages[0]} ms, then {stages[1]} ms from the cache")
    elif second.duration_ms >= first.duration_ms:
        problems.append(f"run 2 was not faster: {timing.split(' (')[0]}")
    if problems:
        return CheckResult("cache", FAILED, seconds, "; ".join(problems), data), runs
    return CheckResult("cache", OK, seconds, timing, data), runs


def editorial_ms(result: InvokeResult) -> int | None:
    """The editorial stage's time as the engine reports it (`timings_ms.editorial`), if it does."""
    body = result.payload if isinstance(result.payload, dict) else {}
    value = (body.get("timings_ms") or {}).get("editorial")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_regions(env: EnvFile, runs: list[InvokeResult]) -> CheckResult:
    started = time.perf_counter()
    variables = env.lambda_environment
    expected = {
        "newsletter": variables.get("BEDROCK_REGION_NEWSLETTER") or variables.get("BEDROCK_REGION", ""),
        "normalization": variables.get("BEDROCK_REGION_NORMALIZATION") or variables.get("BEDROCK_REGION", ""),
    }
    messages = [message for run in runs for message in log_messages(run.log_text)]
    problems: list[str] = []
    found: list[str] = []
    data: dict[str, Any] = {"profiles": {}}
    for purpose, region in expected.items():
        phrase = log_phrases.bedrock_routing(purpose, region)
        matching = [message for message in messages if phrase in message.text]
        if not matching:
            seen = sorted({f"{p} → {r}" for msg in messages for p, r in log_phrases.parse_bedrock_routing(msg.text)})
            hint = f" (logged: {', '.join(seen)})" if seen else ""
            problems.append(f"no '{phrase}' line{hint}")
            continue
        profiles = sorted({profile for message in matching if (profile := message.profile_id())})
        data["profiles"][purpose] = profiles
        found.append(f"{purpose} → {region} ({', '.join(profiles) or 'profile id not logged'})")
    throttled = [message for message in messages if _THROTTLING.search(message.raw)]
    errors = [message for message in throttled if message.is_error()]
    data["throttling_errors"] = len(errors)
    data["throttled_retries"] = len(throttled) - len(errors)
    if errors:
        problems.append(f"{len(errors)} throttling error line(s), first: {errors[0].raw[:200]}")
    seconds = time.perf_counter() - started
    if problems:
        return CheckResult("regions", FAILED, seconds, "; ".join(problems), data)
    retried = f", {data['throttled_retries']} throttled call(s) retried" if data["throttled_retries"] else ""
    return CheckResult("regions", OK, seconds, "; ".join(found) + f"; no throttling error{retried}", data)


# --- reading log lines ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogMessage:
    raw: str
    record: dict | None

    @property
    def text(self) -> str:
        """The JSON line's `message` and the raw line: a phrase is found in either."""
        if self.record and isinstance(self.record.get("message"), str):
            return self.record["message"] + "\n" + self.raw
        return self.raw

    def profile_id(self) -> str:
        if self.record:
            for key in ("model_id", "profile_id", "inference_profile_id", "modelId"):
                if isinstance(self.record.get(key), str):
                    return self.record[key]
        match = _PROFILE_ID.search(self.raw)
        return match.group(0) if match else ""

    def is_error(self) -> bool:
        if self.record:
            return str(self.record.get("level", "")).upper() in _ERROR_LEVELS
        # Plain lines: the runtime's `[ERROR]` lines and raised exceptions; a plain mention is not an error.
        return "[ERROR]" in self.raw or "ThrottlingException" in self.raw


def log_messages(log_text: str) -> list[LogMessage]:
    messages = []
    for line in log_text.splitlines():
        start = line.find("{")
        record = None
        if start != -1:
            try:
                parsed = json.loads(line[start:])
            except json.JSONDecodeError:
                parsed = None
            record = parsed if isinstance(parsed, dict) else None
        messages.append(LogMessage(line, record))
    return messages


def log_contains(log_text: str, phrase: str) -> bool:
    return any(phrase in message.text for message in log_messages(log_text))
