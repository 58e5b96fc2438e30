"""`invoke run`: the handler in process against the emulator, the stand-in and the sample feeds."""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vectora_core import layout, log_phrases

from .. import REPO_ROOT
from ..envfile import EnvFile, load_env
from ..errors import ToolkitError
from ..stack import prepare_stack
from .endpoints import emulator_environment

OUT_DIR = REPO_ROOT / "out"
# Log lines worth showing after a run; the full log goes to a file beside the newsletter.
HIGHLIGHTS = (
    log_phrases.BEDROCK_ROUTING_PREFIX,
    log_phrases.CACHE_SAVED,
    log_phrases.CACHE_HIT,
    log_phrases.EDITORIAL_PROMPT,
    "échec",
    "malformé",
    "dégradé",
)


class RunError(ToolkitError, RuntimeError):
    """The local run could not start."""


class LocalContext:
    """Just enough of the Lambda context for the handler: request id and the remaining time."""

    def __init__(self, function_name: str, timeout_s: int):
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = function_name
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class InProcessHandler:
    """The Lambda handler in this process, as a fresh container with the environment's variables.

    Invocations after the first reuse the container (a warm Lambda); `close` restores the process environment.
    """

    def __init__(self, env: EnvFile, llm_backend: str | None = None):
        self.env = env
        variables = {**env.lambda_environment, **emulator_environment(env)}
        if llm_backend:
            variables["LLM_BACKEND"] = llm_backend
        self._saved = {k: os.environ.get(k) for k in variables}
        os.environ.update(variables)
        self.init_log = io.StringIO()  # what the handler's import logs (the runtime SDK line) joins the run's log
        with contextlib.redirect_stdout(self.init_log):
            import handler
            from vectora_core.llm import bedrock

        handler._runtime.clear()
        bedrock.reset_clients()
        self.handler = handler

    def invoke(self, payload: dict[str, Any]) -> tuple[dict[str, Any], float, str]:
        """(response, seconds, log lines the handler printed)."""
        logs = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(logs):
            result = self.handler.lambda_handler(payload, LocalContext(self.env.function_name, self.env.timeout))
        return result, time.perf_counter() - started, logs.getvalue()

    def close(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def __enter__(self) -> InProcessHandler:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def prepare_local(env: EnvFile, printer: Callable[[str], None] = print):
    """Services up, the stack applied by Terraform if the emulator lacks it, config uploaded with feeds pointed
    at the sample server."""
    if not env.emulator:
        raise RunError(
            f"`invoke run` runs the handler in process on the emulator; for {env.name} use `invoke smoke --env {env.name}`"
        )
    return prepare_stack(env, printer)


def run_payload(
    env_name: str | EnvFile | None,
    payload: dict[str, Any],
    printer: Callable[[str], None] = print,
    llm_backend: str | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    started = time.perf_counter()
    s3 = prepare_local(env, printer)
    with InProcessHandler(env, llm_backend) as container:
        result, seconds, log_text = container.invoke(payload)
        log_text = container.init_log.getvalue() + log_text
    run_ms = int(seconds * 1000)
    for line in log_text.splitlines():
        if any(h in line for h in HIGHLIGHTS):
            try:
                record = json.loads(line)
                extra = {k: v for k, v in record.items() if k not in ("level", "message", "ts", "request_id")}
                printer(f"  log: {record['message']}  {json.dumps(extra, ensure_ascii=False)[:160]}")
            except ValueError:
                printer(f"  log: {line[:200]}")
    if result.get("status") != "ok":
        printer(f"  error: {result['error']['type']}: {result['error']['message']}")
        return result
    out = (out_dir or OUT_DIR) / result["client_id"] / result["period"]["date"]
    if result.get("mode", "publish") != "publish":
        out = (out_dir or OUT_DIR) / "checks" / result["mode"] / result["client_id"] / result["period"]["date"]
    out.mkdir(parents=True, exist_ok=True)
    bucket = result["s3"]["bucket"]
    for kind, filename in layout.EDITION_FILES.items():  # the local copy keeps the bucket's file names
        body = s3.get_object(Bucket=bucket, Key=result["s3"][kind])["Body"].read()
        (out / filename).write_bytes(body)
    (out / "run.log").write_text(log_text)
    print_summary(result, run_ms, printer)
    printer(f"  newsletter: s3://{bucket}/{result['s3']['html']}")
    shown = out.relative_to(REPO_ROOT) if out.is_relative_to(REPO_ROOT) else out
    printer(f"  local copy: {shown}/newsletter.html (open it in a browser), newsletter.md, manifest.json, run.log")
    printer(f"  done in {time.perf_counter() - started:.1f} s, {run_ms} ms of it in the handler")
    return result


def print_summary(result: dict[str, Any], run_ms: int, printer: Callable[[str], None]) -> None:
    counts = result["counts"]
    editorial = result["editorial"]
    printer(
        f"  {result['client_id']} {result['period']['start'][:10]} → {result['period']['end'][:10]}: "
        f"fetched {counts['fetched']}, in window {counts['in_window']}, screened out {counts.get('screened_out', 0)}, "
        f"normalized {counts['normalized']}, matched {counts['matched']}, merged {counts['merged_duplicates']}, "
        f"already published {counts.get('already_published', 0)}, selected {counts['selected']}"
    )
    where = f" {editorial['model_id']} in {editorial['region']}" if editorial["backend"] == "bedrock" else ""
    llm = result["llm"]
    spent_in, spent_out = sum((llm.get("input_tokens") or {}).values()), sum((llm.get("output_tokens") or {}).values())
    cost = llm.get("estimated_cost_usd")
    # The response's `llm` is what this run spent (what the metrics and `Run terminé` count); the editorial's own
    # tokens are those it was written with, by this run or, on a cache hit, by the run that cached it.
    written = "cached, written earlier" if result["cache"] == "hit" else "written"
    printer(
        f"  editorial: {editorial['backend']}{where}, cache {result['cache']} ({written} with "
        f"{editorial['input_tokens']}/{editorial['output_tokens']} tokens in/out)"
    )
    printer(
        f"  this run: {spent_in}/{spent_out} tokens in/out, cost ≈ "
        + (f"{cost:.4f} USD" if isinstance(cost, int | float) else "unknown (no price for the model)")
    )
    if result["degraded"]:
        printer("  DEGRADED: " + "; ".join(result["degraded_reasons"]))
    for failed in result["sources_failed"]:
        printer(f"  source failed: {failed['source_id']}: {failed['reason']}")
    for warning in result["source_warnings"]:
        printer(f"  source warning: {warning['source_id']}: {warning['warning'][:140]}")
    stages = ", ".join(f"{k} {v}" for k, v in result["timings_ms"].items() if k != "total")
    printer(f"  stages (ms): {stages}")


def load_payload_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_absolute():
        path = (Path.cwd() / path) if (Path.cwd() / path).exists() else REPO_ROOT / path
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RunError(f"payload file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise RunError(f"payload file {path.name} is not valid JSON: {exc}") from None
