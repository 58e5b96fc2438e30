"""The fleet's event source mapping, played on this machine: the emulator keeps the run queue and the mapping
(Terraform creates both) but cannot run the function, so its mapping stays disabled and this poller does its job.

Like Lambda's SQS poller it reads the mapping's own settings (batch size, maximum concurrency) from the emulator,
receives batches, hands each to the function as an SQS event, deletes the records that succeeded and leaves the
failed ones to be delivered again; after the queue's maxReceiveCount the emulator moves them to the dead-letter
queue, as SQS does. Where Lambda would wait for the queue's visibility timeout (six times the function timeout)
before a redelivery, this poller makes a failed record visible again after `retry_after_s`, so a local run ends
in minutes, not hours.

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html (maximum concurrency),
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html (partial batch responses).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from ..envfile import EnvFile
from ..errors import ToolkitError
from .endpoints import emulator_client


class QueueRunnerError(ToolkitError, RuntimeError):
    """The run queue or its mapping is missing."""


@dataclass(frozen=True)
class Mapping:
    queue_url: str
    queue_arn: str
    batch_size: int
    maximum_concurrency: int


@dataclass
class Delivery:
    message_id: str
    client_id: str
    started: float
    ended: float = 0.0
    failed: bool = False
    error: str = ""


@dataclass
class Report:
    deliveries: list[Delivery] = field(default_factory=list)
    peak_concurrency: int = 0

    @property
    def first_start(self) -> float:
        return min((d.started for d in self.deliveries), default=0.0)

    @property
    def last_end(self) -> float:
        return max((d.ended for d in self.deliveries), default=0.0)


def run_queue_name(env: EnvFile) -> str:
    return f"{env.function_name}-runs"


def fleet_mapping(env: EnvFile) -> Mapping:
    """The run queue and the mapping Terraform made for it, as the emulator holds them."""
    sqs, lambda_client = emulator_client(env, "sqs"), emulator_client(env, "lambda")
    try:
        url = sqs.get_queue_url(QueueName=run_queue_name(env))["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        raise QueueRunnerError(f"no run queue {run_queue_name(env)}: run `invoke tf.apply` first") from None
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mappings = lambda_client.list_event_source_mappings(EventSourceArn=arn).get("EventSourceMappings", [])
    if not mappings:
        raise QueueRunnerError(f"no event source mapping reads {run_queue_name(env)}: run `invoke tf.apply` first")
    mapping = mappings[0]
    concurrency = int((mapping.get("ScalingConfig") or {}).get("MaximumConcurrency") or 1000)
    return Mapping(url, arn, int(mapping.get("BatchSize") or 1), concurrency)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller hands the function (one record per message)."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def poll(
    env: EnvFile,
    invoke: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    expected: int,
    mapping: Mapping | None = None,
    idle_stop_s: float = 5.0,
    retry_after_s: int = 2,
    client_of: Callable[[str], str] = lambda body: "",
) -> Report:
    """Deliver the queue's runs to `invoke(event)` with the mapping's concurrency until `expected` deliveries
    succeeded or ended in the dead-letter queue, or nothing arrived for `idle_stop_s`."""
    mapping = mapping or fleet_mapping(env)
    sqs = emulator_client(env, "sqs")
    report = Report()
    lock = threading.Lock()
    running: set[Future] = set()
    settled = 0
    idle_since = time.monotonic()

    def deliver(messages: list[dict[str, Any]]) -> None:
        deliveries = [Delivery(m["MessageId"], client_of(m["Body"]), time.monotonic()) for m in messages]
        try:
            response = invoke(sqs_event(messages, mapping.queue_arn, env.aws_region))
            failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        except Exception as exc:  # a crashed invocation fails its whole batch, as on Lambda
            failed, error = {m["MessageId"] for m in messages}, f"{type(exc).__name__}: {exc}"
        else:
            error = ""
        now = time.monotonic()
        for message, delivery in zip(messages, deliveries, strict=True):
            delivery.ended, delivery.failed = now, message["MessageId"] in failed
            delivery.error = error if delivery.failed else ""
            if delivery.failed:
                sqs.change_message_visibility(
                    QueueUrl=mapping.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=retry_after_s
                )
            else:
                sqs.delete_message(QueueUrl=mapping.queue_url, ReceiptHandle=message["ReceiptHandle"])
        with lock:
            report.deliveries += deliveries

    def dead_letters() -> int:
        attributes = sqs.get_queue_attributes(QueueUrl=mapping.queue_url, AttributeNames=["RedrivePolicy"])
        policy = attributes["Attributes"].get("RedrivePolicy")
        if not policy:
            return 0
        import json

        dlq_name = json.loads(policy)["deadLetterTargetArn"].rsplit(":", 1)[1]
        dlq_url = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
        counts = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(counts["Attributes"]["ApproximateNumberOfMessages"])

    with ThreadPoolExecutor(max_workers=mapping.maximum_concurrency) as pool:
        while True:
            with lock:
                settled = sum(1 for d in report.deliveries if not d.failed)
            if settled + dead_letters() >= expected and not running:
                break
            room = mapping.maximum_concurrency - len(running)
            if room > 0:
                messages = sqs.receive_message(
                    QueueUrl=mapping.queue_url,
                    MaxNumberOfMessages=min(10, room * mapping.batch_size),
                    WaitTimeSeconds=0,
                    AttributeNames=["All"],
                ).get("Messages", [])
                for start in range(0, len(messages), mapping.batch_size):
                    running.add(pool.submit(deliver, messages[start : start + mapping.batch_size]))
                if messages:
                    idle_since = time.monotonic()
                report.peak_concurrency = max(report.peak_concurrency, len(running))
            if not running and time.monotonic() - idle_since > idle_stop_s:
                break
            if running:
                done, _ = wait(running, timeout=0.2 if room > 0 else None, return_when=FIRST_COMPLETED)
                running -= done
                for future in done:
                    future.result()
            else:
                time.sleep(0.2)
    return report
