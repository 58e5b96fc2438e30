"""JSON shapes of stored items and cached editorials (pure functions)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from .models import Editorial, EditorialSection, NormalizedItem, RawItem, ScoredItem


def item_to_dict(item: NormalizedItem | RawItem) -> dict[str, Any]:
    """A raw or normalized item as JSON-ready data (the date in ISO 8601)."""
    data = asdict(item)
    data["published"] = item.published.isoformat()
    return data


def raw_from_dict(data: dict[str, Any]) -> RawItem:
    fields = dict(data)
    fields["published"] = datetime.fromisoformat(fields["published"])
    return RawItem(**{k: fields[k] for k in RawItem.__dataclass_fields__ if k in fields})


def item_from_dict(data: dict[str, Any]) -> NormalizedItem:
    fields = dict(data)
    fields["published"] = datetime.fromisoformat(fields["published"])
    for key in ("companies", "molecules", "trademarks", "technologies"):
        fields[key] = tuple(fields.get(key, ()))
    return NormalizedItem(**{k: fields[k] for k in NormalizedItem.__dataclass_fields__ if k in fields})


def editorial_to_dict(editorial: Editorial) -> dict[str, Any]:
    data = asdict(editorial)
    data["tldr"] = list(editorial.tldr)
    data["sections"] = [asdict(s) for s in editorial.sections]
    data["corrections"] = list(editorial.corrections)
    return data


def editorial_from_dict(data: dict[str, Any]) -> Editorial:
    """Rebuild a cached editorial; raises KeyError/TypeError/ValueError on a malformed object."""
    if not isinstance(data.get("title"), str) or not isinstance(data.get("intro"), str):
        raise ValueError("editorial lacks title or intro")
    sections = tuple(EditorialSection(section_id=str(s["section_id"]), intro=str(s["intro"])) for s in data["sections"])
    return Editorial(
        title=data["title"],
        intro=data["intro"],
        tldr=tuple(str(x) for x in data["tldr"]),
        sections=sections,
        backend=str(data["backend"]),
        model_id=str(data.get("model_id", "")),
        region=str(data.get("region", "")),
        input_tokens=int(data.get("input_tokens", 0)),
        output_tokens=int(data.get("output_tokens", 0)),
        degraded=bool(data.get("degraded", False)),
        degraded_reason=str(data.get("degraded_reason", "")),
        prompt_version=str(data.get("prompt_version", "")),
        standin=bool(data.get("standin", False)),
        corrections=tuple(str(x) for x in data.get("corrections", ())),
    )


def scored_to_manifest(scored: ScoredItem) -> dict[str, Any]:
    item = scored.item
    return {
        "item_id": item.item_id,
        "section": scored.section_id,
        "title": item.title,
        "published": item.published.isoformat(),
        "event_type": item.event_type,
        "significance": item.significance,
        "score": scored.score,
        "score_breakdown": scored.breakdown,
        "domains": list(scored.domains),
        "entities": {
            "companies": list(item.companies),
            "molecules": list(item.molecules),
            "trademarks": list(item.trademarks),
            "technologies": list(item.technologies),
        },
        "links": [{"source_id": s, "url": u} for s, u in scored.links],
        "merged_item_ids": list(scored.merged_ids),
        "borrowed_place": scored.borrowed_place,
        "republished": scored.republished,
        "normalized_by": item.backend,
        "degraded": item.degraded,
    }
