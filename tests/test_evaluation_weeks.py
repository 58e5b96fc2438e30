"""How the evaluation finds, splits and loads weeks: every client with weeks in eval/, both week formats, the tuning and
held-out sets apart (an empty held-out set included), and a week in no set refused with what to do. The weeks here
are small ones written in a scratch folder, so the held-out guard is checked whatever eval/ holds."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from toolkit.drivers import eval_weeks, evaluate
from toolkit.drivers.eval_weeks import EVAL_DIR, FIRST_CLIENT, EvalError, HeldOutWeekError, load_week

# The whole engine, run many times over (make test-fast leaves it out).
pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 26)
OTHER = "glp1_obesity_weekly"


def _write_week(folder: Path, spec: dict) -> None:
    folder.mkdir(parents=True)
    (folder / "week.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _relevant(story: str, event_type: str = "regulatory") -> dict:
    return {"story": story, "event_type": event_type, "significance": "major", "must_include": True}


LAI_HELD_OUT_WEEK = {
    "description": "a scratch held-out week",
    "set": "held_out",
    "padding": {"items": 6, "seed": 9},
    "items": [
        {
            "source": "teva_press",
            "date": "-1@09:00",
            "title": "Teva Announces FDA Approval of UZEDY for a New Indication",
            "text": "Teva announced that the FDA approved UZEDY (risperidone) extended-release injectable suspension.",
            "label": _relevant("uzedy_approval"),
        },
        {
            "source": "fierce_pharma",
            "date": "-1@15:00",
            "title": "Teva's Uzedy wins another FDA nod",
            "text": "The FDA approved a new use of Teva's long-acting risperidone shot Uzedy.",
            "label": _relevant("uzedy_approval"),
        },
    ],
}
OTHER_CLIENT_WEEK = {
    "description": "a scratch week of another client: its own sources, its own off-topic items, no padding",
    "set": "tuning",
    "sources": {
        "obesity_wire": {"name": "Obesity Wire", "kind": "trade_press", "format": "atom", "site": "https://ow.example/"}
    },
    "padding": {"items": 0},
    "items": [
        {
            "source": "lilly_press",
            "date": "-2@12:00",
            "title": "FDA approves Zepbound for a new indication in adults with obesity",
            "text": "Eli Lilly said the FDA approved Zepbound (tirzepatide) injection for a new use in adults with obesity.",
            "label": _relevant("zepbound_approval"),
        },
        {
            "source": "obesity_wire",
            "date": "-2@17:00",
            "title": "Lilly's Zepbound gets FDA approval for a new use",
            "text": "Eli Lilly won FDA approval of Zepbound (tirzepatide) for a new use in adults living with obesity.",
            "label": _relevant("zepbound_approval"),
        },
        {
            "source": "obesity_wire",
            "date": "-3@10:00",
            "title": "Hospital group opens a new cardiology wing",
            "text": "A hospital group opened a new cardiology wing with forty beds.",
            "label": {"trap": "noise"},
        },
    ],
}


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """eval/ with LAI Weekly's week1 and week3, a held-out LAI week90, another client's generated week1 and
    hand-written week5; the sets declared to match."""
    root = tmp_path / "eval"
    root.mkdir()
    for name in ("week1", "week3"):
        shutil.copytree(EVAL_DIR / name, root / name)
    _write_week(root / "week90", LAI_HELD_OUT_WEEK)
    shutil.copytree(EVAL_DIR / OTHER / "week1", root / OTHER / "week1")
    _write_week(root / OTHER / "week5", OTHER_CLIENT_WEEK)
    monkeypatch.setattr(eval_weeks, "TUNING", {FIRST_CLIENT: ("week1", "week3"), OTHER: ("week1", "week5")})
    monkeypatch.setattr(eval_weeks, "HELD_OUT", {FIRST_CLIENT: ("week90",), OTHER: ()})
    return root


def test_a_held_out_week_cannot_be_read_for_tuning(scratch):
    with pytest.raises(HeldOutWeekError, match="lai_weekly_v3/week90 is held out"):
        load_week("week90", TODAY, scratch)
    assert load_week("week90", TODAY, scratch, purpose="report").held_out


def test_a_hand_written_week_saying_another_set_than_the_code_is_refused(scratch, monkeypatch):
    monkeypatch.setattr(eval_weeks, "HELD_OUT", {FIRST_CLIENT: (), OTHER: ()})
    monkeypatch.setattr(eval_weeks, "TUNING", {FIRST_CLIENT: ("week1", "week3", "week90"), OTHER: ("week1", "week5")})
    with pytest.raises(EvalError, match="week90/week.yaml says set: 'held_out'"):
        load_week("week90", TODAY, scratch)


def test_another_clients_hand_written_week_loads_with_its_declared_sources_and_no_padding(scratch):
    week = load_week("week5", TODAY, scratch, client_id=OTHER)
    assert week.client_id == OTHER and len(week.items) == 3
    assert [s.source_id for s in week.extra_sources] == ["obesity_wire"]
    assert {label["source"] for label in week.labels.values()} == {"lilly_press", "obesity_wire"}


def test_another_clients_week_asking_for_the_lai_padding_is_refused(scratch):
    spec = {**OTHER_CLIENT_WEEK, "padding": {"items": 10, "seed": 1}}
    (scratch / OTHER / "week5" / "week.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(EvalError, match=r"padding: \{items: 0\}"):
        load_week("week5", TODAY, scratch, client_id=OTHER)


def test_a_week_in_no_set_stops_the_evaluation_saying_where_to_declare_it(scratch):
    shutil.copytree(EVAL_DIR / "week4", scratch / "week4")
    with pytest.raises(EvalError, match=r"lai_weekly_v3/week4; add each to TUNING or HELD_OUT"):
        evaluate.evaluate(TODAY, eval_dir=scratch, backends=("offline",))


def test_a_tuning_run_reads_every_clients_tuning_weeks_and_no_held_out_week(scratch):
    results = evaluate.evaluate(TODAY, eval_dir=scratch, backends=("offline",), purpose="tuning")
    assert {c: list(data["weeks"]) for c, data in results["clients"].items()} == {
        FIRST_CLIENT: ["week1", "week3"],
        OTHER: ["week1", "week5"],
    }
    assert list(results["overall"]) == ["tuning"]
    assert results["overall"]["tuning"]["weeks"] == [
        f"{FIRST_CLIENT}/week1",
        f"{FIRST_CLIENT}/week3",
        f"{OTHER}/week1",
        f"{OTHER}/week5",
    ]


def test_the_report_gives_each_client_its_sets_apart_and_every_client_together(scratch):
    results = evaluate.evaluate(TODAY, eval_dir=scratch, backends=("offline",))
    lai, other = results["clients"][FIRST_CLIENT], results["clients"][OTHER]
    assert lai["overall"]["held_out"]["weeks"] == ["week90"] and "held_out" not in other["overall"]
    assert results["overall"]["held_out"]["weeks"] == [f"{FIRST_CLIENT}/week90"]
    # The scratch weeks are small, but each is measured: the other client's story told twice is one story.
    assert other["weeks"]["week5"]["offline"]["selected"] == 1
    assert other["weeks"]["week5"]["offline"]["stories_split"] == 0
    lines = evaluate.report(results, ("offline",))
    assert any(line.startswith("lai_weekly_v3 · offline") and "week90*" in line for line in lines)
    assert any(line.startswith("every client · offline") and "all held_out" in line for line in lines)


def test_an_empty_held_out_set_is_reported_as_such(scratch, monkeypatch):
    monkeypatch.setattr(eval_weeks, "HELD_OUT", {FIRST_CLIENT: (), OTHER: ()})
    monkeypatch.setattr(eval_weeks, "TUNING", {FIRST_CLIENT: ("week1", "week3"), OTHER: ("week1",)})
    shutil.rmtree(scratch / "week90")
    shutil.rmtree(scratch / OTHER / "week5")
    results = evaluate.evaluate(TODAY, eval_dir=scratch, backends=("offline",))
    assert "held_out" not in results["overall"]
    assert any("no held-out week is declared" in line for line in evaluate.report(results, ("offline",)))


def test_a_declared_week_missing_from_disk_is_named(scratch):
    shutil.rmtree(scratch / OTHER / "week5")
    with pytest.raises(EvalError, match="glp1_obesity_weekly: weeks declared in eval_weeks.py but not in eval/: week5"):
        evaluate.evaluate(TODAY, eval_dir=scratch, backends=("offline",))
