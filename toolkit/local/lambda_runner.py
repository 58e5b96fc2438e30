"""The local runner: run a published function version the way Lambda would, for the local target (emulator envs).

The emulator stores functions but cannot run them (no Docker here). So the toolkit does: it resolves the
qualifier to a version with `get_function_configuration`, takes that version's CodeSha256, environment,
timeout and memory, fetches the exact zip from the artifacts bucket (keyed by the zip's sha256, since the
emulator's `Code.Location` cannot be downloaded), unpacks it once under `.local/functions/<sha256>/`, and runs
the handler in a fresh interpreter (`lambda_bootstrap.py`) with a Lambda-shaped context, the timeout enforced
and Lambda's log lines, which it writes to the function's log group in the emulator.

Fidelity, and where it stops:
- Execution environments are kept warm and reused for the next invocation of the same version, as on Lambda
  (`toolkit.local.warm`); `VECTORA_LAMBDA_COLD=1` makes every invocation a cold start in a new process group.
  Either way the process group is killed at the deadline, and a timed-out environment is not reused. The
  deadline of a cold start counts from the process start, so the init phase eats into the timeout (Lambda gives
  init its own budget).
- The function sees its zip, then the runtime's packages (boto3 and its closure, linked from the toolkit's own
  installation), then the standard library: a dependency missing from the zip fails here as on Lambda.
- Memory is not capped while the function runs; a peak above the configured size is reported afterwards as
  `Runtime.OutOfMemory`, the error Lambda would have raised.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vectora_core.layout import artifact_key

from ..envfile import EnvFile
from ..errors import ToolkitError
from ..iam_requests import LOCAL_TARGET_AGENT, note
from ..invoke_result import InvokeResult, decode_payload
from . import warm
from .endpoints import emulator_client, emulator_environment
from .interpreter import select_interpreter
from .log_writer import write_events
from .services import STATE_DIR

FUNCTIONS_DIR = STATE_DIR / "functions"
RUNTIME_DIR = STATE_DIR / "lambda-runtime"
BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
# What the Lambda Python runtime provides besides the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# Unpacked versions kept under FUNCTIONS_DIR; older ones are unpacked again from the bucket when needed.
KEEP_UNPACKED = 10
# Grace for the interpreter to flush and exit after its result, before the process group is killed anyway.
EXIT_GRACE_SECONDS = 5.0


class LocalLambdaError(ToolkitError, RuntimeError):
    """The local target cannot find or prepare the function version."""


@dataclass
class LocalRun:
    """One run of a handler in a subprocess, with Lambda's log lines."""

    request_id: str
    events: list[tuple[int, str]]  # (epoch ms, message), START to REPORT
    payload_text: str | None
    error: dict | None  # Lambda's error object when the function failed
    duration_ms: float
    init_ms: float
    max_memory_mb: int
    timed_out: bool = False
    exit_code: int | None = None

    @property
    def log_text(self) -> str:
        return "\n".join(message for _, message in self.events)


# --- the version and its code ---------------------------------------------------------------------------------


def resolve_version(lambda_client, function_name: str, qualifier: str) -> dict:
    """The configuration of the version `qualifier` names (an alias resolves to its version)."""
    try:
        return lambda_client.get_function_configuration(FunctionName=function_name, Qualifier=qualifier)
    except lambda_client.exceptions.ResourceNotFoundException:
        if str(qualifier).isdigit():
            raise LocalLambdaError(
                f"{function_name} has no version {qualifier}: `invoke versions` lists them"
            ) from None
        raise LocalLambdaError(
            f"{function_name} has no alias {qualifier!r}: run `invoke tf.apply` first (it creates the function and its alias)"
        ) from None


def code_sha256_to_hex(code_sha256: str) -> str:
    return base64.b64decode(code_sha256).hex()


def fetch_code(s3_client, bucket: str, function_name: str, code_sha256: str, cache_dir: Path | None = None) -> Path:
    """The unpacked zip whose sha256 Lambda reports as `code_sha256`, cached under `<cache_dir>/<sha256>/`."""
    sha_hex = code_sha256_to_hex(code_sha256)
    cache_dir = Path(cache_dir or FUNCTIONS_DIR)
    target = cache_dir / sha_hex
    if target.is_dir():
        os.utime(target)  # most recently used: kept by the pruning below
        return target
    body = _download_zip(s3_client, bucket, function_name, sha_hex, code_sha256)
    if hashlib.sha256(body).hexdigest() != sha_hex:
        raise LocalLambdaError(f"the artifact for sha256 {sha_hex[:12]}… in s3://{bucket} does not match its hash")
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{sha_hex[:12]}-", dir=cache_dir))
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            archive.extractall(staging)  # extractall drops absolute paths and `..` parts
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # another invocation unpacked it first: theirs is identical
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(cache_dir, keep=KEEP_UNPACKED)
    return target


def _prune(cache_dir: Path, keep: int) -> None:
    """Remove all but the `keep` most recently used unpacked versions; the zips stay in the bucket."""
    unpacked = [path for path in cache_dir.iterdir() if path.is_dir() and not path.name.startswith(".")]
    unpacked.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    for stale in unpacked[keep:]:
        shutil.rmtree(stale, ignore_errors=True)


def _download_zip(s3_client, bucket: str, function_name: str, sha_hex: str, code_sha256: str) -> bytes:
    key = artifact_key(function_name, sha_hex)
    try:
        return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3_client.exceptions.NoSuchKey:
        pass
    except s3_client.exceptions.NoSuchBucket:
        raise LocalLambdaError(f"artifacts bucket {bucket} does not exist (run terraform apply first)") from None
    # Fall back to any object under the function's prefix whose metadata names this code.
    paginator = s3_client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{function_name}/"):
        for item in page.get("Contents", []):
            if not item["Key"].endswith(".zip"):
                continue
            head = s3_client.head_object(Bucket=bucket, Key=item["Key"])
            if head.get("Metadata", {}).get("code-sha256") == code_sha256:
                return s3_client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    raise LocalLambdaError(
        f"no artifact for CodeSha256 {code_sha256} in s3://{bucket}/{function_name}/: "
        "the local target runs only code uploaded through the artifacts bucket (invoke deploy does this)"
    )


def runtime_packages_dir(root: Path | None = None) -> Path:
    """A directory holding only the runtime's packages, linked from the toolkit's installation."""
    root = Path(root or RUNTIME_DIR)
    wanted = {}
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise LocalLambdaError(f"{name} is not installed beside the toolkit; the local target needs it")
        if spec.submodule_search_locations:
            source = Path(list(spec.submodule_search_locations)[0])
        else:
            source = Path(spec.origin)
        wanted[source.name] = source.resolve()
    current = {}
    if root.is_dir():
        current = {link.name: link.resolve() for link in root.iterdir() if link.is_symlink()}
    if current == wanted:
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".runtime-", dir=root.parent))
    for name, source in wanted.items():
        (staging / name).symlink_to(source)
    shutil.rmtree(root, ignore_errors=True)
    try:
        staging.rename(root)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return root


# --- running one invocation -----------------------------------------------------------------------------------


def log_stream_name(version: str, when: datetime | None = None) -> str:
    """Lambda's stream naming: `YYYY/MM/DD/[version]<32 hex>`."""
    when = when or datetime.now(UTC)
    return f"{when:%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


def run_handler(
    code_dir: Path,
    handler: str,
    event: Any,
    *,
    context: dict[str, Any],
    environment: dict[str, str],
    timeout_s: int,
    memory_mb: int,
    interpreter: str,
    runtime_dirs: list[Path],
) -> LocalRun:
    """Run `handler` from `code_dir` on `event` in a fresh interpreter; enforce the timeout.

    `context` holds the context object's fields (aws_request_id, function_name, function_version,
    invoked_function_arn, memory_limit_in_mb, log_group_name, log_stream_name). `environment` is the whole
    process environment.
    """
    request_id = context["aws_request_id"]
    version = context["function_version"]
    with tempfile.TemporaryDirectory(prefix="vectora-lambda-") as scratch:
        scratch_dir = Path(scratch)
        result_path = scratch_dir / "result.json"
        tmp_dir = scratch_dir / "tmp"  # the function's own /tmp: empty at each cold start
        tmp_dir.mkdir()
        started_ms = time.time() * 1000
        deadline_ms = started_ms + timeout_s * 1000
        spec = {
            "code_dir": str(code_dir),
            "runtime_dirs": [str(path) for path in runtime_dirs],
            "handler": handler,
            "event": event,
            "context": context,
            "deadline_ms": deadline_ms,
            "result_path": str(result_path),
        }
        spec_path = scratch_dir / "spec.json"
        spec_path.write_text(json.dumps(spec))
        events: list[tuple[int, str]] = [(int(started_ms), f"START RequestId: {request_id} Version: {version}")]
        process = subprocess.Popen(
            [interpreter, "-I", "-S", "-u", "-X", "utf8", str(BOOTSTRAP), str(spec_path)],
            cwd=code_dir,
            env={**environment, "TMPDIR": str(tmp_dir)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed whole at the deadline
        )
        reader = threading.Thread(target=_read_lines, args=(process.stdout, events), daemon=True)
        reader.start()
        exit_status, max_rss_kb, timed_out = _wait(process, deadline_ms)
        reader.join(EXIT_GRACE_SECONDS)
        ended_ms = time.time() * 1000
        result = _read_result(result_path)

    init_ms = (result["init_done_ms"] - started_ms) if result and result.get("init_done_ms") else None
    return _finish(
        request_id,
        events,
        result,
        started_ms=started_ms,
        ended_ms=ended_ms,
        init_ms=init_ms if init_ms is not None else ended_ms - started_ms,
        timed_out=timed_out,
        exit_status=exit_status,
        max_rss_kb=max_rss_kb,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
    )


def _finish(
    request_id: str,
    events: list[tuple[int, str]],
    result: dict | None,
    *,
    started_ms: float,
    ended_ms: float,
    init_ms: float | None,
    timed_out: bool,
    exit_status: int | None,
    max_rss_kb: int,
    timeout_s: int,
    memory_mb: int,
) -> LocalRun:
    """The run's outcome in Lambda's terms: its error, if any, and the END and REPORT lines. `init_ms` is None for
    a warm invocation, whose REPORT line has no Init Duration, as on Lambda."""
    duration_ms = result["duration_ms"] if result else max(0.0, ended_ms - started_ms - (init_ms or 0.0))
    max_memory_mb = math.ceil(max(max_rss_kb / 1024, (result or {}).get("max_memory_mb", 0)))
    error = None
    payload_text = None
    if timed_out:
        duration_ms = timeout_s * 1000.0
        moment = datetime.fromtimestamp(ended_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        events.append((int(ended_ms), f"{moment[:-4]}Z {request_id} Task timed out after {timeout_s:.2f} seconds"))
        error = {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds",
        }
    elif result is None:
        status = exit_status if exit_status is not None else -signal.SIGKILL
        reason = f"signal: {signal.Signals(-status).name}" if status < 0 else f"exit status {status}"
        message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
        events.append((int(ended_ms), message))
        error = {"errorType": "Runtime.ExitError", "errorMessage": message}
    elif result.get("error"):
        error = {**result["error"], "requestId": request_id}
    elif max_memory_mb > memory_mb:
        message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
        events.append((int(ended_ms), message))
        error = {"errorType": "Runtime.OutOfMemory", "errorMessage": message}
    else:
        payload_text = result["payload"]

    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {math.ceil(duration_ms)} ms"
        f"\tMemory Size: {memory_mb} MB\tMax Memory Used: {max_memory_mb} MB"
    )
    if init_ms is not None:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    if timed_out:
        report += "\tStatus: timeout"
    end_ms = max(int(ended_ms), max(ts for ts, _ in events))
    events.append((end_ms, f"END RequestId: {request_id}"))
    events.append((end_ms, report))
    return LocalRun(
        request_id=request_id,
        events=events,
        payload_text=payload_text,
        error=error,
        duration_ms=duration_ms,
        init_ms=init_ms or 0.0,
        max_memory_mb=max_memory_mb,
        timed_out=timed_out,
        exit_code=exit_status,
    )


def _read_lines(stream, events: list[tuple[int, str]]) -> None:
    # Lambda timestamps each line when the runtime emits it; so does this reader.
    for raw in iter(stream.readline, b""):
        events.append((int(time.time() * 1000), raw.decode("utf-8", errors="replace").rstrip("\r\n")))
    stream.close()


def _wait(process: subprocess.Popen, deadline_ms: float) -> tuple[int, int, bool]:
    """Wait for the process by the deadline (killing its group past it); (exit status, peak RSS KiB, timed out).

    The group is killed (it ends anything the function left running) before the process is reaped: once reaped, its
    pid may be reused by another process on a busy machine, and a group kill by that number would hit it."""
    exited = threading.Event()

    def wait_unreaped() -> None:
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        exited.set()

    waiter = threading.Thread(target=wait_unreaped, daemon=True)
    waiter.start()
    try:
        exited.wait(max(0.0, deadline_ms / 1000 - time.time()))
    except BaseException:  # Ctrl-C: the function runs in its own session and would outlive the toolkit
        _kill_group(process.pid)
        raise
    timed_out = not exited.is_set()
    _kill_group(process.pid)  # the pid is still ours: the process is a zombie until reaped below
    _, status, usage = os.wait4(process.pid, 0)
    waiter.join()
    max_rss_kb = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting on a recycled pid
    return process.returncode, max_rss_kb, timed_out


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_result(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


# --- the Lambda-shaped invocation -----------------------------------------------------------------------------


def function_environment(
    env: EnvFile, config: dict, context: dict[str, Any], code_dir: Path, runtime_dir: Path
) -> dict:
    """The process environment Lambda would give this version, pointed at the emulator and the stand-in."""
    base = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        # No shared config or credentials files: a function reads only its environment, as on Lambda.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    reserved = {
        "_HANDLER": config.get("Handler", env.handler),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.get('Runtime', env.runtime)}",
        "AWS_LAMBDA_FUNCTION_NAME": context["function_name"],
        "AWS_LAMBDA_FUNCTION_VERSION": context["function_version"],
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(context["memory_limit_in_mb"]),
        "AWS_LAMBDA_LOG_GROUP_NAME": context["log_group_name"],
        "AWS_LAMBDA_LOG_STREAM_NAME": context["log_stream_name"],
        "AWS_REGION": env.aws_region,
        "AWS_DEFAULT_REGION": env.aws_region,
        "LAMBDA_TASK_ROOT": str(code_dir),
        "LAMBDA_RUNTIME_DIR": str(runtime_dir),
    }
    variables = (config.get("Environment") or {}).get("Variables") or {}
    return {**base, **variables, **emulator_environment(env), **reserved}


def invoke_local(
    env: EnvFile,
    qualifier: str,
    payload: Any,
    *,
    printer: Callable[[str], None] = print,
    cache_dir: Path | None = None,
    runtime_dir: Path | None = None,
    request_id: str | None = None,
) -> InvokeResult:
    """Invoke the version `qualifier` resolves to, on this machine, against the emulator: in the version's warm
    execution environment when one is free, else in a new one (a cold start)."""
    # What the caller needs on AWS (lambda:InvokeFunction); what follows is the Lambda service's own work.
    note("lambda", "Invoke", {"FunctionName": env.function_name, "Qualifier": qualifier}, env.aws_region)
    lambda_client = emulator_client(env, "lambda", agent=LOCAL_TARGET_AGENT)
    config = resolve_version(lambda_client, env.function_name, qualifier)
    version = config["Version"]
    code_dir = fetch_code(
        emulator_client(env, "s3", agent=LOCAL_TARGET_AGENT),
        env.artifacts_bucket,
        env.function_name,
        config["CodeSha256"],
        cache_dir,
    )
    runtime_dir = runtime_packages_dir(runtime_dir)
    stream = log_stream_name(version)
    unqualified_arn = ":".join(config["FunctionArn"].split(":")[:7])
    context = {
        "aws_request_id": request_id or str(uuid.uuid4()),
        "function_name": config.get("FunctionName", env.function_name),
        "function_version": version,
        "invoked_function_arn": f"{unqualified_arn}:{qualifier}",
        "memory_limit_in_mb": int(config.get("MemorySize", env.memory_size)),
        "log_group_name": env.log_group,
        "log_stream_name": stream,
    }
    options = {
        "context": context,
        "environment": function_environment(env, config, context, code_dir, runtime_dir),
        "timeout_s": int(config.get("Timeout", env.timeout)),
        "memory_mb": context["memory_limit_in_mb"],
        "interpreter": select_interpreter(config.get("Runtime", env.runtime), printer),
        "runtime_dirs": [runtime_dir],
    }
    handler = config.get("Handler", env.handler)
    idle_s = warm.idle_seconds(env.local_services or {})
    run = None
    if idle_s > 0:
        warm_root = Path(cache_dir or FUNCTIONS_DIR).parent / "warm"
        # A function deleted and created again (an emulator reset) gets new environments: LastModified tells.
        generation = f"{config.get('FunctionArn')}@{config.get('LastModified')}"
        run = run_handler_warm(warm_root, code_dir, handler, payload, idle_s=idle_s, generation=generation, **options)
    if run is None:  # cold only, or the warm environment is busy: a new one, as Lambda scales out
        run = run_handler(code_dir, handler, payload, **options)
    write_events(emulator_client(env, "logs", agent=LOCAL_TARGET_AGENT), env.log_group, stream, run.events)
    return InvokeResult(
        status_code=200,
        function_error="Unhandled" if run.error else None,
        payload=run.error if run.error else decode_payload(run.payload_text or ""),
        log_text=run.log_text,
        duration_ms=run.duration_ms,
        request_id=run.request_id,
        executed_version=version,
        log_stream=stream,
    )


def run_handler_warm(
    root: Path,
    code_dir: Path,
    handler: str,
    event: Any,
    *,
    context: dict[str, Any],
    environment: dict[str, str],
    timeout_s: int,
    memory_mb: int,
    interpreter: str,
    runtime_dirs: list[Path],
    idle_s: int,
    generation: str = "",
) -> LocalRun | None:
    """Run the invocation in the version's warm environment (started if there is none); None when it is busy."""
    # Everything an environment is made of: a different code, configuration or emulator needs a new one.
    variable = {k: v for k, v in environment.items() if not k.startswith("AWS_LAMBDA_LOG_STREAM")}
    key = warm.fingerprint(
        generation, str(code_dir), handler, variable, timeout_s, memory_mb, interpreter, [str(d) for d in runtime_dirs]
    )
    slot = warm.Slot(root, context["function_name"], context["function_version"], key)
    request_id = context["aws_request_id"]
    with slot.claimed() as free:
        if not free:
            return None
        spec = {
            "code_dir": str(code_dir),
            "runtime_dirs": [str(path) for path in runtime_dirs],
            "handler": handler,
            "idle_s": idle_s,
        }

        def start_environment() -> dict:
            scratch = root / f"{slot.name}.tmp"  # the environment's own /tmp, kept while it is warm
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True)
            return slot.start(
                [interpreter, "-I", "-S", "-u", "-X", "utf8", str(BOOTSTRAP)],
                spec,
                {**environment, "TMPDIR": str(scratch)},
                code_dir,
            )

        state = slot.state() or start_environment()
        started_ms = time.time() * 1000
        deadline_ms = started_ms + timeout_s * 1000
        events: list[tuple[int, str]] = [
            (int(started_ms), f"START RequestId: {request_id} Version: {context['function_version']}")
        ]
        request = {"event": event, "context": context, "deadline_ms": deadline_ms}
        outcome = slot.invoke(state, request, deadline_ms)
        if outcome is None:  # it reached its idle limit as this invocation came: a new environment, a cold start
            outcome = slot.invoke(start_environment(), request, deadline_ms) or warm.WarmAnswer(None, False, False)
        ended_ms = time.time() * 1000
        answer = outcome.answer
        if answer is None:  # timed out or died: keep what it printed, then end it (it is never reused)
            events.extend(slot.journal_since(started_ms))
            slot.discard()
        elif answer.get("max_memory_mb", 0) > memory_mb:
            slot.discard()  # Lambda does not reuse an environment that ran out of memory
    result = None
    if answer is not None:
        events.extend((int(ts), text) for ts, text in answer.get("events", []))
        result = {
            "payload": answer.get("payload"),
            "error": answer.get("error"),
            "duration_ms": answer.get("duration_ms", 0.0),
            "max_memory_mb": answer.get("max_memory_mb", 0),
        }
    return _finish(
        request_id,
        events,
        result,
        started_ms=started_ms,
        ended_ms=ended_ms,
        init_ms=(answer or {}).get("init_ms"),
        timed_out=outcome.timed_out,
        exit_status=None if answer else -signal.SIGKILL,
        max_rss_kb=0,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
    )
