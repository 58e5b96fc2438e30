"""The editorial's check (pure): whichever backend wrote it, the edition claims nothing its stories do not hold.

Run on every editorial after it is written (and on one read from the cache):

- Whole sentences. The intro, each TL;DR line and each section intro keep their whole sentences within the lengths
  the edition allows; a sentence cut short or ending in an ellipsis is dropped. A title cut short, or too long, gives
  way to the extractive title: a title loses no words.
- Grounding. Every company, product and molecule of the client's field named in the title, intro, TL;DR lines and
  section intros, every drug code ("CAM2029") and every amount or percentage must be named by a story of this
  edition — in what the edition shows of it, its headline and summary; for a section intro, by a story of that
  section. A company credited with a product ("Teva's INVEGA SUSTENNA") must be named with it by one story. A
  "lead" must be the highest-scored story. A sentence that fails is removed, and counted.

A part left empty is filled from the extractive editorial of the same stories, which holds only their own words;
what was removed or replaced is listed in the editorial's `corrections` (kept with it in the cache).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from .extraction import AliasPattern, _alias_pattern
from .llm.base import EditorialRequest
from .llm.offline import offline_editorial
from .models import Editorial, EditorialSection, Scopes, ScoredItem
from .text import ends_sentence, split_sentences

# The longest the edition shows (the model is asked for less, see llm/prompts.py).
TITLE_MAX = 160
INTRO_MAX = 600
TLDR_MAX = 240
SECTION_INTRO_MAX = 360
TLDR_MIN_LINES = 1

UNGROUNDED = "ungrounded"
UNFINISHED = "unfinished"
REPLACED = "replaced"

_CODE = re.compile(r"\b[A-Z]{1,6}[-'’]?\d{2,5}\b|\b[A-Z]{2,6} \d{3,5}\b")  # CAM2029, TEV-'749, ALKS 2680
_AMOUNT = re.compile(
    r"(?:[$€£]|\bUSD|\bEUR|\bSEK|\bDKK|\bCHF)\s?(\d+(?:[.,]\d+)?)|\b(\d+(?:[.,]\d+)?)\s?(?:%|percent\b|per cent\b)"
)
# A claim of the edition's lead is the first group; a company's own lead over its rivals ("to stretch its obesity
# lead"), matched first, claims nothing of the edition.
_LEAD = re.compile(
    r"\b(?:its|their)\s+(?:[\w-]+\s+){0,2}?lead\b|\b(leads?|leading|lead story|top story|headline)\b", re.IGNORECASE
)
# "Teva's monthly UZEDY", "Teva UZEDY": up to three words between, none of them a conjunction ("Teva and UZEDY").
_CREDIT_BETWEEN = re.compile(r"^(?:['’]s?)?(?:\s+(?!(?:and|or|with|vs|versus|than|as)\b)[\w-]+){0,3}\s+$|^['’]s?\s*$")
_CREDITED_BY = re.compile(r"^\s+(?:from|by|of)\s+$")  # "UZEDY from Teva"
_TRAILING_ELLIPSIS = re.compile(r"(?:…|\.\.\.)\s*$")


@dataclass(frozen=True)
class _Mention:
    name: str
    kind: str  # "company", "product", "molecule"
    start: int
    end: int


@lru_cache(maxsize=8)
def _patterns(scopes: Scopes) -> tuple[tuple[str, str, AliasPattern], ...]:
    groups = (("company", scopes.companies), ("product", scopes.trademarks), ("molecule", scopes.molecules))
    return tuple((e.name, kind, _alias_pattern(e.aliases)) for kind, group in groups for e in group if e.aliases)


def mentions(text: str, scopes: Scopes) -> list[_Mention]:
    found = []
    for name, kind, pattern in _patterns(scopes):
        found += [_Mention(name, kind, m.start(), m.end()) for m in pattern.finditer(text)]
    return sorted(found, key=lambda m: m.start)


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class _Story:
    text: str
    names: frozenset
    plain: str  # lower-case letters and digits only, for drug codes and numbers

    @classmethod
    def of(cls, scored: ScoredItem, scopes: Scopes) -> _Story:
        text = f"{scored.item.title}\n{scored.item.summary}"
        return cls(text, frozenset(m.name for m in mentions(text, scopes)), _plain(text))


def _credits(sentence: str, found: list[_Mention]) -> list[tuple[str, str]]:
    """(company, product) pairs the sentence credits: "Teva's UZEDY", "Teva UZEDY", "UZEDY from Teva"."""
    pairs = []
    for company in (m for m in found if m.kind == "company"):
        for product in (m for m in found if m.kind == "product"):
            if company.end <= product.start and _CREDIT_BETWEEN.match(sentence[company.end : product.start]):
                pairs.append((company.name, product.name))
            elif product.end <= company.start and _CREDITED_BY.match(sentence[product.end : company.start]):
                pairs.append((company.name, product.name))
    return pairs


def problems(sentence: str, stories: Sequence[_Story], lead: _Story | None, scopes: Scopes) -> list[str]:
    """What in one sentence no story of `stories` grounds ("" problems: it is grounded)."""
    found = mentions(sentence, scopes)
    named = set().union(*(s.names for s in stories)) if stories else set()
    issues = [f"{m.name}, which no story of this edition names" for m in found if m.name not in named]
    plain_all = "\n".join(s.plain for s in stories)
    for code in _CODE.findall(sentence):
        if _plain(code) not in plain_all:
            issues.append(f"{code}, which no story of this edition names")
    texts = "\n".join(s.text for s in stories).replace(",", ".")
    for match in _AMOUNT.finditer(sentence):
        number = (match.group(1) or match.group(2)).replace(",", ".")
        if not re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", texts):
            issues.append(f"the figure {match.group(0).strip()}, which no story of this edition gives")
    for company, product in _credits(sentence, found):
        if not any({company, product} <= s.names for s in stories):
            issues.append(f"{company} credited with {product}, which no story does")
    if lead is not None and any(m.group(1) for m in _LEAD.finditer(sentence)):
        claimed = {m.name for m in found}
        if claimed and not claimed & lead.names:
            issues.append(f"{', '.join(sorted(claimed))} called the lead, which is not the highest-scored story")
    return issues


def _clean(text: str, limit: int, stories, lead, scopes, where: str, log: list[str]) -> str:
    """The whole, grounded sentences of `text` that fit in `limit`; what was dropped goes to `log`."""
    kept: list[str] = []
    for sentence in split_sentences(text):
        if not ends_sentence(sentence) or _TRAILING_ELLIPSIS.search(sentence):
            log.append(f"{UNFINISHED}: {where}: dropped an unfinished sentence")
            continue
        issues = problems(sentence, stories, lead, scopes)
        if issues:
            log += [f"{UNGROUNDED}: {where}: removed a sentence naming {issue}" for issue in issues]
            continue
        if len(" ".join([*kept, sentence])) > limit:
            log.append(f"{UNFINISHED}: {where}: dropped a sentence beyond {limit} characters")
            break
        kept.append(sentence)
    return " ".join(kept)


def check_editorial(editorial: Editorial, request: EditorialRequest) -> Editorial:
    """The editorial with only whole, grounded sentences; `corrections` lists what was removed or replaced."""
    selected = request.selected
    if not selected:
        return editorial
    scopes = request.client.scopes
    stories = {s.item.item_id: _Story.of(s, scopes) for s in selected}
    every = list(stories.values())
    lead = stories[max(selected, key=lambda s: s.score).item.item_id]
    log: list[str] = []
    fallback: Editorial | None = None

    def extractive() -> Editorial:
        nonlocal fallback
        fallback = fallback or offline_editorial(request)
        return fallback

    title = editorial.title.strip()
    title_issues = problems(title, every, lead, scopes)
    cut_or_long = not title or bool(_TRAILING_ELLIPSIS.search(title)) or len(title) > TITLE_MAX
    if title_issues or (cut_or_long and title != extractive().title):
        reason = "; ".join(title_issues) or "it was cut short or too long"
        log.append(f"{REPLACED}: title: replaced by the extractive title ({reason})")
        if title_issues:
            log += [f"{UNGROUNDED}: title: {issue}" for issue in title_issues]
        title = extractive().title
    intro = _clean(editorial.intro, INTRO_MAX, every, lead, scopes, "intro", log)
    if not intro:
        log.append(f"{REPLACED}: intro: replaced by the extractive intro")
        intro = extractive().intro
    tldr = [line for line in (_clean(x, TLDR_MAX, every, lead, scopes, "tldr", log) for x in editorial.tldr) if line]
    if len(tldr) < TLDR_MIN_LINES:
        log.append(f"{REPLACED}: tldr: replaced by the extractive TL;DR")
        tldr = list(extractive().tldr)
    given = {s.section_id: s.intro for s in editorial.sections}
    sections = []
    for section_id in dict.fromkeys(s.section_id for s in selected):
        members = [stories[s.item.item_id] for s in selected if s.section_id == section_id]
        text = _clean(given.get(section_id, ""), SECTION_INTRO_MAX, members, lead, scopes, f"section {section_id}", log)
        if not text:
            log.append(f"{REPLACED}: section {section_id}: replaced by the extractive section intro")
            text = next((s.intro for s in extractive().sections if s.section_id == section_id), "")
        sections.append(EditorialSection(section_id, text))
    order = {s.section_id: i for i, s in enumerate(request.client.sections)}
    sections.sort(key=lambda s: order.get(s.section_id, len(order)))
    return replace(
        editorial,
        title=title,
        intro=intro,
        tldr=tuple(tldr),
        sections=tuple(sections),
        corrections=tuple(dict.fromkeys([*editorial.corrections, *log])),
    )


def ungrounded_count(editorial: Editorial) -> int:
    """How many ungrounded mentions the check removed from this editorial."""
    return sum(1 for c in editorial.corrections if c.startswith(UNGROUNDED))
