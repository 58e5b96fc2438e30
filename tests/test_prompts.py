"""The prompts in detail: the caps on answer tokens, the field sentence, names by their aliases in item lines and
the checks of a normalization answer's entries."""

from __future__ import annotations

import dataclasses

from test_pure_engine import END, PUBLISHED, START, item, scored
from test_stories import SCOPES

from vectora_core.llm import prompts
from vectora_core.llm.prompts import (
    ANSWER_CHARS_PER_TOKEN,
    EDITORIAL_FIXED_CHARS,
    EDITORIAL_SECTION_CHARS,
    MAX_OUTPUT_TOKENS,
    NORMALIZATION_ITEM_CHARS,
    editorial_max_tokens,
    normalization_max_tokens,
)
from vectora_core.models import Entity, RawItem, Section

# --- caps on answer tokens ---------------------------------------------------------------------------------------


def _cap(chars: int) -> int:
    """The longest answer's tokens, a quarter more, and 64 spare."""
    return int(chars / ANSWER_CHARS_PER_TOKEN * 1.25) + 64


def test_the_editorial_cap_holds_the_longest_answer_with_a_quarter_more():
    assert editorial_max_tokens(1) == _cap(EDITORIAL_FIXED_CHARS + EDITORIAL_SECTION_CHARS)


def test_each_section_adds_room_for_its_intro_to_the_editorial_cap():
    assert editorial_max_tokens(3) - editorial_max_tokens(2) == EDITORIAL_SECTION_CHARS / ANSWER_CHARS_PER_TOKEN * 1.25


def test_an_editorial_without_sections_has_the_cap_of_one_section():
    assert editorial_max_tokens(0) == editorial_max_tokens(1)


def test_the_editorial_cap_never_exceeds_what_every_model_accepts():
    assert editorial_max_tokens(100) == MAX_OUTPUT_TOKENS


def test_the_normalization_cap_holds_the_batch_s_longest_answer_with_a_quarter_more():
    assert normalization_max_tokens(4) == _cap(20 + 4 * NORMALIZATION_ITEM_CHARS)


def test_an_empty_normalization_batch_has_the_cap_of_one_item():
    assert normalization_max_tokens(0) == normalization_max_tokens(1) == _cap(20 + NORMALIZATION_ITEM_CHARS)


def test_the_normalization_cap_never_exceeds_what_every_model_accepts():
    assert normalization_max_tokens(100) == MAX_OUTPUT_TOKENS


# --- the field sentence ------------------------------------------------------------------------------------------

FIELD = dataclasses.replace(
    SCOPES,
    field_name="long-acting injectables",
    field_subject="a long-acting injectable medicine or its delivery technology",
    field_not_subject="a depot as a warehouse",
)


def test_without_scopes_the_field_sentence_refers_to_the_watched_names():
    assert prompts.field_sentence(None) == (
        " Field: the watched companies and products. on_topic: true only if the item is about the watched companies, "
        "products, molecules or technologies; false if such names appear only as competitors or yardsticks (a rival, "
        "a comparator, a cost driver) or the words mean something else (an unrelated sense of the field's words)."
    )


def test_scopes_without_a_field_description_give_the_same_sentence_as_none():
    assert prompts.field_sentence(SCOPES) == prompts.field_sentence(None)


def test_the_field_sentence_tells_the_scopes_field():
    sentence = prompts.field_sentence(FIELD)
    assert sentence.startswith(" Field: long-acting injectables. on_topic: true only if the item is about a long-")
    assert sentence.endswith("or the words mean something else (a depot as a warehouse).")


def test_the_normalization_prompt_tells_the_scopes_field():
    raw = RawItem("n1", "s", "https://e.com/1", "Camurus depot approved", "Body.", PUBLISHED, "h")
    system, _user = prompts.build_normalization_prompt([raw], ["regulatory"], FIELD)
    assert prompts.field_sentence(FIELD) in system


# --- names in item lines -----------------------------------------------------------------------------------------

ALIASED = dataclasses.replace(
    SCOPES,
    molecules=(*SCOPES.molecules, Entity("paliperidone palmitate", ("paliperidone palmitate", "paliperidone"))),
    trademarks=(*SCOPES.trademarks, Entity("TEV-'749", ("TEV-'749", "TEV-749"), "Teva")),
)
VIIV = item(
    title="ViiV wins approval of Cabenuva every two months",
    summary="ViiV said the FDA approved Cabenuva dosing every two months.",
    companies=("ViiV Healthcare",),
    molecules=(),
    trademarks=("CABENUVA",),
)


def test_an_item_line_finds_a_company_and_a_product_by_their_aliases():
    line = prompts.editorial_item_line(1, scored(VIIV), SCOPES)
    assert line.startswith("#1|ViiV Healthcare;;CABENUVA|")


def test_an_item_line_finds_a_molecule_by_its_alias():
    story = item(summary="Teva's generic paliperidone injection was approved.", molecules=("paliperidone palmitate",))
    assert prompts.editorial_item_line(1, scored(story), ALIASED).split("|")[1] == "Teva;paliperidone palmitate;UZEDY"


def test_an_item_line_finds_a_product_by_its_alias():
    story = item(summary="Teva's TEV-749 was approved.", trademarks=("TEV-'749",))
    assert prompts.editorial_item_line(1, scored(story), ALIASED).split("|")[1] == "Teva;;TEV-'749"


def test_an_item_line_names_one_product_at_most():
    story = item(summary="Teva's UZEDY and PERSERIS shots.", trademarks=("UZEDY", "PERSERIS"))
    assert prompts.editorial_item_line(1, scored(story)).split("|")[1] == "Teva;;UZEDY"


def test_names_are_found_whatever_their_case():
    assert prompts.named_in(["UZEDY"], "teva's uzedy was approved") == ("UZEDY",)


def test_an_item_line_names_two_companies_at_most():
    story = item(summary="Teva, MedinCell and Camurus announced news.", companies=("Teva", "MedinCell", "Camurus"))
    assert prompts.editorial_item_line(1, scored(story)).split("|")[1] == "Teva,MedinCell;;UZEDY"


def test_an_item_line_names_one_molecule_at_most():
    story = item(summary="Teva's risperidone and olanzapine shots.", molecules=("risperidone", "olanzapine"))
    assert prompts.editorial_item_line(1, scored(story)).split("|")[1] == "Teva;risperidone;UZEDY"


def test_the_editorial_prompt_finds_names_by_their_aliases():
    sections = (Section("regulatory", "Regulatory", ("regulatory",), 4),)
    _system, user = prompts.build_editorial_prompt("LAI Weekly", START, END, sections, [scored(VIIV)], SCOPES)
    assert user.splitlines()[2].startswith("#1|ViiV Healthcare;;CABENUVA|")


def test_an_editorial_prompt_without_stories_is_its_header_alone():
    sections = (Section("regulatory", "Regulatory", ("regulatory",), 4),)
    assert prompts.build_editorial_prompt("LAI Weekly", START, END, sections, []) == (
        prompts.EDITORIAL_SYSTEM,
        "LAI Weekly 2026-11-18..2026-11-25",
    )


# --- a normalization answer's entries ----------------------------------------------------------------------------

ENTRY = {"id": "a", "event_type": "regulatory", "summary": "Teva won approval of UZEDY."}


def test_an_unknown_significance_is_named_with_the_allowed_ones():
    answer = {"items": [{**ENTRY, "significance": "huge"}]}
    assert prompts.validate_normalization(answer, ["a"], ["regulatory"]) == [
        "a: significance must be one of none, minor, notable, major"
    ]


def test_an_on_topic_that_is_not_a_boolean_is_named():
    answer = {"items": [{**ENTRY, "on_topic": "yes"}]}
    assert prompts.validate_normalization(answer, ["a"], ["regulatory"]) == ["a: on_topic must be true or false"]
