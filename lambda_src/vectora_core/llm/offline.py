"""Offline backend: deterministic extraction and an extractive editorial, labelled as such."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..extraction import extract, extractive_summary
from ..models import Editorial, EditorialSection, NormalizedItem, RawItem, Scopes
from ..text import shorten
from .base import Budget, EditorialRequest, Usage

OFFLINE_VERSION = "offline-v2"
TLDR_ITEMS = 4


def normalize_offline(item: RawItem, scopes: Scopes, degraded_reason: str = "") -> NormalizedItem:
    found = extract(item, scopes)
    return NormalizedItem(
        item_id=item.item_id,
        source_id=item.source_id,
        url=item.url,
        title=item.title,
        published=item.published,
        content_hash=item.content_hash,
        summary=extractive_summary(item.title, item.text),
        event_type=found.event_type,
        companies=found.companies,
        molecules=found.molecules,
        trademarks=found.trademarks,
        technologies=found.technologies,
        backend="offline",
        degraded=bool(degraded_reason),
        degraded_reason=degraded_reason,
        significance=found.significance,
        on_topic=found.on_topic,
        relevance_note=found.relevance_note,
        dated=item.dated,
    )


def _names(items, limit=4) -> str:
    counts = Counter(name for scored in items for name in scored.item.companies)
    names = [name for name, _ in counts.most_common(limit)]
    return ", ".join(names)


def offline_editorial(request: EditorialRequest, degraded_reason: str = "") -> Editorial:
    """An extractive editorial built only from the selected items' own words."""
    selected = request.selected
    client = request.client
    period = f"{request.window_start:%d %b} – {request.window_end:%d %b %Y}"
    if not selected:
        return Editorial(
            title=f"{client.name}: no qualifying news, {period}",
            intro="No item from the watched sources met the selection threshold in this period.",
            tldr=(),
            sections=(),
            backend="offline",
            degraded=bool(degraded_reason),
            degraded_reason=degraded_reason,
            prompt_version=OFFLINE_VERSION,
        )
    top = max(selected, key=lambda s: s.score)
    sources = {link[0] for s in selected for link in s.links}
    intro = (
        f"{len(selected)} stories from {len(sources)} sources between {period}. "
        f"Lead story: {top.item.title.rstrip('.')}."
    )
    companies = _names(selected)
    if companies:
        intro += f" Companies in focus: {companies}."
    ranked = sorted(selected, key=lambda s: -s.score)
    sections = []
    for section in client.sections:
        members = [s for s in selected if s.section_id == section.section_id]
        if members:
            names = _names(members, 3)
            story = "story" if len(members) == 1 else "stories"
            sections.append(
                EditorialSection(
                    section.section_id, f"{len(members)} {story}" + (f" involving {names}." if names else ".")
                )
            )
    return Editorial(
        title=shorten(f"{client.name}: {top.item.title}", 110),
        intro=intro,
        tldr=tuple(s.item.summary for s in ranked[:TLDR_ITEMS]),
        sections=tuple(sections),
        backend="offline",
        degraded=bool(degraded_reason),
        degraded_reason=degraded_reason,
        prompt_version=OFFLINE_VERSION,
    )


class OfflineLLM:
    """LLM_BACKEND=offline: no model at all; the output says so."""

    name = "offline"

    def __init__(self) -> None:
        self.usage = Usage()
        self.blocking_problems: list = []

    def normalization_version(self) -> str:
        return OFFLINE_VERSION

    def editorial_identity(self) -> tuple[str, str]:
        return OFFLINE_VERSION, "offline"

    def normalize(
        self, items: Sequence[RawItem], scopes: Scopes, budget: Budget, on_batch=None
    ) -> list[NormalizedItem]:
        results = [normalize_offline(item, scopes) for item in items]
        if on_batch and results:
            on_batch(results)
        return results

    def write_editorial(self, request: EditorialRequest, budget: Budget) -> Editorial:
        return offline_editorial(request)
