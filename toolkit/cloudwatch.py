"""CloudWatch Logs for the function, read through a logs client: its events page by page, one invocation's lines.

Reading polls `filter_log_events` (with paging) rather than `start_live_tail`, which the emulator lacks, so the
same code serves AWS and the embedded default. Tailing the log group (`invoke logs`) is `toolkit.log_tail`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import ToolkitError

_SINCE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class LogsError(ToolkitError, RuntimeError):
    """The log group cannot be read or written."""


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    stream: str
    message: str
    event_id: str = ""

    def format(self) -> str:
        """`aws logs tail`'s detailed format: time, stream, message."""
        moment = datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)
        return f"{moment.isoformat(timespec='milliseconds')} {self.stream} {self.message.rstrip()}"


def parse_since(text: str) -> int:
    """`30s`, `10m`, `2h`, `1d` or `1w` → milliseconds."""
    match = _SINCE.match(text or "")
    if not match:
        raise ValueError(f"cannot read duration {text!r}: use a number and a unit, e.g. 30s, 10m, 2h, 1d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)] * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


# --- reading --------------------------------------------------------------------------------------------------


def filter_events(
    logs_client,
    log_group: str,
    *,
    start_ms: int,
    end_ms: int | None = None,
    filter_pattern: str | None = None,
) -> Iterator[LogEvent]:
    """Every matching event since `start_ms`, following `nextToken` through all pages."""
    request = {"logGroupName": log_group, "startTime": start_ms}
    if end_ms is not None:
        request["endTime"] = end_ms
    if filter_pattern:
        request["filterPattern"] = filter_pattern
    while True:
        try:
            page = logs_client.filter_log_events(**request)
        except logs_client.exceptions.ResourceNotFoundException:
            raise LogsError(
                f"log group {log_group} does not exist: run `invoke tf.apply` first (it creates it)"
            ) from None
        for event in page.get("events", []):
            yield LogEvent(event["timestamp"], event["logStreamName"], event["message"], event.get("eventId", ""))
        token = page.get("nextToken")
        if not token or token == request.get("nextToken"):
            return
        request["nextToken"] = token


def fetch_invocation_logs(
    logs_client,
    log_group: str,
    request_id: str,
    *,
    start_ms: int,
    wait_seconds: float = 30.0,
    poll_seconds: float = 1.0,
) -> str:
    """All log lines of one invocation, from its START line to its REPORT line.

    Finds the stream through the request id (START/END/REPORT carry it), then reads that stream between the
    invocation's START and REPORT, so lines that do not mention the request id are included too. Waits up to
    `wait_seconds` for CloudWatch to ingest the REPORT line.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        matches = list(
            filter_events(logs_client, log_group, start_ms=start_ms - 1000, filter_pattern=f'"{request_id}"')
        )
        start = next((e for e in matches if e.message.startswith("START RequestId: " + request_id)), None)
        report = next((e for e in matches if e.message.startswith("REPORT RequestId: " + request_id)), None)
        if start and report:
            lines = _stream_between(logs_client, log_group, start.stream, start.timestamp_ms, report.timestamp_ms)
            return "\n".join(lines)
        if time.monotonic() >= deadline:
            found = "\n".join(e.message.rstrip() for e in matches)
            return found
        time.sleep(poll_seconds)


def _stream_between(logs_client, log_group: str, stream: str, first_ms: int, last_ms: int) -> list[str]:
    lines: list[str] = []
    request = {
        "logGroupName": log_group,
        "logStreamName": stream,
        "startTime": first_ms,
        "endTime": last_ms + 1,
        "startFromHead": True,
    }
    # GetLogEvents can answer an empty page before the stream's end; only a forward token equal to the one
    # sent means there is nothing more (as AWS documents), so empty pages do not stop the reading.
    while True:
        page = logs_client.get_log_events(**request)
        lines.extend(event["message"].rstrip("\n") for event in page.get("events", []))
        token = page.get("nextForwardToken")
        if not token or token == request.get("nextToken"):
            return lines
        request["nextToken"] = token
