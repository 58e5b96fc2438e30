"""The editorial's check: whichever backend wrote it, the edition names only what its stories hold, in whole sentences."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from vectora_core.client_config import parse_client_config, parse_scopes
from vectora_core.faithfulness import check_editorial, ungrounded_count
from vectora_core.llm.base import EditorialRequest
from vectora_core.llm.offline import offline_editorial
from vectora_core.models import Editorial, EditorialSection, NormalizedItem, ScoredItem

CONFIG = Path(__file__).resolve().parent.parent / "config"


@pytest.fixture(scope="module")
def client():
    scopes = parse_scopes((CONFIG / "canonical/lai_scopes.yaml").read_text(), "canonical/lai_scopes.yaml")
    return parse_client_config(
        (CONFIG / "clients/lai_weekly_v3.yaml").read_text(), "clients/lai_weekly_v3.yaml", lambda _: scopes
    )


def story(item_id, section_id, score, title, summary, companies=(), trademarks=(), molecules=()) -> ScoredItem:
    item = NormalizedItem(
        item_id=item_id,
        source_id="fierce_pharma",
        url=f"https://example.com/{item_id}",
        title=title,
        published=datetime(2026, 11, 24, tzinfo=UTC),
        content_hash=item_id,
        summary=summary,
        event_type=section_id,
        companies=companies,
        molecules=molecules,
        trademarks=trademarks,
        technologies=(),
        backend="bedrock",
    )
    return ScoredItem(item, score, {"event": score}, ("lai",), section_id, ((item.source_id, item.url),))


# The olanzapine approval names UZEDY only further down its text (a tag); the generic's story names the originator's
# product but not the originator.
OLANZAPINE = story(
    "olz",
    "regulatory",
    20.0,
    "FDA approves Teva and MedinCell's olanzapine injection TEV-'749",
    "The FDA approved TEV-'749, a monthly olanzapine injection developed by Teva with MedinCell.",
    companies=("Teva", "MedinCell"),
    trademarks=("TEV-'749", "UZEDY"),
    molecules=("olanzapine",),
)
GENERIC = story(
    "gen",
    "regulatory",
    12.0,
    "FDA approves the first generic of Invega Sustenna",
    "The FDA approved Teva's generic of Invega Sustenna (paliperidone palmitate), a monthly injection.",
    companies=("Teva", "Johnson & Johnson"),
    trademarks=("INVEGA SUSTENNA",),
    molecules=("paliperidone",),
)
DEAL = story(
    "deal",
    "partnerships",
    9.0,
    "Indivior to acquire an implant developer for up to $410 million",
    "Indivior agreed to buy a buprenorphine implant developer for $240 million upfront.",
    companies=("Indivior",),
    molecules=("buprenorphine",),
)
SELECTED = (OLANZAPINE, GENERIC, DEAL)


def request(client, selected=SELECTED) -> EditorialRequest:
    return EditorialRequest(client, date(2026, 11, 18), date(2026, 11, 25), tuple(selected))


def editorial(**changes) -> Editorial:
    fields = dict(
        title="LAI Weekly: TEV-'749 leads the week",
        intro="The FDA approved TEV-'749 from Teva and MedinCell. Indivior agreed to buy an implant developer.",
        tldr=(
            "The FDA approved TEV-'749, a monthly olanzapine injection.",
            "Indivior agreed to pay $240 million upfront for an implant developer.",
        ),
        sections=(
            EditorialSection("regulatory", "Teva's TEV-'749 won FDA approval, and Teva's generic followed."),
            EditorialSection("partnerships", "Indivior is buying an implant developer."),
        ),
        backend="bedrock",
        model_id="eu.model",
    )
    fields.update(changes)
    return Editorial(**fields)


def test_a_grounded_editorial_passes_unchanged(client):
    checked = check_editorial(editorial(), request(client))
    assert checked == editorial() and checked.corrections == ()


def test_a_product_that_is_only_a_tag_on_another_story_is_removed_and_counted(client):
    intro = "The FDA approved TEV-'749 from Teva and MedinCell. Top stories: UZEDY and Indivior's deal."
    checked = check_editorial(editorial(intro=intro), request(client))
    assert checked.intro == "The FDA approved TEV-'749 from Teva and MedinCell."
    assert ungrounded_count(checked) == 1 and "UZEDY" in checked.corrections[0]


def test_a_generic_credited_to_the_originator_is_removed(client):
    tldr = ("Johnson & Johnson's INVEGA SUSTENNA faces its first generic.", *editorial().tldr)
    checked = check_editorial(editorial(tldr=tldr), request(client))
    assert checked.tldr == editorial().tldr and ungrounded_count(checked) == 2
    assert "Johnson & Johnson, which no story of this edition names" in checked.corrections[0]
    assert "Johnson & Johnson credited with INVEGA SUSTENNA, which no story does" in checked.corrections[1]


def test_a_company_credited_with_a_product_no_story_gives_it_is_removed(client):
    tldr = ("MedinCell's INVEGA SUSTENNA generic was approved.", *editorial().tldr)
    checked = check_editorial(editorial(tldr=tldr), request(client))
    assert checked.tldr == editorial().tldr
    assert any("MedinCell credited with INVEGA SUSTENNA" in c for c in checked.corrections)


def test_a_lead_that_is_not_the_highest_scored_story_gives_way_to_the_extractive_title(client):
    checked = check_editorial(editorial(title="LAI Weekly: Indivior leads the week"), request(client))
    assert checked.title == offline_editorial(request(client)).title
    assert any(c.startswith("replaced: title") for c in checked.corrections)


def test_a_section_intro_names_only_stories_of_its_section(client):
    sections = (
        EditorialSection("regulatory", "Two approvals. Indivior also made a deal."),
        EditorialSection("partnerships", "Indivior is buying an implant developer."),
    )
    checked = check_editorial(editorial(sections=sections), request(client))
    assert checked.sections[0].intro == "Two approvals."


def test_a_figure_no_story_gives_is_removed_but_one_a_story_gives_is_kept(client):
    tldr = ("Indivior will pay $500 million.", "Indivior pays $240 million upfront.")
    assert check_editorial(editorial(tldr=tldr), request(client)).tldr == ("Indivior pays $240 million upfront.",)


def test_a_drug_code_no_story_names_is_removed(client):
    intro = "The FDA approved TEV-'749. ALKS 2680 also moved forward."
    assert check_editorial(editorial(intro=intro), request(client)).intro == "The FDA approved TEV-'749."


def test_an_unfinished_sentence_is_dropped_whatever_wrote_it(client):
    tldr = ("The FDA approved TEV-'749, a monthly olanzapine…", "Indivior agreed to buy an implant developer.")
    checked = check_editorial(editorial(tldr=tldr), request(client))
    assert checked.tldr == ("Indivior agreed to buy an implant developer.",)
    assert any(c.startswith("unfinished: tldr") for c in checked.corrections)


def test_a_sentence_beyond_the_length_the_edition_allows_is_dropped_not_cut(client):
    long_intro = "The FDA approved TEV-'749. " + "Teva and MedinCell celebrated the approval at length. " * 15
    checked = check_editorial(editorial(intro=long_intro), request(client))
    assert len(checked.intro) <= 600 and checked.intro.endswith(".") and "…" not in checked.intro


def test_a_title_cut_short_gives_way_to_the_extractive_title(client):
    checked = check_editorial(editorial(title="LAI Weekly: Teva and MedinCell's olanzapine…"), request(client))
    assert checked.title == offline_editorial(request(client)).title


def test_a_part_left_empty_is_taken_from_the_extractive_editorial(client):
    checked = check_editorial(editorial(intro="UZEDY leads. PERSERIS follows."), request(client))
    assert checked.intro == offline_editorial(request(client)).intro
    assert "replaced: intro: replaced by the extractive intro" in checked.corrections


def test_a_section_the_model_left_out_gets_the_extractive_intro(client):
    sections = (EditorialSection("regulatory", "Two approvals."),)
    checked = check_editorial(editorial(sections=sections), request(client))
    extractive = {s.section_id: s.intro for s in offline_editorial(request(client)).sections}
    assert dict((s.section_id, s.intro) for s in checked.sections)["partnerships"] == extractive["partnerships"]


def test_the_check_is_idempotent(client):
    once = check_editorial(editorial(intro="UZEDY leads. The FDA approved TEV-'749."), request(client))
    assert check_editorial(once, request(client)) == once


def test_the_extractive_editorial_passes_its_own_check(client):
    extractive = offline_editorial(request(client))
    assert check_editorial(extractive, request(client)).corrections == ()


def test_an_empty_edition_is_left_as_it_is(client):
    quiet = offline_editorial(request(client, ()))
    assert check_editorial(quiet, request(client, ())) == quiet


def test_corrections_survive_the_editorial_cache():
    from vectora_core.serialize import editorial_from_dict, editorial_to_dict

    corrected = replace(editorial(), corrections=("ungrounded: intro: removed a sentence naming UZEDY",))
    assert editorial_from_dict(editorial_to_dict(corrected)) == corrected
