"""The stand-in's editorial, as the engine's prompt asks for it: about the lead it names, in whole sentences that fit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from toolkit.local.bedrock_standin import editorial_answer, whole_sentences
from vectora_core.llm.prompts import build_editorial_prompt
from vectora_core.models import NormalizedItem, ScoredItem, Section

SECTIONS = (Section("regulatory", "Regulatory", ("regulatory",), 4), Section("clinical", "Clinical", ("clinical",), 4))


def _scored(item_id, section_id, companies, trademarks, summary, score) -> ScoredItem:
    item = NormalizedItem(
        item_id=item_id,
        source_id="sample",
        url=f"https://example.invalid/{item_id}",
        title=summary,
        published=datetime(2026, 11, 20, tzinfo=UTC),
        content_hash=item_id,
        summary=summary,
        event_type=section_id,
        companies=tuple(companies),
        molecules=(),
        trademarks=tuple(trademarks),
        technologies=(),
        backend="bedrock",
    )
    return ScoredItem(item=item, score=score, breakdown={}, domains=("lai",), section_id=section_id, links=())


def _user(*selected) -> str:
    return build_editorial_prompt("LAI Weekly", date(2026, 11, 16), date(2026, 11, 22), SECTIONS, selected)[1]


APPROVAL = ("e1", "regulatory", ["Teva"], ["UZEDY"], "FDA approves a label update for Teva's UZEDY.")
READOUT = ("e2", "clinical", ["Camurus"], ["CAM2029"], "Camurus reports positive Phase 3 results for CAM2029.")


def test_the_title_and_intro_are_about_the_lead_the_prompt_names_not_the_first_item():
    data = editorial_answer(_user(_scored(*APPROVAL, 5.0), _scored(*READOUT, 9.0)))
    assert data["title"] == "LAI Weekly: Camurus leads the week"
    assert "The lead: Camurus reports positive Phase 3 results for CAM2029." in data["intro"]


def test_a_summary_too_long_for_a_tldr_line_is_left_out_rather_than_cut():
    long_one = "FDA approves UZEDY, " + "and more words about it, " * 8 + "for bipolar I disorder."
    data = editorial_answer(_user(_scored("e1", "regulatory", ["Teva"], ["UZEDY"], long_one, 5.0)))
    assert long_one not in data["tldr"] and all("…" not in line and line.endswith(".") for line in data["tldr"])


def test_a_section_intro_says_its_main_event_and_who_else_not_a_count():
    second = ("e3", "regulatory", ["Indivior"], ["SUBLOCADE"], "FDA approves SUBLOCADE label changes.")
    data = editorial_answer(_user(_scored(*APPROVAL, 5.0), _scored(*second, 4.0)))
    assert data["sections"]["regulatory"] == (
        "FDA approves a label update for Teva's UZEDY. Also in this section: SUBLOCADE."
    )


def test_whole_sentences_never_cut_one():
    assert whole_sentences("One short. Then a much longer second sentence.", 20) == "One short."
    assert whole_sentences("A single sentence longer than the room.", 10) == ""
