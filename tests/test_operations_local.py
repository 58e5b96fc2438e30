"""Operations on the local target with the real engine: run metrics in the log group, a failed asynchronous
invocation kept in the failure queue in Lambda's record shape, and `invoke status` / `invoke failures`.

The function, its alias and the failure destination are created here the way Terraform leaves them (the
Terraform side is asserted in test_terraform_emulator.py); each test starts from an emptied emulator.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timezone

import pytest
from lambda_testkit import create_function, emulator, engine_buckets_with_config, local_services
from test_run_metrics import emf_lines

from toolkit import REPO_ROOT
from toolkit.cloudwatch import filter_events, now_ms
from toolkit.invoker import invoke_function
from toolkit.local import lambda_runner as local_lambda
from toolkit.operations import collect_status, failed_invocations, format_failures, format_status
from toolkit.packaging import build_package
from toolkit.services import boto3_client

pytestmark = pytest.mark.slow

PAYLOAD = {"client_id": "lai_weekly_v3", "period_days": 7}
RETRIES = 1


@pytest.fixture(scope="module")
def engine_zip(tmp_path_factory):
    """The real engine's package, built once for the module (dependencies come from the build cache)."""
    package = build_package("local", dist_dir=tmp_path_factory.mktemp("dist"), printer=lambda _: None)
    return package.path.read_bytes()


@pytest.fixture
def engine(emulator, engine_zip, tmp_path, monkeypatch):
    """The engine deployed on the emulator: version 1 behind `live`, with retries and an on-failure queue."""
    monkeypatch.setattr(local_lambda, "FUNCTIONS_DIR", tmp_path / "functions")
    monkeypatch.setattr(local_lambda, "RUNTIME_DIR", tmp_path / "lambda-runtime")
    with local_services(emulator) as (env, _feeds, _standin):
        s3 = engine_buckets_with_config(env)
        s3.create_bucket(Bucket=env.artifacts_bucket, CreateBucketConfiguration={"LocationConstraint": env.aws_region})
        boto3_client(env, "logs").create_log_group(logGroupName=env.log_group)
        create_function(env, engine_zip, timeout=120)
        sqs = boto3_client(env, "sqs")
        queue_url = sqs.create_queue(QueueName=f"{env.function_name}-failed-invocations")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        boto3_client(env, "lambda").put_function_event_invoke_config(
            FunctionName=env.function_name,
            Qualifier=env.alias_name,
            MaximumRetryAttempts=RETRIES,
            DestinationConfig={"OnFailure": {"Destination": queue_arn}},
        )
        yield dataclasses.replace(env), queue_url


def _publish_broken_configuration(env) -> str:
    """A version whose Lambda environment lacks CONFIG_BUCKET (a broken config), with `live` moved to it."""
    lambda_client = boto3_client(env, "lambda")
    variables = {k: v for k, v in env.lambda_environment.items() if k != "CONFIG_BUCKET"}
    lambda_client.update_function_configuration(FunctionName=env.function_name, Environment={"Variables": variables})
    version = lambda_client.publish_version(FunctionName=env.function_name)["Version"]
    lambda_client.update_alias(FunctionName=env.function_name, Name=env.alias_name, FunctionVersion=version)
    return version


def _queued_records(env, queue_url) -> list[dict]:
    messages = boto3_client(env, "sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_a_run_through_the_local_target_writes_its_metrics_to_the_log_group(engine):
    env, _ = engine
    started = now_ms()

    result = invoke_function(env, "live", PAYLOAD, printer=lambda _: None)

    logged = "\n".join(
        e.message for e in filter_events(boto3_client(env, "logs"), env.log_group, start_ms=started - 1000)
    )
    [document] = emf_lines(logged)
    assert result.succeeded and result.payload["status"] == "ok"
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "VectoraInbox"
    assert (document["ClientId"], document["Mode"], document["Environment"]) == ("lai_weekly_v3", "publish", "local")
    assert (document["NewsletterPublished"], document["RunSucceeded"]) == (1.0, 1.0)
    assert document["ItemsFetched"] == result.payload["counts"]["fetched"] > 0
    assert document["BedrockCalls"] == sum(result.payload["llm"]["calls"].values()) > 0
    assert document["function_version"] == result.executed_version == "1"


def test_a_failed_asynchronous_invocation_lands_in_the_failure_queue_as_lambda_records_it(engine):
    env, queue_url = engine
    broken = _publish_broken_configuration(env)

    result = invoke_function(env, "live", PAYLOAD, printer=lambda _: None, invocation_type="Event")

    [record] = _queued_records(env, queue_url)
    assert result.status_code == 202
    assert set(record) == {
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    }
    assert record["requestContext"] == {
        "requestId": result.request_id,
        "functionArn": f"arn:aws:lambda:{env.aws_region}:123456789012:function:{env.function_name}:live",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1 + RETRIES,
    }
    assert record["requestPayload"] == PAYLOAD
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": broken, "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "SettingsError"
    assert "CONFIG_BUCKET" in record["responsePayload"]["errorMessage"]
    assert datetime.strptime(record["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").date() == datetime.now(UTC).date()


def test_a_successful_asynchronous_invocation_leaves_the_queue_empty(engine):
    env, queue_url = engine

    result = invoke_function(env, "live", PAYLOAD, printer=lambda _: None, invocation_type="Event")

    assert result.status_code == 202 and _queued_records(env, queue_url) == []


def test_failures_are_shown_and_stay_in_the_queue(engine):
    env, queue_url = engine
    _publish_broken_configuration(env)
    invoke_function(env, "live", PAYLOAD, printer=lambda _: None, invocation_type="Event")

    first = failed_invocations(env, printer=lambda _: None)
    again = failed_invocations(env, printer=lambda _: None)

    waiting, [failure] = first
    assert first == again and waiting == 1
    assert (failure.client_id, failure.error_type, failure.attempts) == ("lai_weekly_v3", "SettingsError", 1 + RETRIES)
    assert "SettingsError" in format_failures(*first) and "lai_weekly_v3" in format_failures(*first)


def test_status_shows_live_the_last_edition_alarms_and_waiting_failures(engine):
    env, _ = engine
    _publish_broken_configuration(env)
    invoke_function(env, "live", PAYLOAD, printer=lambda _: None, invocation_type="Event")
    boto3_client(env, "lambda").update_alias(FunctionName=env.function_name, Name=env.alias_name, FunctionVersion="1")
    run = invoke_function(env, "live", PAYLOAD, printer=lambda _: None).payload
    boto3_client(env, "cloudwatch").put_metric_alarm(
        AlarmName=f"{env.function_name}-errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
        Period=300, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    boto3_client(env, "cloudwatch").set_alarm_state(
        AlarmName=f"{env.function_name}-errors", StateValue="ALARM", StateReason="1 error"
    )

    status = collect_status(env, printer=lambda _: None)

    [edition] = [e for e in status.editions if e.client_id == "lai_weekly_v3"]
    assert (status.live.version, status.live.sha256) == (
        "1",
        local_lambda.code_sha256_to_hex(
            boto3_client(env, "lambda").get_function_configuration(FunctionName=env.function_name, Qualifier="1")[
                "CodeSha256"
            ]
        ),
    )
    assert (edition.date, edition.fetched, edition.selected) == (
        run["period"]["date"],
        run["counts"]["fetched"],
        run["counts"]["selected"],
    )
    assert edition.uri == f"s3://{run['s3']['bucket']}/{run['s3']['html']}" and run["s3"]["html"] in edition.link
    assert [(a.name, a.state) for a in status.alarms] == [(f"{env.function_name}-errors", "ALARM")]
    assert status.failures_waiting == 1 and status.failures[0].error_type == "SettingsError"
    text = format_status(status)
    assert "live: version 1" in text and "ALARM" in text and "failed invocations waiting: 1" in text


def test_a_client_with_no_edition_yet_is_listed_as_such(engine):
    env, _ = engine

    status = collect_status(env, printer=lambda _: None)

    assert [(e.client_id, e.date) for e in status.editions] == [("glp1_obesity_weekly", ""), ("lai_weekly_v3", "")]
    assert "lai_weekly_v3: no edition yet" in format_status(status)
    assert status.fleet.missing == ["glp1_obesity_weekly", "lai_weekly_v3"]
    assert (REPO_ROOT / "config" / "clients" / "lai_weekly_v3.yaml").is_file()


def test_trigger_sends_the_schedule_payload_asynchronously(engine):
    from toolkit.operations import schedule_payload, trigger_scheduled_run

    env, queue_url = engine
    _publish_broken_configuration(env)

    result = trigger_scheduled_run(env, "lai_weekly_v3", printer=lambda _: None)

    [record] = _queued_records(env, queue_url)
    assert result.status_code == 202
    assert (
        record["requestPayload"]
        == schedule_payload("lai_weekly_v3")
        == {"client_id": "lai_weekly_v3", "period_days": 7, "force_regenerate": False}
    )


def test_trigger_of_a_client_without_a_schedule_says_what_to_add(tmp_path):
    from toolkit.operations import OperationsError, schedule_payload

    (tmp_path / "adhoc.yaml").write_text("client_id: adhoc\n")

    with pytest.raises(OperationsError, match="schedule.expression"):
        schedule_payload("adhoc", config_dir=tmp_path)


def test_status_before_the_first_deploy_says_what_to_run(emulator):
    with local_services(emulator) as (env, _feeds, _standin):
        engine_buckets_with_config(env)

        status = collect_status(env, printer=lambda _: None)

    assert status.live is None and status.failures_waiting is None
    assert "live: not deployed (run `invoke tf.apply`, then `invoke deploy`)" in format_status(status)
