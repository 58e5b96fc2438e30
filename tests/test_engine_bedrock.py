"""The engine's Bedrock path against the local stand-in: routing, tokens, retries, fallbacks.

Token counts from the stand-in are its estimate (characters ÷ 3.5), not a tokenizer's: bars on them are estimates."""

from __future__ import annotations

import json

import pytest

from conftest import LAMBDA_ENV, FakeContext, engine_buckets, fresh_handler, read_object, record_run, use_lambda_environment
from lambda_testkit import edit_client_config

PAYLOAD = {"client_id": "lai_weekly_v3", "period_days": 7, "force_regenerate": False}


@pytest.fixture
def standin(monkeypatch, lambda_env):
    from toolkit.bedrock_standin import BedrockStandIn

    server = BedrockStandIn()
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
    monkeypatch.setenv("LLM_BACKEND", "bedrock")
    monkeypatch.setenv("BEDROCK_MAX_ATTEMPTS", "2")
    yield server
    server.stop()


@pytest.fixture
def run(standin, handler_module, context):
    def _run(payload=PAYLOAD, ctx=None):
        return handler_module.lambda_handler(dict(payload), ctx or context)

    return _run


@pytest.fixture(scope="module")
def default_run():
    """One default Bedrock run on fresh buckets: (record of the run, the stand-in's calls)."""
    from toolkit.bedrock_standin import BedrockStandIn
    from toolkit.sample_feeds import SampleFeedServer

    with pytest.MonkeyPatch.context() as patch, SampleFeedServer() as feeds, BedrockStandIn() as server:
        use_lambda_environment(
            patch, LLM_BACKEND="bedrock", BEDROCK_MAX_ATTEMPTS="2", AWS_ENDPOINT_URL_BEDROCK_RUNTIME=server.url
        )
        with engine_buckets(feeds.base_url) as s3, fresh_handler() as handler:
            recorded = record_run(handler, s3, PAYLOAD)
        calls = server.calls
    return recorded, calls


class RecordingSleep:
    """Stands in for the `time` module of botocore's retry loop: records each backoff instead of sleeping."""

    def __init__(self):
        import time

        self._time = time
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def __getattr__(self, name):
        return getattr(self._time, name)


def test_editorial_calls_are_signed_for_eu_west_3_with_the_eu_profile(default_run):
    recorded, calls = default_run
    editorial_calls = [c for c in calls if c["purpose"] == "newsletter"]
    assert editorial_calls and {c["region"] for c in editorial_calls} == {"eu-west-3"}
    assert {c["model_id"] for c in editorial_calls} == {LAMBDA_ENV["BEDROCK_MODEL_ID_NEWSLETTER"]}
    editorial = recorded.result["editorial"]
    assert editorial["backend"] == "bedrock" and editorial["region"] == "eu-west-3"


def test_normalization_calls_are_signed_for_us_east_1_with_the_us_profile(default_run):
    _recorded, calls = default_run
    normalization_calls = [c for c in calls if c["purpose"] == "normalization"]
    assert normalization_calls and {c["region"] for c in normalization_calls} == {"us-east-1"}
    assert {c["model_id"] for c in normalization_calls} == {LAMBDA_ENV["BEDROCK_MODEL_ID_NORMALIZATION"]}


def test_normalization_is_batched(default_run):
    recorded, calls = default_run
    normalization_calls = [c for c in calls if c["purpose"] == "normalization"]
    assert len(normalization_calls) < recorded.result["counts"]["normalized"]


def test_region_routing_is_logged(default_run):
    recorded, _calls = default_run
    messages = {line["message"] for line in recorded.logs}
    assert "Client Bedrock hybride : newsletter → eu-west-3" in messages
    assert "Client Bedrock hybride : normalization → us-east-1" in messages


def test_tokens_and_cost_are_reported(default_run):
    result = default_run[0].result
    assert result["editorial"]["input_tokens"] > 0 and result["editorial"]["output_tokens"] > 0
    assert result["llm"]["input_tokens"]["normalization"] > 0
    assert result["llm"]["estimated_cost_usd"] > 0


def test_the_editorial_log_line_carries_the_usage_the_model_returned(default_run):
    recorded, calls = default_run
    (editorial_call,) = [c for c in calls if c["purpose"] == "newsletter"]
    (line,) = recorded.log_lines("Éditorial Bedrock généré")
    assert line["input_tokens"] == editorial_call["input_tokens"] == recorded.result["editorial"]["input_tokens"]
    (prompt_line,) = recorded.log_lines("Prompt éditorial compact")
    assert "estimated_tokens" in prompt_line and "input_tokens" not in prompt_line


def test_estimated_editorial_prompt_of_the_full_newsletter_stays_under_the_seed_bar(default_run):
    recorded, calls = default_run
    assert recorded.result["counts"]["selected"] > 12
    assert max(c["input_tokens"] for c in calls if c["purpose"] == "newsletter") < 1000


def test_manifest_records_the_editorial_backend(default_run):
    recorded, _calls = default_run
    manifest = json.loads(recorded.read(LAMBDA_ENV["NEWSLETTERS_BUCKET"], recorded.result["s3"]["manifest"]))
    assert manifest["editorial"]["model_id"] == LAMBDA_ENV["BEDROCK_MODEL_ID_NEWSLETTER"]


def test_legacy_variables_alone_route_both_purposes(monkeypatch, run, standin):
    for name in list(LAMBDA_ENV):
        if name.endswith(("_NEWSLETTER", "_NORMALIZATION")):
            monkeypatch.delenv(name)
    result = run()
    assert result["status"] == "ok"
    assert {c["region"] for c in standin.calls} == {LAMBDA_ENV["BEDROCK_REGION"]}


def test_estimated_editorial_prompt_for_a_12_item_newsletter_stays_under_700_tokens(run, standin, s3):
    def three_per_section(config):
        for section in config["sections"]:
            section["max_items"] = 3  # four sections of three: the seed's 12-item newsletter

    edit_client_config(s3, LAMBDA_ENV["CONFIG_BUCKET"], three_per_section)
    result = run()
    editorial_calls = [c for c in standin.calls if c["purpose"] == "newsletter"]
    assert result["counts"]["selected"] == 12
    assert max(c["input_tokens"] for c in editorial_calls) < 700


def test_throttled_call_is_retried_with_backoff_up_to_the_attempt_limit(monkeypatch, run, standin):
    monkeypatch.setenv("BEDROCK_MAX_ATTEMPTS", "3")
    backoff = RecordingSleep()
    monkeypatch.setattr("botocore.endpoint.time", backoff)
    standin.configure(throttle_rate=1.0)
    run()
    editorial_calls = [c for c in standin.calls if c["purpose"] == "newsletter"]
    normalization_calls = [c for c in standin.calls if c["purpose"] == "normalization"]
    assert len(editorial_calls) == 3  # one editorial request: the first call and two retries
    assert normalization_calls and len(normalization_calls) % 3 == 0
    # Every retry waited first: two backoffs per request, each a positive, capped delay.
    assert len(backoff.sleeps) == 2 * (len(standin.calls) // 3)
    assert all(0 < delay <= 20 for delay in backoff.sleeps)


def test_throttling_everywhere_yields_a_degraded_uncached_newsletter(monkeypatch, run, standin, s3):
    monkeypatch.setattr("botocore.endpoint.time", RecordingSleep())  # no real backoff waits
    standin.configure(throttle_rate=1.0)
    result = run()
    assert result["status"] == "ok" and result["degraded"]
    assert result["editorial"]["degraded"] and "throttl" in result["editorial"]["degraded_reason"].lower()
    cached = s3.list_objects_v2(Bucket=LAMBDA_ENV["NEWSLETTERS_BUCKET"], Prefix="cache/").get("KeyCount", 0)
    assert cached == 0
    html = read_object(s3, LAMBDA_ENV["NEWSLETTERS_BUCKET"], result["s3"]["html"]).decode()
    assert "Degraded edition" in html


def test_malformed_answers_are_repaired_once_then_fall_back(run, standin):
    standin.configure(malformed_rate=1.0)
    result = run()
    assert result["editorial"]["degraded"] and "invalid" in result["editorial"]["degraded_reason"]
    editorial_calls = [c for c in standin.calls if c["purpose"] == "newsletter"]
    assert len(editorial_calls) == 2  # the call and its one repair


def test_exhausted_time_budget_degrades_instead_of_dying(run):
    result = run(ctx=FakeContext(remaining_ms=30_000))  # below the 60 s reserve
    assert result["status"] == "ok" and result["degraded"]
    assert "time budget" in " ".join(result["degraded_reasons"])


def test_degraded_items_are_renormalized_on_the_next_run(monkeypatch, run, standin):
    monkeypatch.setattr("botocore.endpoint.time", RecordingSleep())
    standin.configure(throttle_rate=1.0)
    run()
    standin.configure(throttle_rate=0.0)
    result = run()
    assert result["counts"]["normalized"] == result["counts"]["in_window"]
    assert not result["degraded"]


def test_read_timeout_is_a_flagged_fallback(monkeypatch, run, standin):
    monkeypatch.setenv("BEDROCK_READ_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("BEDROCK_MAX_ATTEMPTS", "1")
    standin.configure(timeout_rate=1.0, timeout_sleep_s=2.5)
    result = run()
    assert result["editorial"]["degraded"] and "timed out" in result["editorial"]["degraded_reason"]
