"""Extraction in detail, on a small hand-made field: other senses masked through the item, deal amounts, the
significance rules' edges, why an item is off the field, and the summary's hard limit."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from vectora_core.extraction import (
    _alias_pattern,
    _largest_amount_usd,
    _single_words,
    classify_event,
    estimate_significance,
    extract,
    extractive_summary,
    mask_other_senses,
)
from vectora_core.models import Entity, EventRule, RawItem, Scopes

FIELD = Scopes(
    version="x1",
    companies=(Entity("MedinCell", ("MedinCell",), "pure_player"), Entity("Teva", ("Teva",), "big_pharma")),
    molecules=(Entity("risperidone", ("risperidone",)),),
    trademarks=(Entity("UZEDY", ("UZEDY",), "Teva"),),
    technologies=(Entity("FluidCrystal", ("FluidCrystal", "depot technology")),),
    event_types=(
        EventRule("regulatory", ("approves",), 3.0, ("complete response letter",)),
        EventRule("clinical", ("readout",), 2.0),
        EventRule("other", (), 0.5),
    ),
    vocabulary=("implant", "implants", "depot", "depots", "injectable"),
    other_senses=("breast implants", "dental implant", "regional distribution depots", "distribution depot"),
)
# A field whose technologies are named by single words only: no phrase names the field's own sense.
SINGLE_WORDS = Scopes(
    version="x2",
    companies=(),
    molecules=(),
    trademarks=(),
    technologies=(Entity("Implant", ("implant",)),),
    event_types=(EventRule("other", (), 0.5),),
    vocabulary=("implant", "implants"),
    other_senses=("breast implants",),
)


def raw(title: str, text: str) -> RawItem:
    return RawItem("i1", "trade", "https://e.com/1", title, text, datetime(2026, 11, 24, tzinfo=UTC), "h")


# --- other senses ------------------------------------------------------------------------------------------------


def test_a_plural_other_sense_masks_the_word_s_singular_and_plural_through_the_item():
    masked = mask_other_senses("FDA warns on breast implants. Each implant maker must test implants.", FIELD)
    assert "implant" not in masked.lower()


def test_a_singular_other_sense_masks_the_word_s_plural_through_the_item():
    masked = mask_other_senses("A dental implant recall. The implants were sold in Europe.", FIELD)
    assert "implant" not in masked.lower()


def test_the_word_an_other_sense_is_about_is_its_last_one():
    masked = mask_other_senses("Cardinal opens regional distribution depots. Each depot stores vaccines.", FIELD)
    assert "depot" not in masked.lower() and "Cardinal" in masked


def test_masking_keeps_every_offset():
    text = "FDA warns on breast implants. Each implant maker must test implants."
    masked = mask_other_senses(text, FIELD)
    assert len(masked) == len(text) and masked.index("maker") == text.index("maker")


def test_a_word_opening_a_phrase_of_the_field_keeps_its_own_sense():
    masked = mask_other_senses("Camurus opens a distribution depot. Its depot technology is FluidCrystal.", FIELD)
    assert "depot technology" in masked and "distribution" not in masked


def test_other_senses_are_masked_in_a_field_without_phrases_of_its_own():
    assert "implant" not in mask_other_senses("Breast implants recalled. One implant ruptured.", SINGLE_WORDS).lower()


def test_single_words_are_the_phrases_of_one_word_lower_cased():
    assert _single_words(["Implants", " depot ", "long acting", " "]) == {"implants", "depot"}


# --- event types ------------------------------------------------------------------------------------------------


def test_a_word_every_field_uses_for_an_event_sets_the_type_from_the_text_alone():
    assert classify_event("Teva update", "Regulators gave UZEDY the nod.", FIELD) == "regulatory"


def test_a_decisive_phrase_of_the_text_outweighs_a_keyword_of_the_headline():
    title, text = "Camurus readout delayed", "Camurus received a complete response letter."
    assert classify_event(title, text, FIELD) == "regulatory"


# --- amounts and significance ------------------------------------------------------------------------------------


def test_billions_with_a_decimal_comma_are_read():
    assert _largest_amount_usd("a €1,2 billion deal") == 1.2e9


def test_billions_abbreviated_are_billions():
    assert _largest_amount_usd("a $1.5bn deal") == _largest_amount_usd("a $1.5B deal") == 1.5e9


def test_millions_are_millions():
    assert _largest_amount_usd("an upfront payment of $40 million") == 40e6


def test_a_text_without_an_amount_has_none():
    assert _largest_amount_usd("an undisclosed upfront payment") == 0.0


def test_a_deal_of_exactly_the_major_amount_is_major():
    assert estimate_significance("Luye signs RYKINDO license deal", "Upfront $100 million.", "partnership") == "major"


def test_a_financing_headline_announcing_an_acquisition_is_major():
    assert estimate_significance("Novo Nordisk to acquire Camurus", "Terms were not disclosed.", "financing") == "major"


def test_an_approval_named_in_a_deal_does_not_make_the_deal_major():
    title = "MedinCell licenses its approved technology"
    assert estimate_significance(title, "The license follows the approval of UZEDY.", "partnership") == "notable"


def test_an_unrecognised_event_has_no_significance():
    assert estimate_significance("FDA approves UZEDY", "", "other") == "none"


def test_an_extracted_item_s_significance_is_that_of_its_event_type():
    assert extract(raw("FDA approves UZEDY", "Teva's UZEDY was approved."), FIELD).significance == "major"


# --- why an item is off the field --------------------------------------------------------------------------------


def test_an_item_on_the_field_has_no_note():
    extracted = extract(raw("FDA approves UZEDY", "Teva's UZEDY injectable was approved."), FIELD)
    assert extracted.on_topic and extracted.relevance_note == ""


def test_a_text_over_several_lines_is_read_whole():
    assert extract(raw("FDA decision", "The agency ruled.\nTeva's UZEDY was approved."), FIELD).on_topic


def test_a_product_named_only_as_a_yardstick_is_noted_as_such():
    extracted = extract(raw("Rival pill posts data", "The pill could compete with drugs such as UZEDY."), FIELD)
    assert (extracted.on_topic, extracted.relevance_note) == (
        False,
        "watched names appear only as competitors or yardsticks",
    )


def test_field_words_in_another_sense_are_noted_as_such():
    extracted = extract(raw("MedinCell supplier opens a distribution depot", "A new depot."), FIELD)
    assert (extracted.on_topic, extracted.relevance_note) == (False, "the field's words are used in another sense")


def test_an_item_naming_nothing_of_the_field_is_noted_as_such():
    extracted = extract(raw("Hospital opens a new wing", "The wing has 40 beds."), FIELD)
    assert (extracted.on_topic, extracted.relevance_note) == (
        False,
        "no watched product, technology or field vocabulary",
    )


# --- the summary's hard limit ------------------------------------------------------------------------------------


def test_a_first_sentence_longer_than_the_summary_but_within_its_hard_limit_is_kept_whole():
    lede = "Teva said the FDA approved UZEDY, its monthly risperidone injection, for adults living with bipolar I."
    assert 80 < len(lede) <= 80 * 320 // 220
    assert extractive_summary("Teva wins approval", lede, limit=80) == lede


# --- names in the field's other scripts, and compounds -------------------------------------------------------------


def test_a_latin_name_beside_a_chinese_or_japanese_character_is_a_word_of_its_own():
    assert _alias_pattern(["Rykindo"]).search("海外製品名Rykindo）").group() == "Rykindo"


def test_a_latin_name_inside_a_latin_word_is_not_matched():
    assert _alias_pattern(["Teva"]).search("Tevax Teva-based xTeva") is None


def test_a_name_in_chinese_or_japanese_characters_matches_beside_a_digit_or_another_word():
    assert (
        _alias_pattern(["アリピプラゾール"]).search("大塚製薬　アリピプラゾール2カ月持効性注射剤").group()
        == "アリピプラゾール"
    )


def test_a_molecule_may_open_a_hyphenated_compound():
    assert _alias_pattern(["Risperidon"], compounds=True).search("Risperidon-Mikrosphären").group() == "Risperidon"


def test_other_names_may_not_open_a_hyphenated_compound():
    assert _alias_pattern(["Risperidon"]).search("Risperidon-Mikrosphären") is None


def test_a_compound_still_needs_the_name_to_end_a_word():
    assert _alias_pattern(["olanzapine"], compounds=True).search("olanzapines xolanzapine") is None


def test_aliases_of_blanks_only_match_nothing():
    assert _alias_pattern([" ", ""]).search("any text") is None


def test_a_molecule_named_only_in_japanese_is_extracted():
    field = dataclasses.replace(FIELD, molecules=(Entity("aripiprazole", ("aripiprazole", "アリピプラゾール")),))
    assert extract(raw("アリピプラゾール2カ月持効性注射剤が承認取得", ""), field).molecules == ("aripiprazole",)


# --- animals' medicine ---------------------------------------------------------------------------------------------


def test_an_item_about_animals_medicine_is_off_the_field():
    found = extract(
        raw("Animal health company recalls injectable depot antibiotic for cattle", "A UZEDY-like depot."), FIELD
    )
    assert (found.on_topic, found.relevance_note) == (False, "veterinary medicine, not the field")


def test_a_pure_players_animal_health_deal_stays_on_the_field():
    found = extract(
        raw("MedinCell grants an animal health company a license", "Its injectable depot technology."), FIELD
    )
    assert found.on_topic


def test_each_of_several_names_in_cjk_characters_matches():
    pattern = _alias_pattern(["利培酮", "リスペリドン"])
    assert [m.group() for m in pattern.finditer("利培酮、リスペリドン")] == ["利培酮", "リスペリドン"]


def test_a_molecule_opening_a_compound_is_extracted():
    field = dataclasses.replace(FIELD, molecules=(Entity("risperidone", ("risperidone", "Risperidon")),))
    assert extract(raw("Lieferengpass", "Risperidon-Mikrosphären zur Depotinjektion"), field).molecules == (
        "risperidone",
    )


def test_animals_in_the_text_alone_leave_a_headline_on_the_field():
    found = extract(raw("FDA approves UZEDY depot", "Studies in dogs came first.\nTeva said so."), FIELD)
    assert found.on_topic and found.relevance_note == ""


def test_a_search_finds_the_first_name_whichever_script_it_is_written_in():
    pattern = _alias_pattern(["Rykindo", "瑞欣妥"])
    assert (pattern.search("瑞欣妥（Rykindo）").group(), pattern.search("Rykindo（瑞欣妥）").group()) == (
        "瑞欣妥",
        "Rykindo",
    )


def test_a_search_finds_a_name_in_either_script_alone():
    pattern = _alias_pattern(["Rykindo", "瑞欣妥"])
    assert (pattern.search("注射用瑞欣妥").group(), pattern.search("Rykindo data").group()) == ("瑞欣妥", "Rykindo")


def test_a_latin_name_is_found_in_a_text_of_chinese_characters_at_its_offset():
    match = _alias_pattern(["FDA"]).search("美国FDA现场检查")
    assert (match.group(), match.span()) == ("FDA", (2, 5))


def test_a_name_in_cjk_characters_matches_whatever_the_case_of_its_latin_letters():
    assert _alias_pattern(["大塚HD"]).search("大塚hd、国内で承認").group() == "大塚hd"


def test_at_one_offset_the_name_written_with_cjk_characters_is_found_over_a_shorter_latin_one():
    assert _alias_pattern(["HD", "HD大塚"]).search("HD大塚の発表").group() == "HD大塚"
