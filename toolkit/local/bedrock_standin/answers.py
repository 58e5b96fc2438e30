"""Answer writing: deterministic, schema-valid model output derived from the prompt (no language model)."""

from __future__ import annotations

import json
import re
from typing import Any

from vectora_core import phrasing
from vectora_core.extraction import _IN_CJK, latin_view

from .fields import field_answer, one_sense
from .lexicon import (
    COMPANIES,
    DECISIVE_PATTERNS,
    EVENT_PATTERNS,
    FALLBACK_STEMS,
    LAI_WORDS,
    MARKED_TRADEMARK,
    MOLECULE_SUFFIX,
    MOLECULES,
    NOT_MOLECULES,
    OTHER_SENSES,
    PURE_PLAYERS,
    TECHNOLOGIES,
    TRADEMARKS,
)

CHARS_PER_TOKEN = 3.5

EDITORIAL_MARKER = "You edit a weekly B2B newsletter"
NORMALIZATION_MARKER = "Extract facts from pharma news items"
EVENT_TYPES_MARKER = "event_type one of:"
# Lengths the engine's prompts ask for (llm/prompts.py): the stand-in keeps to them in whole sentences.
SUMMARY_CHARS = 200
TITLE_CHARS = 90
TLDR_CHARS = 160
SECTION_CHARS = 260


def estimate_tokens(text: str) -> int:
    return max(1, round(len(text) / CHARS_PER_TOKEN))


# --------------------------------------------------------------------------------------------------
# Answers derived from the prompt
# --------------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def _own_subject(title: str, text: str) -> str:
    """The item's own subject: each sentence without its yardsticks, other senses of the field's words blanked."""
    parts = [phrasing.own_subject(sentence) for sentence in [title, *_SENTENCE_END.split(text)]]
    return one_sense("\n".join(parts), OTHER_SENSES, LAI_WORDS)


def is_about_lai(title: str, text: str) -> bool:
    if phrasing.for_animals(title) and not _names_in(title, PURE_PLAYERS):
        return False
    subject = _own_subject(title, text)
    # A technology named only by a word of the field ("implant", "microspheres") says what the field's words say.
    technologies = [t for t in _names_in(subject, TECHNOLOGIES) if not LAI_WORDS.fullmatch(t)]
    if _names_in(subject, TRADEMARKS) or technologies:
        return True
    named = _names_in(subject, PURE_PLAYERS) or _names_in(subject, MOLECULES)
    return bool(named) and bool(LAI_WORDS.search(subject))


def significance_of(title: str, text: str, event_type: str) -> str:
    both = f"{title} {text}".lower()
    if event_type.startswith(("other", "general", "misc", "news", "corporate")):
        return "none"
    if "regulat" in event_type and re.search(
        r"\b(?:approv(?:es|ed|al)|positive opinion|complete response|rejects|nod|signed off|approuve|approbation|"
        r"avis favorable)\b",
        both,
    ):
        return "major"
    if (
        "clinic" in event_type
        and re.search(r"\b(?:phase 3|pivotal)\b", both)
        and re.search(r"\b(?:results?|topline|met|primary endpoint)\b", both)
    ):
        return "major"
    if re.search(r"\b(?:acquir\w*|acquisition|buyout|buys?|takeover)\b", title.lower()):
        return "major"
    amounts = [
        float(n) * (1000 if u.startswith("b") else 1)
        for n, u in re.findall(r"\$\s?(\d+(?:\.\d+)?)\s?(billion|million|m\b|b\b)", both)
    ]
    if amounts and max(amounts) >= 100 and re.search(r"\b(?:licen[cs]e|deal|agreement|collaboration|pact)\b", both):
        return "major"
    if re.search(r"\b(?:present\w*|poster|congress|conference|meeting|real-world)\b", title.lower()):
        return "minor"
    return "notable"


def _type_for(stems: tuple[str, ...], allowed: list[str]) -> str | None:
    """The allowed event type a rule maps to: the earliest stem wins, so `result` never beats `earning`."""
    for stem in stems:
        for event_type in allowed:
            if stem in event_type.lower():
                return event_type
    return None


def _names_in(text: str, names: tuple[str, ...]) -> list[str]:
    """Names found in the text, spelled as written there (word boundaries, case-insensitive)."""
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for name in names:
        # A name written in Chinese or Japanese characters stands without word boundaries; a Latin one is a word
        # beside them.
        written = bool(_IN_CJK.search(name))
        pattern = re.escape(name) if written else r"(?<![\w-])" + re.escape(name) + r"(?![\w-])"
        match = re.search(pattern, text if written else latin_view(text), re.IGNORECASE)
        if not match or any(match.start() < end and start < match.end() for start, end in taken):
            continue
        taken.append(match.span())
        found.append(match.group(0))
    return found


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        if value.lower() not in seen:
            seen.add(value.lower())
            out.append(value)
    return out


_ABBREVIATION = re.compile(r"(?:\b[A-Z]\.|\b(?:Inc|Ltd|Co|Corp|No|Dr|vs)\.)$")
_ENDS_SENTENCE = re.compile(r"(?<!\.\.)[.!?][\"'’”)\]]*$")
_ASIDE = re.compile(r"\s*\([^()]{1,60}\)")
_DATELINE = re.compile(r"^[A-Z][A-Z.'’ -]{2,}(?:,\s*[A-Z][\w.]*\.?(?:\s[A-Z][\w.]*)*)*\s*(?:—|–|--|-)\s+")


def _sentences(text: str) -> list[str]:
    """Sentences as a careful writer reads them: "the U.S. Food and Drug Administration" does not end one."""
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(" ".join(text.split())):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        elif piece:
            pieces.append(piece)
    return pieces


def whole_sentences(text: str, limit: int) -> str:
    """The leading whole sentences that fit in `limit` characters, as a model asked for that length would write;
    "" when even the first does not fit (a sentence is never cut)."""
    kept = ""
    for sentence in _sentences(text):
        if not _ENDS_SENTENCE.search(sentence) or len(f"{kept} {sentence}".strip()) > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return kept


def _as_sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(" ,;:—–-")
    return text if not text or _ENDS_SENTENCE.search(text) else text + "."


def _summary(title: str, text: str, limit: int) -> str:
    """The lede's whole sentences within `limit` (without its dateline and asides if need be), else the headline."""
    plain = _ASIDE.sub("", _DATELINE.sub("", " ".join(text.split())))
    first = next(iter(_sentences(plain)), "")
    # Asked for at most `limit` characters, a model writes one whole sentence a little over rather than cut one.
    long_first = first if _ENDS_SENTENCE.search(first) and len(first) <= limit * 8 // 5 else ""
    return (
        whole_sentences(text, limit)
        or whole_sentences(plain, limit)
        or long_first
        or _as_sentence(_ASIDE.sub("", title))
    )


def allowed_event_types(system: str) -> list[str]:
    if EVENT_TYPES_MARKER not in system:
        return []
    tail = system.split(EVENT_TYPES_MARKER, 1)[1].strip()
    tail = tail.rstrip(".").strip()
    return [t.strip() for t in tail.split(",") if t.strip()]


def classify_event(title: str, text: str, allowed: list[str]) -> str:
    """Keyword rules, restricted to the allowed event types; title words count double. What every field's news
    says of an event (phrasing.py: "files ... with the FDA", "sues") adds to the type it names; a phrase that only
    looks like an event ("buying time") counts nothing."""
    if not allowed:
        return "other"
    title_l = phrasing.without_false_events(title).lower()
    text_l = phrasing.without_false_events(text).lower()
    best_type, best_score = "", 0
    for stems, patterns in EVENT_PATTERNS:
        target = _type_for(stems, allowed)
        if target is None:
            continue
        title_decisive, title_words, own_title = phrasing.event_phrases(target, title_l)
        text_decisive, text_words, own_text = phrasing.event_phrases(target, text_l)
        score = 3 * (2 * title_decisive + text_decisive) + 2 * title_words + text_words
        score += sum(2 * len(p.findall(own_title)) + len(p.findall(own_text)) for p in patterns)
        for stem, decisive in DECISIVE_PATTERNS.items():
            if stem in stems:
                score += sum(3 * (2 * len(p.findall(own_title)) + len(p.findall(own_text))) for p in decisive)
        if score > best_score:
            best_type, best_score = target, score
    return best_type or _type_for(FALLBACK_STEMS, allowed) or allowed[-1]


def extract_molecules(text: str) -> list[str]:
    known = [m.lower() for m in _names_in(text, MOLECULES)]
    by_suffix = [w for w in MOLECULE_SUFFIX.findall(text) if w not in NOT_MOLECULES]
    found = _unique(known + by_suffix)
    # "aripiprazole lauroxil" already covers "aripiprazole"
    return [m for m in found if not any(m != other and m in other for other in found)]


def normalization_answer(system: str, user: str) -> dict[str, Any]:
    allowed = allowed_event_types(system)
    items = []
    for line in user.splitlines():
        parts = line.split("\t", 2)
        if len(parts) < 2 or not parts[0].strip():
            continue
        item_id, title = parts[0].strip(), parts[1].strip()
        text = parts[2].strip() if len(parts) == 3 else ""
        both = f"{title}. {text}"
        marked = MARKED_TRADEMARK.findall(both)
        event_type = classify_event(title, text, allowed)
        entry = {
            "id": item_id,
            "event_type": event_type,
            "significance": significance_of(title, text, event_type),
            "on_topic": is_about_lai(title, text),
            "summary": _summary(title, text, SUMMARY_CHARS) or item_id,
            "companies": _names_in(both, COMPANIES),
            "molecules": extract_molecules(both),
            "trademarks": _unique(_names_in(both, TRADEMARKS) + marked),
            "technologies": _unique(_names_in(both, TECHNOLOGIES)),
        }
        entry.update(field_answer(system, title, text) or {})  # another field than LAI: read on its own scopes
        items.append(entry)
    return {"items": items}


def parse_editorial_user(user: str) -> dict[str, Any]:
    """First line `<client> <start>..<end> [lead=#n]`, then `[section_id] Title` headers followed by item lines."""
    lines = [line for line in user.splitlines() if line.strip()]
    client, start, end, lead = "", "", "", ""
    if lines:
        head = lines[0].strip()
        marker = re.search(r"\s+lead=#(\d+)$", head)
        if marker:
            lead, head = marker.group(1), head[: marker.start()]
        name, _, window = head.rpartition(" ")
        if ".." in window and name:
            client = name
            start, _, end = window.partition("..")
        else:
            client = head
    sections: list[dict[str, Any]] = []
    for line in lines[1:]:
        header = re.match(r"^\[([^\]]+)\]\s*(.*)$", line.strip())
        if header:
            sections.append({"id": header.group(1), "title": header.group(2).strip(), "items": []})
            continue
        if line.startswith("#") and sections:
            fields = line.split("|", 4)
            if len(fields) == 3:  # `#n|entities|summary`: the compact form without date and event type
                fields = [fields[0], "", "", fields[1], fields[2]]
            if len(fields) < 5:
                continue
            companies, molecules, trademarks = (fields[3].split(";") + ["", "", ""])[:3]
            sections[-1]["items"].append(
                {
                    "index": fields[0].lstrip("#"),
                    "date": fields[1],
                    "event_type": fields[2],
                    "companies": [c for c in companies.split(",") if c],
                    "molecules": [m for m in molecules.split(",") if m],
                    "trademarks": [t for t in trademarks.split(",") if t],
                    "summary": fields[4].strip(),
                }
            )
    return {"client": client, "start": start, "end": end, "lead": lead, "sections": sections}


def _main_entity(item: dict[str, Any]) -> str:
    """Who a story is about, as its line names them: a company, else a product, else a molecule."""
    for key in ("companies", "trademarks", "molecules"):
        if item[key]:
            return item[key][0]
    return ""


def _join_names(names: list[str]) -> str:
    names = _unique([n for n in names if n])
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


STANDIN_NOTICE = "(Written by the local Bedrock stand-in from the item list, not by a language model.)"


def editorial_answer(user: str) -> dict[str, Any]:
    """An editorial from the item lines only, in whole sentences of the lengths asked: the title and intro about the
    lead the prompt names, each section intro about its first story (who and what), the TL;DR from the summaries."""
    parsed = parse_editorial_user(user)
    client = parsed["client"] or "Newsletter"
    sections = parsed["sections"]
    items = [item for section in sections for item in section["items"]]
    window = f" ({parsed['start']} to {parsed['end']})" if parsed["start"] else ""
    if not items:
        return {
            "title": f"{client}: a quiet week",
            "intro": f"No story met the bar for this edition{window}. The watch continues next week.",
            "tldr": ["No qualifying stories this week."],
            "sections": {s["id"]: "No story this week." for s in sections},
        }
    lead = next((item for item in items if item["index"] == parsed["lead"]), items[0])
    who = _main_entity(lead)
    title = f"{client}: {who} leads the week" if who else f"{client}: the week's lead story"
    if len(title) > TITLE_CHARS:
        title = f"{client}: the week's lead story"
    story_word = "story" if len(items) == 1 else "stories"
    intro = (
        f"This edition covers {len(items)} {story_word} in {len(sections)} section{'s' * (len(sections) != 1)}{window}."
    )
    lead_sentence = whole_sentences(lead["summary"], SECTION_CHARS)
    if lead_sentence:
        intro += f" The lead: {lead_sentence}"
    others = _join_names([_main_entity(s["items"][0]) for s in sections if s["items"] and s["items"][0] is not lead])
    if others:
        intro += f" Also in this edition: {others}."
    ranked = [lead] + [item for item in items if item is not lead]
    tldr = [line for line in (whole_sentences(item["summary"], TLDR_CHARS) for item in ranked) if line][:5]
    section_intros = {}
    for section in sections:
        members = section["items"]
        if not members:
            section_intros[section["id"]] = f"No story in {section['title'] or section['id']} this week."
            continue
        first = whole_sentences(members[0]["summary"], SECTION_CHARS) or (
            f"{_main_entity(members[0])} leads {section['title'] or 'this section'}."
            if _main_entity(members[0])
            else ""
        )
        rest = _join_names([_main_entity(item) for item in members[1:]])
        text = first + (f" Also in this section: {rest}." if rest else "")
        section_intros[section["id"]] = text.strip() or f"One story in {section['title'] or section['id']}."
    return {"title": title, "intro": intro, "tldr": tldr or ["See the stories below."], "sections": section_intros}


def prompt_purpose(system: str) -> str:
    if system.startswith(EDITORIAL_MARKER):
        return "newsletter"
    if system.startswith(NORMALIZATION_MARKER):
        return "normalization"
    return "unknown"


def answer_text(purpose: str, system: str, user: str) -> str:
    if purpose == "newsletter":
        return json.dumps(editorial_answer(user), ensure_ascii=False)
    if purpose == "normalization":
        return json.dumps(normalization_answer(system, user), ensure_ascii=False)
    return "Local Bedrock stand-in reply: no canned answer for this prompt."


def malformed_text(purpose: str, system: str, user: str, variant: int) -> str:
    """Model output the engine must reject: prose, truncated JSON, or JSON that breaks the schema."""
    good = answer_text(purpose, system, user)
    if variant == 0:
        return "Sure! Here is the requested output, summarised in plain words rather than JSON."
    if variant == 1:
        return good[: max(1, len(good) // 2)]
    if purpose == "newsletter":
        data = json.loads(good)
        data.pop("sections", None)
        data["tldr"] = "not a list"
        return json.dumps(data)
    if purpose == "normalization":
        data = json.loads(good)
        for entry in data["items"]:
            entry["event_type"] = "not_an_event_type"
        data["items"] = data["items"][:-1] or [{"summary": "entry without an id"}]
        return json.dumps(data)
    return good[: max(1, len(good) // 2)]
