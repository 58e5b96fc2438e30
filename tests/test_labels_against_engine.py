"""The engine's selection over the sample week compared with the careful reader's labels (sample_feeds/labels.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import LAMBDA_ENV, engine_buckets, fresh_handler, record_run, use_lambda_environment

# The whole engine, run many times over (make test-fast leaves it out).
pytestmark = pytest.mark.slow

LABELS_FILE = Path(__file__).resolve().parent.parent / "sample_feeds" / "labels.yaml"


@pytest.fixture(scope="module")
def labels_by_title() -> dict[str, dict]:
    labels = yaml.safe_load(LABELS_FILE.read_text())
    return {
        label["title"]: dict(label, source_id=source_id) for source_id, entries in labels.items() for label in entries
    }


@pytest.fixture(scope="module")
def selected() -> list[dict]:
    """The items the offline engine selected for the default week, from its manifest."""
    from toolkit.local.sample_feeds import SampleFeedServer

    with pytest.MonkeyPatch.context() as patch, SampleFeedServer() as feeds:
        use_lambda_environment(patch)
        with engine_buckets(feeds.base_url) as s3, fresh_handler() as handler:
            recorded = record_run(handler, s3, {"client_id": "lai_weekly_v3", "period_days": 7})
    manifest = json.loads(recorded.read(LAMBDA_ENV["NEWSLETTERS_BUCKET"], recorded.result["s3"]["manifest"]))
    assert len(manifest["items"]) >= 10
    return manifest["items"]


def test_every_selected_item_is_a_labelled_sample_item(selected, labels_by_title):
    assert [item["title"] for item in selected if item["title"] not in labels_by_title] == []


def test_no_item_labelled_noise_is_selected(selected, labels_by_title):
    assert [item["title"] for item in selected if labels_by_title[item["title"]]["noise"]] == []


def test_selected_event_types_agree_with_the_labels(selected, labels_by_title):
    agree = sum(item["event_type"] == labels_by_title[item["title"]]["event_type"] for item in selected)
    assert agree / len(selected) >= 0.9


def test_a_story_told_by_several_sources_is_selected_once_with_their_links(selected, labels_by_title):
    sources_by_story: dict[str, set[str]] = {}
    for label in labels_by_title.values():
        if label.get("story"):
            sources_by_story.setdefault(label["story"], set()).add(label["source_id"])
    stories = [labels_by_title[item["title"]].get("story") for item in selected]
    told = [story for story in stories if story]
    assert told and len(told) == len(set(told))  # no story selected twice
    for item, story in zip(selected, stories, strict=True):
        if story:
            linked = {link["source_id"] for link in item["links"]}
            assert len(linked) >= 2 and linked <= sources_by_story[story], item["title"]


def test_no_selected_story_joins_items_the_labels_tell_apart(selected, labels_by_title):
    """Items without a story id are each their own story: joining one to another is a wrong merge."""
    from datetime import UTC, datetime

    from toolkit.local.sample_feeds import render, source_ids
    from vectora_core.ingest.parse import parse_feed

    today = datetime.now(UTC)
    titles = {}
    for source in source_ids():
        feed = render(source, today.date())
        titles.update({i.item_id: i.title for i in parse_feed(feed.body, source, today, feed.content_type).items})

    def story(title: str) -> str:
        return labels_by_title[title].get("story") or f"alone: {title}"

    wrong = [
        f"{item['title']} + {titles[other]}"
        for item in selected
        for other in item["merged_item_ids"]
        if story(titles[other]) != story(item["title"])
    ]
    assert wrong == []
