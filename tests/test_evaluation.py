"""The labelled evaluation weeks: committed as generated, and the engine meets its relevance targets on them."""

from datetime import date

import pytest

from toolkit import eval_corpus
from toolkit.evaluate import TARGETS, evaluate

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def results():
    return evaluate(TODAY)


def test_committed_weeks_are_what_the_generator_writes(tmp_path):
    eval_corpus.generate(tmp_path)
    for week in ("week1", "week2"):
        for written in sorted((tmp_path / week).iterdir()):
            committed = eval_corpus.EVAL_DIR / week / written.name
            assert committed.read_bytes() == written.read_bytes(), f"{week}/{written.name}: run python -m toolkit.eval_corpus"


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
