"""The editorial's check in detail: what each part's corrections say, figures and drug codes as stories write them,
credits, false leads, exact lengths and sections the client does not have."""

from __future__ import annotations

import pytest
from test_faithfulness import CONFIG, DEAL, GENERIC, OLANZAPINE, SELECTED, editorial, request, story

from vectora_core.client_config import parse_client_config, parse_scopes
from vectora_core.faithfulness import TITLE_MAX, _clean, _Story, check_editorial
from vectora_core.llm.offline import offline_editorial
from vectora_core.models import EditorialSection

FALSE_LEAD = "Indivior's buprenorphine deal leads the week."
NOT_THE_LEAD = "ungrounded: {}: removed a sentence naming Indivior, buprenorphine called the lead, which is not the "


@pytest.fixture(scope="module")
def client():
    scopes = parse_scopes((CONFIG / "canonical/lai_scopes.yaml").read_text(), "canonical/lai_scopes.yaml")
    return parse_client_config(
        (CONFIG / "clients/lai_weekly_v3.yaml").read_text(), "clients/lai_weekly_v3.yaml", lambda _: scopes
    )


def corrections_of(client, **changes) -> tuple[str, ...]:
    return check_editorial(editorial(**changes), request(client)).corrections


def test_an_intro_calling_a_lesser_story_the_lead_loses_that_sentence(client):
    intro = f"The FDA approved TEV-'749 from Teva and MedinCell. {FALSE_LEAD}"
    checked = check_editorial(editorial(intro=intro), request(client))
    assert checked.intro == "The FDA approved TEV-'749 from Teva and MedinCell."
    assert checked.corrections[0].startswith(NOT_THE_LEAD.format("intro"))


def test_a_tldr_line_calling_a_lesser_story_the_lead_is_removed(client):
    checked = check_editorial(editorial(tldr=(FALSE_LEAD, *editorial().tldr)), request(client))
    assert checked.tldr == editorial().tldr and checked.corrections[0].startswith(NOT_THE_LEAD.format("tldr"))


def test_a_section_intro_calling_a_lesser_story_the_lead_loses_that_sentence(client):
    sections = (
        EditorialSection("regulatory", "Teva's TEV-'749 won FDA approval."),
        EditorialSection("partnerships", f"Indivior is buying an implant developer. {FALSE_LEAD}"),
    )
    checked = check_editorial(editorial(sections=sections), request(client))
    assert checked.sections[1].intro == "Indivior is buying an implant developer."
    assert checked.corrections[0].startswith(NOT_THE_LEAD.format("section partnerships"))


def test_a_companys_own_lead_over_its_rivals_claims_nothing_of_the_edition(client):
    line = "Indivior bets on buprenorphine to stretch its addiction lead."
    checked = check_editorial(editorial(tldr=(line, *editorial().tldr)), request(client))
    assert checked.tldr[0] == line and not any("called the lead" in c for c in checked.corrections)


def test_a_lesser_story_that_leads_its_rivals_is_still_no_lead_of_the_edition(client):
    line = "Indivior's buprenorphine deal leads the week, widening its lead."
    checked = check_editorial(editorial(tldr=(line, *editorial().tldr)), request(client))
    assert checked.tldr == editorial().tldr


def test_the_sentences_after_an_ungrounded_one_are_kept(client):
    intro = "UZEDY leads. The FDA approved TEV-'749."
    assert check_editorial(editorial(intro=intro), request(client)).intro == "The FDA approved TEV-'749."


def test_the_sentences_after_an_unfinished_one_are_kept(client):
    intro = "The FDA approved TEV-'749, a monthly... Indivior agreed to buy an implant developer."
    checked = check_editorial(editorial(intro=intro), request(client))
    assert checked.intro == "Indivior agreed to buy an implant developer."
    assert checked.corrections == ("unfinished: intro: dropped an unfinished sentence",)


def test_a_last_sentence_without_its_full_stop_is_dropped(client):
    intro = "The FDA approved TEV-'749. Indivior agreed to buy an implant developer"
    assert check_editorial(editorial(intro=intro), request(client)).intro == "The FDA approved TEV-'749."


def _stories(client):
    return [_Story.of(s, client.scopes) for s in SELECTED]


def test_sentences_filling_the_limit_exactly_are_kept(client):
    text = "The FDA approved TEV-'749. Indivior agreed to buy an implant developer."
    log: list[str] = []
    assert _clean(text, len(text), _stories(client), None, client.scopes, "intro", log) == text and log == []


def test_a_sentence_one_character_beyond_the_limit_is_dropped_and_logged(client):
    text = "The FDA approved TEV-'749. Indivior agreed to buy an implant developer."
    log: list[str] = []
    kept = _clean(text, len(text) - 1, _stories(client), None, client.scopes, "intro", log)
    assert kept == "The FDA approved TEV-'749."
    assert log == [f"unfinished: intro: dropped a sentence beyond {len(text) - 1} characters"]


def test_a_title_of_the_longest_length_is_kept(client):
    title = (
        "LAI Weekly: the FDA approves TEV-'749, the monthly olanzapine injection of Teva and MedinCell, "
        "while Indivior agrees to buy the buprenorphine implant developers"
    )
    assert len(title) == TITLE_MAX
    assert check_editorial(editorial(title=title), request(client)).title == title


def test_a_title_one_character_too_long_is_replaced_and_says_why(client):
    title = "LAI Weekly: " + "TEV-'749 " * 20
    title = title[: TITLE_MAX + 1]
    checked = check_editorial(editorial(title=title), request(client))
    assert checked.title == offline_editorial(request(client)).title
    assert checked.corrections == ("replaced: title: replaced by the extractive title (it was cut short or too long)",)


def test_a_title_with_two_ungrounded_names_gives_both_reasons(client):
    corrections = corrections_of(client, title="LAI Weekly: UZEDY and PERSERIS")
    assert corrections[0] == (
        "replaced: title: replaced by the extractive title (UZEDY, which no story of this edition names; "
        "PERSERIS, which no story of this edition names)"
    )


def test_a_tldr_with_no_grounded_line_is_the_extractive_tldr(client):
    checked = check_editorial(editorial(tldr=("UZEDY leads.", "PERSERIS follows.")), request(client))
    assert checked.tldr == offline_editorial(request(client)).tldr
    assert checked.corrections[-1] == "replaced: tldr: replaced by the extractive TL;DR"


def test_a_section_the_model_left_out_is_logged_as_replaced_only(client):
    checked = check_editorial(editorial(sections=(editorial().sections[0],)), request(client))
    assert checked.corrections == ("replaced: section partnerships: replaced by the extractive section intro",)


def test_sections_come_in_the_client_s_order_whatever_the_stories_order(client):
    checked = check_editorial(editorial(), request(client, (DEAL, OLANZAPINE, GENERIC)))
    assert [s.section_id for s in checked.sections] == ["regulatory", "partnerships"]


def test_a_section_the_client_does_not_have_comes_last_with_no_extractive_intro(client):
    aside = story("aside", "conferences", 1.0, "Teva presents at a congress", "Teva presented its pipeline.", ("Teva",))
    checked = check_editorial(editorial(), request(client, (aside, *SELECTED)))
    assert [(s.section_id, s.intro) for s in checked.sections][-1] == ("conferences", "")


def test_a_drug_code_written_with_other_punctuation_is_the_story_s_code(client):
    intro = "The FDA approved TEV-749."
    assert check_editorial(editorial(intro=intro), request(client)).intro == intro


def test_a_drug_code_sharing_only_its_digits_with_a_story_s_is_removed_and_named(client):
    intro = "The FDA approved TEV-'749. ALKS 749 is next."
    checked = check_editorial(editorial(intro=intro), request(client))
    assert checked.intro == "The FDA approved TEV-'749."
    assert checked.corrections == (
        "ungrounded: intro: removed a sentence naming ALKS 749, which no story of this edition names",
    )


def test_a_figure_no_story_gives_is_named_in_the_correction(client):
    corrections = corrections_of(client, tldr=("Indivior will pay $500 million.", *editorial().tldr))
    assert corrections == (
        "ungrounded: tldr: removed a sentence naming the figure $500, which no story of this edition gives",
    )


ROYALTY = story(
    "royalty",
    "partnerships",
    5.0,
    "Camurus licenses its depot technology",
    "Camurus will receive a 2,5% royalty and €7,5 million upfront.",
    companies=("Camurus",),
)


def test_a_figure_with_a_decimal_point_matches_a_story_s_decimal_comma(client):
    tldr = ("Camurus gets a 2.5% royalty.",)
    assert check_editorial(editorial(tldr=tldr), request(client, (*SELECTED, ROYALTY))).tldr == tldr


def test_a_figure_with_a_decimal_comma_matches_a_story_s_decimal_comma(client):
    tldr = ("Camurus gets €7,5 million upfront.",)
    assert check_editorial(editorial(tldr=tldr), request(client, (*SELECTED, ROYALTY))).tldr == tldr


def test_a_percentage_no_story_gives_is_removed_and_one_a_story_gives_is_kept(client):
    tldr = ("Camurus gets a 4% royalty.", "Camurus gets a 2,5 percent royalty.")
    checked = check_editorial(editorial(tldr=tldr), request(client, (*SELECTED, ROYALTY)))
    assert checked.tldr == ("Camurus gets a 2,5 percent royalty.",)
    assert "naming the figure 4%, which no story" in checked.corrections[0]


def test_a_company_named_before_another_company_s_product_is_not_credited_with_it(client):
    tldr = ("Indivior agreed to buy an implant developer as Teva's TEV-'749 won approval.",)
    assert check_editorial(editorial(tldr=tldr), request(client)).tldr == tldr


def test_a_story_naming_just_the_company_and_its_product_grounds_the_credit(client):
    label = story(
        "label",
        "regulatory",
        30.0,
        "Teva's UZEDY gets a new label",
        "Teva updated the UZEDY label.",
        ("Teva",),
        ("UZEDY",),
    )
    tldr = ("Teva's UZEDY got a new label.",)
    assert _Story.of(label, client.scopes).names == {"Teva", "UZEDY"}
    assert check_editorial(editorial(tldr=tldr), request(client, (label, *SELECTED))).tldr == tldr
