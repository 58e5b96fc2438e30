"""The local Bedrock stand-in, exercised through a real boto3 `bedrock-runtime` client."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timezone
from pathlib import Path

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from toolkit.local.bedrock_standin import BedrockStandIn, classify_event, signing_scope
from vectora_core.llm.prompts import (
    build_editorial_prompt,
    build_normalization_prompt,
    validate_editorial,
    validate_normalization,
)
from vectora_core.models import NormalizedItem, RawItem, ScoredItem, Section

REPO_ROOT = Path(__file__).resolve().parent.parent
EU_MODEL = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
US_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
EVENT_TYPES = ("regulatory", "clinical", "partnership", "financing", "manufacturing", "patent", "other")
NORMALIZATION_ITEMS = (
    RawItem(
        item_id="n1",
        source_id="medincell",
        url="https://example.invalid/n1",
        title="FDA approves label update for UZEDY",
        text="Teva and MedinCell announced that the FDA approved a label update for UZEDY (risperidone) "
        "extended-release injectable suspension. The BEPO technology enables monthly dosing.",
        published=datetime(2026, 11, 20, tzinfo=UTC),
        content_hash="h1",
    ),
    RawItem(
        item_id="n2",
        source_id="camurus",
        url="https://example.invalid/n2",
        title="Camurus reports Phase 3 topline results for CAM2029",
        text="Camurus reported positive Phase 3 topline results for CAM2029 (octreotide subcutaneous depot) "
        "built on its FluidCrystal technology. Full data will follow.",
        published=datetime(2026, 11, 19, tzinfo=UTC),
        content_hash="h2",
    ),
    RawItem(
        item_id="n3",
        source_id="trade_press",
        url="https://example.invalid/n3",
        title="Alkermes expands Medisorb manufacturing capacity",
        text="Alkermes said it will expand manufacturing capacity for ARISTADA (aripiprazole lauroxil) at its "
        "Ohio plant to secure supply.",
        published=datetime(2026, 11, 18, tzinfo=UTC),
        content_hash="h3",
    ),
)
SECTIONS = (
    Section("regulatory", "Regulatory", ("regulatory",), 4),
    Section("clinical", "Clinical development", ("clinical",), 4),
    Section("industry", "Industry", (), 4),
)


def _scored(
    item_id: str, section_id: str, event_type: str, companies, molecules, trademarks, summary: str
) -> ScoredItem:
    item = NormalizedItem(
        item_id=item_id,
        source_id="sample",
        url=f"https://example.invalid/{item_id}",
        title=summary,
        published=datetime(2026, 11, 20, tzinfo=UTC),
        content_hash=item_id,
        summary=summary,
        event_type=event_type,
        companies=tuple(companies),
        molecules=tuple(molecules),
        trademarks=tuple(trademarks),
        technologies=(),
        backend="bedrock",
    )
    return ScoredItem(item=item, score=5.0, breakdown={}, domains=("lai",), section_id=section_id, links=())


SELECTED = (
    _scored(
        "e1",
        "regulatory",
        "regulatory",
        ["MedinCell", "Teva"],
        ["risperidone"],
        ["UZEDY"],
        "FDA approves a label update for UZEDY, the risperidone LAI from Teva and MedinCell.",
    ),
    _scored(
        "e2",
        "clinical",
        "clinical",
        ["Camurus"],
        ["octreotide"],
        ["CAM2029"],
        "Camurus reports positive Phase 3 topline results for CAM2029 in acromegaly.",
    ),
    _scored(
        "e3",
        "industry",
        "manufacturing",
        ["Alkermes"],
        ["aripiprazole"],
        ["ARISTADA"],
        "Alkermes expands microsphere manufacturing capacity for ARISTADA in Ohio.",
    ),
    _scored(
        "e4",
        "industry",
        "partnership",
        ["Indivior"],
        ["buprenorphine"],
        [],
        "Indivior signs a licensing agreement for a new buprenorphine depot.",
    ),
)


def _anthropic_body(system: str, user: str, max_tokens: int = 2000) -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": max_tokens,
            "temperature": 0.2,
            "system": system,
            "messages": [{"role": "user", "content": user}],
        }
    )


def _client(region: str, endpoint_url: str | None, read_timeout: float = 10):
    return boto3.client(
        "bedrock-runtime",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=read_timeout),
    )


def _invoke(client, model_id: str, body: str) -> dict:
    response = client.invoke_model(
        modelId=model_id, body=body, contentType="application/json", accept="application/json"
    )
    response["parsed"] = json.loads(response["body"].read())
    return response


def _answer_text(response: dict) -> str:
    return response["parsed"]["content"][0]["text"]


def _http(url: str, method: str = "GET", payload: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def standin():
    with BedrockStandIn() as server:
        yield server


@pytest.fixture
def eu_client(standin):
    return _client("eu-west-3", standin.url)


@pytest.fixture
def normalization_prompt():
    return build_normalization_prompt(NORMALIZATION_ITEMS, EVENT_TYPES)


@pytest.fixture
def editorial_prompt():
    return build_editorial_prompt("LAI Weekly", date(2026, 11, 16), date(2026, 11, 22), SECTIONS, SELECTED)


@pytest.mark.parametrize(("region", "model_id"), [("eu-west-3", EU_MODEL), ("us-east-1", US_MODEL)])
def test_call_log_records_signed_region_and_decoded_model_id(standin, normalization_prompt, region, model_id):
    _invoke(_client(region, standin.url), model_id, _anthropic_body(*normalization_prompt))

    [call] = standin.calls
    assert (call["operation"], call["region"], call["model_id"], call["status"]) == (
        "InvokeModel",
        region,
        model_id,
        200,
    )


def test_endpoint_env_variable_routes_boto3_to_the_standin(standin, normalization_prompt, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", standin.url)

    _invoke(_client("us-east-1", None), US_MODEL, _anthropic_body(*normalization_prompt))

    assert [c["region"] for c in standin.calls] == ["us-east-1"]


def test_normalization_answer_passes_the_engine_validator(standin, eu_client, normalization_prompt):
    response = _invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))

    data = json.loads(_answer_text(response))
    assert validate_normalization(data, ["n1", "n2", "n3"], EVENT_TYPES) == []
    assert standin.calls[0]["purpose"] == "normalization"


def test_normalization_answer_derives_event_types_from_the_text(eu_client, normalization_prompt):
    data = json.loads(_answer_text(_invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))))

    assert {e["id"]: e["event_type"] for e in data["items"]} == {
        "n1": "regulatory",
        "n2": "clinical",
        "n3": "manufacturing",
    }


def test_normalization_answer_extracts_entities_as_written(eu_client, normalization_prompt):
    data = json.loads(_answer_text(_invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))))

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
    response = _invoke(eu_client, EU_MODEL, _anthropic_body(*editorial_prompt))

    data = json.loads(_answer_text(response))
    assert validate_editorial(data, ["regulatory", "clinical", "industry"]) == []
    assert standin.calls[0]["purpose"] == "newsletter"


def test_editorial_answer_reads_from_the_items(eu_client, editorial_prompt):
    data = json.loads(_answer_text(_invoke(eu_client, EU_MODEL, _anthropic_body(*editorial_prompt))))

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
    response = _invoke(eu_client, EU_MODEL, _anthropic_body(*editorial_prompt))

    usage = response["parsed"]["usage"]
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    prompt_chars = len(editorial_prompt[0]) + len(editorial_prompt[1])
    assert usage["input_tokens"] == round(prompt_chars / 3.5)
    assert usage["output_tokens"] == round(len(_answer_text(response)) / 3.5)
    assert headers["x-amzn-bedrock-input-token-count"] == str(usage["input_tokens"])
    assert headers["x-amzn-bedrock-output-token-count"] == str(usage["output_tokens"])


def test_answer_is_labelled_as_a_standin_with_the_requested_model(eu_client, normalization_prompt):
    response = _invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))

    assert response["ResponseMetadata"]["HTTPHeaders"]["x-standin"] == "1"
    assert response["parsed"]["model"] == EU_MODEL
    assert (response["parsed"]["type"], response["parsed"]["role"], response["parsed"]["stop_reason"]) == (
        "message",
        "assistant",
        "end_turn",
    )


def test_small_max_tokens_truncates_the_answer(eu_client, editorial_prompt):
    response = _invoke(eu_client, EU_MODEL, _anthropic_body(*editorial_prompt, max_tokens=10))

    assert response["parsed"]["stop_reason"] == "max_tokens"
    assert len(_answer_text(response)) == 35


def test_call_log_entry_has_the_documented_fields(standin, eu_client, normalization_prompt):
    _invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))

    [call] = standin.calls
    assert {"ts", "operation", "region", "model_id", "status", "input_tokens", "output_tokens", "purpose"} <= set(call)
    assert call["input_tokens"] > 0 and call["output_tokens"] > 0


def test_throttle_rate_one_raises_throttling_exception(standin, eu_client, normalization_prompt):
    standin.configure(throttle_rate=1.0)

    with pytest.raises(eu_client.exceptions.ThrottlingException) as raised:
        _invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))

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
        _invoke(client, EU_MODEL, _anthropic_body(*normalization_prompt))

    assert [c["status"] for c in standin.calls] == [429, 429]


def _statuses(seed: int, prompt: tuple[str, str], calls: int = 12) -> list[int]:
    with BedrockStandIn(throttle_rate=0.5, seed=seed) as server:
        client = _client("eu-west-3", server.url)
        for _ in range(calls):
            try:
                _invoke(client, EU_MODEL, _anthropic_body(*prompt))
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
        _invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def _is_valid_normalization(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return validate_normalization(data, ["n1", "n2", "n3"], EVENT_TYPES) == []


def test_malformed_rate_one_makes_every_answer_fail_validation(standin, eu_client, normalization_prompt):
    standin.configure(malformed_rate=1.0)

    texts = [_answer_text(_invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))) for _ in range(8)]

    assert not any(_is_valid_normalization(text) for text in texts)
    assert {c["fault"] for c in standin.calls} == {"malformed"}


def test_malformed_answers_vary_between_prose_truncation_and_schema_breaks(standin, eu_client, normalization_prompt):
    standin.configure(malformed_rate=1.0)

    texts = {_answer_text(_invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))) for _ in range(12)}

    assert len(texts) == 3


def test_malformed_rate_zero_keeps_answers_valid(eu_client, normalization_prompt):
    texts = [_answer_text(_invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))) for _ in range(3)]

    assert all(_is_valid_normalization(text) for text in texts)


_GOOD = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "hello"}],
}


@pytest.mark.parametrize(
    ("body", "message_part"),
    [
        ("not json", "Malformed input request"),
        (json.dumps({k: v for k, v in _GOOD.items() if k != "anthropic_version"}), "required key [anthropic_version]"),
        (json.dumps({**_GOOD, "anthropic_version": "2023-06-01"}), "anthropic_version"),
        (json.dumps({**_GOOD, "max_tokens": 0}), "max_tokens"),
        (json.dumps({**_GOOD, "max_tokens": "100"}), "max_tokens"),
        (json.dumps({**_GOOD, "messages": []}), "messages"),
        (json.dumps({**_GOOD, "messages": [{"content": "no role"}]}), "messages/0"),
        (json.dumps({**_GOOD, "messages": [{"role": "assistant", "content": "hi"}]}), "first message"),
        (json.dumps({**_GOOD, "system": 3}), "system"),
        (json.dumps({**_GOOD, "temperature": 2}), "temperature"),
        (json.dumps({**_GOOD, "modelId": EU_MODEL}), "extraneous key [modelId]"),
    ],
)
def test_bad_body_raises_validation_exception(standin, eu_client, body, message_part):
    with pytest.raises(eu_client.exceptions.ValidationException) as raised:
        eu_client.invoke_model(modelId=EU_MODEL, body=body, contentType="application/json")

    assert message_part in raised.value.response["Error"]["Message"]
    assert standin.calls[0]["status"] == 400


def test_non_anthropic_model_id_raises_validation_exception(eu_client):
    with pytest.raises(eu_client.exceptions.ValidationException):
        eu_client.invoke_model(modelId="amazon.titan-text-express-v1", body=json.dumps(_GOOD))


def test_profile_outside_the_signed_geography_is_refused(standin):
    us_client = _client("us-east-1", standin.url)

    with pytest.raises(us_client.exceptions.ValidationException):
        us_client.invoke_model(modelId=EU_MODEL, body=json.dumps(_GOOD))


def test_profile_geography_check_can_be_switched_off(standin):
    standin.configure(check_profile_region=False)

    response = _invoke(_client("us-east-1", standin.url), EU_MODEL, json.dumps(_GOOD))

    assert response["parsed"]["stop_reason"] == "end_turn"


def test_unknown_prompt_gets_a_plain_labelled_reply(standin, eu_client):
    response = _invoke(eu_client, EU_MODEL, json.dumps(_GOOD))

    assert "stand-in" in _answer_text(response)
    assert standin.calls[0]["purpose"] == "unknown"


def test_unsigned_request_is_refused(standin):
    status, payload = _http(f"{standin.url}/model/{EU_MODEL}/invoke", "POST", _GOOD)

    assert status == 403
    assert payload["message"] == "Missing Authentication Token"


def test_unknown_route_returns_404_json(standin):
    status, payload = _http(f"{standin.url}/model/{EU_MODEL}/nothing-here", "POST", {})

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


def test_latency_setting_is_reported_and_applied(standin, eu_client, normalization_prompt):
    standin.configure(latency_ms=80)

    _invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))

    assert _http(f"{standin.url}/_standin/health")[1]["config"]["latency_ms"] == 80
    assert standin.calls[0]["latency_ms"] >= 75  # a lower bound only: the server slept at least this long


def test_timeout_rate_outlasts_the_client_read_timeout(standin, normalization_prompt):
    standin.configure(timeout_rate=1.0, timeout_sleep_s=3.0)
    client = _client("eu-west-3", standin.url, read_timeout=0.2)

    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        _invoke(client, EU_MODEL, _anthropic_body(*normalization_prompt))


def test_control_endpoint_round_trip(standin, eu_client, normalization_prompt):
    status, configured = _http(f"{standin.url}/_standin/config", "POST", {"throttle_rate": 0.25, "latency_ms": 5})
    _invoke(_client("eu-west-3", standin.url), EU_MODEL, _anthropic_body(*normalization_prompt))
    listed = _http(f"{standin.url}/_standin/calls")[1]["calls"]
    deleted_status = _http(f"{standin.url}/_standin/calls", "DELETE")[0]
    health = _http(f"{standin.url}/_standin/health")[1]

    assert status == 200 and configured["config"]["throttle_rate"] == 0.25
    assert [c["model_id"] for c in listed] == [EU_MODEL]
    assert deleted_status == 200
    assert health["status"] == "ok" and health["calls"] == 0 and health["config"]["latency_ms"] == 5


@pytest.mark.parametrize("settings", [{"throttle_rate": 1.5}, {"no_such_setting": 1}, {"latency_ms": -1}])
def test_control_endpoint_rejects_bad_settings(standin, settings):
    status, payload = _http(f"{standin.url}/_standin/config", "POST", settings)

    assert status == 400 and payload["message"]
    assert standin.settings["throttle_rate"] == 0.0


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_cli_serves_with_its_flags_until_sigterm():
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "toolkit.local.bedrock_standin",
            "--port",
            str(port),
            "--latency-ms",
            "7",
            "--throttle-rate",
            "0.5",
            "--seed",
            "3",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        health = None
        for _ in range(100):
            try:
                health = _http(f"http://127.0.0.1:{port}/_standin/health")[1]
                break
            except OSError:
                time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    assert health is not None
    assert (health["config"]["latency_ms"], health["config"]["throttle_rate"], health["config"]["seed"]) == (7, 0.5, 3)
    assert process.returncode == 0
    assert (stdout, stderr) == (b"", b"")


def test_stop_frees_the_port():
    server = BedrockStandIn().start()
    port = server.port
    server.stop()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_concurrent_calls_are_all_answered_and_logged(standin, normalization_prompt):
    from concurrent.futures import ThreadPoolExecutor

    client = _client("us-east-1", standin.url)
    body = _anthropic_body(*normalization_prompt)
    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(lambda _: _answer_text(_invoke(client, US_MODEL, body)), range(16)))

    assert len(set(texts)) == 1 and _is_valid_normalization(texts[0])
    assert [c["status"] for c in standin.calls] == [200] * 16


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

    assert _is_valid_normalization(_answer_text(_invoke(eu_client, EU_MODEL, body)))


def test_refused_calls_log_no_tokens(standin, eu_client, normalization_prompt):
    standin.configure(throttle_rate=1.0)

    with pytest.raises(eu_client.exceptions.ThrottlingException):
        _invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))

    assert (standin.calls[0]["input_tokens"], standin.calls[0]["output_tokens"], standin.calls[0]["purpose"]) == (
        0,
        0,
        "normalization",
    )


def test_access_denied_models_set_through_the_control_endpoint_answer_403(standin, eu_client, normalization_prompt):
    status, _ = _http(f"{standin.url}/_standin/config", "POST", {"access_denied_models": [EU_MODEL]})

    with pytest.raises(eu_client.exceptions.AccessDeniedException) as raised:
        _invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))

    assert status == 200
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert (
        raised.value.response["Error"]["Message"] == "You don't have access to the model with the specified model ID."
    )


def test_cut_answers_end_at_max_tokens_with_invalid_json_then_answer_whole(standin, eu_client, editorial_prompt):
    standin.configure(cut_answers={"newsletter": 1})

    cut = _invoke(eu_client, EU_MODEL, _anthropic_body(*editorial_prompt))
    whole = _invoke(eu_client, EU_MODEL, _anthropic_body(*editorial_prompt))

    assert cut["parsed"]["stop_reason"] == "max_tokens"
    with pytest.raises(ValueError):
        json.loads(_answer_text(cut))
    assert whole["parsed"]["stop_reason"] == "end_turn" and json.loads(_answer_text(whole))


def test_refuse_answers_stop_with_refusal_and_no_text(standin, eu_client, editorial_prompt):
    standin.configure(refuse_answers={"newsletter": 1})

    response = _invoke(eu_client, EU_MODEL, _anthropic_body(*editorial_prompt))

    assert response["parsed"]["stop_reason"] == "refusal" and _answer_text(response) == ""


# --- the model's latency: time to first token plus output tokens at the output rate ----------------------


def test_model_latency_is_time_to_first_token_plus_output_at_the_rate():
    from toolkit.local.bedrock_standin import model_latency_ms

    settings = {"latency_scale": 1.0, "ttft_ms": 1800, "output_tokens_per_s": 63.0}
    assert model_latency_ms(630, settings) == pytest.approx(1800 + 10_000)


def test_model_latency_is_off_by_default():
    from toolkit.local.bedrock_standin import BedrockStandIn, model_latency_ms

    assert model_latency_ms(5000, BedrockStandIn().settings) == 0


def test_default_model_figures_are_claude_sonnet_4_5_on_bedrock():
    from toolkit.local.bedrock_standin import BedrockStandIn

    settings = BedrockStandIn().settings
    assert (settings["ttft_ms"], settings["output_tokens_per_s"]) == (1800, 63.0)


def test_scaled_model_latency_grows_with_the_answer(standin, eu_client, normalization_prompt):
    standin.configure(latency_scale=0.1, ttft_ms=500, output_tokens_per_s=50)

    _invoke(eu_client, EU_MODEL, _anthropic_body(*normalization_prompt))

    call = standin.calls[0]
    expected = 0.1 * (500 + call["output_tokens"] / 50 * 1000)
    assert call["latency_ms"] >= expected - 5


def test_output_rate_must_be_positive(standin):
    with pytest.raises(ValueError):
        standin.configure(output_tokens_per_s=0)
