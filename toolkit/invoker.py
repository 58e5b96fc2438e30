"""One way to invoke a function version, whatever the target: Lambda itself, or the local target on the emulator.

Smoke tests, deploys and rollbacks call `invoke_function` and read the same Lambda-shaped `InvokeResult` either
way, so they run the same code against AWS and against the embedded default.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable

from .cloudwatch import fetch_invocation_logs, now_ms
from .envfile import EnvFile
from .invoke_result import InvokeResult, decode_payload
from .services import boto3_client

_REPORT_DURATION = re.compile(r"^REPORT RequestId: (\S+)\s+Duration: ([\d.]+) ms", re.MULTILINE)


def invoke_function(
    env: EnvFile,
    qualifier: str,
    payload: dict,
    *,
    printer: Callable[[str], None] = print,
    invocation_type: str = "RequestResponse",
) -> InvokeResult:
    """Invoke `qualifier` (an alias or a version number) of the environment's function.

    `invocation_type="Event"` invokes as a schedule does: asynchronously, with the alias's retries and on-failure
    destination; the result is Lambda's 202 acknowledgement.
    """
    if invocation_type not in ("RequestResponse", "Event"):
        raise ValueError(f"invocation type is RequestResponse or Event, not {invocation_type!r}")
    if env.emulator:
        from .local_target import invoke_local, invoke_local_async

        if invocation_type == "Event":
            return invoke_local_async(env, qualifier, payload, printer=printer)
        return invoke_local(env, qualifier, payload, printer=printer)
    if invocation_type == "Event":
        return invoke_aws_async(env, qualifier, payload)
    return invoke_aws(env, qualifier, payload)


def invoke_aws_async(env: EnvFile, qualifier: str, payload: dict, *, lambda_client=None) -> InvokeResult:
    """`lambda.invoke` with `InvocationType="Event"`: Lambda queues the event and answers 202."""
    client = lambda_client or boto3_client(env, "lambda")
    response = client.invoke(
        FunctionName=env.function_name,
        Qualifier=qualifier,
        InvocationType="Event",
        Payload=json.dumps(payload).encode(),
    )
    return InvokeResult(
        status_code=response["StatusCode"],
        function_error=None,
        payload=None,
        log_text="",
        duration_ms=0.0,
        request_id=response["ResponseMetadata"].get("RequestId", ""),
    )


def invoke_aws(env: EnvFile, qualifier: str, payload: dict, *, lambda_client=None, logs_client=None) -> InvokeResult:
    """`lambda.invoke` with `LogType="Tail"`; when the 4 KB tail misses lines, read them from CloudWatch."""
    client = lambda_client or _invoke_client(env)
    started_ms = now_ms()
    started = time.perf_counter()
    response = client.invoke(
        FunctionName=env.function_name,
        Qualifier=qualifier,
        InvocationType="RequestResponse",
        LogType="Tail",
        Payload=json.dumps(payload).encode(),
    )
    wall_ms = (time.perf_counter() - started) * 1000
    raw = response["Payload"].read()
    request_id = response["ResponseMetadata"].get("RequestId", "")
    tail = base64.b64decode(response.get("LogResult") or b"").decode("utf-8", errors="replace")
    log_text = tail
    if request_id and f"START RequestId: {request_id}" not in tail:
        full = fetch_invocation_logs(
            logs_client or boto3_client(env, "logs"), env.log_group, request_id, start_ms=started_ms
        )
        if f"START RequestId: {request_id}" in full:
            log_text = full
    return InvokeResult(
        status_code=response["StatusCode"],
        function_error=response.get("FunctionError"),
        payload=decode_payload(raw),
        log_text=log_text,
        duration_ms=report_duration_ms(log_text, request_id) or wall_ms,
        request_id=request_id,
        executed_version=response.get("ExecutedVersion", ""),
    )


def report_duration_ms(log_text: str, request_id: str) -> float | None:
    """The Duration of the invocation's REPORT line, as Lambda measured it."""
    for match in _REPORT_DURATION.finditer(log_text):
        if match.group(1) == request_id:
            return float(match.group(2))
    return None


def _invoke_client(env: EnvFile):
    """A Lambda client for synchronous invokes: reads wait for the function's timeout and never retry.

    A retried invoke would run the function a second time; botocore's default 60 s read timeout would cut
    off any run longer than a minute.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        read_timeout=env.timeout + 60,
        connect_timeout=10,
        retries={"total_max_attempts": 1},
        tcp_keepalive=True,
    )
    return boto3.client("lambda", region_name=env.aws_region, config=config)
