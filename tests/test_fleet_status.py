"""`invoke status` for a fleet: published, degraded, missing and failed clients on one screen."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import REGION

from toolkit.fleet_status import FailedRun, fleet_status, format_fleet, peek_queue
from toolkit.operations import Edition, Status, format_status

TODAY = date(2026, 12, 7)


def edition(client_id: str, day: str = "", degraded: bool = False) -> Edition:
    return Edition(client_id, date=day, generated_at=day, fetched=40, selected=12, degraded=degraded, uri="s3://b/k")


def fleet(n: int = 40):
    editions = [edition(f"client_{i:03d}", "2026-12-07") for i in range(n)]
    editions[3] = edition("client_003", "2026-12-07", degraded=True)
    editions[5] = edition("client_005", "2026-11-23")  # last edition two weeks ago
    editions[8] = edition("client_008")  # never published
    failed = [FailedRun("client_008", "2026-12-07T06:00", 3)]
    return fleet_status(editions, today=TODAY, periods={}, failed_runs=failed, queued=0), editions


def test_each_client_is_counted_once_as_published_or_missing():
    status, _ = fleet()
    assert (len(status.published), status.degraded, status.missing) == (
        38,
        ["client_003"],
        ["client_005", "client_008"],
    )


def test_a_monthly_client_is_not_missing_within_its_own_period():
    status = fleet_status([edition("monthly", "2026-11-20")], today=TODAY, periods={"monthly": 30})
    assert status.missing == [] and status.published == ["monthly"]


def test_the_summary_names_the_clients_needing_a_look_in_a_few_lines():
    status, _ = fleet()
    lines = format_fleet(status)
    assert lines[0] == "fleet: 40 client(s): 38 published within their period, 1 degraded, 1 failed, 2 missing"
    assert "  degraded: client_003" in lines and "  missing:  client_005, client_008" in lines
    assert any(line.startswith("  failed:   client_008 (sent 2026-12-07T06:00, 3 deliveries") for line in lines)
    assert len(lines) <= 8


def test_a_big_fleet_lists_only_the_editions_needing_a_look():
    status, editions = fleet(100)
    screen = format_status(Status("local", "fn", None, editions=editions, fleet=status)).splitlines()
    shown = {line.split(":")[0].strip() for line in screen if line.startswith("  client_")}
    assert shown == {"client_003", "client_005", "client_008"}
    assert len(screen) < 30  # one screen, not three lines per client


def test_a_small_fleet_still_shows_every_clients_last_edition():
    editions = [edition(f"client_{i:03d}", "2026-12-07") for i in range(4)]
    status = fleet_status(editions, today=TODAY, periods={})
    screen = format_status(Status("local", "fn", None, editions=editions, fleet=status))
    assert all(f"client_{i:03d}: 2026-12-07" in screen for i in range(4))


@pytest.fixture
def sqs(fake_aws_credentials):
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def test_failed_runs_are_read_without_being_consumed(sqs):
    url = sqs.create_queue(QueueName="fn-failed-runs")["QueueUrl"]
    for client_id in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"client_id": client_id}))
    waiting, runs = peek_queue(sqs, url)
    again, _ = peek_queue(sqs, url)
    assert waiting == again == 2 and sorted(r.client_id for r in runs) == ["a", "b"]
