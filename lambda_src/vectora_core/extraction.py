"""Deterministic extraction against the canonical scopes: entities by alias, event type by rules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from . import phrasing
from .models import Entity, RawItem, Scopes
from .text import fit_sentences

# A summary is the lede's whole sentences within this many characters (else its compacted first sentence up to
# SUMMARY_MAX_CHARS, else the headline): never a sentence cut short.
SUMMARY_CHARS = 220
SUMMARY_MAX_CHARS = 320


SIGNIFICANCE_LEVELS = ("none", "minor", "notable", "major")
_MAJOR_REGULATORY = re.compile(
    r"\b(?:approv(?:es|ed|al)|grants? marketing authori[sz]ation|positive opinion|recommend(?:s|ed)? approval|"
    r"complete response letter|CRL|rejects?|rejected|turned away|nod|signs? off|signed off|wins? (?:FDA|EU|EC))\b",
    re.IGNORECASE,
)
_PIVOTAL = re.compile(r"\b(?:phase 3|phase III|pivotal|registrational)\b", re.IGNORECASE)
_READOUT = re.compile(
    r"\b(?:results?|topline|top-line|met|meets|hit|primary endpoint|readout|fail(?:s|ed)?|miss(?:es|ed)?|delay(?:s|ed|ing)? (?:time to )?relapse)\b",
    re.IGNORECASE,
)
_ACQUISITION = re.compile(r"\b(?:acquir(?:e|es|ed|ing)|acquisition|buyout|buy(?:s|ing)?|merger)\b", re.IGNORECASE)
_DEAL = re.compile(r"\b(?:licen[cs]e|licensing|deal|agreement|collaboration|partnership|pact|rights)\b", re.IGNORECASE)
_AMOUNT = re.compile(r"(?:\$|USD |EUR |€|US\$)\s?(\d+(?:[.,]\d+)?)\s?(billion|bn|B|million|M|m)\b")
_MINOR = re.compile(
    r"\b(?:present(?:s|ed|ation)?|poster|congress|conference|symposium|meeting|webcast|real-world|registry|invitation)\b",
    re.IGNORECASE,
)
MAJOR_DEAL_USD = 100e6


@dataclass(frozen=True)
class Extracted:
    companies: tuple[str, ...]
    molecules: tuple[str, ...]
    trademarks: tuple[str, ...]
    technologies: tuple[str, ...]
    event_type: str
    significance: str = "none"
    on_topic: bool = True
    relevance_note: str = ""


# Chinese and Japanese write words without spaces between them: a name beside one of their characters
# ("海外製品名Rykindo") is still a word of its own, and a name written in their characters ("利培酮", "アリピプラゾール")
# is one wherever it stands, beside a digit or another word ("アリピプラゾール2カ月"). Latin names are matched in a
# view of the text with those characters blanked, offsets kept: a character class of them would cost a millisecond to
# compile in each of the scopes' hundreds of patterns.
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F))
_IN_CJK = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]")


@lru_cache(maxsize=1)
def _blanks() -> dict[int, str]:
    return {code: " " for low, high in _CJK_RANGES for code in range(low, high + 1)}


@lru_cache(maxsize=1024)
def latin_view(text: str) -> str:
    """The text with each Chinese or Japanese character blanked, offsets kept."""
    return text.translate(_blanks()) if _IN_CJK.search(text) else text


class AliasPattern:
    """Aliases as one pattern with `search`, `finditer` and `findall`: Latin names between word boundaries, read in
    `latin_view`; names in Chinese or Japanese characters anywhere."""

    __slots__ = ("latin", "written")

    def __init__(self, latin: re.Pattern[str] | None, written: re.Pattern[str] | None) -> None:
        self.latin, self.written = latin, written

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        found = list(self.latin.finditer(latin_view(text))) if self.latin else []
        found += list(self.written.finditer(text)) if self.written else []
        return iter(sorted(found, key=lambda m: m.start()))

    def search(self, text: str) -> re.Match[str] | None:
        first = self.latin.search(latin_view(text)) if self.latin else None
        written = self.written.search(text) if self.written else None
        # At one offset, the name written in Chinese or Japanese characters is the longer ("HD大塚" over "HD").
        if written and (first is None or written.start() <= first.start()):
            return written
        return first

    def findall(self, text: str) -> list[str]:
        return [m.group() for m in self.finditer(text)]


def _alias_pattern(aliases: Iterable[str], compounds: bool = False) -> AliasPattern:
    """The aliases longest first so "Invega Sustenna" wins over "Invega"; lookarounds instead of \b so "Teva's"
    matches. With `compounds`, a name may open a hyphenated compound ("Risperidon-Mikrosphären", "olanzapine-based"),
    as a molecule's does."""
    parts = sorted({a.strip() for a in aliases if a.strip()}, key=len, reverse=True)
    latin = "|".join(re.escape(p) for p in parts if not _IN_CJK.search(p))
    written = "|".join(re.escape(p) for p in parts if _IN_CJK.search(p))
    after = r"\w" if compounds else r"[\w-]"
    return AliasPattern(
        re.compile(rf"(?<![\w-])(?:{latin})(?!{after})", re.IGNORECASE) if latin else None,
        re.compile(written, re.IGNORECASE) if written else None,
    )


@dataclass(frozen=True)
class _Matcher:
    entries: tuple[tuple[str, AliasPattern], ...]

    def find(self, text: str) -> tuple[str, ...]:
        return tuple(name for name, pattern in self.entries if pattern.search(text))


def _matcher(entities: tuple[Entity, ...], compounds: bool = False) -> _Matcher:
    return _Matcher(tuple((e.name, _alias_pattern(e.aliases, compounds)) for e in entities))


@lru_cache(maxsize=8)
def _compiled(scopes: Scopes):
    rules = tuple(
        (
            rule.event_type,
            rule.weight,
            _alias_pattern(rule.keywords) if rule.keywords else None,
            _alias_pattern(rule.decisive) if rule.decisive else None,
        )
        for rule in scopes.event_types
    )
    owners = {e.name: e.category for e in scopes.trademarks if e.category}
    return (
        _matcher(scopes.companies),
        _matcher(scopes.molecules, compounds=True),
        _matcher(scopes.trademarks),
        _matcher(scopes.technologies),
        rules,
        owners,
    )


@lru_cache(maxsize=8)
def _field_patterns(scopes: Scopes) -> tuple[AliasPattern | None, AliasPattern | None]:
    vocabulary = _alias_pattern(scopes.vocabulary) if scopes.vocabulary else None
    other_senses = _alias_pattern(scopes.other_senses) if scopes.other_senses else None
    return vocabulary, other_senses


def _single_words(phrases: Iterable[str]) -> frozenset[str]:
    return frozenset(p.strip().lower() for p in phrases if p.strip() and " " not in p.strip())


@lru_cache(maxsize=8)
def _sense_words(scopes: Scopes) -> tuple[frozenset[str], AliasPattern | None]:
    """The field's single words (vocabulary, technology aliases) an other sense can end in, and the technology
    aliases of several words, which name the field's own sense ("biodegradable implant")."""
    words = _single_words(scopes.vocabulary) | _single_words(a for e in scopes.technologies for a in e.aliases)
    phrases = [a for e in scopes.technologies for a in e.aliases if " " in a.strip()]
    return words, (_alias_pattern(phrases) if phrases else None)


def _blank_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def mask_other_senses(text: str, scopes: Scopes) -> str:
    """Blank out the field's words used in another sense ("breast implants"), keeping offsets; and, as one item uses
    one word in one sense, the same word elsewhere in the item unless a phrase of the field names its own sense:
    "hearing aid software with implant compatibility" beside "cochlear implant sound processors" is no drug implant."""
    _vocabulary, other_senses = _field_patterns(scopes)
    if other_senses is None:
        return text
    found = list(other_senses.finditer(text))
    masked = _blank_spans(text, (m.span() for m in found))
    words, own_senses = _sense_words(scopes)
    heads = {m.group(0).lower().split()[-1] for m in found} & words
    if not heads:
        return masked
    forms = heads | {h + "s" for h in heads} | {h[:-1] for h in heads if h.endswith("s")}
    kept = [m.span() for m in own_senses.finditer(masked)] if own_senses is not None else []
    spans = [
        m.span()
        for m in _alias_pattern(forms).finditer(masked)
        if not any(start <= m.start() < end for start, end in kept)
    ]
    return _blank_spans(masked, spans)


def has_vocabulary(text: str, scopes: Scopes) -> bool:
    vocabulary, _other = _field_patterns(scopes)
    return bool(vocabulary and vocabulary.search(text))


@lru_cache(maxsize=8)
def _technology_terms(scopes: Scopes) -> _Matcher:
    """Technologies by their terms of art ("PLGA", "biodegradable implant"), leaving out the aliases that are also
    ordinary words of the field's vocabulary ("implants", "microspheres"): alone, those say no more than the
    vocabulary does."""
    ordinary = _single_words(scopes.vocabulary)
    entities = []
    for e in scopes.technologies:
        aliases = tuple(a for a in e.aliases if a.strip().lower() not in ordinary)
        if aliases:
            entities.append(Entity(e.name, aliases, e.category))
    return _matcher(tuple(entities))


def subject_text(title: str, text: str) -> str:
    """Title and text without their yardsticks (phrasing.py): the story's own subject."""
    return phrasing.subject_text(title, text)


def classify_event(title: str, text: str, scopes: Scopes) -> str:
    """The rule with most keyword hits wins; a title hit counts double, a decisive phrase three times. The words
    every field's news shares (phrasing.py: "files ... with the FDA", "sues") count for the rule of their type, and
    the field's own words for what those did not already say; a phrase that only looks like an event ("buying
    time") counts nothing."""
    *_, rules, _owners = _compiled(scopes)
    title, text = phrasing.without_false_events(title), phrasing.without_false_events(text)
    best, best_hits = "other", 0
    for event_type, _weight, pattern, decisive in rules:
        title_decisive, title_words, own_title = phrasing.event_phrases(event_type, title)
        text_decisive, text_words, own_text = phrasing.event_phrases(event_type, text)
        hits = 3 * (2 * title_decisive + text_decisive) + 2 * title_words + text_words
        if pattern is not None:
            hits += 2 * len(pattern.findall(own_title)) + len(pattern.findall(own_text))
        if decisive is not None:
            hits += 3 * (2 * len(decisive.findall(own_title)) + len(decisive.findall(own_text)))
        if hits > best_hits:
            best, best_hits = event_type, hits
    return best


def _largest_amount_usd(text: str) -> float:
    largest = 0.0
    for number, unit in _AMOUNT.findall(text):
        value = float(number.replace(",", "."))
        largest = max(largest, value * (1e9 if unit.lower() in ("billion", "bn", "b") else 1e6))
    return largest


def estimate_significance(title: str, text: str, event_type: str) -> str:
    """How much the event matters, by rules: an approval, a rejection, a phase 3 readout or a deal of
    $100M or more is major; a poster or a presentation is minor; any other event of the field notable."""
    title, text = phrasing.without_false_events(title), phrasing.without_false_events(text)
    both = f"{title}\n{text}"
    if event_type == "other":
        return "none"
    if event_type == "regulatory" and _MAJOR_REGULATORY.search(both):
        return "major"
    if event_type == "clinical" and _PIVOTAL.search(both) and _READOUT.search(both):
        return "major"
    if event_type in ("financing", "partnership"):
        if _ACQUISITION.search(title) or (_DEAL.search(both) and _largest_amount_usd(both) >= MAJOR_DEAL_USD):
            return "major"
    if _MINOR.search(title):
        return "minor"
    return "notable"


def _relevance(item: RawItem, scopes: Scopes, masked: str, pure_players: set[str]) -> tuple[bool, str]:
    """Whether the item is about the field: a watched product or technology, or a pure player or
    molecule together with the field's vocabulary, in the story's own subject (not as a competitor)."""
    companies_m, molecules_m, trademarks_m, _technologies_m, _rules, _owners = _compiled(scopes)
    title, text = masked.split("\n", 1) if "\n" in masked else (masked, "")
    terms = _technology_terms(scopes)

    def anchored(haystack: str) -> bool:
        # A technology named only by an ordinary word of the field ("implant") counts as the vocabulary does.
        if trademarks_m.find(haystack) or terms.find(haystack):
            return True
        named = set(companies_m.find(haystack)) & pure_players or molecules_m.find(haystack)
        return bool(named) and has_vocabulary(haystack, scopes)

    # Animals' medicine is another field, unless the news is one of the field's own makers' business.
    if phrasing.for_animals(title) and not set(companies_m.find(title)) & pure_players:
        return False, "veterinary medicine, not the field"
    if anchored(subject_text(title, text)):
        return True, ""
    if anchored(masked):
        return False, "watched names appear only as competitors or yardsticks"
    if anchored(f"{item.title}\n{item.text}"):
        return False, "the field's words are used in another sense"
    return False, "no watched product, technology or field vocabulary"


def extract(item: RawItem, scopes: Scopes) -> Extracted:
    companies_m, molecules_m, trademarks_m, technologies_m, _rules, owners = _compiled(scopes)
    haystack = mask_other_senses(f"{item.title}\n{item.text}", scopes)
    trademarks = trademarks_m.find(haystack)
    companies = list(companies_m.find(haystack))
    # A product name implies its owner, e.g. UZEDY → Teva.
    for trademark in trademarks:
        owner = owners.get(trademark)
        if owner and owner not in companies:
            companies.append(owner)
    pure_players = {e.name for e in scopes.companies if e.category == "pure_player"}
    on_topic, note = _relevance(item, scopes, haystack, pure_players)
    event_type = classify_event(item.title, item.text, scopes)
    return Extracted(
        companies=tuple(companies),
        molecules=molecules_m.find(haystack),
        trademarks=trademarks,
        technologies=technologies_m.find(haystack),
        event_type=event_type,
        significance=estimate_significance(item.title, item.text, event_type),
        on_topic=on_topic,
        relevance_note=note,
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
    """The lede's whole sentences that fit (compacted if need be), else the headline as a sentence."""
    hard_limit = max(limit, SUMMARY_MAX_CHARS * limit // SUMMARY_CHARS)
    return fit_sentences(text.strip(), limit, fallback=title.strip(), hard_limit=hard_limit) or title.strip()
