"""The fleet on one screen, for `invoke status`: how many clients published within their period, which ones are
degraded, missing or failed, and what the run queue holds.

- published: the client's newest edition is dated within its period (`default_period_days`, 7 for a weekly);
- degraded: that edition says so (model unavailable, throttled past patience, items normalized offline);
- missing: no edition within the period (a client never run, or whose runs stopped);
- failed: the client's runs kept in the fleet's dead-letter queue after every delivery failed (read without
  consuming them), and those in the `live` alias's on-failure queue (`invoke trigger`'s asynchronous runs).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from . import REPO_ROOT

# Up to this many clients, `invoke status` shows every client's last edition; beyond, only the ones needing a look.
DETAIL_LIMIT = 10
PEEK_ROUNDS = 10


@dataclass(frozen=True)
class FailedRun:
    client_id: str
    sent: str  # when the schedule sent the run
    deliveries: int


@dataclass
class FleetStatus:
    clients: int
    published: list[str] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: list[FailedRun] = field(default_factory=list)
    failed_elsewhere: list[str] = field(default_factory=list)  # clients with a failed asynchronous run waiting
    queued: int | None = None  # runs waiting in the run queue; None without one

    @property
    def needing_a_look(self) -> set[str]:
        return {*self.degraded, *self.missing, *(f.client_id for f in self.failed), *self.failed_elsewhere}


def client_periods(config_dir: Path | None = None) -> dict[str, int]:
    """Each client's period in days, from config/clients (7 when a file says none)."""
    import yaml

    periods = {}
    for path in sorted(Path(config_dir or REPO_ROOT / "config" / "clients").glob("*.yaml")):
        document = yaml.safe_load(path.read_text()) or {}
        if isinstance(document, dict) and isinstance(document.get("client_id"), str):
            periods[document["client_id"]] = int(document.get("default_period_days") or 7)
    return periods


def peek_queue(sqs_client, queue_url: str) -> tuple[int, list[FailedRun]]:
    """(messages waiting, the runs read from them), leaving every message in the queue (zero visibility timeout)."""
    attributes = sqs_client.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    waiting = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )
    seen: dict[str, FailedRun] = {}
    for _ in range(PEEK_ROUNDS if waiting else 0):
        messages = sqs_client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0, AttributeNames=["All"]
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        for message in fresh:
            try:
                client_id = str((json.loads(message["Body"]) or {}).get("client_id", "?"))
            except (ValueError, AttributeError):
                client_id = "(unreadable message)"
            sent_ms = int(message.get("Attributes", {}).get("SentTimestamp", 0))
            sent = datetime.fromtimestamp(sent_ms / 1000, UTC).isoformat(timespec="minutes") if sent_ms else ""
            deliveries = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 0))
            seen[message["MessageId"]] = FailedRun(client_id, sent, deliveries)
        if not fresh or len(seen) >= waiting:
            break
    return waiting, sorted(seen.values(), key=lambda f: f.sent, reverse=True)


def fleet_status(
    editions: Iterable,
    *,
    today: date,
    periods: dict[str, int],
    failed_runs: list[FailedRun] = (),
    failed_elsewhere: Iterable[str] = (),
    queued: int | None = None,
) -> FleetStatus:
    """The fleet's state from each client's last edition (operations.Edition) and the failed runs waiting."""
    editions = list(editions)
    status = FleetStatus(
        len(editions), failed=list(failed_runs), failed_elsewhere=sorted(set(failed_elsewhere)), queued=queued
    )
    for edition in editions:
        period = periods.get(edition.client_id, 7)
        recent = bool(edition.date) and date.fromisoformat(edition.date[:10]) > today - timedelta(days=period)
        if not recent:
            status.missing.append(edition.client_id)
            continue
        status.published.append(edition.client_id)
        if edition.degraded:
            status.degraded.append(edition.client_id)
    return status


def _names(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def format_fleet(status: FleetStatus) -> list[str]:
    failed_clients = sorted({f.client_id for f in status.failed} | set(status.failed_elsewhere))
    lines = [
        f"fleet: {status.clients} client(s): {len(status.published)} published within their period, "
        f"{len(status.degraded)} degraded, {len(failed_clients)} failed, {len(status.missing)} missing"
    ]
    if status.degraded:
        lines.append(f"  degraded: {_names(status.degraded)}")
    for run in status.failed[:10]:
        lines.append(
            f"  failed:   {run.client_id} (sent {run.sent or '?'}, {run.deliveries} deliveries; dead-letter queue)"
        )
    if len(status.failed) > 10:
        lines.append(f"  failed:   {len(status.failed) - 10} more in the dead-letter queue")
    if status.failed_elsewhere:
        lines.append(f"  failed:   {_names(status.failed_elsewhere)} (asynchronous runs: `invoke failures`)")
    if status.missing:
        lines.append(f"  missing:  {_names(status.missing)}")
    if status.queued is not None:
        lines.append(f"  run queue: {status.queued} run(s) waiting")
    return lines


def collect_fleet(env, editions: list, failures: list, sqs_client) -> FleetStatus:
    """`invoke status`'s fleet section: the editions it read, the run queue and its dead-letter queue."""

    def queue_url(name: str) -> str | None:
        try:
            return sqs_client.get_queue_url(QueueName=name)["QueueUrl"]
        except sqs_client.exceptions.QueueDoesNotExist:
            return None

    runs_url, dead_letter_url = queue_url(f"{env.function_name}-runs"), queue_url(f"{env.function_name}-failed-runs")
    queued = None
    if runs_url:
        attributes = sqs_client.get_queue_attributes(QueueUrl=runs_url, AttributeNames=["ApproximateNumberOfMessages"])
        queued = int(attributes["Attributes"].get("ApproximateNumberOfMessages", 0))
    failed_runs = peek_queue(sqs_client, dead_letter_url)[1] if dead_letter_url else []
    return fleet_status(
        editions,
        today=datetime.now(UTC).date(),
        periods=client_periods(),
        failed_runs=failed_runs,
        failed_elsewhere=[f.client_id for f in failures if f.client_id],
        queued=queued,
    )
