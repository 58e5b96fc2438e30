"""The local Bedrock stand-in, exercised through a real boto3 `bedrock-runtime` client: its answers and its call log."""

from __future__ import annotations

import json

import pytest
from standin_testkit import (
    EU_MODEL,
    EVENT_TYPES,
    GOOD_REQUEST,
    US_MODEL,
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

from toolkit.local.bedrock_standin import classify_event, signing_scope
from vectora_core.llm.prompts import (
    validate_editorial,
    validate_normalization,
)


@pytest.mark.parametrize(("region", "model_id"), [("eu-west-3", EU_MODEL), ("us-east-1", US_MODEL)])
def test_call_log_records_signed_region_and_decoded_model_id(standin, normalization_prompt, region, model_id):
    call_model(runtime_client(region, standin.url), model_id, anthropic_body(*normalization_prompt))

    [call] = standin.calls
    assert (call["operation"], call["region"], call["model_id"], call["status"]) == (
        "InvokeModel",
        region,
        model_id,
        200,
    )


def test_endpoint_env_variable_routes_boto3_to_the_standin(standin, normalization_prompt, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", standin.url)

    call_model(runtime_client("us-east-1", None), US_MODEL, anthropic_body(*normalization_prompt))

    assert [c["region"] for c in standin.calls] == ["us-east-1"]


def test_normalization_answer_passes_the_engine_validator(standin, eu_client, normalization_prompt):
    response = call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))

    data = json.loads(answer_text(response))
    assert validate_normalization(data, ["n1", "n2", "n3"], EVENT_TYPES) == []
    assert standin.calls[0]["purpose"] == "normalization"


def test_normalization_answer_derives_event_types_from_the_text(eu_client, normalization_prompt):
    data = json.loads(answer_text(call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))))

    assert {e["id"]: e["event_type"] for e in data["items"]} == {
        "n1": "regulatory",
        "n2": "clinical",
        "n3": "manufacturing",
    }


def test_normalization_answer_extracts_entities_as_written(eu_client, normalization_prompt):
    data = json.loads(answer_text(call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))))

    first = data["items"][0]
    assert first["companies"] == ["MedinCell", "Teva"]
    assert first["molecules"] == ["risperidone"]
    assert first["trademarks"] == ["UZEDY"]
    assert first["technologies"] == ["BEPO"]
    assert first["summary"].startswith("Teva and MedinCell announced") and len(first["summary"]) <= 200
    assert data["items"][2]["molecules"] == ["aripiprazole lauroxil"]


def test_normalization_event_type_stays_within_the_allowed_list():
    assert classify_event("FDA approves UZEDY", "The FDA approved it.", ["clinical", "other"]) == "other"
    assert classify_event("FDA approves UZEDY", "The FDA approved it.", ["clinical", "partnership"]) == "partnership"


def test_editorial_answer_passes_the_engine_validator(standin, eu_client, editorial_prompt):
    response = call_model(eu_client, EU_MODEL, anthropic_body(*editorial_prompt))

    data = json.loads(answer_text(response))
    assert validate_editorial(data, ["regulatory", "clinical", "industry"]) == []
    assert standin.calls[0]["purpose"] == "newsletter"


def test_editorial_answer_reads_from_the_items(eu_client, editorial_prompt):
    data = json.loads(answer_text(call_model(eu_client, EU_MODEL, anthropic_body(*editorial_prompt))))

    assert data["title"] == "LAI Weekly: MedinCell leads the week"
    assert (
        "4 stories in 3 sections" in data["intro"]
        and "The lead: FDA approves a label update for UZEDY" in data["intro"]
    )
    assert data["tldr"][1].startswith("Camurus reports positive Phase 3")
    assert len(data["tldr"]) == 4 and all(len(line) <= 160 and line.endswith(".") for line in data["tldr"])
    assert data["sections"]["industry"] == (
        "Alkermes expands microsphere manufacturing capacity for ARISTADA in Ohio. Also in this section: Indivior."
    )
    assert "Claude" not in json.dumps(data)


def test_answer_reports_usage_in_body_and_headers(eu_client, editorial_prompt):
    response = call_model(eu_client, EU_MODEL, anthropic_body(*editorial_prompt))

    usage = response["parsed"]["usage"]
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    prompt_chars = len(editorial_prompt[0]) + len(editorial_prompt[1])
    assert usage["input_tokens"] == round(prompt_chars / 3.5)
    assert usage["output_tokens"] == round(len(answer_text(response)) / 3.5)
    assert headers["x-amzn-bedrock-input-token-count"] == str(usage["input_tokens"])
    assert headers["x-amzn-bedrock-output-token-count"] == str(usage["output_tokens"])


def test_answer_is_labelled_as_a_standin_with_the_requested_model(eu_client, normalization_prompt):
    response = call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))

    assert response["ResponseMetadata"]["HTTPHeaders"]["x-standin"] == "1"
    assert response["parsed"]["model"] == EU_MODEL
    assert (response["parsed"]["type"], response["parsed"]["role"], response["parsed"]["stop_reason"]) == (
        "message",
        "assistant",
        "end_turn",
    )


def test_small_max_tokens_truncates_the_answer(eu_client, editorial_prompt):
    response = call_model(eu_client, EU_MODEL, anthropic_body(*editorial_prompt, max_tokens=10))

    assert response["parsed"]["stop_reason"] == "max_tokens"
    assert len(answer_text(response)) == 35


def test_call_log_entry_has_the_documented_fields(standin, eu_client, normalization_prompt):
    call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))

    [call] = standin.calls
    assert {"ts", "operation", "region", "model_id", "status", "input_tokens", "output_tokens", "purpose"} <= set(call)
    assert call["input_tokens"] > 0 and call["output_tokens"] > 0


def test_unknown_prompt_gets_a_plain_labelled_reply(standin, eu_client):
    response = call_model(eu_client, EU_MODEL, json.dumps(GOOD_REQUEST))

    assert "stand-in" in answer_text(response)
    assert standin.calls[0]["purpose"] == "unknown"


def test_unsigned_request_is_refused(standin):
    status, payload = http_json(f"{standin.url}/model/{EU_MODEL}/invoke", "POST", GOOD_REQUEST)

    assert status == 403
    assert payload["message"] == "Missing Authentication Token"


def test_unknown_route_returns_404_json(standin):
    status, payload = http_json(f"{standin.url}/model/{EU_MODEL}/nothing-here", "POST", {})

    assert status == 404
    assert "message" in payload


def test_converse_answers_with_usage(standin, eu_client, normalization_prompt):
    system, user = normalization_prompt
    response = eu_client.converse(
        modelId=EU_MODEL,
        system=[{"text": system}],
        messages=[{"role": "user", "content": [{"text": user}]}],
        inferenceConfig={"maxTokens": 2000},
    )

    data = json.loads(response["output"]["message"]["content"][0]["text"])
    assert validate_normalization(data, ["n1", "n2", "n3"], EVENT_TYPES) == []
    assert response["usage"]["totalTokens"] == response["usage"]["inputTokens"] + response["usage"]["outputTokens"]
    assert standin.calls[0]["operation"] == "Converse"


def test_signing_scope_reads_the_credential_scope():
    header = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/eu-west-3/bedrock/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )

    assert signing_scope(header) == {
        "access_key": "AKIDEXAMPLE",
        "date": "20261125",
        "region": "eu-west-3",
        "service": "bedrock",
    }
    assert signing_scope("Bearer token") is None


def test_repair_turn_is_answered_from_the_original_prompt(eu_client, normalization_prompt):
    system, user = normalization_prompt
    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 2000,
            "system": system,
            "messages": [
                {"role": "user", "content": user},
                {"role": "assistant", "content": "not json"},
                {"role": "user", "content": "Invalid answer: not JSON. Reply with the corrected JSON object only."},
            ],
        }
    )

    assert is_valid_normalization(answer_text(call_model(eu_client, EU_MODEL, body)))
