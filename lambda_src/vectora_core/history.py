"""What earlier editions published, so a story is not sent twice.

The edition history lives in DATA_BUCKET at `history/<client_id>.json` (`layout.history_key`): per published edition, the
stories it carried (every item id of the merged story, its event type and significance). Only runs
that publish (`invocation.publishes`) add to it; smoke tests, drills and benchmarks never do. A story
an earlier edition carried is withheld unless it changed materially: its event type changed (a trial
became an approval) or its significance rose (a filing became a decision); the manifest says which.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from . import layout
from .models import ScoredItem

KEEP_EDITIONS = 52  # a year of weekly editions
SIGNIFICANCE_RANK = {"none": 0, "minor": 1, "notable": 2, "major": 3}


@dataclass(frozen=True)
class PublishedStory:
    edition: str  # the edition's date
    item_ids: frozenset[str]
    event_type: str
    significance: str
    title: str


def published_before(history: dict[str, Any], edition_day: date) -> list[PublishedStory]:
    """Stories of editions dated before `edition_day` (a rerun of the same edition replaces it)."""
    stories = []
    for edition in history.get("editions", []):
        if not isinstance(edition, dict) or str(edition.get("date", "")) >= edition_day.isoformat():
            continue
        for story in edition.get("stories", []):
            try:
                stories.append(
                    PublishedStory(
                        str(edition["date"]),
                        frozenset(story["item_ids"]),
                        str(story["event_type"]),
                        str(story.get("significance", "none")),
                        str(story.get("title", "")),
                    )
                )
            except (KeyError, TypeError):
                continue  # a damaged entry only costs a possible repeat
    return stories


def material_change(story: PublishedStory, scored: ScoredItem) -> str:
    """Why the story deserves a new mention, or "" when it does not."""
    item = scored.item
    if item.event_type != story.event_type:
        return f"event type changed from {story.event_type} to {item.event_type} since the edition of {story.edition}"
    if SIGNIFICANCE_RANK.get(item.significance, 0) > SIGNIFICANCE_RANK.get(story.significance, 0):
        return (
            f"significance rose from {story.significance} to {item.significance} since the edition of {story.edition}"
        )
    return ""


def withhold_published(
    merged: Sequence[ScoredItem], published: Sequence[PublishedStory]
) -> tuple[list[ScoredItem], list[dict[str, str]]]:
    """(stories still eligible, stories withheld as already published with where they appeared)."""
    by_id: dict[str, PublishedStory] = {}
    for story in published:  # later editions win: the latest telling is the one to compare with
        for item_id in story.item_ids:
            if item_id not in by_id or by_id[item_id].edition < story.edition:
                by_id[item_id] = story
    eligible: list[ScoredItem] = []
    withheld: list[dict[str, str]] = []
    for scored in merged:
        story = next((by_id[i] for i in (scored.item.item_id, *scored.merged_ids) if i in by_id), None)
        if story is None:
            eligible.append(scored)
            continue
        change = material_change(story, scored)
        if change:
            eligible.append(replace(scored, republished=change))
        else:
            withheld.append(
                {
                    "item_id": scored.item.item_id,
                    "title": scored.item.title,
                    "published_in": story.edition,
                    "reason": f"already published in the edition of {story.edition}",
                }
            )
    return eligible, withheld


def with_edition(
    history: dict[str, Any], edition_day: date, generated_at: datetime, selected: Iterable[ScoredItem]
) -> dict[str, Any]:
    """The history with this edition recorded (replacing an earlier run of the same edition)."""
    editions = [
        e for e in history.get("editions", []) if isinstance(e, dict) and e.get("date") != edition_day.isoformat()
    ]
    editions.append(
        {
            "date": edition_day.isoformat(),
            "generated_at": generated_at.isoformat(),
            "stories": [
                {
                    "item_ids": [s.item.item_id, *s.merged_ids],
                    "event_type": s.item.event_type,
                    "significance": s.item.significance,
                    "title": s.item.title,
                }
                for s in selected
            ],
        }
    )
    editions.sort(key=lambda e: e["date"])
    return {"editions": editions[-KEEP_EDITIONS:]}


def load_history(s3, bucket: str, client_id: str) -> dict[str, Any]:
    from .store import read_text

    text = read_text(s3, bucket, layout.history_key(client_id))
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def save_history(s3, bucket: str, client_id: str, history: dict[str, Any]) -> None:
    from .store import put_json

    put_json(s3, bucket, layout.history_key(client_id), history)
