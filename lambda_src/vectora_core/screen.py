"""The cheap first stage of the cascade: decide, without a model, which items are worth normalizing.

High recall by design: an item passes when it names anything of the client's field — a watched
company, molecule, product or technology alias, or a word of the field's vocabulary ("injectable",
"depot", "twice-yearly"), even in another sense. Only items with none of these are screened out, with
their reason; they are never sent to the model. Telling a breast implant from a drug implant is the
next stage's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .extraction import _compiled, has_vocabulary
from .models import RawItem, Scopes

NO_FIELD_WORD = "no watched name and no word of the field"
BIG_PHARMA_ONLY = "names a watched large company, but no product, molecule or word of the field"


@dataclass(frozen=True)
class ScreenedOut:
    item: RawItem
    reason: str


def screen_reason(item: RawItem, scopes: Scopes) -> str:
    """Empty when the item passes the screen; otherwise why it was screened out."""
    companies_m, molecules_m, trademarks_m, technologies_m, _rules, _owners = _compiled(scopes)
    text = f"{item.title}\n{item.text}"
    if trademarks_m.find(text) or technologies_m.find(text) or molecules_m.find(text) or has_vocabulary(text, scopes):
        return ""
    named = set(companies_m.find(text))
    categories = {e.name: e.category for e in scopes.companies}
    if any(categories.get(name) != "big_pharma" for name in named):
        return ""  # a pure player's news is worth a look even without the field's words
    return BIG_PHARMA_ONLY if named else NO_FIELD_WORD


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
