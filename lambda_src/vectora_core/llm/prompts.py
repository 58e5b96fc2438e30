"""Compact prompts and the JSON shapes the model must answer with.

Both prompts are versioned: the editorial version is part of the editorial cache key and the
normalization version is part of each stored item, so a prompt change is never served stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from ..models import RawItem, Scopes, ScoredItem, Section
from ..text import fit_sentences, shorten

SIGNIFICANCE_LEVELS = ("none", "minor", "notable", "major")

EDITORIAL_PROMPT_VERSION = "editorial-v4"
NORMALIZATION_PROMPT_VERSION = "normalization-v5"

ITEM_TEXT_CHARS = 700  # enough for the lede of a press release; the rest is boilerplate
# Each story's line carries whole sentences (the editorial may quote them): its summary's that fit, else its headline.
SUMMARY_CHARS = 150
# What the edition shows of the editorial: whole sentences within these lengths (faithfulness.py enforces them).
TITLE_CHARS = 90
INTRO_CHARS = 420
TLDR_CHARS = 160
SECTION_INTRO_CHARS = 260

EDITORIAL_SYSTEM = (
    "You edit a weekly B2B newsletter for pharma professionals. Use only the items given: name only the companies "
    "and products they name, credited as they credit them, and no other fact or figure. Items: "
    "#n|companies;molecules;products|summary, under [section_id] headers; lead=#n is the week's highest-scored "
    "story. Write whole sentences, never cut short. Reply with JSON only: "
    f'{{"title":"<={TITLE_CHARS} chars, about the lead","intro":"2-3 sentences, <={INTRO_CHARS} chars",'
    f'"tldr":["3-5 sentences, each <={TLDR_CHARS} chars"],'
    f'"sections":{{"<id>":"1-2 sentences <={SECTION_INTRO_CHARS} chars: the main event and who, not a count"}}}}'
)

NORMALIZATION_SYSTEM = (
    "Extract facts from pharma news items. Answer with one JSON object only: "
    '{"items":[{"id":str,"event_type":str,"significance":str,"on_topic":bool,"summary":str,"companies":[str],'
    '"molecules":[str],"trademarks":[str],"technologies":[str]}]}, one entry per input id. '
    "significance: major (approval, rejection/complete response letter, phase 3 readout, acquisition or deal >= $100M), "
    "notable (other events: filings, trial starts, early data, deals, financing, supply, patents), "
    "minor (posters, presentations, commentary) or none. "
    "summary: one or two whole factual sentences, <=200 chars in all, never cut short. "
    "Names as written in the item; [] when none."
)
# The client's field comes from its canonical scopes (`field:`), so the engine assumes no field of its own.
FIELD_SENTENCE = (
    " Field: {name}. on_topic: true only if the item is about {subject}; false if such names appear only as "
    "competitors or yardsticks (a rival, a comparator, a cost driver) or the words mean something else "
    "({not_subject})."
)


def field_sentence(scopes: Scopes | None) -> str:
    """What the model must judge an item's relevance against: the field its scopes file describes."""
    name = (scopes.field_name if scopes else "") or "the watched companies and products"
    subject = (scopes.field_subject if scopes else "") or "the watched companies, products, molecules or technologies"
    not_subject = (scopes.field_not_subject if scopes else "") or "an unrelated sense of the field's words"
    return FIELD_SENTENCE.format(name=name, subject=subject, not_subject=not_subject)


_TICKER = re.compile(r"\s*\((?:Euronext|Nasdaq|NYSE|LSE|SIX|TSX|HKEX|OTC)[^)]*\)")
_SHORT_NAMES = (
    (re.compile(r"(?:the )?U\.S\. Food and Drug Administration(?: \(FDA\))?", re.I), "FDA"),
    (re.compile(r"(?:the )?European Medicines Agency(?: \(EMA\))?", re.I), "EMA"),
)


def _one_line(text: str, limit: int) -> str:
    # Tickers like "(Nasdaq: ALKS)" cost tokens and tell an editor nothing.
    text = _TICKER.sub("", " ".join(text.split())).replace("|", "/")
    for pattern, short in _SHORT_NAMES:
        text = pattern.sub(short, text)
    return shorten(text, limit)  # at a sentence or clause end: the editorial may quote it as it is


def named_in(names: Sequence[str], text: str, entities=()) -> tuple[str, ...]:
    """The names (canonical) that `text` itself names, by any of their aliases in `entities` (or as spelled)."""
    aliases = {e.name: e.aliases for e in entities}
    found = []
    for name in names:
        spellings = aliases.get(name) or (name,)
        if any(re.search(rf"(?<![\w-]){re.escape(a)}(?![\w-])", text, re.IGNORECASE) for a in spellings if a):
            found.append(name)
    return tuple(found)


def story_sentence(scored: ScoredItem, limit: int = SUMMARY_CHARS) -> str:
    """What the model is told of a story: its summary's whole sentences that fit, else its headline as a sentence."""
    item = scored.item
    return fit_sentences(_one_line(item.summary, 10_000), limit, fallback=_one_line(item.title, 10_000))


def editorial_item_line(index: int, scored: ScoredItem, scopes: Scopes | None = None) -> str:
    """`#3|MedinCell,Teva;olanzapine;UZEDY|summary`: one line per story (dates and event types add nothing).

    Only names the story's headline or summary itself carries: a product an item merely mentions further down, or
    the owner a product implies, would let the editorial credit this story with what it does not say."""
    item = scored.item
    shown = f"{item.title}\n{item.summary}"
    companies = named_in(item.companies, shown, scopes.companies if scopes else ())
    molecules = named_in(item.molecules, shown, scopes.molecules if scopes else ())
    trademarks = named_in(item.trademarks, shown, scopes.trademarks if scopes else ())
    entities = ",".join(companies[:2]) + ";" + ",".join(molecules[:1]) + ";" + ",".join(trademarks[:1])
    return "|".join((f"#{index}", entities, story_sentence(scored).replace("|", "/")))


def build_editorial_prompt(
    client_name: str,
    window_start: date,
    window_end: date,
    sections: Sequence[Section],
    selected: Sequence[ScoredItem],
    scopes: Scopes | None = None,
) -> tuple[str, str]:
    """Return (system, user). Items are grouped by section so the model needs no mapping table; the first line
    names the lead, the highest-scored story, which the title must be about."""
    lines = [f"{client_name} {window_start.isoformat()}..{window_end.isoformat()}"]
    lead = max(selected, key=lambda s: s.score) if selected else None
    index = 1
    for section in sections:
        members = [s for s in selected if s.section_id == section.section_id]
        if not members:
            continue
        lines.append(f"[{section.section_id}] {section.title}")
        for scored in members:
            lines.append(editorial_item_line(index, scored, scopes))
            if scored is lead:
                lines[0] += f" lead=#{index}"
            index += 1
    return EDITORIAL_SYSTEM, "\n".join(lines)


def build_normalization_prompt(
    items: Iterable[RawItem], event_types: Sequence[str], scopes: Scopes | None = None
) -> tuple[str, str]:
    """Return (system, user) for a batch; each item is `id<TAB>title<TAB>text`."""
    system = NORMALIZATION_SYSTEM + field_sentence(scopes) + " event_type one of: " + ",".join(event_types) + "."
    lines = [
        "\t".join((item.item_id, _one_line(item.title, 200), _one_line(item.text, ITEM_TEXT_CHARS))) for item in items
    ]
    return system, "\n".join(lines)


# The longest answers the schemas above allow, in characters: the caps on output tokens follow from them, so a
# valid answer is never cut at max_tokens (a cut answer is invalid JSON, and repairing it hits the same cap).
EDITORIAL_FIXED_CHARS = TITLE_CHARS + INTRO_CHARS + 5 * TLDR_CHARS + 120  # title, intro, five TL;DR lines, JSON keys
EDITORIAL_SECTION_CHARS = SECTION_INTRO_CHARS + 40  # "1-2 sentences" per section, and its key
NORMALIZATION_ITEM_CHARS = 40 + 30 + 200 + 4 * 3 * 30 + 120  # id, event type, summary, 4 lists of ~3 names, keys
ANSWER_CHARS_PER_TOKEN = 3.0  # below the 3.5 of English prose: names, ids and JSON punctuation tokenize worse
MAX_OUTPUT_TOKENS = 8192  # every Claude model on Bedrock accepts at least this many output tokens


def _answer_tokens(chars: int) -> int:
    return min(MAX_OUTPUT_TOKENS, int(chars / ANSWER_CHARS_PER_TOKEN * 1.25) + 64)  # a quarter more as margin


def editorial_max_tokens(section_count: int) -> int:
    """Output cap for an editorial with `section_count` sections: room for the longest valid answer."""
    return _answer_tokens(EDITORIAL_FIXED_CHARS + EDITORIAL_SECTION_CHARS * max(1, section_count))


def normalization_max_tokens(item_count: int) -> int:
    """Output cap for a normalization batch of `item_count` items."""
    return _answer_tokens(20 + NORMALIZATION_ITEM_CHARS * max(1, item_count))


def estimate_tokens(text: str) -> int:
    """Claude averages close to 3.5 characters per token on English prose; used for budgets and logs."""
    return max(1, round(len(text) / 3.5))


def validate_editorial(data: object, section_ids: Sequence[str]) -> list[str]:
    """Return the list of problems with an editorial answer (empty when valid)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return ["answer is not a JSON object"]
    for key in ("title", "intro"):
        if not isinstance(data.get(key), str) or not data.get(key, "").strip():
            problems.append(f"{key} must be a non-empty string")
    tldr = data.get("tldr")
    if not isinstance(tldr, list) or not tldr or not all(isinstance(x, str) and x.strip() for x in tldr):
        problems.append("tldr must be a non-empty list of strings")
    sections = data.get("sections")
    if not isinstance(sections, dict):
        problems.append("sections must be an object keyed by section id")
    else:
        for section_id in section_ids:
            if not isinstance(sections.get(section_id), str) or not sections[section_id].strip():
                problems.append(f"sections.{section_id} must be a non-empty string")
    return problems


def validate_normalization(data: object, item_ids: Sequence[str], event_types: Sequence[str]) -> list[str]:
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return ["answer must be an object with an items list"]
    seen = set()
    for entry in data["items"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            problems.append("every item needs a string id")
            continue
        seen.add(entry["id"])
        if entry.get("event_type") not in event_types:
            problems.append(f"{entry['id']}: event_type {entry.get('event_type')!r} is not allowed")
        if entry.get("significance", "none") not in SIGNIFICANCE_LEVELS:
            problems.append(f"{entry['id']}: significance must be one of {', '.join(SIGNIFICANCE_LEVELS)}")
        if not isinstance(entry.get("on_topic", True), bool):
            problems.append(f"{entry['id']}: on_topic must be true or false")
        if not isinstance(entry.get("summary"), str) or not entry["summary"].strip():
            problems.append(f"{entry['id']}: summary must be a non-empty string")
        for key in ("companies", "molecules", "trademarks", "technologies"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                problems.append(f"{entry['id']}: {key} must be a list of strings")
    missing = [i for i in item_ids if i not in seen]
    if missing:
        problems.append(f"missing ids: {', '.join(missing)}")
    return problems
