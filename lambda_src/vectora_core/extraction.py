"""Deterministic extraction against the canonical scopes: entities by alias, event type by rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from .models import Entity, RawItem, Scopes

SUMMARY_CHARS = 160
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
# A period after these does not end a sentence ("the U.S. Food and Drug Administration").
_ABBREVIATION = re.compile(r"(?:\b[A-Z]\.|\b(?:[A-Z]\.){2,}|\b(?:Inc|Ltd|Co|Corp|No|Dr|Mr|Ms|St|vs|approx|e\.g|i\.e)\.)$")


@dataclass(frozen=True)
class Extracted:
    companies: tuple[str, ...]
    molecules: tuple[str, ...]
    trademarks: tuple[str, ...]
    technologies: tuple[str, ...]
    event_type: str


def _alias_pattern(aliases: Iterable[str]) -> re.Pattern[str]:
    # Longest first so "Invega Sustenna" wins over "Invega"; lookarounds instead of \b so "Teva's" matches.
    parts = sorted({a.strip() for a in aliases if a.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class _Matcher:
    entries: tuple[tuple[str, re.Pattern[str]], ...]

    def find(self, text: str) -> tuple[str, ...]:
        return tuple(name for name, pattern in self.entries if pattern.search(text))


def _matcher(entities: tuple[Entity, ...]) -> _Matcher:
    return _Matcher(tuple((e.name, _alias_pattern(e.aliases)) for e in entities))


@lru_cache(maxsize=8)
def _compiled(scopes: Scopes):
    rules = tuple(
        (rule.event_type, rule.weight, _alias_pattern(rule.keywords) if rule.keywords else None) for rule in scopes.event_types
    )
    owners = {e.name: e.category for e in scopes.trademarks if e.category}
    return (
        _matcher(scopes.companies),
        _matcher(scopes.molecules),
        _matcher(scopes.trademarks),
        _matcher(scopes.technologies),
        rules,
        owners,
    )


def classify_event(title: str, text: str, scopes: Scopes) -> str:
    """The rule with most keyword hits wins; a title hit counts double; no hit means 'other'."""
    *_, rules, _owners = _compiled(scopes)
    best, best_hits = "other", 0
    for event_type, _weight, pattern in rules:
        if pattern is None:
            continue
        hits = 2 * len(pattern.findall(title)) + len(pattern.findall(text))
        if hits > best_hits:
            best, best_hits = event_type, hits
    return best


def extract(item: RawItem, scopes: Scopes) -> Extracted:
    companies_m, molecules_m, trademarks_m, technologies_m, _rules, owners = _compiled(scopes)
    haystack = f"{item.title}\n{item.text}"
    trademarks = trademarks_m.find(haystack)
    companies = list(companies_m.find(haystack))
    # A product name implies its owner, e.g. UZEDY → Teva.
    for trademark in trademarks:
        owner = owners.get(trademark)
        if owner and owner not in companies:
            companies.append(owner)
    return Extracted(
        companies=tuple(companies),
        molecules=molecules_m.find(haystack),
        trademarks=trademarks,
        technologies=technologies_m.find(haystack),
        event_type=classify_event(item.title, item.text, scopes),
    )


def canonicalize(names: Iterable[str], entities: tuple[Entity, ...]) -> tuple[str, ...]:
    """Map free-text names (from an LLM) to canonical names; unknown names are dropped."""
    lookup = {alias.lower(): e.name for e in entities for alias in e.aliases}
    result: list[str] = []
    for name in names:
        canonical = lookup.get(name.strip().lower())
        if canonical and canonical not in result:
            result.append(canonical)
    return tuple(result)


def extractive_summary(title: str, text: str, limit: int = SUMMARY_CHARS) -> str:
    """First sentence of the text (or the title), cut on a word boundary."""
    source = text.strip() or title.strip()
    sentence = ""
    for piece in _SENTENCE_END.split(source):
        sentence = f"{sentence} {piece}".strip()
        if not _ABBREVIATION.search(sentence):
            break
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
