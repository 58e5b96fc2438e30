"""Lambda's own invocations of a function version, through its API: what the AWS target runs.

`invoke_aws` reads the 4 KB log tail Lambda returns and, when it misses lines, the invocation's lines from
CloudWatch; `invoke_aws_async` queues an event as a schedule does. Release modules invoke through
`toolkit.invoker.invoke_function`, which asks the environment's target.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any

from .cloudwatch import fetch_invocation_logs, now_ms
from .envfile import EnvFile
from .invoke_result import InvokeResult, decode_payload

_REPORT_DURATION = re.compile(r"^REPORT RequestId: (\S+)\s+Duration: ([\d.]+) ms", re.MULTILINE)


def invoke_aws_async(env: EnvFile, qualifier: str, payload: dict, *, lambda_client) -> InvokeResult:
    """`lambda.invoke` with `InvocationType="Event"`: Lambda queues the event and answers 202."""
    response = lambda_client.invoke(
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


def invoke_aws(
    env: EnvFile, qualifier: str, payload: dict, *, logs_client: Callable[[], Any], lambda_client=None
) -> InvokeResult:
    """`lambda.invoke` with `LogType="Tail"`; when the 4 KB tail misses lines, read them from CloudWatch through
    the client `logs_client()` makes (only then: the tail holds the whole invocation most of the time)."""
    client = lambda_client or invoke_client(env)
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
        full = fetch_invocation_logs(logs_client(), env.log_group, request_id, start_ms=started_ms)
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


def invoke_client(env: EnvFile):
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
