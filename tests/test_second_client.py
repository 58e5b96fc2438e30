"""A second client in another field (GLP-1 and obesity drugs): its editions, offline and through the Bedrock
stand-in, against the careful reader's labels (sample_feeds/obesity/labels.yaml); and nothing in the engine
assumes the field of the first client."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import LAMBDA_ENV, engine_buckets, fresh_handler, record_run, use_lambda_environment

# The whole engine, run many times over (make test-fast leaves it out).
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
CLIENT = "glp1_obesity_weekly"
LABELS = yaml.safe_load((REPO_ROOT / "sample_feeds" / "obesity" / "labels.yaml").read_text())


def _labels_by_title() -> dict[str, dict]:
    own = {feed: entries for feed, entries in LABELS.items() if feed != "shared_feeds"}
    every = {**own, **LABELS["shared_feeds"]}
    return {entry["title"]: dict(entry, source_id=feed) for feed, entries in every.items() for entry in entries}


BY_TITLE = _labels_by_title()


def _edition(backend: str) -> dict:
    from toolkit.local.bedrock_standin import BedrockStandIn
    from toolkit.local.sample_feeds import SampleFeedServer

    with pytest.MonkeyPatch.context() as patch, SampleFeedServer() as feeds, BedrockStandIn() as standin:
        overrides = {"LLM_BACKEND": backend}
        if backend == "bedrock":
            overrides["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = standin.url
        use_lambda_environment(patch, **overrides)
        with engine_buckets(feeds.base_url) as s3, fresh_handler() as handler:
            recorded = record_run(handler, s3, {"client_id": CLIENT, "period_days": 7})
        prompts = [c for c in standin.calls if c["purpose"] == "normalization"]
    assert recorded.result["status"] == "ok", recorded.result
    manifest = json.loads(recorded.read(LAMBDA_ENV["NEWSLETTERS_BUCKET"], recorded.result["s3"]["manifest"]))
    return {"result": recorded.result, "manifest": manifest, "normalization_calls": prompts}


@pytest.fixture(scope="module", params=["offline", "bedrock"])
def edition(request):
    return _edition(request.param)


def test_the_edition_selects_only_items_labelled_on_topic(edition):
    titles = [item["title"] for item in edition["manifest"]["items"]]
    assert len(titles) >= 8
    assert [t for t in titles if not BY_TITLE[t]["relevant"]] == []


def test_the_edition_carries_every_must_include_story(edition):
    stories = {BY_TITLE[item["title"]].get("story") for item in edition["manifest"]["items"]}
    must = {label["story"] for label in BY_TITLE.values() if label.get("must_include")}
    assert must and must <= stories


def test_no_trap_of_the_field_is_selected(edition):
    traps = {title for title, label in BY_TITLE.items() if label.get("trap")}
    assert traps and not traps & {item["title"] for item in edition["manifest"]["items"]}


def test_nothing_of_the_first_clients_field_reaches_the_edition(edition):
    lai_titles = {
        e["title"]
        for entries in yaml.safe_load((REPO_ROOT / "sample_feeds" / "labels.yaml").read_text()).values()
        for e in entries
    }
    shared_on_topic = {t for t, label in BY_TITLE.items() if label["relevant"]}
    leaked = {item["title"] for item in edition["manifest"]["items"]} & (lai_titles - shared_on_topic)
    assert leaked == set()


def test_the_edition_is_filed_in_the_clients_own_sections(edition):
    sections = {item["section"] for item in edition["manifest"]["items"]}
    assert sections <= {"regulatory", "clinical", "deals", "supply_access"} and "supply_access" in sections


def test_the_model_is_asked_about_the_clients_field():
    from vectora_core.client_config import parse_client_config, parse_scopes
    from vectora_core.llm.prompts import build_normalization_prompt

    config = REPO_ROOT / "config"
    client = parse_client_config(
        (config / "clients" / f"{CLIENT}.yaml").read_text(),
        f"clients/{CLIENT}.yaml",
        lambda key: parse_scopes((config / key).read_text(), key),
    )
    system, _user = build_normalization_prompt([], [r.event_type for r in client.scopes.event_types], client.scopes)
    assert "Field: GLP-1 and obesity drugs." in system
    assert "injectable" not in system.lower() and "depot" not in system.lower()


def test_the_standin_reads_a_field_from_its_canonical_scopes():
    from toolkit.local.bedrock_standin.fields import field_answer

    system = "Extract facts from pharma news items. Field: GLP-1 and obesity drugs. on_topic: ..."
    on = field_answer(system, "Zepbound sales rise", "Lilly said demand for its obesity drug kept growing.")
    rating = field_answer(system, "Viking Therapeutics upgraded to overweight", "Analysts like the stock.")
    competitor = field_answer(system, "A new heart drug", "It could compete with Wegovy in some patients.")
    assert on["on_topic"] and "Zepbound" in on["trademarks"]
    assert not rating["on_topic"] and not competitor["on_topic"]
    assert field_answer(system.replace("GLP-1 and obesity drugs", "long-acting injectables"), "x", "y") is None


def _engine_string_literals() -> list[tuple[str, int, str]]:
    literals = []
    for path in sorted((REPO_ROOT / "lambda_src").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                literals.append((str(path.relative_to(REPO_ROOT)), node.lineno, node.value))
    return literals


def test_no_string_of_the_engine_names_the_first_clients_field():
    scopes = yaml.safe_load((REPO_ROOT / "config" / "canonical" / "lai_scopes.yaml").read_text())
    words = {"LAI", "long-acting injectable", *scopes["vocabulary"], *scopes["other_senses"]}
    for kind in ("companies", "molecules", "trademarks", "technologies"):
        for entity in scopes[kind]:
            words |= {str(entity["name"]), *map(str, entity["aliases"])}
    field_word = re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?![\w-])",
        re.IGNORECASE,
    )
    found = [(path, line, text[:60]) for path, line, text in _engine_string_literals() if field_word.search(text)]
    assert found == []
