"""Run metrics in Embedded Metric Format: what each run measures, and the EMF line the handler prints."""

from __future__ import annotations

import json

import pytest

from vectora_core.run_metrics import NAMESPACE, emit, measure

pytestmark = pytest.mark.slow

OK_RESPONSE = {
    "status": "ok",
    "counts": {"fetched": 66, "selected": 12},
    "degraded": True,
    "sources_failed": [{"source_id": "fda_press", "reason": "timeout"}],
    "llm": {
        "calls": {"newsletter": 1, "normalization": 11},
        "input_tokens": {"newsletter": 600, "normalization": 9000},
        "output_tokens": {"newsletter": 400, "normalization": 3000},
        "estimated_cost_usd": 0.0812,
    },
}


def _values(run) -> dict[str, float]:
    return {metric.name: metric.value for metric in run.metrics}


def emf_lines(text: str) -> list[dict]:
    """Every EMF document among JSON log lines (the ones carrying `_aws.CloudWatchMetrics`)."""
    documents = []
    for line in text.splitlines():
        start = line.find("{")
        if start < 0 or '"_aws"' not in line:
            continue
        document = json.loads(line[start:])
        if "CloudWatchMetrics" in document.get("_aws", {}):
            # EMF allows a metric's value to be a list of samples (Powertools writes one); one run, one sample.
            documents.append({k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in document.items()})
    return documents


def test_a_published_run_counts_one_newsletter_and_every_figure():
    run = measure(
        OK_RESPONSE, client_id="lai_weekly_v3", mode="publish", publishes=True, duration_ms=1234.56, environment="dev"
    )

    assert _values(run) == {
        "RunSucceeded": 1.0,
        "Duration": 1234.6,
        "NewsletterPublished": 1.0,
        "ItemsFetched": 66.0,
        "ItemsSelected": 12.0,
        "SourcesFailed": 1.0,
        "Degraded": 1.0,
        "BedrockCalls": 12.0,
        "InputTokens": 9600.0,
        "OutputTokens": 3400.0,
        "EstimatedCostUSD": 0.0812,
    }
    assert run.dimensions() == {"Environment": "dev", "ClientId": "lai_weekly_v3", "Mode": "publish"}


@pytest.mark.parametrize("mode", ["smoke", "drill", "bench"])
def test_a_check_run_carries_its_mode_and_never_counts_as_published(mode):
    run = measure(OK_RESPONSE, client_id="lai_weekly_v3", mode=mode, publishes=False, duration_ms=10, environment="dev")

    assert run.dimensions()["Mode"] == mode
    assert "NewsletterPublished" not in _values(run)
    assert _values(run)["RunSucceeded"] == 1.0


def test_a_failed_publishing_run_reports_no_newsletter_and_no_figures():
    run = measure(None, client_id="lai_weekly_v3", mode="publish", publishes=True, duration_ms=10, environment="dev")

    assert _values(run) == {"RunSucceeded": 0.0, "Duration": 10.0, "NewsletterPublished": 0.0}


def test_an_unknown_cost_is_left_out_rather_than_reported_as_zero():
    response = {**OK_RESPONSE, "llm": {**OK_RESPONSE["llm"], "estimated_cost_usd": None}}

    run = measure(response, client_id="c", mode="publish", publishes=True, duration_ms=1, environment="dev")

    assert "EstimatedCostUSD" not in _values(run)


def test_emit_prints_one_emf_document_with_the_three_dimensions(capsys):
    run = measure(
        OK_RESPONSE, client_id="lai_weekly_v3", mode="publish", publishes=True, duration_ms=5, environment="dev"
    )

    emit(run, request_id="r-1", manifest="newsletters/lai_weekly_v3/2026-11-23/manifest.json")

    [document] = emf_lines(capsys.readouterr().out)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Dimensions"] == [["Environment", "ClientId", "Mode"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]}["Duration"] == "Milliseconds"
    assert (document["ClientId"], document["Mode"], document["NewsletterPublished"]) == (
        "lai_weekly_v3",
        "publish",
        1.0,
    )
    assert document["request_id"] == "r-1" and document["manifest"].endswith("manifest.json")


# --- the handler --------------------------------------------------------------------------------------------


def _handler_emf(handler_module, context, capsys, event) -> tuple[dict | None, dict]:
    capsys.readouterr()
    try:
        response = handler_module.lambda_handler(event, context)
    finally:
        out = capsys.readouterr().out
    [document] = emf_lines(out)
    return response, document


def test_the_handler_emits_the_run_metrics_of_a_published_edition(handler_module, context, capsys):
    response, document = _handler_emf(handler_module, context, capsys, {"client_id": "lai_weekly_v3", "period_days": 7})

    assert response["status"] == "ok"
    assert (document["ClientId"], document["Mode"], document["Environment"]) == ("lai_weekly_v3", "publish", "local")
    assert document["NewsletterPublished"] == 1.0 and document["RunSucceeded"] == 1.0
    assert (document["ItemsFetched"], document["ItemsSelected"]) == (
        response["counts"]["fetched"],
        response["counts"]["selected"],
    )
    assert document["manifest"] == response["s3"]["manifest"]


def test_the_handler_marks_a_smoke_run_with_its_mode(handler_module, context, capsys):
    _, document = _handler_emf(handler_module, context, capsys, {"client_id": "lai_weekly_v3", "mode": "smoke"})

    assert document["Mode"] == "smoke" and "NewsletterPublished" not in document


def test_an_invalid_payload_is_measured_as_a_failed_run_of_no_client(handler_module, context, capsys):
    response, document = _handler_emf(handler_module, context, capsys, {"client_id": "Bad Id"})

    assert response["error"]["type"] == "ValidationError"
    assert (document["ClientId"], document["Mode"], document["RunSucceeded"]) == ("unknown", "invalid", 0.0)


def test_a_run_that_raises_still_emits_its_metrics(handler_module, context, capsys, monkeypatch):
    from vectora_core import pipeline

    def broken(*args, **kwargs):
        raise ConnectionError("S3 unreachable")

    monkeypatch.setattr(pipeline, "run_newsletter", broken)
    capsys.readouterr()

    with pytest.raises(ConnectionError):
        handler_module.lambda_handler({"client_id": "lai_weekly_v3"}, context)

    [document] = emf_lines(capsys.readouterr().out)
    assert (document["ClientId"], document["RunSucceeded"], document["NewsletterPublished"]) == (
        "lai_weekly_v3",
        0.0,
        0.0,
    )
