"""What `invoke eval` measures on one week, from the labels alone (pure functions over the engine's outputs).

Counts come first (`counts`), ratios are computed from them, so figures of several weeks add up (`combine`):

- selection: precision (selected stories whose lead item is on topic), must-include and all-relevant recall (a
  story is covered when a selected story is led by one of its items);
- story identity: pairwise clustering precision and recall over the items that reached clustering, stories split
  across selected items, selected stories that merge items of different labelled stories (wrong merges);
- faithfulness, checked here independently of the engine's own check: names of the field's companies, products
  and molecules in the title, intro, TL;DR and section intros that no selected story (for a section intro: no story
  of that section) names in its titles or summaries, and a "lead" that is not the highest-scored story;
- whole sentences: shown texts ending in an ellipsis, and shown texts that do not end a sentence;
- section intros that are a count and a list rather than an event and who.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations
from typing import Any

_WORD = re.compile(r"[a-z0-9]{4,}")
_ELLIPSIS = re.compile(r"(?:…|\.\.\.)\s*$")
_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*$")
_FORMULAIC = re.compile(r"^\d+ stor(?:y|ies)\b", re.IGNORECASE)
_LEAD_WORDS = re.compile(r"\b(?:lead|leads|leading|top story|headline)\b", re.IGNORECASE)

RATIOS = {
    # figure: (numerator count, denominator count)
    "precision": ("selected_on_topic", "selected"),
    "must_include_recall": ("must_include_covered", "must_include_stories"),
    "relevant_recall": ("relevant_covered", "relevant_stories"),
    "clustering_precision": ("pairs_right", "pairs_predicted"),
    "clustering_recall": ("pairs_found", "pairs_true"),
    "screen_recall": ("relevant_items_screened_in", "relevant_items"),
    "event_types_filed_right": ("event_types_right", "selected_on_topic"),
}


def ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 3) if denominator else 1.0


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _pairs(groups: Sequence[Sequence[str]]) -> set[frozenset]:
    return {frozenset(pair) for group in groups for pair in combinations(sorted(set(group)), 2)}


class Names:
    """The field's names (companies, products, molecules) found in text, by canonical name."""

    def __init__(self, scopes) -> None:
        self._patterns = []
        for group in (scopes.companies, scopes.trademarks, scopes.molecules):
            for entity in group:
                aliases = sorted({a for a in entity.aliases if a.strip()}, key=len, reverse=True)
                body = "|".join(re.escape(a) for a in aliases)
                self._patterns.append((entity.name, re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)))

    def in_text(self, text: str) -> set[str]:
        return {name for name, pattern in self._patterns if pattern.search(text)}


def _shown_texts(editorial, selected) -> list[str]:
    texts = [editorial.title, editorial.intro, *editorial.tldr, *(s.intro for s in editorial.sections)]
    return texts + [s.item.summary for s in selected]


def measure(week, stage: dict[str, Any], scopes) -> dict[str, Any]:
    """Counts and lists for one week and one backend; `stage` holds what the engine's stages returned."""
    labels = week.labels
    start, end = stage["window"]
    in_window = [i for i in week.items if start <= i.published <= end]
    normalized = {n.item_id: n for n in stage["normalized"]}

    def story(item_id: str) -> str | None:
        label = labels[item_id]
        return (label.get("story") or f"item:{item_id}") if label.get("relevant") else None

    def identity(item_id: str) -> str:
        return story(item_id) or f"off:{item_id}"

    relevant_items = [i for i in in_window if labels[i.item_id].get("relevant")]
    stories = {story(i.item_id) for i in relevant_items}
    must = {story(i.item_id) for i in relevant_items if labels[i.item_id].get("must_include")}
    selected, clusters = stage["selected"], stage["stories"]
    covered = {story(s.item.item_id) for s in selected} - {None}
    appearances: dict[str, int] = {}
    wrong_merges = []
    for scored in selected:
        members = (scored.item.item_id, *scored.merged_ids)
        for told in {story(i) for i in members} - {None}:
            appearances[told] = appearances.get(told, 0) + 1
        if len({identity(i) for i in members}) > 1:
            wrong_merges.append(" + ".join(labels[i]["title"][:50] for i in members))
    candidate_ids = [c.item.item_id for c in stage["candidates"]]
    groups: dict[str, list[str]] = {}
    for item_id in candidate_ids:
        groups.setdefault(identity(item_id), []).append(item_id)
    true_pairs = _pairs(list(groups.values()))
    predicted = _pairs([(m.item.item_id, *m.merged_ids) for m in clusters])
    editorial = stage["editorial"]
    ungrounded = _ungrounded(editorial, selected, normalized, Names(scopes))
    shown = _shown_texts(editorial, selected)
    ellipses = [t for t in shown if _ELLIPSIS.search(t.strip())]
    sentence_texts = [editorial.intro, *editorial.tldr, *(s.intro for s in editorial.sections)]
    sentence_texts += [s.item.summary for s in selected]
    not_whole = [t for t in sentence_texts if t.strip() and not _SENTENCE_END.search(t.strip())]
    formulaic = _formulaic_intros(editorial, selected, normalized, Names(scopes))
    off_topic_lines = 0
    for line in editorial.tldr:
        words = _words(line)
        best = max(selected, key=lambda s: len(words & _words(f"{s.item.title} {s.item.summary}")), default=None)
        off_topic_lines += best is None or story(best.item.item_id) is None
    passed = {i.item_id for i in stage["screened_in"]}
    on_topic_selected = [s for s in selected if story(s.item.item_id)]
    counts = {
        "items": len(in_window),
        "relevant_items": len(relevant_items),
        "relevant_stories": len(stories),
        "must_include_stories": len(must),
        "screened_in": len(stage["screened_in"]),
        "candidates": len(candidate_ids),
        "selected": len(selected),
        "selected_on_topic": len(on_topic_selected),
        "must_include_covered": len(must & covered),
        "relevant_covered": len(stories & covered),
        "pairs_predicted": len(predicted),
        "pairs_right": len(predicted & true_pairs),
        "pairs_true": len(true_pairs),
        "pairs_found": len(predicted & true_pairs),
        "stories_split": sum(1 for n in appearances.values() if n > 1),
        "wrong_merges": len(wrong_merges),
        "ungrounded_mentions": len(ungrounded),
        "ungrounded_removed": stage["faithfulness"].get("removed", 0),
        "trailing_ellipses": len(ellipses),
        "not_whole_sentences": len(not_whole),
        "ellipses_in_edition": stage["rendered_markdown"].count("…"),
        "formulaic_section_intros": len(formulaic),
        "tldr_lines": len(editorial.tldr),
        "tldr_off_topic_lines": off_topic_lines,
        "relevant_items_screened_in": sum(1 for i in relevant_items if i.item_id in passed),
        "event_types_right": sum(
            1 for s in on_topic_selected if labels[s.item.item_id].get("event_type") == s.item.event_type
        ),
    }
    details = {
        "missing_must_include": sorted(must - covered),
        "missing_relevant": sorted(stories - covered),
        "off_topic_selected": [s.item.title for s in selected if story(s.item.item_id) is None],
        "split_stories": sorted(s for s, n in appearances.items() if n > 1),
        "wrong_merges_seen": wrong_merges,
        "ungrounded_seen": ungrounded,
        "ellipses_seen": ellipses,
        "not_whole_seen": not_whole,
        "formulaic_seen": formulaic,
        "missed_by_screen": [labels[i.item_id]["title"] for i in relevant_items if i.item_id not in passed],
    }
    return {"counts": counts, **figures(counts), **details}


def figures(counts: dict[str, int]) -> dict[str, Any]:
    """Ratios from counts, plus the counts a target is set on."""
    result: dict[str, Any] = {name: ratio(counts[num], counts[den]) for name, (num, den) in RATIOS.items()}
    for key in (
        "stories_split",
        "wrong_merges",
        "ungrounded_mentions",
        "ungrounded_removed",
        "trailing_ellipses",
        "not_whole_sentences",
        "ellipses_in_edition",
        "formulaic_section_intros",
        "tldr_off_topic_lines",
        "selected",
        "screened_in",
        "items",
        "relevant_stories",
    ):
        result[key] = counts[key]
    return result


def combine(weeks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several weeks' figures as one: counts added, ratios recomputed from the sums."""
    total: dict[str, int] = {}
    for week in weeks:
        for key, value in week["counts"].items():
            total[key] = total.get(key, 0) + value
    return {"weeks": len(weeks), "counts": total, **figures(total)} if weeks else {}


def _story_texts(scored, normalized) -> str:
    """What a story of the edition says: the titles and summaries of every item it holds."""
    parts = [scored.item.title, scored.item.summary]
    for item_id in scored.merged_ids:
        item = normalized.get(item_id)
        if item is not None:
            parts += [item.title, item.summary]
    return "\n".join(parts)


def _ungrounded(editorial, selected, normalized, names: Names) -> list[str]:
    if not selected:
        return []
    texts = {s.item.item_id: _story_texts(s, normalized) for s in selected}
    everywhere = set().union(*(names.in_text(t) for t in texts.values()))
    problems = []
    for field, text in [("title", editorial.title), ("intro", editorial.intro)] + [
        ("tldr", line) for line in editorial.tldr
    ]:
        problems += [f"{field}: {name}" for name in sorted(names.in_text(text) - everywhere)]
    for section in editorial.sections:
        members = [s for s in selected if s.section_id == section.section_id]
        allowed = set().union(set(), *(names.in_text(texts[s.item.item_id]) for s in members))
        problems += [f"section {section.section_id}: {n}" for n in sorted(names.in_text(section.intro) - allowed)]
    top = max(selected, key=lambda s: s.score)
    top_names = names.in_text(texts[top.item.item_id])
    for field, text in (("title", editorial.title), ("intro", editorial.intro)):
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if _LEAD_WORDS.search(sentence):
                named = names.in_text(sentence)
                if named and not named & top_names:
                    problems.append(f"{field}: the lead named is not the highest-scored story ({', '.join(named)})")
    return problems


def _formulaic_intros(editorial, selected, normalized, names: Names) -> list[str]:
    """Section intros that are a count and a list, or that name nobody of the section's top story."""
    found = []
    for section in editorial.sections:
        members = sorted((s for s in selected if s.section_id == section.section_id), key=lambda s: -s.score)
        if not members:
            continue
        top_names = names.in_text(_story_texts(members[0], normalized))
        if _FORMULAIC.search(section.intro.strip()) or not names.in_text(section.intro) & top_names:
            found.append(f"{section.section_id}: {section.intro[:80]}")
    return found
