"""The cheap first stage of the cascade: decide, without a model, which items are worth normalizing.

High recall by design: an item passes when it names anything of the client's field — a watched
company, molecule, product or technology alias, or a word of the field's vocabulary ("injectable",
"depot", "twice-yearly"), even in another sense. Only items with none of these are screened out, with
their reason; they are never sent to the model. Telling a breast implant from a drug implant is the
next stage's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .extraction import AliasPattern, _alias_pattern
from .models import RawItem, Scopes

NO_FIELD_WORD = "no watched name and no word of the field"
BIG_PHARMA_ONLY = "names a watched large company, but no product, molecule or word of the field"


@dataclass(frozen=True)
class ScreenedOut:
    item: RawItem
    reason: str


@lru_cache(maxsize=8)
def _patterns(scopes: Scopes) -> tuple[AliasPattern, AliasPattern | None]:
    """Two alternations, compiled once: what lets an item through, and the large companies (for the reason)."""
    passing = [
        a for group in (scopes.trademarks, scopes.technologies, scopes.molecules) for e in group for a in e.aliases
    ]
    passing += [a for e in scopes.companies if e.category != "big_pharma" for a in e.aliases]
    passing += list(scopes.vocabulary)
    big = [a for e in scopes.companies if e.category == "big_pharma" for a in e.aliases]
    return _alias_pattern(passing), (_alias_pattern(big) if big else None)


def screen_reason(item: RawItem, scopes: Scopes) -> str:
    """Empty when the item passes the screen; otherwise why it was screened out.

    A pure player's news passes even without the field's words: it is worth the model's look.
    """
    passing, big_pharma = _patterns(scopes)
    text = f"{item.title}\n{item.text}"
    if passing.search(text):
        return ""
    return BIG_PHARMA_ONLY if big_pharma and big_pharma.search(text) else NO_FIELD_WORD


def split_by_screen(items: Iterable[RawItem], scopes: Scopes) -> tuple[list[RawItem], list[ScreenedOut]]:
    passed: list[RawItem] = []
    screened_out: list[ScreenedOut] = []
    for item in items:
        reason = screen_reason(item, scopes)
        if reason:
            screened_out.append(ScreenedOut(item, reason))
        else:
            passed.append(item)
    return passed, screened_out


def screened_out_summary(screened_out: Sequence[ScreenedOut]) -> list[dict[str, str]]:
    """For the manifest: what was kept from the model, and why."""
    return [
        {"item_id": s.item.item_id, "source_id": s.item.source_id, "title": s.item.title, "reason": s.reason}
        for s in screened_out
    ]
