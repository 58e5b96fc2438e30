"""The Bedrock stand-in's faults, as Bedrock answers them: throttling, unavailability, malformed, cut or refused
answers, bad requests and refused models."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from standin_testkit import (
    EU_MODEL,
    GOOD_REQUEST,
    answer_text,
    anthropic_body,
    call_model,
    editorial_prompt,
    eu_client,
    http_json,
    is_valid_normalization,
    normalization_prompt,
    runtime_client,
    standin,
)

from toolkit.local.bedrock_standin import BedrockStandIn


def test_throttle_rate_one_raises_throttling_exception(standin, eu_client, normalization_prompt):
    standin.configure(throttle_rate=1.0)

    with pytest.raises(eu_client.exceptions.ThrottlingException) as raised:
        call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))

    assert raised.value.response["Error"]["Message"] == "Too many requests, please wait before trying again."
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert [c["status"] for c in standin.calls] == [429]


def test_botocore_standard_mode_retries_throttled_calls(standin, normalization_prompt):
    standin.configure(throttle_rate=1.0)
    client = boto3.client(
        "bedrock-runtime",
        region_name="eu-west-3",
        endpoint_url=standin.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 2, "mode": "standard"}),
    )

    with pytest.raises(client.exceptions.ThrottlingException):
        call_model(client, EU_MODEL, anthropic_body(*normalization_prompt))

    assert [c["status"] for c in standin.calls] == [429, 429]


def _statuses(seed: int, prompt: tuple[str, str], calls: int = 12) -> list[int]:
    with BedrockStandIn(throttle_rate=0.5, seed=seed) as server:
        client = runtime_client("eu-west-3", server.url)
        for _ in range(calls):
            try:
                call_model(client, EU_MODEL, anthropic_body(*prompt))
            except client.exceptions.ThrottlingException:
                pass
        return [c["status"] for c in server.calls]


def test_throttle_rate_is_reproducible_for_a_seed(normalization_prompt):
    first = _statuses(7, normalization_prompt)

    assert first == _statuses(7, normalization_prompt)
    assert set(first) == {200, 429}


@pytest.mark.parametrize(
    ("setting", "code", "status"),
    [("unavailable_rate", "ServiceUnavailableException", 503), ("model_timeout_rate", "ModelTimeoutException", 408)],
)
def test_fault_rates_surface_as_bedrock_error_codes(standin, eu_client, normalization_prompt, setting, code, status):
    standin.configure(**{setting: 1.0})

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_malformed_rate_one_makes_every_answer_fail_validation(standin, eu_client, normalization_prompt):
    standin.configure(malformed_rate=1.0)

    texts = [answer_text(call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))) for _ in range(8)]

    assert not any(is_valid_normalization(text) for text in texts)
    assert {c["fault"] for c in standin.calls} == {"malformed"}


def test_malformed_answers_vary_between_prose_truncation_and_schema_breaks(standin, eu_client, normalization_prompt):
    standin.configure(malformed_rate=1.0)

    texts = {answer_text(call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))) for _ in range(12)}

    assert len(texts) == 3


def test_malformed_rate_zero_keeps_answers_valid(eu_client, normalization_prompt):
    texts = [answer_text(call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))) for _ in range(3)]

    assert all(is_valid_normalization(text) for text in texts)


@pytest.mark.parametrize(
    ("body", "message_part"),
    [
        ("not json", "Malformed input request"),
        (
            json.dumps({k: v for k, v in GOOD_REQUEST.items() if k != "anthropic_version"}),
            "required key [anthropic_version]",
        ),
        (json.dumps({**GOOD_REQUEST, "anthropic_version": "2023-06-01"}), "anthropic_version"),
        (json.dumps({**GOOD_REQUEST, "max_tokens": 0}), "max_tokens"),
        (json.dumps({**GOOD_REQUEST, "max_tokens": "100"}), "max_tokens"),
        (json.dumps({**GOOD_REQUEST, "messages": []}), "messages"),
        (json.dumps({**GOOD_REQUEST, "messages": [{"content": "no role"}]}), "messages/0"),
        (json.dumps({**GOOD_REQUEST, "messages": [{"role": "assistant", "content": "hi"}]}), "first message"),
        (json.dumps({**GOOD_REQUEST, "system": 3}), "system"),
        (json.dumps({**GOOD_REQUEST, "temperature": 2}), "temperature"),
        (json.dumps({**GOOD_REQUEST, "modelId": EU_MODEL}), "extraneous key [modelId]"),
    ],
)
def test_bad_body_raises_validation_exception(standin, eu_client, body, message_part):
    with pytest.raises(eu_client.exceptions.ValidationException) as raised:
        eu_client.invoke_model(modelId=EU_MODEL, body=body, contentType="application/json")

    assert message_part in raised.value.response["Error"]["Message"]
    assert standin.calls[0]["status"] == 400


def test_non_anthropic_model_id_raises_validation_exception(eu_client):
    with pytest.raises(eu_client.exceptions.ValidationException):
        eu_client.invoke_model(modelId="amazon.titan-text-express-v1", body=json.dumps(GOOD_REQUEST))


def test_profile_outside_the_signed_geography_is_refused(standin):
    us_client = runtime_client("us-east-1", standin.url)

    with pytest.raises(us_client.exceptions.ValidationException):
        us_client.invoke_model(modelId=EU_MODEL, body=json.dumps(GOOD_REQUEST))


def test_profile_geography_check_can_be_switched_off(standin):
    standin.configure(check_profile_region=False)

    response = call_model(runtime_client("us-east-1", standin.url), EU_MODEL, json.dumps(GOOD_REQUEST))

    assert response["parsed"]["stop_reason"] == "end_turn"


def test_refused_calls_log_no_tokens(standin, eu_client, normalization_prompt):
    standin.configure(throttle_rate=1.0)

    with pytest.raises(eu_client.exceptions.ThrottlingException):
        call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))

    assert (standin.calls[0]["input_tokens"], standin.calls[0]["output_tokens"], standin.calls[0]["purpose"]) == (
        0,
        0,
        "normalization",
    )


def test_access_denied_models_set_through_the_control_endpoint_answer_403(standin, eu_client, normalization_prompt):
    status, _ = http_json(f"{standin.url}/_standin/config", "POST", {"access_denied_models": [EU_MODEL]})

    with pytest.raises(eu_client.exceptions.AccessDeniedException) as raised:
        call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))

    assert status == 200
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert (
        raised.value.response["Error"]["Message"] == "You don't have access to the model with the specified model ID."
    )


def test_cut_answers_end_at_max_tokens_with_invalid_json_then_answer_whole(standin, eu_client, editorial_prompt):
    standin.configure(cut_answers={"newsletter": 1})

    cut = call_model(eu_client, EU_MODEL, anthropic_body(*editorial_prompt))
    whole = call_model(eu_client, EU_MODEL, anthropic_body(*editorial_prompt))

    assert cut["parsed"]["stop_reason"] == "max_tokens"
    with pytest.raises(ValueError):
        json.loads(answer_text(cut))
    assert whole["parsed"]["stop_reason"] == "end_turn" and json.loads(answer_text(whole))


def test_refuse_answers_stop_with_refusal_and_no_text(standin, eu_client, editorial_prompt):
    standin.configure(refuse_answers={"newsletter": 1})

    response = call_model(eu_client, EU_MODEL, anthropic_body(*editorial_prompt))

    assert response["parsed"]["stop_reason"] == "refusal" and answer_text(response) == ""
