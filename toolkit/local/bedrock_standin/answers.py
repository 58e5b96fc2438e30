"""Answer writing: deterministic, schema-valid model output derived from the prompt (no language model)."""

from __future__ import annotations

import json
import re
from typing import Any

from .fields import field_answer

CHARS_PER_TOKEN = 3.5

EDITORIAL_MARKER = "You edit a weekly B2B newsletter"
NORMALIZATION_MARKER = "Extract facts from pharma news items"
EVENT_TYPES_MARKER = "event_type one of:"


def estimate_tokens(text: str) -> int:
    return max(1, round(len(text) / CHARS_PER_TOKEN))


# --------------------------------------------------------------------------------------------------
# Answers derived from the prompt
# --------------------------------------------------------------------------------------------------

COMPANIES = (
    "MedinCell",
    "Camurus",
    "Indivior",
    "Alkermes",
    "Luye Pharma",
    "Tolmar",
    "Foresee Pharmaceuticals",
    "Ascendis Pharma",
    "Pacira BioSciences",
    "Heron Therapeutics",
    "Johnson & Johnson",
    "Janssen",
    "Otsuka",
    "Lundbeck",
    "Teva",
    "ViiV Healthcare",
    "Gilead",
    "Novartis",
    "Ipsen",
    "AbbVie",
    "Pfizer",
)
TRADEMARKS = (
    "UZEDY",
    "TEV-'749",
    "Buvidal",
    "CAM2029",
    "Brixadi",
    "SUBLOCADE",
    "PERSERIS",
    "ARISTADA",
    "VIVITROL",
    "RYKINDO",
    "ELIGARD",
    "CAMCEVI",
    "SKYTROFA",
    "EXPAREL",
    "SUSTOL",
    "ZYNRELEF",
    "INVEGA SUSTENNA",
    "INVEGA TRINZA",
    "INVEGA HAFYERA",
    "ABILIFY MAINTENA",
    "ABILIFY ASIMTUFII",
    "CABENUVA",
    "APRETUDE",
    "SUNLENCA",
    "YEZTUGO",
    "SANDOSTATIN LAR",
    "SOMATULINE DEPOT",
    "LUPRON DEPOT",
    "DEPO-PROVERA",
)
MOLECULES = (
    "risperidone",
    "olanzapine",
    "buprenorphine",
    "octreotide",
    "aripiprazole lauroxil",
    "aripiprazole",
    "naltrexone",
    "leuprolide",
    "lonapegsomatropin",
    "bupivacaine",
    "meloxicam",
    "granisetron",
    "paliperidone palmitate",
    "paliperidone",
    "cabotegravir",
    "rilpivirine",
    "lenacapavir",
    "lanreotide",
    "medroxyprogesterone",
    "celecoxib",
)
TECHNOLOGIES = (
    "PLGA",
    "microspheres",
    "microsphere",
    "in-situ forming",
    "Atrigel",
    "BEPO",
    "FluidCrystal",
    "nanocrystal",
    "liposomal",
    "liposomes",
    "DepoFoam",
    "implant",
    "prodrug",
    "TransCon",
    "PEGylation",
    "Medisorb",
    "LinkeRx",
    "Biochronomer",
    "long-acting injectable",
)
# Words that look like molecules by their ending but are everyday English.
_NOT_MOLECULES = frozenset(
    {
        "medicine",
        "medicines",
        "pipeline",
        "guideline",
        "headline",
        "deadline",
        "baseline",
        "timeline",
        "determine",
        "combine",
        "routine",
        "discipline",
        "magazine",
        "machine",
        "examine",
        "undermine",
        "decline",
        "online",
        "outside",
        "worldwide",
        "nationwide",
        "milestone",
        "cornerstone",
        "provide",
        "override",
        "otherwise",
        "backbone",
        "telephone",
        "everyone",
        "framework",
    }
)
_MOLECULE_SUFFIX = re.compile(r"\b[a-z]{5,}(?:pine|one|ine|ide|vir)\b")
_MARKED_TRADEMARK = re.compile(r"\b([A-Z][A-Za-z0-9-]{2,})\s?[®™]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")

# (type-name stems the rule can map to, keywords in the item). Ordered by priority for ties.
EVENT_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("regulat", "approv"),
        (
            "fda",
            "ema",
            "chmp",
            "approval",
            "approved",
            "approves",
            "complete response",
            "nda",
            "snda",
            "bla",
            "marketing authorization",
            "marketing authorisation",
            "label",
            "pdufa",
            "mhra",
            "nmpa",
            "regulatory",
            "rejects",
            "nod",
            "signed off",
            "regulators",
        ),
    ),
    (
        ("clinic", "trial"),
        (
            "phase 1",
            "phase 1b",
            "phase 2",
            "phase 2b",
            "phase 3",
            "trial",
            "topline",
            "top-line",
            "readout",
            "study",
            "enrolled",
            "enrollment",
            "primary endpoint",
            "first patient dosed",
            "clinical",
            "real-world",
            "adherence",
            "persistence",
            "retention",
            "poster",
            "registry",
            "data",
        ),
    ),
    (
        ("partner", "licens", "collab", "allian"),
        (
            "partnership",
            "partner",
            "partners",
            "collaboration",
            "license",
            "licensing",
            "agreement",
            "alliance",
            "co-development",
        ),
    ),
    (
        ("financ", "fund", "acqui", "merger", "invest"),
        (
            "acquire",
            "acquires",
            "acquisition",
            "merger",
            "financing",
            "raises",
            "raised",
            "funding",
            "ipo",
            "offering",
            "investment",
            "private placement",
            "series a",
            "series b",
            "buyout",
            "buying",
            "grant",
            "convertible notes",
            "upfront",
        ),
    ),
    (
        ("patent", "litig", "legal"),
        ("patent", "patents", "litigation", "lawsuit", "court", "infringement", "settlement", "paragraph iv"),
    ),
    (
        ("manufactur", "supply", "production"),
        ("manufacturing", "manufacture", "facility", "plant", "supply", "shortage", "capacity", "cdmo", "production"),
    ),
    (
        ("launch", "commercial"),
        ("launch", "launches", "launched", "now available"),
    ),
    (
        ("earning", "financial_result", "quarter"),
        ("quarter", "quarterly", "revenue", "earnings", "full-year"),
    ),
)
_EVENT_PATTERNS = tuple(
    (stems, tuple(re.compile(r"(?<![\w-])" + re.escape(k) + r"(?![\w-])") for k in keywords))
    for stems, keywords in EVENT_RULES
)
_FALLBACK_STEMS = ("other", "general", "misc", "news", "corporate")
# Phrases a careful reader files on sight, whatever else the item talks about (a complete response
# letter about a plant's inspection is still a regulatory decision): each counts three times.
DECISIVE = {
    "regulat": ("complete response", "rejects", "approves", "approved", "positive opinion", "accepted for review"),
    "clinic": ("real-world", "adherence", "persistence", "retention", "topline", "phase 3", "completes enrollment"),
    "financ": ("acquire", "acquisition", "buyout", "convertible notes", "grant"),
    "patent": ("paragraph iv", "patent infringement", "patents"),
}
_DECISIVE_PATTERNS = {
    stem: tuple(re.compile(r"(?<![\w-])" + re.escape(k) + r"(?![\w-])") for k in keywords)
    for stem, keywords in DECISIVE.items()
}

# What the stand-in's "reader" knows of the long-acting-injectable field, to judge significance and
# whether an item is about the field at all (the prompt asks for both).
LAI_WORDS = re.compile(
    r"(?<![\w-])(?:long-acting|extended-release|prolonged-release|depot|implant|implants|injectable|injectables|"
    r"injection|shot|subcutaneous|once-monthly|every two months|every-two-months|three-month|six-month|"
    r"twice-yearly|microspheres?|in-situ|prep)(?![\w-])",
    re.IGNORECASE,
)
OTHER_SENSES = re.compile(
    r"(?:distribution depots?|regional distribution depots|breast implants?|breast implant-associated|textured implants|"
    r"dental implants?|implant procedure|cochlear implants?|long-acting (?:inhaler|muscarinic antagonist|beta agonist|"
    r"bronchodilators?|insulin(?: analog)?)|(?:yttrium-90 |y-90 )?glass microspheres|extended-release (?:tablets?|capsules?|oral))",
    re.IGNORECASE,
)
COMPETITOR_CUE = re.compile(
    r"\b(?:compet\w*|rivals?|versus|threat\w*|challengers?|alternatives? (?:to|for)|instead of|rather than|"
    r"refuses?|declines? (?:long|an|the|their)|do not want)\b",
    re.IGNORECASE,
)
PURE_PLAYERS = (
    "MedinCell",
    "Camurus",
    "Indivior",
    "Alkermes",
    "Luye Pharma",
    "Tolmar",
    "Foresee Pharmaceuticals",
    "Ascendis Pharma",
    "Ascendis",
    "Pacira BioSciences",
    "Heron Therapeutics",
    "Luye",
    "Foresee",
)


def _own_subject(title: str, text: str) -> str:
    """The item's own subject: each sentence cut at a competitor cue, other senses of the field's words blanked."""
    parts = []
    for sentence in [title, *_SENTENCE_END.split(text)]:
        cue = COMPETITOR_CUE.search(sentence)
        parts.append(sentence[: cue.start()] if cue else sentence)
    return OTHER_SENSES.sub(" ", "\n".join(parts))


def is_about_lai(title: str, text: str) -> bool:
    subject = _own_subject(title, text)
    if _names_in(subject, TRADEMARKS) or _names_in(subject, TECHNOLOGIES):
        return True
    named = _names_in(subject, PURE_PLAYERS) or _names_in(subject, MOLECULES)
    return bool(named) and bool(LAI_WORDS.search(subject))


def significance_of(title: str, text: str, event_type: str) -> str:
    both = f"{title} {text}".lower()
    if event_type.startswith(("other", "general", "misc", "news", "corporate")):
        return "none"
    if "regulat" in event_type and re.search(
        r"\b(?:approv(?:es|ed|al)|positive opinion|complete response|rejects|nod|signed off)\b", both
    ):
        return "major"
    if (
        "clinic" in event_type
        and re.search(r"\b(?:phase 3|pivotal)\b", both)
        and re.search(r"\b(?:results?|topline|met|primary endpoint)\b", both)
    ):
        return "major"
    if re.search(r"\b(?:acquir\w*|acquisition|buyout)\b", title.lower()):
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
        match = re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text, re.IGNORECASE)
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


def _shorten(text: str, limit: int) -> str:
    """Like a careful writer: at a clause end if one is far enough in, else at a word end; never mid-word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = text[: limit - 1]  # one character is left for the ellipsis
    if not text[limit - 1 : limit].isspace():
        room = room.rsplit(" ", 1)[0] if " " in room else room
    clause = max(room.rfind(", "), room.rfind("; "), room.rfind(": "))
    cut = room[:clause] if clause >= limit // 2 else room
    while " " in cut and cut.rsplit(" ", 1)[1].lower() in _DANGLING_WORDS:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


_DANGLING_WORDS = frozenset(
    "a an the of for to in on at by with from and or but as that which its their is are was were has have into".split()
)


_ABBREVIATION = re.compile(r"(?:\b[A-Z]\.|\b(?:Inc|Ltd|Co|Corp|No|Dr|vs)\.)$")


def _first_sentence(text: str, limit: int) -> str:
    text = " ".join(text.split())
    first = ""
    for piece in _SENTENCE_END.split(text) if text else []:
        first = f"{first} {piece}".strip()
        if not _ABBREVIATION.search(first):  # "the U.S. Food and Drug Administration" is one sentence
            break
    return _shorten(first, limit)


def allowed_event_types(system: str) -> list[str]:
    if EVENT_TYPES_MARKER not in system:
        return []
    tail = system.split(EVENT_TYPES_MARKER, 1)[1].strip()
    tail = tail.rstrip(".").strip()
    return [t.strip() for t in tail.split(",") if t.strip()]


def classify_event(title: str, text: str, allowed: list[str]) -> str:
    """Keyword rules, restricted to the allowed event types; title words count double."""
    if not allowed:
        return "other"
    title_l, text_l = title.lower(), text.lower()
    best_type, best_score = "", 0
    for stems, patterns in _EVENT_PATTERNS:
        target = _type_for(stems, allowed)
        if target is None:
            continue
        score = sum(2 * len(p.findall(title_l)) + len(p.findall(text_l)) for p in patterns)
        for stem, decisive in _DECISIVE_PATTERNS.items():
            if stem in stems:
                score += sum(3 * (2 * len(p.findall(title_l)) + len(p.findall(text_l))) for p in decisive)
        if score > best_score:
            best_type, best_score = target, score
    return best_type or _type_for(_FALLBACK_STEMS, allowed) or allowed[-1]


def extract_molecules(text: str) -> list[str]:
    known = [m.lower() for m in _names_in(text, MOLECULES)]
    by_suffix = [w for w in _MOLECULE_SUFFIX.findall(text) if w not in _NOT_MOLECULES]
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
        marked = _MARKED_TRADEMARK.findall(both)
        event_type = classify_event(title, text, allowed)
        entry = {
            "id": item_id,
            "event_type": event_type,
            "significance": significance_of(title, text, event_type),
            "on_topic": is_about_lai(title, text),
            "summary": _first_sentence(text, 160) or _shorten(title, 160) or item_id,
            "companies": _names_in(both, COMPANIES),
            "molecules": extract_molecules(both),
            "trademarks": _unique(_names_in(both, TRADEMARKS) + marked),
            "technologies": _unique(_names_in(both, TECHNOLOGIES)),
        }
        entry.update(field_answer(system, title, text) or {})  # another field than LAI: read on its own scopes
        items.append(entry)
    return {"items": items}


def parse_editorial_user(user: str) -> dict[str, Any]:
    """First line `<client> <start>..<end>`, then `[section_id] Title` headers followed by item lines."""
    lines = [line for line in user.splitlines() if line.strip()]
    client, start, end = "", "", ""
    if lines:
        head = lines[0].strip()
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
    return {"client": client, "start": start, "end": end, "sections": sections}


def _main_entity(item: dict[str, Any]) -> str:
    for key in ("trademarks", "companies", "molecules"):
        if item[key]:
            return item[key][0]
    return item["event_type"].replace("_", " ")


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


STANDIN_NOTICE = "(Written by the local Bedrock stand-in from the item list, not by a language model.)"


def editorial_answer(user: str) -> dict[str, Any]:
    parsed = parse_editorial_user(user)
    client = parsed["client"] or "Newsletter"
    sections = parsed["sections"]
    items = [item for section in sections for item in section["items"]]
    window = f" ({parsed['start']} to {parsed['end']})" if parsed["start"] else ""
    if not items:
        return {
            "title": _shorten(f"{client}: a quiet week", 90),
            "intro": f"No story met the bar for this edition{window}. The watch continues next week.",
            "tldr": ["No qualifying stories this week."],
            "sections": {s["id"]: "No story this week." for s in sections},
        }
    top = items[0]
    title = _shorten(f"{client}: {_main_entity(top)} leads the week", 90)
    companies = _unique([c for item in items for c in item["companies"]])
    leads = _unique([_main_entity(item) for item in items])[:3]
    story_word = "story" if len(items) == 1 else "stories"
    intro = (
        f"This edition covers {len(items)} {story_word} in {len(sections)} "
        f"section{'s' if len(sections) != 1 else ''}{window}"
        + (f", involving {len(companies)} compan{'y' if len(companies) == 1 else 'ies'}." if companies else ".")
        + f" Top stories: {_join_names(leads)}."
        # No model wrote it: the engine's banner and byline say so, from the response's x-standin header.
    )
    tldr = [_shorten(item["summary"] or _main_entity(item), 140) for item in items[:5]]
    section_intros = {}
    for section in sections:
        members = section["items"]
        if not members:
            section_intros[section["id"]] = f"No story in {section['title'] or section['id']} this week."
            continue
        names = _unique([c for item in members for c in item["companies"]]) or _unique(
            [_main_entity(item) for item in members]
        )
        count = f"{len(members)} {'story' if len(members) == 1 else 'stories'}"
        heading = section["title"] or section["id"]
        section_intros[section["id"]] = f"{count} in {heading}, covering {_join_names(names[:5])}."
    return {"title": title, "intro": intro, "tldr": tldr, "sections": section_intros}


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
