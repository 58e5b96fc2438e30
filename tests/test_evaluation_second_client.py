"""GLP-1 & Obesity Weekly's labelled weeks (eval/glp1_obesity_weekly/), measured by the same evaluation as LAI
Weekly's — the engine's own stages, story clustering included — and held to the same targets on its tuning weeks."""

from __future__ import annotations

from datetime import date

import pytest

from toolkit.drivers import evaluate
from toolkit.drivers.eval_weeks import TUNING, client_dir, weeks_on_disk

# The whole engine, run many times over (make test-fast leaves it out).
pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 26)
CLIENT = "glp1_obesity_weekly"
BACKENDS = ("offline", "standin")
CASES = [(w, b) for w in TUNING[CLIENT] for b in BACKENDS]


@pytest.fixture(scope="module")
def results():
    return evaluate.evaluate(TODAY, purpose="tuning", only=(CLIENT,))["clients"][CLIENT]


def test_the_second_clients_weeks_are_found_in_its_own_folder():
    assert weeks_on_disk(CLIENT)[:2] == ("week1", "week2")


# The weeks rendered as feeds with labels.yaml; the hand-written week3 is a crowded week of 45 items by design
# (eval/README.md), tuned on since it was read to find what failed.
FEED_WEEKS = tuple(w for w in TUNING[CLIENT] if (client_dir(CLIENT) / w / "labels.yaml").is_file())


def test_the_weeks_rendered_as_feeds_are_weeks_1_and_2():
    assert FEED_WEEKS == ("week1", "week2")


@pytest.mark.parametrize("week", FEED_WEEKS)
def test_each_week_rendered_as_feeds_is_mostly_off_topic_news_with_traps(results, week):
    figures = results["weeks"][week]["offline"]
    assert 1 - figures["counts"]["relevant_items"] / figures["items"] >= 0.75 and figures["items"] >= 60


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_tuning_weeks_meet_every_target_overall(results, backend):
    assert evaluate.missed_targets(results["overall"]["tuning"][backend]) == []


@pytest.mark.parametrize("week,backend", CASES)
def test_each_tuning_week_meets_the_precision_and_recall_targets(results, week, backend):
    figures = results["weeks"][week][backend]
    assert figures["precision"] >= evaluate.TARGETS["precision"][1]
    assert figures["missing_must_include"] == []
    assert figures["relevant_recall"] >= evaluate.TARGETS["relevant_recall"][1]
    assert figures["screen_recall"] == 1.0 and figures["tldr_off_topic_lines"] == 0


@pytest.mark.parametrize("week,backend", CASES)
def test_no_story_is_split_or_wrongly_merged(results, week, backend):
    # week2's "Novo files CagriSema with the FDA" was filed `other` when the scopes knew "submits" but not "files".
    figures = results["weeks"][week][backend]
    assert (figures["split_stories"], figures["wrong_merges_seen"]) == ([], [])


@pytest.mark.parametrize("week,backend", CASES)
def test_no_ungrounded_mention_and_no_trailing_ellipsis(results, week, backend):
    figures = results["weeks"][week][backend]
    assert (figures["ungrounded_seen"], figures["ellipses_seen"]) == ([], [])
