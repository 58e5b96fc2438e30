"""Runs delivered by the fleet's queue: an SQS event source mapping hands the function a batch of records, each
the payload a client's schedule put on the queue. Each record is run as its own invocation would be, and the ones
that failed are reported as batch item failures, so SQS delivers only those again and, after the queue's
maxReceiveCount, keeps them in the dead-letter queue (terraform/modules/fleet_fanout).

Lambda's partial batch responses: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .logs import log_event

# Errors no redelivery will heal are still reported failed: the dead-letter queue is where an operator sees them.
FAILED_STATUSES = ("error",)


def sqs_records(event: Any) -> list[dict[str, Any]] | None:
    """The SQS records of an event source mapping's batch; None when the event is a direct invocation."""
    if not isinstance(event, dict) or not isinstance(event.get("Records"), list) or not event["Records"]:
        return None
    records = event["Records"]
    if not all(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records):
        return None
    return records


def run_batch(records: list[dict[str, Any]], run_one: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Run each record's payload; answer the failed ones' message ids as `batchItemFailures`."""
    failures = []
    for record in records:
        message_id = str(record.get("messageId", ""))
        try:
            payload = json.loads(record.get("body") or "")
        except ValueError:
            log_event("Message de file illisible", level="ERROR", message_id=message_id)
            failures.append(message_id)
            continue
        try:
            response = run_one(payload)
        except Exception as exc:  # one record's crash must not take the rest of the batch with it
            log_event(
                "Run de la file en échec", level="ERROR", message_id=message_id, error=f"{type(exc).__name__}: {exc}"
            )
            failures.append(message_id)
            continue
        if not isinstance(response, dict) or response.get("status") in FAILED_STATUSES:
            failures.append(message_id)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}
