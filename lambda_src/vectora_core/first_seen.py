"""First-seen dates of undated items: an item without a date takes the time it was first seen, remembered in
the feed state, so it is new once and not at every fetch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from .models import RawItem


def apply_first_seen(
    items: Iterable[RawItem], remembered: dict[str, str], now: datetime
) -> tuple[list[RawItem], dict[str, str]]:
    """Undated items take the date they were first seen (remembered in the feed state), not each fetch's
    time, so an undated item is new once. Returns the items and the first-seen dates to remember."""
    result: list[RawItem] = []
    first_seen: dict[str, str] = {}
    for item in items:
        if item.dated:
            result.append(item)
            continue
        seen = remembered.get(item.item_id)
        try:
            when = datetime.fromisoformat(seen) if seen else now
        except ValueError:
            when = now
        first_seen[item.item_id] = when.isoformat()
        result.append(replace(item, published=when))
    return result, first_seen
