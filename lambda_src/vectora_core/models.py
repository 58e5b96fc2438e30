"""Plain dataclasses shared by the pure parts of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Source:
    source_id: str
    name: str
    url: str
    kind: str  # "company", "trade_press", "regulator"
    priority: float = 1.0  # multiplier in scoring


@dataclass(frozen=True)
class Section:
    section_id: str
    title: str
    event_types: tuple[str, ...]  # empty tuple: accepts any event type
    max_items: int


@dataclass(frozen=True)
class WatchDomain:
    domain_id: str
    title: str
    companies: tuple[str, ...] = ()
    molecules: tuple[str, ...] = ()
    trademarks: tuple[str, ...] = ()
    technologies: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass(frozen=True)
class Entity:
    """A canonical entity with its aliases (matched case-insensitively on word boundaries)."""

    name: str
    aliases: tuple[str, ...]
    category: str = ""  # companies: "pure_player" or "big_pharma"; trademarks: owning company


@dataclass(frozen=True)
class EventRule:
    event_type: str
    keywords: tuple[str, ...]
    weight: float
    # Phrases that settle the type on their own (a complete response letter is regulatory, however
    # much the letter talks about a manufacturing site): each hit counts three times.
    decisive: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scopes:
    """Canonical vocabulary of a client's field."""

    version: str
    companies: tuple[Entity, ...]
    molecules: tuple[Entity, ...]
    trademarks: tuple[Entity, ...]
    technologies: tuple[Entity, ...]
    event_types: tuple[EventRule, ...]
    # Words of the field that are no entity ("injectable", "twice-yearly"): with a watched company or
    # molecule they make an item about the field; alone they only let it through the screen.
    vocabulary: tuple[str, ...] = ()
    # The field's words used in another sense ("breast implant", "distribution depot"): masked before matching.
    other_senses: tuple[str, ...] = ()
    # What the field is, told to the model that normalizes items: its name, what an item must be about to be on
    # the field, and what its words mean elsewhere. Empty: the prompt refers to the watched names only.
    field_name: str = ""
    field_subject: str = ""
    field_not_subject: str = ""
    # The scopes file's key in the config bucket ("canonical/lai_scopes.yaml"): with `version`, it identifies
    # the field in the shared store, so clients of one field share normalizations and two fields never mix.
    key: str = ""


@dataclass(frozen=True)
class ClientConfig:
    client_id: str
    name: str
    language: str
    default_period_days: int
    sources: tuple[Source, ...]
    watch_domains: tuple[WatchDomain, ...]
    sections: tuple[Section, ...]
    min_score: float
    scopes: Scopes
    schedule: str = ""  # EventBridge expression, used by the infrastructure only


@dataclass(frozen=True)
class RawItem:
    """One feed entry after parsing, before normalization."""

    item_id: str
    source_id: str
    url: str
    title: str
    text: str
    published: datetime
    content_hash: str
    dated: bool = True  # False when the feed gave no date: `published` is then when it was first seen


@dataclass(frozen=True)
class NormalizedItem:
    item_id: str
    source_id: str
    url: str
    title: str
    published: datetime
    content_hash: str
    summary: str
    event_type: str
    companies: tuple[str, ...]
    molecules: tuple[str, ...]
    trademarks: tuple[str, ...]
    technologies: tuple[str, ...]
    backend: str  # "bedrock" or "offline"
    degraded: bool = False
    degraded_reason: str = ""
    # How much the event matters: "major" (approval, rejection, phase 3 readout, large deal), "notable",
    # "minor" (a poster, a presentation) or "none" (no event of the field).
    significance: str = "none"
    # Whether the item is about the client's field at all: False when its names are only mentioned as
    # competitors or its words are used in another sense; `relevance_note` says why.
    on_topic: bool = True
    relevance_note: str = ""
    dated: bool = True  # False when the feed gave no date (`published` is when it was first seen)


@dataclass(frozen=True)
class ScoredItem:
    """A story selected for the newsletter: one or more merged items, with why it scored."""

    item: NormalizedItem
    score: float
    breakdown: dict[str, float]
    domains: tuple[str, ...]
    section_id: str
    links: tuple[tuple[str, str], ...]  # (source_id, url), first one is the primary
    merged_ids: tuple[str, ...] = field(default=())
    borrowed_place: bool = False  # selected on a place another section did not fill
    republished: str = ""  # why a story already published is selected again (what changed)


@dataclass(frozen=True)
class EditorialSection:
    section_id: str
    intro: str


@dataclass(frozen=True)
class Editorial:
    title: str
    intro: str
    tldr: tuple[str, ...]
    sections: tuple[EditorialSection, ...]
    backend: str
    model_id: str = ""
    region: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    degraded: bool = False
    degraded_reason: str = ""
    prompt_version: str = ""
    # The Bedrock endpoint that answered was the local stand-in (it says so in an `x-standin` header).
    standin: bool = False
    # What the editorial's check removed or replaced (faithfulness.py), one line each.
    corrections: tuple[str, ...] = ()
