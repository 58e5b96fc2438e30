"""CloudWatch Logs: tailing the function's group like `aws logs tail`, and writing the local target's events."""

from __future__ import annotations

import pytest
from lambda_testkit import emulator, fake_env

from toolkit import cloudwatch
from toolkit.cloudwatch import LogsError, fetch_invocation_logs, now_ms, parse_since
from toolkit.local import log_writer
from toolkit.local.log_writer import write_events
from toolkit.log_tail import tail_logs
from toolkit.services import boto3_client

pytestmark = pytest.mark.slow

MINUTE_MS = 60_000


@pytest.mark.parametrize(
    ("text", "milliseconds"),
    [("30s", 30_000), ("10m", 600_000), ("2h", 7_200_000), ("1d", 86_400_000), (" 1w ", 604_800_000)],
)
def test_since_accepts_seconds_minutes_hours_days_and_weeks(text, milliseconds):
    assert parse_since(text) == milliseconds


@pytest.mark.parametrize("text", ["10", "ten minutes", "5y", "", "-3m"])
def test_since_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError, match="cannot read duration"):
        parse_since(text)


def test_tail_prints_only_events_within_since(fake_env):
    logs = boto3_client(fake_env, "logs")
    now = now_ms()
    write_events(logs, fake_env.log_group, "2025/01/01/[1]old", [(now - 120 * MINUTE_MS, "two hours ago")])
    write_events(logs, fake_env.log_group, "2025/01/01/[2]new", [(now - 2 * MINUTE_MS, "two minutes ago")])
    printed = []

    count = tail_logs(fake_env, since="10m", printer=printed.append)

    assert count == 1
    assert printed[0].endswith(" 2025/01/01/[2]new two minutes ago")


def test_tail_with_a_filter_pattern_prints_the_matching_phrase_only(fake_env):
    logs = boto3_client(fake_env, "logs")
    now = now_ms()
    write_events(
        logs,
        fake_env.log_group,
        "2025/01/01/[3]abc",
        [
            (now - 3000, '{"level":"INFO","message":"Client Bedrock hybride : newsletter → eu-west-3"}'),
            (now - 2000, '{"level":"INFO","message":"Newsletter sauvegardée en cache"}'),
            (now - 1000, '{"level":"INFO","message":"Client Bedrock hybride : normalization → us-east-1"}'),
        ],
    )
    printed = []

    tail_logs(fake_env, since="5m", filter_pattern='"Client Bedrock hybride"', printer=printed.append)

    assert [line.split(" ", 2)[2] for line in printed] == [
        '{"level":"INFO","message":"Client Bedrock hybride : newsletter → eu-west-3"}',
        '{"level":"INFO","message":"Client Bedrock hybride : normalization → us-east-1"}',
    ]


def test_follow_prints_new_events_as_they_arrive_and_each_once(fake_env):
    logs = boto3_client(fake_env, "logs")
    write_events(logs, fake_env.log_group, "2025/01/01/[1]first", [(now_ms() - 1000, "already there")])
    polls = []

    def should_stop():
        polls.append(len(polls))
        if len(polls) == 1:
            write_events(logs, fake_env.log_group, "2025/01/01/[1]second", [(now_ms(), "arrived while following")])
        return len(polls) >= 3

    printed = []
    tail_logs(fake_env, since="1m", follow=True, printer=printed.append, poll_seconds=0, should_stop=should_stop)

    assert [line.split(" ", 2)[2] for line in printed] == ["already there", "arrived while following"]


def test_tail_of_a_missing_log_group_says_so(fake_env):
    boto3_client(fake_env, "logs").delete_log_group(logGroupName=fake_env.log_group)

    with pytest.raises(LogsError, match="does not exist"):
        tail_logs(fake_env, printer=lambda line: None)


def test_events_are_written_in_chronological_order_across_batches(fake_env, monkeypatch):
    monkeypatch.setattr(log_writer, "MAX_BATCH_EVENTS", 4)
    logs = boto3_client(fake_env, "logs")
    start = now_ms()
    events = [(start + i, f"line {i}") for i in reversed(range(10))]

    written = write_events(logs, fake_env.log_group, "2025/01/01/[1]batched", events)

    stored = logs.get_log_events(
        logGroupName=fake_env.log_group, logStreamName="2025/01/01/[1]batched", startFromHead=True
    )
    assert written == 10
    assert [event["message"] for event in stored["events"]] == [f"line {i}" for i in range(10)]


def test_write_creates_the_log_group_when_missing(fake_env):
    logs = boto3_client(fake_env, "logs")
    logs.delete_log_group(logGroupName=fake_env.log_group)

    write_events(logs, fake_env.log_group, "2025/01/01/[1]x", [(now_ms(), "first run")])

    assert (
        logs.describe_log_groups(logGroupNamePrefix=fake_env.log_group)["logGroups"][0]["logGroupName"]
        == fake_env.log_group
    )


def test_invocation_logs_include_its_lines_that_do_not_name_the_request(fake_env):
    logs = boto3_client(fake_env, "logs")
    now = now_ms()
    request = "0f0e-request"
    write_events(
        logs,
        fake_env.log_group,
        "2025/01/01/[5]other",
        [(now, "START RequestId: another Version: 5"), (now + 1, "not ours")],
    )
    lines = [
        f"START RequestId: {request} Version: 5",
        "plain print without the id",
        f"END RequestId: {request}",
        f"REPORT RequestId: {request}\tDuration: 3.00 ms",
    ]
    write_events(logs, fake_env.log_group, "2025/01/01/[5]ours", [(now + i, line) for i, line in enumerate(lines)])

    text = fetch_invocation_logs(logs, fake_env.log_group, request, start_ms=now, wait_seconds=0)

    assert text.splitlines() == lines


def test_stream_reading_goes_on_past_an_empty_page_until_the_forward_token_repeats():
    """AWS may answer an empty GetLogEvents page mid-stream; only a repeated forward token ends it."""
    import boto3
    from botocore.stub import Stubber

    logs = boto3.client("logs", region_name="eu-west-3", aws_access_key_id="x", aws_secret_access_key="x")
    base = {"logGroupName": "/aws/lambda/f", "logStreamName": "s", "startTime": 1, "endTime": 11, "startFromHead": True}
    pages = [
        (
            {
                "events": [{"timestamp": 1, "message": "START\n", "ingestionTime": 2}],
                "nextForwardToken": "f/1",
                "nextBackwardToken": "b/0",
            },
            {},
        ),
        ({"events": [], "nextForwardToken": "f/2", "nextBackwardToken": "b/1"}, {"nextToken": "f/1"}),
        (
            {
                "events": [{"timestamp": 10, "message": "REPORT\n", "ingestionTime": 11}],
                "nextForwardToken": "f/3",
                "nextBackwardToken": "b/2",
            },
            {"nextToken": "f/2"},
        ),
        ({"events": [], "nextForwardToken": "f/3", "nextBackwardToken": "b/3"}, {"nextToken": "f/3"}),
    ]
    with Stubber(logs) as stub:
        for response, extra in pages:
            stub.add_response("get_log_events", response, {**base, **extra})
        lines = cloudwatch._stream_between(logs, "/aws/lambda/f", "s", 1, 10)
        stub.assert_no_pending_responses()

    assert lines == ["START", "REPORT"]
