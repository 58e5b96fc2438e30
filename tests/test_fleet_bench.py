"""The fleet benchmark's parts that decide its figures: the clients and their overlapping sources, what the fleet
must normalize, the quota's bound, and the local stand-in for the run queue's event source mapping."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import REGION

# The whole engine, run many times over (make test-fast leaves it out).
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    from toolkit.drivers.fleet_bench import write_pool

    corpus = tmp_path_factory.mktemp("fleet-pool")
    return corpus, write_pool(corpus)


def test_the_fleet_splits_between_the_two_fields_and_every_config_checks(pool):
    from toolkit.drivers.fleet_bench import fleet_configs
    from toolkit.release_config import read_config_dir, validate_config

    _corpus, sources = pool
    configs = fleet_configs(20, sources, "http://127.0.0.1:1")
    import yaml

    texts = {**read_config_dir(), **{f"clients/{c['client_id']}.yaml": yaml.safe_dump(c) for c in configs}}
    validate_config(texts)
    assert [c["client_id"].split("_")[1] for c in configs].count("lai") == 12


def test_most_sources_are_read_by_many_clients(pool):
    from toolkit.drivers.fleet_bench import fleet_configs

    _corpus, sources = pool
    configs = fleet_configs(100, sources, "http://127.0.0.1:1")
    readers: dict[str, int] = {}
    for config in configs:
        for source in config["sources"]:
            readers[source["url"]] = readers.get(source["url"], 0) + 1
    assert len(readers) == 14 and sorted(readers.values())[len(readers) // 2] >= 25
    assert {c["client_id"] for c in configs} == {c["client_id"] for c in fleet_configs(100, sources, "x")}  # seeded


def test_the_items_to_normalize_are_counted_once_per_content_and_field(pool):
    from toolkit.drivers.fleet_bench import fleet_configs, needed_normalizations

    corpus, sources = pool
    now = datetime.now(UTC)
    configs = fleet_configs(10, sources, "http://127.0.0.1:1")
    urls, items = needed_normalizations(configs, corpus, now)
    twice_as_many_clients = needed_normalizations(configs + configs, corpus, now)
    assert (urls, items) == twice_as_many_clients and items > 0
    lai_only = [c for c in configs if "_lai_" in c["client_id"]]
    assert needed_normalizations(lai_only, corpus, now)[1] < items  # the other field's items are its own


def test_the_bound_is_the_slowest_quota_tokens_or_requests():
    from toolkit.drivers.fleet_bench import figures_of
    from toolkit.local.queue_runner import Delivery, Report

    class Feeds:
        requests = [("/feeds/a.xml", 200)]

    calls = [{"status": 200, "region": "eu-west-3", "model_id": "eu.m", "quota_tokens": 50_000} for _ in range(30)] + [
        {"status": 429, "region": "eu-west-3", "model_id": "eu.m", "fault": "quota"}
    ]
    quotas = {"eu-west-3": {"tokens_per_minute": 1_000_000, "requests_per_minute": 10}}
    report = Report([Delivery("m", "c", 0.0, 200.0)])

    class Env:
        lambda_environment = {"NEWSLETTERS_BUCKET": "b"}

    import toolkit.drivers.fleet_bench as fleet_bench

    class S3:
        def list_objects_v2(self, **_):
            return {}

    original = fleet_bench.boto3_client
    fleet_bench.boto3_client = lambda env, service: S3()
    try:
        figures = figures_of(Env(), [{"client_id": "c"}], report, calls, Feeds(), quotas, datetime.now(UTC))
    finally:
        fleet_bench.boto3_client = original
    # tokens: 1.5M ÷ 1M a minute = 90 s; requests: 30 ÷ 10 a minute = 180 s, the bound
    assert (figures["quota_bound_seconds"], figures["bound_ratio"], figures["throttled_calls"]) == (180.0, 1.11, 1)
    assert figures["failed_editions"] == 1  # no manifest was found for the one client


# --- the local stand-in for the event source mapping ----------------------------------------------------------


@pytest.fixture
def queues(fake_aws_credentials):
    import boto3
    from moto import mock_aws

    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dlq = sqs.create_queue(QueueName="fn-failed-runs")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        runs = sqs.create_queue(
            QueueName="fn-runs",
            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})},
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=runs, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        yield sqs, runs, arn, dlq


def poll(queues, monkeypatch, invoke, expected, concurrency=3):
    from toolkit.local import queue_runner

    sqs, runs, arn, _dlq = queues

    class Env:
        aws_region = REGION

    monkeypatch.setattr(queue_runner, "emulator_client", lambda env, service: sqs)
    mapping = queue_runner.Mapping(runs, arn, 1, concurrency)
    return queue_runner.poll(Env(), invoke, expected=expected, mapping=mapping, idle_stop_s=2, retry_after_s=0)


def send(queues, *clients):
    sqs, runs, _arn, _dlq = queues
    for client_id in clients:
        sqs.send_message(QueueUrl=runs, MessageBody=json.dumps({"client_id": client_id}))


def test_each_run_is_delivered_as_one_sqs_record_and_deleted_once_it_succeeded(queues, monkeypatch):
    send(queues, "a", "b", "c", "d")
    seen = []

    def invoke(event):
        (record,) = event["Records"]
        assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":fn-runs")
        seen.append(json.loads(record["body"])["client_id"])
        return {"batchItemFailures": []}

    report = poll(queues, monkeypatch, invoke, expected=4)
    sqs, runs, _arn, _dlq = queues
    assert sorted(seen) == ["a", "b", "c", "d"] and len(report.deliveries) == 4
    assert (
        sqs.get_queue_attributes(QueueUrl=runs, AttributeNames=["All"])["Attributes"]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_no_more_runs_than_the_maximum_concurrency_are_in_flight(queues, monkeypatch):
    send(queues, *[f"c{n}" for n in range(9)])
    in_flight, peak, lock = 0, 0, threading.Lock()

    def invoke(event):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.2)
        with lock:
            in_flight -= 1
        return {"batchItemFailures": []}

    report = poll(queues, monkeypatch, invoke, expected=9, concurrency=3)
    assert peak == report.peak_concurrency == 3


def test_a_run_that_keeps_failing_ends_in_the_dead_letter_queue_and_the_others_complete(queues, monkeypatch):
    send(queues, "good", "broken")

    def invoke(event):
        (record,) = event["Records"]
        if json.loads(record["body"])["client_id"] == "broken":
            return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
        return {"batchItemFailures": []}

    report = poll(queues, monkeypatch, invoke, expected=2)
    sqs, _runs, _arn, dlq = queues
    kept = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["client_id"] for m in kept] == ["broken"]
    assert [d.client_id for d in report.deliveries if not d.failed] == [""]  # one success (client_of not given)
    assert sum(d.failed for d in report.deliveries) == 2  # delivered twice: the queue's maxReceiveCount
