"""Asynchronous invocations (InvocationType=Event) on the local target: Lambda's retries and on-failure record."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..envfile import EnvFile
from ..iam_requests import LOCAL_TARGET_AGENT
from ..invoke_result import InvokeResult
from .endpoints import emulator_client
from .lambda_runner import LocalLambdaError, invoke_local, resolve_version

# Lambda's defaults when the qualifier has no event invoke config.
DEFAULT_ASYNC_RETRIES = 2


def async_settings(lambda_client, function_name: str, qualifier: str) -> tuple[int, str | None]:
    """(retries after the first attempt, on-failure destination ARN or None) of the qualifier's event invoke config."""
    try:
        config = lambda_client.get_function_event_invoke_config(FunctionName=function_name, Qualifier=qualifier)
    except lambda_client.exceptions.ResourceNotFoundException:
        return DEFAULT_ASYNC_RETRIES, None
    destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return int(config.get("MaximumRetryAttempts", DEFAULT_ASYNC_RETRIES)), destination or None


def on_failure_record(
    *,
    request_id: str,
    function_arn: str,
    payload: Any,
    attempts: int,
    executed_version: str,
    error: dict,
    when: datetime | None = None,
) -> dict:
    """The record Lambda sends to an on-failure destination once an asynchronous invocation's retries are exhausted."""
    when = when or datetime.now(UTC)
    return {
        "version": "1.0",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": executed_version, "functionError": "Unhandled"},
        "responsePayload": {key: error[key] for key in ("errorMessage", "errorType", "stackTrace") if key in error},
    }


def send_to_destination(env: EnvFile, destination_arn: str, record: dict) -> None:
    """Deliver an on-failure record to its destination; the local target supports SQS queues."""
    parts = destination_arn.split(":")
    if len(parts) < 6 or parts[2] != "sqs":
        raise LocalLambdaError(f"the local target delivers failures to SQS queues only, not to {destination_arn}")
    sqs = emulator_client(env, "sqs", region=parts[3], agent=LOCAL_TARGET_AGENT)
    queue_url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))


def invoke_local_async(
    env: EnvFile,
    qualifier: str,
    payload: Any,
    *,
    printer: Callable[[str], None] = print,
    cache_dir: Path | None = None,
    runtime_dir: Path | None = None,
) -> InvokeResult:
    """Invoke like `InvocationType=Event`: run, retry a failure as the event invoke config says, then deliver the
    failure to the on-failure destination with Lambda's record.

    Lambda answers 202 at once and retries after about one and then two minutes; the local target runs every
    attempt before answering, back to back, so a test or an operator sees the outcome straight away. The
    answer is the 202 with the last attempt's logs.
    """
    lambda_client = emulator_client(env, "lambda", agent=LOCAL_TARGET_AGENT)
    retries, destination = async_settings(lambda_client, env.function_name, qualifier)
    request_id = str(uuid.uuid4())  # one request id for every attempt, as Lambda keeps it across retries
    attempts = 0
    result: InvokeResult | None = None
    while attempts <= retries:
        attempts += 1
        result = invoke_local(
            env,
            qualifier,
            payload,
            printer=printer,
            cache_dir=cache_dir,
            runtime_dir=runtime_dir,
            request_id=request_id,
        )
        if result.succeeded:
            break
    assert result is not None
    if not result.succeeded and destination:
        config = resolve_version(lambda_client, env.function_name, qualifier)
        unqualified_arn = ":".join(config["FunctionArn"].split(":")[:7])
        record = on_failure_record(
            request_id=request_id,
            function_arn=f"{unqualified_arn}:{qualifier}",
            payload=payload,
            attempts=attempts,
            executed_version=result.executed_version,
            error=result.payload if isinstance(result.payload, dict) else {"errorMessage": str(result.payload)},
        )
        send_to_destination(env, destination, record)
        printer(f"invocation {request_id} failed {attempts} time(s); its record went to {destination}")
    return InvokeResult(
        status_code=202,
        function_error=None,
        payload=None,
        log_text=result.log_text,
        duration_ms=result.duration_ms,
        request_id=request_id,
        executed_version=result.executed_version,
        log_stream=result.log_stream,
    )
