"""The labelled evaluation weeks: committed as generated, and the engine meets its relevance targets on them."""

from datetime import date

import pytest

from toolkit.drivers import eval_corpus
from toolkit.drivers.evaluate import TARGETS, evaluate

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def results():
    return evaluate(TODAY)


def test_committed_weeks_are_what_the_generator_writes(tmp_path):
    eval_corpus.generate(tmp_path)
    for week in ("week1", "week2"):
        for written in sorted((tmp_path / week).iterdir()):
            committed = eval_corpus.EVAL_DIR / week / written.name
            assert committed.read_bytes() == written.read_bytes(), (
                f"{week}/{written.name}: run python -m toolkit.drivers.eval_corpus"
            )


@pytest.mark.parametrize("week", ["week1", "week2"])
def test_week_is_mostly_off_topic_over_eight_sources(results, week):
    figures = results["weeks"][week]["offline"]
    assert 0.85 <= 1 - figures["relevant_items"] / figures["items"] <= 0.9
    assert figures["items"] >= (150 if week == "week1" else 60)


CASES = [(w, b) for w in ("week1", "week2") for b in ("offline", "standin")]


@pytest.mark.parametrize("week,backend", CASES)
def test_selection_precision_meets_target(results, week, backend):
    assert results["weeks"][week][backend]["precision"] >= TARGETS["precision"]


@pytest.mark.parametrize("week,backend", CASES)
def test_must_include_recall_meets_target(results, week, backend):
    assert results["weeks"][week][backend]["must_include_recall"] >= TARGETS["must_include_recall"]


@pytest.mark.parametrize("week,backend", CASES)
def test_all_relevant_recall_meets_target(results, week, backend):
    assert results["weeks"][week][backend]["relevant_recall"] >= TARGETS["relevant_recall"]


@pytest.mark.parametrize("week,backend", CASES)
def test_no_story_is_split_across_selected_items(results, week, backend):
    assert results["weeks"][week][backend]["stories_split"] == 0


@pytest.mark.parametrize("week,backend", CASES)
def test_no_tldr_line_is_off_topic(results, week, backend):
    assert results["weeks"][week][backend]["tldr_off_topic_lines"] == 0


@pytest.mark.parametrize("week,backend", CASES)
def test_screen_lets_every_relevant_item_through(results, week, backend):
    assert results["weeks"][week][backend]["screen_recall"] == 1.0


def test_realistic_week_has_over_400_items_about_5_percent_relevant(tmp_path):
    counts = eval_corpus.realistic_week(tmp_path)
    assert counts["items"] >= 400
    assert 0.04 <= counts["relevant"] / counts["items"] <= 0.06


def test_sample_corpus_selection_holds_no_noise_and_screens_out_no_relevant_item():
    from datetime import timedelta

    import yaml

    from toolkit.drivers.evaluate import load_client, make_llm, reference_now
    from toolkit.local.sample_feeds import CORPUS_DIR, render, source_ids
    from vectora_core import scoring
    from vectora_core.ingest.parse import parse_feed
    from vectora_core.llm.base import Budget
    from vectora_core.screen import split_by_screen

    now = reference_now(TODAY)
    labels = yaml.safe_load((CORPUS_DIR / "labels.yaml").read_text())
    items, noise = [], {}
    for source in source_ids():
        feed = render(source, TODAY)
        by_title = {entry["title"]: entry for entry in labels[source]}
        for item in parse_feed(feed.body, source, now, feed.content_type).items:
            if now - timedelta(days=7) <= item.published <= now:
                items.append(item)
                noise[item.item_id] = by_title[item.title]["noise"]
    client = load_client()
    passed, screened_out = split_by_screen(items, client.scopes)
    assert all(noise[s.item.item_id] for s in screened_out)
    normalized = make_llm("offline").normalize(passed, client.scopes, Budget.unlimited())
    merged, _ = scoring.merge_duplicates([c for c in (scoring.score_item(n, client, now, 7) for n in normalized) if c])
    selected = scoring.select(merged, client)
    assert selected and not [s.item.title for s in selected if noise[s.item.item_id]]
