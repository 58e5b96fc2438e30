"""Match items to watch domains, score them and pick the top stories per section (stories: see stories.py)."""

from __future__ import annotations

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
