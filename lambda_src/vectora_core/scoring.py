"""Match items to watch domains, score them, merge duplicate stories and pick the top per section."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from .models import ClientConfig, NormalizedItem, ScoredItem, Section, WatchDomain

# Points per matched entity, and how many of each count; pure players weigh more than big pharma mentions.
WEIGHTS = {"pure_player": 2.0, "big_pharma": 0.75, "trademark": 1.5, "molecule": 0.5, "technology": 1.0}
CAPS = {"pure_player": 2, "big_pharma": 2, "trademark": 2, "molecule": 2, "technology": 1}
# The event's significance weighs more than any mention: an approval or a phase 3 readout outranks a
# poster however many watched names the poster carries.
SIGNIFICANCE_POINTS = {"major": 4.0, "notable": 2.0, "minor": 0.5, "none": 0.0}
# Places a section leaves empty go to other sections' items of at least this significance.
STRONG = ("major", "notable")
RECENCY_POINTS = 1.0
COVERAGE_POINTS = 0.5  # per extra source telling the same story
MERGE_MAX_DAYS = 3
_WORD = re.compile(r"[a-z0-9]{4,}")
# Stories about different regulators' decisions are different stories, however alike their entities.
_REGULATORS = {
    "FDA": re.compile(r"\bFDA\b|Food and Drug Administration"),
    "EMA": re.compile(r"\bEMA\b|\bCHMP\b|European Medicines Agency|European Commission"),
    "MHRA": re.compile(r"\bMHRA\b"),
    "PMDA": re.compile(r"\bPMDA\b|\bNMPA\b"),
}


@dataclass(frozen=True)
class Candidate:
    item: NormalizedItem
    score: float
    breakdown: dict[str, float]
    domains: tuple[str, ...]


def _domain_hits(item: NormalizedItem, domain: WatchDomain) -> int:
    return (
        len(set(item.companies) & set(domain.companies))
        + len(set(item.molecules) & set(domain.molecules))
        + len(set(item.trademarks) & set(domain.trademarks))
        + len(set(item.technologies) & set(domain.technologies))
    )


def score_item(item: NormalizedItem, client: ClientConfig, window_end: datetime, period_days: int) -> Candidate | None:
    """Score one item; None when it is off the field (a competitor-only mention, a word used in another
    sense) or touches no watch domain (noise)."""
    if not item.on_topic:
        return None
    domains = [d for d in client.watch_domains if _domain_hits(item, d)]
    if not domains:
        return None
    categories = {e.name: e.category for e in client.scopes.companies}
    event_weights = {r.event_type: r.weight for r in client.scopes.event_types}
    pure = [c for c in item.companies if categories.get(c) == "pure_player"]
    big = [c for c in item.companies if categories.get(c) == "big_pharma"]
    breakdown = {
        "event": event_weights.get(item.event_type, 0.5),
        "significance": SIGNIFICANCE_POINTS.get(item.significance, 0.0),
        "pure_players": WEIGHTS["pure_player"] * min(len(pure), CAPS["pure_player"]),
        "big_pharma": WEIGHTS["big_pharma"] * min(len(big), CAPS["big_pharma"]),
        "trademarks": WEIGHTS["trademark"] * min(len(item.trademarks), CAPS["trademark"]),
        "molecules": WEIGHTS["molecule"] * min(len(item.molecules), CAPS["molecule"]),
        "technologies": WEIGHTS["technology"] * min(len(item.technologies), CAPS["technology"]),
    }
    age_days = max(0.0, (window_end - item.published).total_seconds() / 86400)
    breakdown["recency"] = round(RECENCY_POINTS * max(0.0, 1 - age_days / max(period_days, 1)), 3)
    base = sum(breakdown.values())
    domain_weight = max(d.weight for d in domains)
    source = next((s for s in client.sources if s.source_id == item.source_id), None)
    priority = source.priority if source else 1.0
    # Multipliers shown as the points they add, so the breakdown sums to the score.
    breakdown["domain_weight"] = round(base * (domain_weight - 1), 3)
    breakdown["source_priority"] = round(base * domain_weight * (priority - 1), 3)
    score = round(sum(breakdown.values()), 3)
    return Candidate(item=item, score=score, breakdown=breakdown, domains=tuple(d.domain_id for d in domains))


def _words(item: NormalizedItem) -> set[str]:
    return set(_WORD.findall(f"{item.title} {item.summary}".lower()))


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _overlap(a: set, b: set) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _regulators(item: NormalizedItem) -> set[str]:
    text = f"{item.title} {item.summary}"
    return {name for name, pattern in _REGULATORS.items() if pattern.search(text)}


@dataclass(frozen=True)
class _StoryKey:
    """What `same_story` compares, computed once per item: merging is quadratic in the worst case."""

    event_type: str
    source_id: str
    timestamp: float
    core: frozenset
    words: frozenset
    regulators: frozenset

    @classmethod
    def of(cls, item: NormalizedItem) -> _StoryKey:
        return cls(
            item.event_type,
            item.source_id,
            item.published.timestamp(),
            # Companies and molecules, not products: a regulator's notice names fewer entities than a press release.
            frozenset(item.companies) | frozenset(item.molecules),
            frozenset(_words(item)),
            frozenset(_regulators(item)),
        )

    def matches(self, other: _StoryKey) -> bool:
        # A copy whose event was not recognised ("other") may be any story: its wording decides.
        same_type = self.event_type == other.event_type or "other" in (self.event_type, other.event_type)
        if not same_type or self.source_id == other.source_id:
            return False
        if abs(self.timestamp - other.timestamp) > MERGE_MAX_DAYS * 86400:
            return False
        # Stories about different regulators' decisions are different stories, however alike their entities.
        if self.regulators and other.regulators and not self.regulators & other.regulators:
            return False
        return _overlap(self.core, other.core) >= 0.67 and _jaccard(self.words, other.words) >= 0.12


def same_story(a: NormalizedItem, b: NormalizedItem) -> bool:
    """Same event type, close dates, mostly the same entities, the same regulator and some shared wording."""
    return _StoryKey.of(a).matches(_StoryKey.of(b))


def merge_duplicates(candidates: Sequence[Candidate]) -> tuple[list[ScoredItem], int]:
    """Cluster the same story told by several sources; keep the best-scored item and every link."""
    ordered = sorted(candidates, key=lambda c: (-c.score, c.item.published, c.item.item_id))
    clusters: list[list[Candidate]] = []
    leads: dict[str, list[tuple[_StoryKey, int]]] = {}  # by event type: only those (and "other") can match
    for candidate in ordered:
        key = _StoryKey.of(candidate.item)
        if key.event_type == "other":
            possible = sorted((pair for group in leads.values() for pair in group), key=lambda pair: pair[1])
        else:
            possible = [*leads.get(key.event_type, ()), *leads.get("other", ())]
            possible.sort(key=lambda pair: pair[1])
        for lead_key, index in possible:
            if lead_key.matches(key):
                clusters[index].append(candidate)
                break
        else:
            leads.setdefault(key.event_type, []).append((key, len(clusters)))
            clusters.append([candidate])
    merged: list[ScoredItem] = []
    for cluster in clusters:
        lead = cluster[0]
        breakdown = dict(lead.breakdown)
        extra_sources = {c.item.source_id for c in cluster[1:]} - {lead.item.source_id}
        if extra_sources:
            breakdown["coverage"] = COVERAGE_POINTS * len(extra_sources)
        domains = tuple(dict.fromkeys(d for c in cluster for d in c.domains))
        merged.append(
            ScoredItem(
                item=lead.item,
                score=round(sum(breakdown.values()), 3),
                breakdown=breakdown,
                domains=domains,
                section_id="",
                links=tuple((c.item.source_id, c.item.url) for c in cluster),
                merged_ids=tuple(c.item.item_id for c in cluster[1:]),
            )
        )
    return merged, sum(len(c) - 1 for c in clusters)


def section_for(event_type: str, sections: Sequence[Section]) -> str | None:
    for section in sections:
        if event_type in section.event_types:
            return section.section_id
    for section in sections:
        if not section.event_types:  # a catch-all section
            return section.section_id
    return None


def _rank(scored: ScoredItem) -> tuple:
    return (-scored.score, -scored.item.published.timestamp(), scored.item.item_id)


def select(merged: Sequence[ScoredItem], client: ClientConfig) -> list[ScoredItem]:
    """Top items per section above the client's minimum score, in section order then score.

    The newsletter's length is the sum of the sections' places: places a section leaves empty are lent
    to the best remaining items of other sections whose event is major or notable, which stay in their
    own section (marked `borrowed_place`), so a week of many approvals does not drop one for want of
    a partnership to fill the deals section.
    """
    by_section: dict[str, list[ScoredItem]] = {s.section_id: [] for s in client.sections}
    for scored in merged:
        section_id = section_for(scored.item.event_type, client.sections)
        if section_id is not None and scored.score >= client.min_score:
            by_section[section_id].append(replace(scored, section_id=section_id))
    chosen: dict[str, list[ScoredItem]] = {}
    overflow: list[ScoredItem] = []
    free = 0
    for section in client.sections:
        members = sorted(by_section[section.section_id], key=_rank)
        chosen[section.section_id] = members[: section.max_items]
        overflow += members[section.max_items :]
        free += max(0, section.max_items - len(members))
    for scored in sorted((s for s in overflow if s.item.significance in STRONG), key=_rank)[:free]:
        chosen[scored.section_id].append(replace(scored, borrowed_place=True))
    selected: list[ScoredItem] = []
    for section in client.sections:
        selected += sorted(chosen[section.section_id], key=_rank)
    return selected
