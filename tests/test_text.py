"""Text an editor would sign: whole sentences that fit, shortening (for prompts) at clause ends, the byline and banner."""

import re
from datetime import date

import pytest

from vectora_core.models import Editorial
from vectora_core.render import byline_for, check_note_for, label_for
from vectora_core.text import (
    as_sentence,
    compact,
    ends_sentence,
    fit_sentences,
    language_of,
    reads_in,
    shorten,
    whole_sentences,
)

LONG = (
    "FDA accepts Alkermes supplemental New Drug Application for the ARISTADA one-day initiation regimen, "
    "the company said, with a decision expected next year. A second sentence follows here."
)


def _words(text):
    return set(re.findall(r"[\w'-]+", text))


@pytest.mark.parametrize("limit", range(30, 170, 7))
def test_shortened_text_never_ends_inside_a_word(limit):
    short = shorten(LONG, limit)
    assert len(short) <= limit
    last_word = re.findall(r"[\w'-]+", short)[-1]
    assert last_word in _words(LONG)


def test_whole_sentence_is_kept_when_it_fits():
    assert shorten("First sentence here. Second sentence is longer than the limit.", 30) == "First sentence here."


def test_long_sentence_is_cut_at_a_clause_end():
    assert (
        shorten(LONG, 120)
        == "FDA accepts Alkermes supplemental New Drug Application for the ARISTADA one-day initiation regimen, the company said…"
    )


def test_text_within_the_limit_is_unchanged():
    assert shorten("Short enough.", 40) == "Short enough."


def test_abbreviation_does_not_end_a_sentence():
    assert shorten("The U.S. Food and Drug Administration approved it. More text follows in another sentence.", 60) == (
        "The U.S. Food and Drug Administration approved it."
    )


def _editorial(**kw):
    base = dict(
        title="T",
        intro="I",
        tldr=(),
        sections=(),
        backend="bedrock",
        model_id="eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        region="eu-west-3",
    )
    return Editorial(**{**base, **kw})


def test_model_byline_names_the_model():
    assert "claude-sonnet-4-5" in byline_for(_editorial())


def test_standin_edition_is_bylined_and_bannered_as_the_standin():
    editorial = _editorial(standin=True)
    assert "stand-in" in byline_for(editorial) and "claude" not in byline_for(editorial)
    assert label_for(editorial).startswith("Stand-in edition")


def test_offline_byline_says_no_model_wrote_it():
    assert "no language model" in byline_for(_editorial(backend="offline"))


def test_degraded_edition_is_bylined_as_extraction_even_on_the_bedrock_path():
    assert "no language model" in byline_for(_editorial(degraded=True, degraded_reason="throttled"))


def test_word_cut_never_ends_on_a_dangling_little_word():
    assert (
        shorten("Camurus said the phase 3 SORENTO study of the octreotide depot met its goal", 45)
        == "Camurus said the phase 3 SORENTO study…"
    )


# --- whole sentences ---------------------------------------------------------------------------------------

LEDE = (
    "PARSIPPANY, N.J. — Teva Pharmaceuticals, a U.S. affiliate of Teva Pharmaceutical Industries Ltd. (NYSE and TASE: "
    "TEVA), today announced that the U.S. Food and Drug Administration (FDA) has approved UZEDY® (risperidone) for "
    "adults with bipolar I disorder. UZEDY was first approved in 2023."
)


def test_whole_sentences_keeps_the_leading_sentences_that_fit():
    assert whole_sentences("One here. Two here. Three is longer.", 20) == "One here. Two here."


def test_whole_sentences_is_empty_when_the_first_sentence_does_not_fit():
    assert whole_sentences("A first sentence that is far too long for the room.", 20) == ""


def test_a_piece_the_feed_cut_off_is_no_sentence():
    assert whole_sentences("Teva launched UZEDY. The company said it expects […]", 200) == "Teva launched UZEDY."
    assert whole_sentences("Teva launched UZEDY in…", 200) == ""


def test_compact_drops_dateline_tickers_signs_asides_and_an_appositive():
    assert compact(LEDE).startswith(
        "Teva Pharmaceuticals today announced that the U.S. Food and Drug Administration has approved UZEDY for adults"
    )


def test_as_sentence_ends_a_headline_with_a_full_stop_and_no_ellipsis():
    assert as_sentence("Teva launches UZEDY in Canada") == "Teva launches UZEDY in Canada."
    assert as_sentence("FDA approves CAM2029…") == "FDA approves CAM2029."
    assert as_sentence("Is it approved?") == "Is it approved?"


def test_an_ellipsis_ends_no_sentence():
    assert not ends_sentence("The FDA approved…") and not ends_sentence("The FDA approved...")
    assert ends_sentence("The FDA approved it.") and ends_sentence('He said "approved."')


def test_fit_sentences_compacts_a_long_lede_before_giving_it_up():
    assert fit_sentences(LEDE, 150, fallback="Headline") == compact(LEDE).split(" UZEDY was")[0]


def test_fit_sentences_gives_the_headline_when_the_lede_cannot_fit():
    assert fit_sentences("word " * 80 + "end.", 100, fallback="Teva launches UZEDY") == "Teva launches UZEDY."


def test_fit_sentences_without_a_headline_gives_nothing_rather_than_a_cut_sentence():
    assert fit_sentences("word " * 80 + "end.", 100) == ""


@pytest.mark.parametrize("limit", range(20, 400, 23))
def test_fit_sentences_never_ends_in_an_ellipsis_or_mid_sentence(limit):
    fitted = fit_sentences(LEDE, limit, fallback="Teva Announces FDA Approval of UZEDY® for Bipolar I Disorder")
    assert fitted.endswith(".") and "…" not in fitted


def test_the_language_of_a_text_is_told_by_its_little_words():
    assert language_of("MedinCell annonce que la FDA a approuvé UZEDY pour le trouble bipolaire.") == "fr"
    assert language_of("Teva said the FDA approved UZEDY for the treatment of bipolar I disorder.") == "en"
    assert language_of("UZEDY approved") == ""
    assert reads_in("UZEDY approved", "en") and not reads_in("La FDA approuve UZEDY dans le trouble bipolaire.", "en")


def test_the_edition_says_what_the_editorial_check_changed_in_a_written_editorial():
    corrected = _editorial(corrections=("ungrounded: intro: removed a sentence naming UZEDY", "replaced: title: x"))
    assert check_note_for(corrected) == (
        "The editorial check removed 1 sentence(s) that named what no story of this edition holds or were unfinished "
        "and took the title from the stories' own words."
    )
    assert (
        check_note_for(_editorial()) == "" and check_note_for(_editorial(backend="offline", corrections=("x",))) == ""
    )


def test_the_check_note_is_in_the_footer_of_both_renders():
    import html
    from pathlib import Path

    from vectora_core.client_config import parse_client_config, parse_scopes
    from vectora_core.render import render

    config = Path(__file__).resolve().parent.parent / "config"
    scopes = parse_scopes((config / "canonical/lai_scopes.yaml").read_text(), "s")
    client = parse_client_config((config / "clients/lai_weekly_v3.yaml").read_text(), "c", lambda _: scopes)
    corrected = _editorial(corrections=("replaced: intro: replaced by the extractive intro",))
    rendered = render(client, corrected, [], date(2026, 11, 18), date(2026, 11, 25), {})
    note = check_note_for(corrected)
    assert note in html.unescape(rendered.html) and note in rendered.markdown


# --- bylines and the check's note, word for word ---------------------------------------------------------------


def test_an_extracted_editorial_is_bylined_word_for_word():
    assert byline_for(_editorial(backend="offline")) == (
        "Editorial compiled by extraction from the items themselves; no language model wrote it."
    )


def test_a_standin_editorial_is_bylined_word_for_word():
    assert byline_for(_editorial(standin=True)) == (
        "Editorial written by the local Bedrock stand-in (not a language model)."
    )


def test_a_model_byline_names_the_model_and_its_region():
    assert byline_for(_editorial(model_id="eu.model")) == (
        "Editorial written by eu.model, eu-west-3 on Amazon Bedrock, from the selected items only."
    )


def test_a_model_byline_without_a_region_names_the_model_alone():
    assert byline_for(_editorial(model_id="eu.model", region="")) == (
        "Editorial written by eu.model on Amazon Bedrock, from the selected items only."
    )


REMOVED = ("ungrounded: intro: removed a sentence naming UZEDY",)


def test_a_degraded_editorial_has_no_check_note():
    assert check_note_for(_editorial(degraded=True, corrections=REMOVED)) == ""


def test_an_extracted_editorial_has_no_check_note():
    assert check_note_for(_editorial(backend="offline", corrections=REMOVED)) == ""


def test_unfinished_sentences_count_as_removed_in_the_check_note():
    corrected = _editorial(corrections=("unfinished: tldr: dropped an unfinished sentence",))
    assert check_note_for(corrected).startswith("The editorial check removed 1 sentence(s)")


def test_the_check_note_lists_each_replaced_part_once():
    corrections = ("replaced: title: x", "replaced: intro: y", "replaced: title: z")
    assert check_note_for(_editorial(corrections=corrections)) == (
        "The editorial check took the title, intro from the stories' own words."
    )


def test_the_markdown_render_is_not_html_escaped():
    from pathlib import Path

    from vectora_core.client_config import parse_client_config, parse_scopes
    from vectora_core.render import render

    config = Path(__file__).resolve().parent.parent / "config"
    scopes = parse_scopes((config / "canonical/lai_scopes.yaml").read_text(), "s")
    client = parse_client_config((config / "clients/lai_weekly_v3.yaml").read_text(), "c", lambda _: scopes)
    editorial = _editorial(intro="Johnson & Johnson's generic rival arrives.")
    markdown = render(client, editorial, [], date(2026, 11, 18), date(2026, 11, 25), {}).markdown
    assert "Johnson & Johnson" in markdown and "&amp;" not in markdown
