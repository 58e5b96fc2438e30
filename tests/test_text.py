"""Text an editor would sign: shortening at sentence or clause ends, one byline top and bottom, the banner."""

import re
from datetime import date

import pytest

from vectora_core.models import Editorial
from vectora_core.render import byline_for, label_for
from vectora_core.text import shorten

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
