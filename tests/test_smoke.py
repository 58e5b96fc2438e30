"""The post-deploy checks: basic, cache and regions, on fabricated results and on the local target."""

from __future__ import annotations

import base64
import io
import json

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from lambda_testkit import BROKEN_HANDLER, GOOD_HANDLER, create_function, emulator, fake_env, handler_zip

from toolkit.cloudwatch import now_ms
from toolkit.invoker import InvokeResult
from toolkit.lambda_invoke import invoke_aws
from toolkit.local.log_writer import write_events
from toolkit.services import boto3_client
from toolkit.smoke import (
    FAILED,
    OK,
    SmokeError,
    basic_payload,
    check_basic,
    check_cache,
    check_regions,
    run_smoke,
)

pytestmark = pytest.mark.slow

NEWSLETTER_LINE = '{"level":"INFO","message":"Client Bedrock hybride : newsletter → eu-west-3","model_id":"eu.anthropic.claude-sonnet-4-5-20250929-v1:0"}'
NORMALIZATION_LINE = '{"level":"INFO","message":"Client Bedrock hybride : normalization → us-east-1","model_id":"us.anthropic.claude-sonnet-4-5-20250929-v1:0"}'


def result(payload=None, *, logs: str = "", duration_ms: float = 100.0, function_error=None) -> InvokeResult:
    return InvokeResult(
        status_code=200,
        function_error=function_error,
        payload={"status": "ok"} if payload is None else payload,
        log_text=logs,
        duration_ms=duration_ms,
        request_id="r-1",
        executed_version="4",
    )


def scripted(*results: InvokeResult):
    """An invoker returning the given results in turn, recording the payloads it was called with."""
    calls = []
    queue = list(results)

    def invoke(payload):
        calls.append(payload)
        return queue.pop(0)

    invoke.calls = calls
    return invoke


def test_basic_payload_is_the_clients_one_day_check_run_without_force_regenerate():
    payload = {"client_id": "lai_weekly_v3", "period_days": 7, "force_regenerate": True}

    assert basic_payload(payload) == {"client_id": "lai_weekly_v3", "period_days": 1, "mode": "smoke"}


def test_every_smoke_invocation_is_a_check_run_even_when_the_payload_says_publish(fake_env, tmp_path, monkeypatch):
    import toolkit.smoke

    payload_file = tmp_path / "publish.json"
    payload_file.write_text(json.dumps({"client_id": "lai_weekly_v3", "period_days": 7, "mode": "publish"}))
    answers = [
        result(logs=NEWSLETTER_LINE + "\n" + NORMALIZATION_LINE),
        result(logs="Newsletter sauvegardée en cache", duration_ms=900.0),
        result(logs="Newsletter récupérée depuis cache S3", duration_ms=100.0),
    ]
    sent = []

    def fake_invoke(env, qualifier, event, *, printer=print):
        sent.append(event)
        return answers.pop(0)

    monkeypatch.setattr(toolkit.smoke, "invoke_function", fake_invoke)

    report = run_smoke(fake_env, payload_file, printer=lambda line: None)

    assert report.ok
    assert [event["mode"] for event in sent] == ["smoke", "smoke", "smoke"]


def test_basic_fails_on_a_status_other_than_ok():
    check, _ = check_basic(scripted(result({"status": "error", "error": "config bucket empty"})), {})

    assert check.status == FAILED
    assert "status 'error'" in check.detail and "config bucket empty" in check.detail


def test_basic_fails_on_a_function_error_and_names_it():
    failure = result({"errorType": "KeyError", "errorMessage": "'client_id'"}, function_error="Unhandled")

    check, _ = check_basic(scripted(failure), {})

    assert check.status == FAILED
    assert check.detail == "FunctionError Unhandled: KeyError: 'client_id'"


def test_basic_fails_on_a_blocking_problem_naming_the_reason_and_the_fix():
    problem = {
        "stage": "editorial",
        "error_code": "AccessDeniedException",
        "message": "You don't have access to the model with the specified model ID.",
        "fix": "enable model access for eu.anthropic.claude-x in the Bedrock console of eu-west-3",
    }
    body = {"status": "ok", "degraded": True, "blocking_problems": [problem]}

    check, _ = check_basic(scripted(result(body)), {})

    assert check.status == FAILED
    assert check.detail == (
        "blocking editorial problem AccessDeniedException (You don't have access to the model with the specified "
        "model ID.); fix: enable model access for eu.anthropic.claude-x in the Bedrock console of eu-west-3"
    )


def test_cache_fails_naming_the_blocking_problem_of_its_regenerating_run():
    problem = {
        "stage": "editorial",
        "error_code": "AccessDeniedException",
        "message": "denied",
        "fix": "enable model access",
    }
    invoke = scripted(result({"status": "ok", "blocking_problems": [problem]}, duration_ms=900.0))

    check, _ = check_cache(invoke, {"client_id": "lai_weekly_v3"})

    assert check.status == FAILED
    assert check.detail == "run 1: blocking editorial problem AccessDeniedException (denied); fix: enable model access"


def test_basic_passes_a_transient_degradation():
    body = {
        "status": "ok",
        "degraded": True,
        "blocking_problems": [],
        "editorial": {"degraded": True, "degraded_reason": "throttled"},
    }

    check, _ = check_basic(scripted(result(body)), {})

    assert check.status == OK and "degraded: throttled" in check.detail


def test_cache_runs_force_regenerate_true_then_false_and_reports_the_ratio():
    invoke = scripted(
        result(logs='{"message":"Newsletter sauvegardée en cache"}', duration_ms=8000),
        result(logs='{"message":"Newsletter récupérée depuis cache S3"}', duration_ms=500),
    )

    check, runs = check_cache(invoke, {"client_id": "lai_weekly_v3", "period_days": 7})

    assert [call["force_regenerate"] for call in invoke.calls] == [True, False]
    assert check.status == OK and len(runs) == 2
    assert check.data["ratio"] == 16.0
    assert "run 1 8.00 s, run 2 0.50 s (16.0× faster)" == check.detail


def test_cache_compares_the_editorial_stage_when_the_engine_reports_it():
    invoke = scripted(
        result(
            {"status": "ok", "timings_ms": {"editorial": 640}}, logs="Newsletter sauvegardée en cache", duration_ms=1200
        ),
        result(
            {"status": "ok", "timings_ms": {"editorial": 4}},
            logs="Newsletter récupérée depuis cache S3",
            duration_ms=1400,
        ),
    )

    check, _ = check_cache(invoke, {"client_id": "lai_weekly_v3"})

    assert check.status == OK and check.data["editorial_ms"] == [640, 4]
    assert "editorial 640 ms → 4 ms" in check.detail


def test_cache_fails_when_the_cached_editorial_is_not_faster():
    invoke = scripted(
        result(
            {"status": "ok", "timings_ms": {"editorial": 5}}, logs="Newsletter sauvegardée en cache", duration_ms=900
        ),
        result(
            {"status": "ok", "timings_ms": {"editorial": 30}},
            logs="Newsletter récupérée depuis cache S3",
            duration_ms=300,
        ),
    )

    check, _ = check_cache(invoke, {"client_id": "lai_weekly_v3"})

    assert check.status == FAILED and "editorial was not faster" in check.detail


def test_cache_fails_when_the_second_run_is_not_faster():
    invoke = scripted(
        result(logs="Newsletter sauvegardée en cache", duration_ms=500),
        result(logs="Newsletter récupérée depuis cache S3", duration_ms=900),
    )

    check, _ = check_cache(invoke, {"client_id": "lai_weekly_v3"})

    assert check.status == FAILED and "run 2 was not faster" in check.detail


def test_cache_fails_when_the_second_run_does_not_read_the_cache():
    invoke = scripted(
        result(logs="Newsletter sauvegardée en cache", duration_ms=800),
        result(logs="Newsletter sauvegardée en cache", duration_ms=700),
    )

    check, _ = check_cache(invoke, {"client_id": "lai_weekly_v3"})

    assert check.status == FAILED
    assert "did not log 'Newsletter récupérée depuis cache S3'" in check.detail


def test_regions_reports_both_clients_with_their_profile_ids(fake_env):
    check = check_regions(fake_env, [result(logs=NEWSLETTER_LINE + "\n" + NORMALIZATION_LINE)])

    assert check.status == OK
    assert check.data["profiles"] == {
        "newsletter": ["eu.anthropic.claude-sonnet-4-5-20250929-v1:0"],
        "normalization": ["us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    }


def test_regions_fails_when_the_newsletter_client_is_in_another_region(fake_env):
    wrong = NEWSLETTER_LINE.replace("eu-west-3", "us-east-1")

    check = check_regions(fake_env, [result(logs=wrong + "\n" + NORMALIZATION_LINE)])

    assert check.status == FAILED
    assert "no 'Client Bedrock hybride : newsletter → eu-west-3' line" in check.detail
    assert "newsletter → us-east-1" in check.detail


def test_regions_fails_on_a_throttling_error_but_not_on_a_retried_throttle(fake_env):
    retried = '{"level":"WARNING","message":"Bedrock throttled, retrying","attempt":1}'
    error = '{"level":"ERROR","message":"ThrottlingException: Too many requests","purpose":"newsletter"}'
    lines = "\n".join([NEWSLETTER_LINE, NORMALIZATION_LINE, retried])

    assert check_regions(fake_env, [result(logs=lines)]).status == OK
    failed = check_regions(fake_env, [result(logs=lines + "\n" + error)])
    assert failed.status == FAILED and "1 throttling error line" in failed.detail


def test_smoke_passes_all_three_checks_on_a_good_version_and_prints_the_table(fake_env):
    create_function(fake_env, handler_zip(GOOD_HANDLER))
    printed = []

    report = run_smoke(fake_env, "payloads/test-payload-p1.json", qualifier="live", printer=printed.append)

    assert report.ok, report.table()
    assert [check.name for check in report.checks] == ["basic", "cache", "regions"]
    assert report.executed_version == "1"
    assert any(line.startswith("check ") and "result" in line for line in printed)
    assert printed[-1].startswith("smoke test passed (version 1)")
    assert json.loads(report.to_json())["ok"] is True


def test_smoke_of_a_broken_version_fails_at_basic_and_skips_the_rest(fake_env):
    create_function(fake_env, handler_zip(BROKEN_HANDLER))

    report = run_smoke(fake_env, "payloads/test-payload-p1.json", qualifier="1", printer=lambda line: None)

    assert not report.ok
    assert report.failing_check.name == "basic"
    assert "RuntimeError: deliberately broken build" in report.failing_check.detail
    assert [check.status for check in report.checks[1:]] == ["skipped", "skipped"]
    assert json.loads(report.to_json())["ok"] is False


def test_smoke_refuses_a_missing_payload_file(fake_env):
    with pytest.raises(SmokeError, match="not found"):
        run_smoke(fake_env, "payloads/no-such-payload.json", printer=lambda line: None)


def test_aws_invocation_reads_the_whole_log_from_cloudwatch_when_the_tail_is_cut(fake_env):
    # The 4 KB tail lost the START line and the region lines; CloudWatch holds them all.
    request_id = "5c1e-aws-request"
    lines = [
        f"START RequestId: {request_id} Version: 4",
        NEWSLETTER_LINE,
        "x" * 100,
        f"END RequestId: {request_id}",
        f"REPORT RequestId: {request_id}\tDuration: 1234.50 ms\tBilled Duration: 1235 ms",
    ]
    logs_client = boto3_client(fake_env, "logs")
    started = now_ms()
    write_events(
        logs_client, fake_env.log_group, "2025/01/01/[4]abc", [(started + i, line) for i, line in enumerate(lines)]
    )
    lambda_client = boto3_client(fake_env, "lambda")
    stubber = Stubber(lambda_client)
    body = b'{"status": "ok"}'
    stubber.add_response(
        "invoke",
        {
            "StatusCode": 200,
            "ExecutedVersion": "4",
            "LogResult": base64.b64encode("\n".join(lines[2:]).encode()).decode(),
            "Payload": StreamingBody(io.BytesIO(body), len(body)),
            "ResponseMetadata": {"RequestId": request_id},
        },
    )

    with stubber:
        invoked = invoke_aws(
            fake_env, "4", {"client_id": "lai_weekly_v3"}, lambda_client=lambda_client, logs_client=lambda: logs_client
        )

    assert invoked.succeeded and invoked.executed_version == "4"
    assert invoked.log_text.splitlines() == lines
    assert invoked.duration_ms == 1234.5


def test_the_smoke_test_says_what_its_payload_changes():
    from toolkit.smoke import describe_payload

    line = describe_payload(
        "payloads/test-payload-p1.json", {"client_id": "lai_weekly_v3", "period_days": 7, "force_regenerate": False}
    )

    assert line == (
        "test-payload-p1.json: client_id lai_weekly_v3, period_days 7; force_regenerate set by each check itself; "
        "every check runs as mode smoke, never publishing"
    )
