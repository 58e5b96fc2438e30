"""The local target's CloudWatch Logs: write each local run's lines to the function's log group, as Lambda does.

The release toolkit reads them back with the same code it uses on AWS (`toolkit.cloudwatch`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

# PutLogEvents quotas: 10,000 events and 1,048,576 bytes per call, each event counting 26 bytes of overhead,
# and 256 KiB per event.
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_EVENT_BYTES = 262_144 - EVENT_OVERHEAD_BYTES


def ensure_log_group(logs_client, log_group: str) -> None:
    """Create the group if missing, as Lambda does on a function's first run."""
    try:
        logs_client.create_log_group(logGroupName=log_group)
    except logs_client.exceptions.ResourceAlreadyExistsException:
        pass


def write_events(logs_client, log_group: str, stream: str, events: Iterable[tuple[int, str]]) -> int:
    """Write (timestamp ms, message) events to a new stream, in chronological order and within the quotas."""
    ensure_log_group(logs_client, log_group)
    logs_client.create_log_stream(logGroupName=log_group, logStreamName=stream)
    ordered = sorted(((ts, _clip(message)) for ts, message in events), key=lambda item: item[0])
    written = 0
    for batch in _batches(ordered):
        logs_client.put_log_events(
            logGroupName=log_group,
            logStreamName=stream,
            logEvents=[{"timestamp": ts, "message": message} for ts, message in batch],
        )
        written += len(batch)
    return written


def _clip(message: str) -> str:
    message = message or " "  # CloudWatch refuses empty messages
    encoded = message.encode("utf-8")
    if len(encoded) <= MAX_EVENT_BYTES:
        return message
    return encoded[: MAX_EVENT_BYTES - 16].decode("utf-8", errors="ignore") + " [truncated]"


def _batches(events: list[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    size = 0
    for ts, message in events:
        event_size = len(message.encode("utf-8")) + EVENT_OVERHEAD_BYTES
        # A batch must also span less than 24 hours; one invocation never does (Lambda's limit is 15 minutes).
        if batch and (len(batch) >= MAX_BATCH_EVENTS or size + event_size > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((ts, message))
        size += event_size
    if batch:
        yield batch
