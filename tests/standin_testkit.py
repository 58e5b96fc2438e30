"""What the Bedrock stand-in tests share: realistic prompts of the engine, a real boto3 `bedrock-runtime` client
signed for a Region, and the stand-in itself as a fixture."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from toolkit.local.bedrock_standin import BedrockStandIn
from vectora_core.llm.prompts import (
    build_editorial_prompt,
    build_normalization_prompt,
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


def scored(
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
    scored(
        "e1",
        "regulatory",
        "regulatory",
        ["MedinCell", "Teva"],
        ["risperidone"],
        ["UZEDY"],
        "FDA approves a label update for UZEDY, the risperidone LAI from Teva and MedinCell.",
    ),
    scored(
        "e2",
        "clinical",
        "clinical",
        ["Camurus"],
        ["octreotide"],
        ["CAM2029"],
        "Camurus reports positive Phase 3 topline results for CAM2029 in acromegaly.",
    ),
    scored(
        "e3",
        "industry",
        "manufacturing",
        ["Alkermes"],
        ["aripiprazole"],
        ["ARISTADA"],
        "Alkermes expands microsphere manufacturing capacity for ARISTADA in Ohio.",
    ),
    scored(
        "e4",
        "industry",
        "partnership",
        ["Indivior"],
        ["buprenorphine"],
        [],
        "Indivior signs a licensing agreement for a new buprenorphine depot.",
    ),
)


def anthropic_body(system: str, user: str, max_tokens: int = 2000) -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": max_tokens,
            "temperature": 0.2,
            "system": system,
            "messages": [{"role": "user", "content": user}],
        }
    )


def runtime_client(region: str, endpoint_url: str | None, read_timeout: float = 10):
    return boto3.client(
        "bedrock-runtime",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=read_timeout),
    )


def call_model(client, model_id: str, body: str) -> dict:
    response = client.invoke_model(
        modelId=model_id, body=body, contentType="application/json", accept="application/json"
    )
    response["parsed"] = json.loads(response["body"].read())
    return response


def answer_text(response: dict) -> str:
    return response["parsed"]["content"][0]["text"]


def http_json(url: str, method: str = "GET", payload: dict | None = None) -> tuple[int, dict]:
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
    return runtime_client("eu-west-3", standin.url)


@pytest.fixture
def normalization_prompt():
    return build_normalization_prompt(NORMALIZATION_ITEMS, EVENT_TYPES)


@pytest.fixture
def editorial_prompt():
    return build_editorial_prompt("LAI Weekly", date(2026, 11, 16), date(2026, 11, 22), SECTIONS, SELECTED)


def is_valid_normalization(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return validate_normalization(data, ["n1", "n2", "n3"], EVENT_TYPES) == []


GOOD_REQUEST = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "hello"}],
}
