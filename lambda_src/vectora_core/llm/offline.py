"""Offline backend: deterministic extraction and an extractive editorial, labelled as such."""

from __future__ import annotations

from collections.abc import Sequence

from ..extraction import extract, extractive_summary
from ..models import Editorial, EditorialSection, NormalizedItem, RawItem, Scopes, ScoredItem
from ..text import as_sentence, compact
from .base import Budget, EditorialRequest, Usage
from .prompts import TLDR_CHARS, named_in, story_sentence

OFFLINE_VERSION = "offline-v4"  # the extractor's rules: stored normalizations of other rules are redone
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


def subject_of(scored: ScoredItem, scopes: Scopes) -> str:
    """Who or what a story is about, as it names them itself: the first company, else product, else molecule its
    headline names; failing that, its summary's. "" when it names none."""
    item = scored.item
    for text in (item.title, item.summary):
        for names, entities in (
            (item.companies, scopes.companies),
            (item.trademarks, scopes.trademarks),
            (item.molecules, scopes.molecules),
        ):
            found = named_in(names, text, entities)
            if found:
                return found[0]
    return ""


def join_names(names: Sequence[str]) -> str:
    names = list(dict.fromkeys(n for n in names if n))
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def headline_sentence(scored: ScoredItem) -> str:
    """A story's headline as a sentence: what happened and who, in the source's own words."""
    return as_sentence(compact(scored.item.title))


def section_intro(members: Sequence[ScoredItem], scopes: Scopes) -> str:
    """The section's main event in its headline's words, then who else the section is about."""
    ranked = sorted(members, key=lambda s: -s.score)
    others = join_names([subject_of(s, scopes) for s in ranked[1:]])
    return headline_sentence(ranked[0]) + (f" Also in this section: {others}." if others else "")


def offline_editorial(request: EditorialRequest, degraded_reason: str = "") -> Editorial:
    """An extractive editorial built only from the selected items' own words, each part of whole sentences."""
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
    ranked = sorted(selected, key=lambda s: -s.score)
    top = ranked[0]
    sources = {link[0] for s in selected for link in s.links}
    story = "story" if len(selected) == 1 else "stories"
    intro = f"Lead story: {headline_sentence(top)} {len(selected)} {story} from {len(sources)} sources, {period}."
    section_leads = []
    sections = []
    for section in client.sections:
        members = [s for s in selected if s.section_id == section.section_id]
        if members:
            sections.append(EditorialSection(section.section_id, section_intro(members, client.scopes)))
            best = max(members, key=lambda s: s.score)
            if best is not top:
                section_leads.append(subject_of(best, client.scopes))
    if join_names(section_leads):
        intro += f" Also in this edition: {join_names(section_leads)}."
    return Editorial(
        title=f"{client.name}: {compact(top.item.title)}",
        intro=intro,
        tldr=tuple(story_sentence(s, TLDR_CHARS) for s in ranked[:TLDR_ITEMS]),
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
