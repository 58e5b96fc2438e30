"""Bedrock's per-minute quotas in the stand-in (ThrottlingException like Bedrock), and the engine waiting for the
quota to refill instead of degrading an edition."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from conftest import LAMBDA_ENV, use_lambda_environment

MODEL = LAMBDA_ENV["BEDROCK_MODEL_ID_NORMALIZATION"]
KEY = ("us-east-1", MODEL)


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def quotas(clock, **settings):
    from toolkit.local.bedrock_standin.quota import Quotas

    q = Quotas(clock=clock)
    q.configure(**settings)
    return q


def test_a_request_within_the_tokens_per_minute_is_served_and_the_next_one_over_it_throttled():
    from toolkit.local.bedrock_standin.quota import TOO_MANY_TOKENS, Reservation

    q = quotas(Clock(), tokens_per_minute=10_000)
    assert isinstance(q.reserve(KEY, 1_000, 1_000), Reservation)  # 1 000 + 5 × 1 000 reserved
    assert q.reserve(KEY, 1_000, 1_000) == TOO_MANY_TOKENS


def test_output_tokens_count_five_times_and_unused_reservation_is_given_back():
    q = quotas(Clock(), tokens_per_minute=10_000)
    reservation = q.reserve(KEY, 1_000, 1_000)
    assert q.settle(reservation, 200) == 1_000 + 5 * 200
    assert not isinstance(q.reserve(KEY, 1_000, 1_000), str)  # 10 000 − 2 000 left: room for another 6 000


def test_the_quota_refills_over_the_minute():
    from toolkit.local.bedrock_standin.quota import TOO_MANY_TOKENS

    clock = Clock()
    q = quotas(clock, tokens_per_minute=6_000)
    q.reserve(KEY, 1_000, 1_000)
    assert q.reserve(KEY, 1_000, 1_000) == TOO_MANY_TOKENS
    clock.advance(30)  # half a minute: 3 000 back
    assert q.reserve(KEY, 500, 500) != TOO_MANY_TOKENS


def test_each_region_and_model_has_its_own_quota():
    q = quotas(Clock(), tokens_per_minute=6_000)
    q.reserve(KEY, 1_000, 1_000)
    assert not isinstance(q.reserve(("eu-west-3", "eu." + MODEL.split(".", 1)[1]), 1_000, 1_000), str)


def test_requests_per_minute_throttle_the_request_past_the_quota():
    from toolkit.local.bedrock_standin.quota import TOO_MANY_REQUESTS

    q = quotas(Clock(), requests_per_minute=3)
    assert [isinstance(q.reserve(KEY, 1, 1), str) for _ in range(3)] == [False] * 3
    assert q.reserve(KEY, 1, 1) == TOO_MANY_REQUESTS


def test_the_standin_answers_a_call_over_the_quota_with_a_throttling_exception(fake_aws_credentials):
    import json

    import boto3
    from botocore.config import Config

    from toolkit.local.bedrock_standin import BedrockStandIn

    with BedrockStandIn(tokens_per_minute=2_000) as server:
        client = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=server.url,
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )
        body = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 1_000,
            "system": "Extract facts from pharma news items.",
            "messages": [{"role": "user", "content": "id1\tTitle\tText"}],
        }
        with pytest.raises(client.exceptions.ThrottlingException, match="Too many tokens"):
            client.invoke_model(modelId=MODEL, body=json.dumps(body))
        (call,) = server.calls
    assert (call["status"], call["fault"], call["input_tokens"]) == (429, "quota", 0)


def raw_items(n: int):
    from vectora_core.models import RawItem

    now = datetime(2026, 11, 30, tzinfo=UTC)
    return [
        RawItem(f"i{k}", "fda_press", f"https://x/{k}", f"FDA approves UZEDY label {k}", "Teva said.", now, f"h{k}")
        for k in range(n)
    ]


@pytest.fixture
def quota_standin(monkeypatch):
    """The stand-in with a small quota on a clock the engine's waits advance."""
    from toolkit.local.bedrock_standin import BedrockStandIn
    from toolkit.local.bedrock_standin.quota import Quotas

    clock = Clock()
    with BedrockStandIn() as server:
        server.quotas = Quotas(clock=clock)
        server.configure(tokens_per_minute=6_000, latency_ms=300)  # one normalization batch in flight at a time
        use_lambda_environment(
            monkeypatch,
            LLM_BACKEND="bedrock",
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME=server.url,
            BEDROCK_MAX_ATTEMPTS="1",
            NORMALIZATION_BATCH_SIZE="3",
            NORMALIZATION_CONCURRENCY="3",
        )
        yield server, clock


def normalize_with_patience(patience: str, clock, monkeypatch):
    from conftest import REPO_ROOT

    from vectora_core.client_config import parse_scopes
    from vectora_core.llm import bedrock
    from vectora_core.llm.base import Budget
    from vectora_core.settings import load_settings

    monkeypatch.setenv("BEDROCK_THROTTLE_PATIENCE_SECONDS", patience)
    bedrock.reset_clients()
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.advance(seconds)

    llm = bedrock.BedrockLLM(load_settings(), sleep=sleep)
    scopes_key = "canonical/lai_scopes.yaml"
    scopes = parse_scopes((REPO_ROOT / "config" / scopes_key).read_text(), scopes_key)
    return llm.normalize(raw_items(9), scopes, Budget.unlimited()), slept


def test_the_engine_waits_for_the_quota_instead_of_degrading(quota_standin, monkeypatch):
    server, clock = quota_standin
    done, slept = normalize_with_patience("300", clock, monkeypatch)
    assert [n.degraded for n in done] == [False] * 9
    assert slept and any(c["fault"] == "quota" for c in server.calls)
    assert len([c for c in server.calls if c["status"] == 200]) == 3  # each batch answered once


def test_without_patience_a_throttled_batch_falls_back_offline(quota_standin, monkeypatch):
    _server, clock = quota_standin
    done, slept = normalize_with_patience("0", clock, monkeypatch)
    assert slept == [] and any(n.degraded and "throttled" in n.degraded_reason for n in done)
