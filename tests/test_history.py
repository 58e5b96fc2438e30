"""The edition history that keeps a story from being sent twice, and the first-seen dates a feed state keeps
(the dates themselves: test_first_seen.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from conftest import LAMBDA_ENV, read_object

from vectora_core import layout
from vectora_core.history import PublishedStory, published_before, with_edition, withhold_published
from vectora_core.models import NormalizedItem, RawItem, ScoredItem

pytestmark = pytest.mark.slow

DATA = LAMBDA_ENV["DATA_BUCKET"]
NOW = datetime(2026, 11, 26, 6, tzinfo=UTC)


def _raw(item_id="a", dated=True, published=NOW - timedelta(days=1)):
    return RawItem(item_id, "fierce_pharma", f"https://example.com/{item_id}", "Title", "Text", published, "h", dated)


def _scored(item_id="a", event_type="clinical", significance="notable", merged=()):
    item = NormalizedItem(
        item_id,
        "fierce_pharma",
        "https://example.com/a",
        "Camurus starts trial",
        NOW,
        "h",
        "Summary.",
        event_type,
        ("Camurus",),
        (),
        (),
        (),
        "offline",
        significance=significance,
    )
    return ScoredItem(item, 10.0, {}, ("addiction_lai",), "", (("fierce_pharma", item.url),), tuple(merged))


# --- first-seen dates ------------------------------------------------------------------------------------


def test_ingest_remembers_first_seen_dates_in_the_feed_state():
    from vectora_core.ingest.fetch import FetchResult
    from vectora_core.models import Source
    from vectora_core.pipeline import Edges, ingest_source
    from vectora_core.settings import load_settings

    feed = b"<rss version='2.0'><channel><title>t</title><item><title>Undated LAI news</title><link>https://example.com/u</link><description>x</description></item></channel></rss>"
    settings = load_settings({**LAMBDA_ENV, "LLM_BACKEND": "offline"})
    source = Source("fierce_pharma", "Fierce", "https://example.com/feed", "trade_press")

    def fetch(url, **_kw):
        return FetchResult(200, feed, "application/rss+xml", "", "", url, 1)

    monday = Edges(s3=None, llm=None, fetch=fetch, now=lambda: NOW)
    first = ingest_source(source, {}, settings, monday)
    next_week = Edges(s3=None, llm=None, fetch=fetch, now=lambda: NOW + timedelta(days=7))
    second = ingest_source(source, first.state, settings, next_week)
    assert second.items[0].published == first.items[0].published == NOW


# --- history ---------------------------------------------------------------------------------------------


def test_story_published_earlier_is_withheld_with_where_it_appeared():
    published = [PublishedStory("2026-11-19", frozenset({"a"}), "clinical", "notable", "Camurus starts trial")]
    eligible, withheld = withhold_published([_scored()], published)
    assert eligible == [] and withheld[0]["published_in"] == "2026-11-19"


def test_story_told_by_another_source_already_published_is_withheld():
    published = [PublishedStory("2026-11-19", frozenset({"b"}), "clinical", "notable", "t")]
    eligible, _withheld = withhold_published([_scored("a", merged=("b",))], published)
    assert eligible == []


def test_story_whose_event_type_changed_is_selected_again_saying_what_changed():
    published = [PublishedStory("2026-11-19", frozenset({"a"}), "clinical", "notable", "t")]
    eligible, withheld = withhold_published([_scored(event_type="regulatory")], published)
    assert withheld == [] and "from clinical to regulatory" in eligible[0].republished


def test_story_whose_significance_rose_is_selected_again():
    published = [PublishedStory("2026-11-19", frozenset({"a"}), "clinical", "notable", "t")]
    eligible, _ = withhold_published([_scored(significance="major")], published)
    assert "from notable to major" in eligible[0].republished


def test_rerun_of_the_same_edition_does_not_withhold_its_own_stories():
    recorded = with_edition({}, date(2026, 11, 26), NOW, [_scored()])
    assert published_before(recorded, date(2026, 11, 26)) == []
    assert len(published_before(recorded, date(2026, 12, 3))) == 1


def test_rerun_of_an_edition_replaces_its_record():
    once = with_edition({}, date(2026, 11, 26), NOW, [_scored("a")])
    twice = with_edition(once, date(2026, 11, 26), NOW, [_scored("b")])
    assert [s["item_ids"] for e in twice["editions"] for s in e["stories"]] == [["b"]]


# --- end to end, offline backend on the emulated S3 ------------------------------------------------------


@pytest.fixture
def run(handler_module, context):
    def _run(**payload):
        return handler_module.lambda_handler({"client_id": "lai_weekly_v3", **payload}, context)

    return _run


def test_publishing_run_records_its_edition_in_the_history(run, s3):
    result = run()
    recorded = json.loads(read_object(s3, DATA, layout.history_key("lai_weekly_v3")))
    assert recorded["editions"][-1]["date"] == result["period"]["date"]
    assert len(recorded["editions"][-1]["stories"]) == result["counts"]["selected"]


@pytest.mark.parametrize("mode", ["smoke", "drill", "bench"])
def test_check_runs_never_enter_the_history(run, s3, mode):
    result = run(mode=mode)
    assert result["status"] == "ok"
    assert "Contents" not in s3.list_objects_v2(Bucket=DATA, Prefix="history/")


def test_stories_of_yesterdays_edition_are_not_selected_today(run, s3):
    today = datetime.now(UTC).date()
    yesterday = run(target_date=(today - timedelta(days=1)).isoformat())
    result = run()
    manifest = json.loads(read_object(s3, result["s3"]["bucket"], result["s3"]["manifest"]))
    withheld = {w["item_id"] for w in manifest["already_published"]}
    assert result["counts"]["already_published"] == len(withheld) > 0
    yesterday_manifest = json.loads(read_object(s3, yesterday["s3"]["bucket"], yesterday["s3"]["manifest"]))
    yesterday_ids = {i["item_id"] for i in yesterday_manifest["items"]} | {
        m for i in yesterday_manifest["items"] for m in i["merged_item_ids"]
    }
    today_ids = {i["item_id"] for i in manifest["items"]}
    assert not {
        i
        for i in today_ids
        if i in yesterday_ids and not next(x for x in manifest["items"] if x["item_id"] == i)["republished"]
    }
