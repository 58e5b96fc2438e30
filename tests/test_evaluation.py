"""The labelled evaluation weeks: the engine meets the issue's targets on LAI Weekly's tuning weeks, the evaluation
runs every client's weeks in both formats with the engine's own stages, and no test reads a held-out week (those
only `invoke eval` reports)."""

import json
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from toolkit.drivers import eval_corpus, eval_weeks, evaluate
from toolkit.drivers.eval_weeks import HELD_OUT, TUNING, TUNING_WEEKS, HeldOutWeekError, load_week

# The whole engine, run many times over (make test-fast leaves it out).
pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 26)
TESTS = Path(__file__).resolve().parent
LAI = eval_weeks.FIRST_CLIENT


@pytest.fixture(scope="module")
def results():
    return evaluate.evaluate(TODAY, purpose="tuning", only=(LAI,))


def test_committed_generated_weeks_are_what_the_generator_writes(tmp_path):
    eval_corpus.generate(tmp_path)
    for week in ("week1", "week2"):
        for written in sorted((tmp_path / week).iterdir()):
            committed = eval_corpus.EVAL_DIR / week / written.name
            assert committed.read_bytes() == written.read_bytes(), (
                f"{week}/{written.name}: run python -m toolkit.drivers.eval_corpus"
            )


def test_there_are_six_labelled_weeks_or_more():
    assert len(TUNING[LAI]) + len(HELD_OUT[LAI]) >= 6


def test_every_week_on_disk_is_in_one_set_of_its_client():
    assert eval_weeks.undeclared_weeks() == []
    for client_id in eval_weeks.clients():
        assert not set(TUNING[client_id]) & set(HELD_OUT[client_id])
        assert set(eval_weeks.weeks_on_disk(client_id)) == set(TUNING[client_id] + HELD_OUT[client_id])


def test_every_declared_held_out_week_refuses_to_be_read_for_tuning():
    """A loop rather than a parametrized test, so an empty held-out set still runs (and checks) something."""
    declared = [(c, w) for c, weeks in HELD_OUT.items() for w in weeks]
    refused = []
    for client_id, week in declared:
        with pytest.raises(HeldOutWeekError, match="held out"):
            load_week(week, TODAY, client_id=client_id)
        refused.append((client_id, week))
    assert refused == declared


def test_the_tuning_run_reads_only_tuning_weeks(results):
    assert set(results["clients"][LAI]["weeks"]) == set(TUNING_WEEKS)
    assert "held_out" not in results["overall"] and "held_out" not in results["clients"][LAI]["overall"]


def test_no_test_module_names_a_held_out_week():
    """The guards here are the only place a test may name them."""
    offenders = []
    for module in sorted(TESTS.glob("test_*.py")):
        if module.name == "test_evaluation.py":
            continue
        text = module.read_text(encoding="utf-8")
        offenders += [
            f"{module.name}: {client_id}/{week}"
            for client_id, weeks in HELD_OUT.items()
            for week in weeks
            if any(re.search(name, text) for name in _names_of(client_id, week))
        ]
    assert offenders == []


def _names_of(client_id: str, week: str) -> list[str]:
    """How a test would name a held-out week: LAI Weekly's by its folder name; another client's by its path, or by
    its folder name in a module that names the client, unless LAI Weekly has a week of that name too."""
    names = [rf"{client_id}/{week}\b"]
    if client_id == LAI or week not in TUNING[LAI] + HELD_OUT[LAI]:
        names.append(f'"{week}"')
    return names


CASES = [(w, b) for w in TUNING_WEEKS for b in evaluate.BACKENDS]


@pytest.mark.parametrize("backend", evaluate.BACKENDS)
def test_tuning_weeks_meet_every_target_overall(results, backend):
    assert evaluate.missed_targets(results["clients"][LAI]["overall"]["tuning"][backend]) == []
    assert evaluate.missed_targets(results["overall"]["tuning"][backend]) == []


@pytest.mark.parametrize("week,backend", CASES)
def test_selection_precision_meets_target(results, week, backend):
    assert results["clients"][LAI]["weeks"][week][backend]["precision"] >= 0.95


@pytest.mark.parametrize("week,backend", CASES)
def test_every_must_include_story_is_selected(results, week, backend):
    assert results["clients"][LAI]["weeks"][week][backend]["missing_must_include"] == []


@pytest.mark.parametrize("week,backend", CASES)
def test_no_story_is_split_or_wrongly_merged(results, week, backend):
    figures = results["clients"][LAI]["weeks"][week][backend]
    assert (figures["split_stories"], figures["wrong_merges_seen"]) == ([], [])


@pytest.mark.parametrize("week,backend", CASES)
def test_clustering_is_exact_on_the_tuning_weeks(results, week, backend):
    figures = results["clients"][LAI]["weeks"][week][backend]
    assert (figures["clustering_precision"], figures["clustering_recall"]) == (1.0, 1.0)


@pytest.mark.parametrize("week,backend", CASES)
def test_screen_lets_every_relevant_item_through(results, week, backend):
    assert results["clients"][LAI]["weeks"][week][backend]["missed_by_screen"] == []


@pytest.mark.parametrize("week,backend", CASES)
def test_no_ungrounded_mention_and_no_trailing_ellipsis(results, week, backend):
    figures = results["clients"][LAI]["weeks"][week][backend]
    assert (figures["ungrounded_seen"], figures["ellipses_seen"]) == ([], [])


def test_a_week_of_hand_written_items_parses_undated_and_non_english_items():
    week = load_week("week3", TODAY)
    undated = [week.labels[i.item_id]["title"] for i in week.items if not i.dated]
    assert "Luye's risperidone microsphere shot clears European hurdle" in undated
    titles = {week.labels[i.item_id]["title"] for i in week.items}
    assert "绿叶制药利培酮缓释微球注射液（Rykindo）获欧盟上市许可" in titles


def test_eval_writes_an_untracked_file_unless_asked_to_update_the_reference(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate, "RESULTS", tmp_path / "out" / "eval.json")
    monkeypatch.setattr(evaluate, "REFERENCE", tmp_path / "bench" / "eval.json")
    monkeypatch.setattr(evaluate, "evaluate", lambda today, purpose: {"meets_targets": True, "missed_targets": []})
    monkeypatch.setattr(evaluate, "report", lambda results: ["report"])
    evaluate.main(TODAY, printer=lambda _line: None, tuning_only=True)
    assert (tmp_path / "out" / "eval.json").exists() and not (tmp_path / "bench" / "eval.json").exists()
    evaluate.main(TODAY, printer=lambda _line: None, update_reference=True)
    assert json.loads((tmp_path / "bench" / "eval.json").read_text())["meets_targets"] is True


def test_the_reference_figures_cover_every_week():
    with pytest.raises(evaluate.EvalError, match="every week"):
        evaluate.main(TODAY, printer=lambda _line: None, update_reference=True, tuning_only=True)


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
    from vectora_core.stories import cluster_stories

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
    candidates = [c for c in (scoring.score_item(n, client, now, 7) for n in normalized) if c]
    merged, _ = cluster_stories(candidates, client)
    selected = scoring.select(merged, client)
    assert selected and not [s.item.title for s in selected if noise[s.item.item_id]]


def test_the_results_file_holds_exactly_the_results_in_few_lines(results):
    text = evaluate.to_json(results)
    assert json.loads(text) == json.loads(json.dumps(results)) and len(text.splitlines()) < 150
