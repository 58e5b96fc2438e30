"""A local stand-in for Amazon Bedrock Runtime (Anthropic models), on loopback.

It answers `InvokeModel` (Anthropic Messages body) and `Converse` the way the engine calls them, so the
engine's real Bedrock client code runs locally: boto3 reaches it through `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`.

What it does, like Bedrock:
- checks the request shape (body keys, `anthropic_version`, `max_tokens`, messages, model id and the
  inference-profile geography against the signed region) and answers `ValidationException` otherwise;
- reads the SigV4 credential scope of the `Authorization` header to record the region each call was signed for;
- answers with usage token counts (estimated at ~3.5 characters per token) and the token-count headers.

What it does instead of a model: deterministic, schema-valid JSON derived from the prompt (the newsletter
editorial and the batched normalization prompt), so the local newsletter reads sensibly. Answers are plainly
labelled: the response carries `x-standin: 1` and no text claims to come from Claude.

Fault injection, reproducible through a seeded RNG: added latency, throttling (429), service unavailable (503),
model timeout (408), a slow answer that outlasts a client read timeout, and malformed model output. Answers a
real account gives: model access not granted (403 AccessDeniedException), answers cut at `max_tokens`, refusals
(`access_denied_models`, `cut_answers`, `refuse_answers` in the config).

Control endpoint: `GET /_standin/health`, `GET|DELETE /_standin/calls`, `POST /_standin/config`.
CLI: `python -m toolkit.local.bedrock_standin --port 5056 [--latency-ms N] [--throttle-rate R] ...`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import signal
import socket
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

ANTHROPIC_VERSION = "bedrock-2023-05-31"
CHARS_PER_TOKEN = 3.5
CALL_LOG_LIMIT = 10_000  # a long local demo must not grow memory without bound

EDITORIAL_MARKER = "You edit a weekly B2B newsletter"
NORMALIZATION_MARKER = "Extract facts from pharma news items"
EVENT_TYPES_MARKER = "event_type one of:"

VALIDATION_ERROR_TYPE = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
THROTTLING_MESSAGE = "Too many requests, please wait before trying again."

# Keys Bedrock accepts in an Anthropic Messages body; any other key is refused, as Bedrock does.
ANTHROPIC_BODY_KEYS = frozenset(
    {
        "anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "temperature", "top_p", "top_k",
        "stop_sequences", "tools", "tool_choice", "thinking", "metadata",
    }
)

# Cross-region inference profiles only run from source regions of their geography.
PROFILE_REGION_PREFIXES = {
    "us.": ("us-",),
    "us-gov.": ("us-gov-",),
    "eu.": ("eu-",),
    "apac.": ("ap-",),
    "jp.": ("ap-northeast-",),
    "au.": ("ap-southeast-",),
    "ca.": ("ca-",),
}

_SCOPE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")

SETTING_RATES = ("throttle_rate", "unavailable_rate", "model_timeout_rate", "timeout_rate", "malformed_rate")
# Answers as Bedrock gives them on a real account: model access not granted (403 AccessDeniedException, for the
# listed model ids or "*"), and the next N answers of a purpose cut at max_tokens or refused.
SETTING_ANSWERS = ("access_denied_models", "cut_answers", "refuse_answers")
ACCESS_DENIED_MESSAGE = "You don't have access to the model with the specified model ID."

# How long Claude Sonnet 4.5 takes to answer on Amazon Bedrock: time to first token plus the output
# tokens at its output rate. Source: Artificial Analysis, "Claude 4.5 Sonnet: API provider benchmarks"
# (Amazon Bedrock, standard tier; medians of late 2025: ~1.8 s to the first token, ~63 output tokens/s).
# Re-measure on the account that matters; both are settable.
SONNET_45_TTFT_MS = 1800
SONNET_45_OUTPUT_TOKENS_PER_S = 63.0
# The model's latency is multiplied by this scale: 0 (the default) leaves only `latency_ms`, so tests and
# demos stay fast; 1 is the real model's speed (the benchmark's realistic scenario).


def model_latency_ms(output_tokens: int, settings: dict[str, Any]) -> float:
    """Time to first token plus the output at the model's rate, times `latency_scale` (0: no model latency)."""
    scale = settings.get("latency_scale", 0.0)
    if not scale:
        return 0.0
    rate = settings.get("output_tokens_per_s", SONNET_45_OUTPUT_TOKENS_PER_S)
    return scale * (settings.get("ttft_ms", SONNET_45_TTFT_MS) + output_tokens / rate * 1000)


class StandInRequestError(Exception):
    """A request Bedrock would refuse: carries the status, the error type and the message."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def _validation(message: str) -> StandInRequestError:
    return StandInRequestError(400, VALIDATION_ERROR_TYPE, message)


def _malformed(where: str, problem: str) -> StandInRequestError:
    """Bedrock's wording for an Anthropic body that breaks the model's input schema."""
    return _validation(f"Malformed input request: {where}: {problem}, please reformat your input and try again.")


def estimate_tokens(text: str) -> int:
    return max(1, round(len(text) / CHARS_PER_TOKEN))


def signing_scope(authorization: str) -> dict[str, str] | None:
    """`AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-3/bedrock/aws4_request, ...` -> its parts."""
    match = _SCOPE.search(authorization or "")
    if not match:
        return None
    access_key, day, region, service = match.groups()
    return {"access_key": access_key, "date": day, "region": region, "service": service}


# --------------------------------------------------------------------------------------------------
# Answers derived from the prompt
# --------------------------------------------------------------------------------------------------

COMPANIES = (
    "MedinCell", "Camurus", "Indivior", "Alkermes", "Luye Pharma", "Tolmar", "Foresee Pharmaceuticals",
    "Ascendis Pharma", "Pacira BioSciences", "Heron Therapeutics", "Johnson & Johnson", "Janssen", "Otsuka",
    "Lundbeck", "Teva", "ViiV Healthcare", "Gilead", "Novartis", "Ipsen", "AbbVie", "Pfizer",
)
TRADEMARKS = (
    "UZEDY", "TEV-'749", "Buvidal", "CAM2029", "Brixadi", "SUBLOCADE", "PERSERIS", "ARISTADA", "VIVITROL",
    "RYKINDO", "ELIGARD", "CAMCEVI", "SKYTROFA", "EXPAREL", "SUSTOL", "ZYNRELEF", "INVEGA SUSTENNA",
    "INVEGA TRINZA", "INVEGA HAFYERA", "ABILIFY MAINTENA", "ABILIFY ASIMTUFII", "CABENUVA", "APRETUDE", "SUNLENCA",
    "YEZTUGO", "SANDOSTATIN LAR", "SOMATULINE DEPOT", "LUPRON DEPOT", "DEPO-PROVERA",
)
MOLECULES = (
    "risperidone", "olanzapine", "buprenorphine", "octreotide", "aripiprazole lauroxil", "aripiprazole",
    "naltrexone", "leuprolide", "lonapegsomatropin", "bupivacaine", "meloxicam", "granisetron",
    "paliperidone palmitate", "paliperidone", "cabotegravir", "rilpivirine", "lenacapavir", "lanreotide",
    "medroxyprogesterone", "celecoxib",
)
TECHNOLOGIES = (
    "PLGA", "microspheres", "microsphere", "in-situ forming", "Atrigel", "BEPO", "FluidCrystal", "nanocrystal",
    "liposomal", "liposomes", "DepoFoam", "implant", "prodrug", "TransCon", "PEGylation", "Medisorb", "LinkeRx",
    "Biochronomer", "long-acting injectable",
)
# Words that look like molecules by their ending but are everyday English.
_NOT_MOLECULES = frozenset(
    {
        "medicine", "medicines", "pipeline", "guideline", "headline", "deadline", "baseline", "timeline",
        "determine", "combine", "routine", "discipline", "magazine", "machine", "examine", "undermine", "decline",
        "online", "outside", "worldwide", "nationwide", "milestone", "cornerstone", "provide", "override",
        "otherwise", "backbone", "telephone", "everyone", "framework",
    }
)
_MOLECULE_SUFFIX = re.compile(r"\b[a-z]{5,}(?:pine|one|ine|ide|vir)\b")
_MARKED_TRADEMARK = re.compile(r"\b([A-Z][A-Za-z0-9-]{2,})\s?[®™]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")

# (type-name stems the rule can map to, keywords in the item). Ordered by priority for ties.
EVENT_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("regulat", "approv"),
        ("fda", "ema", "chmp", "approval", "approved", "approves", "complete response", "nda", "snda", "bla",
         "marketing authorization", "marketing authorisation", "label", "pdufa", "mhra", "nmpa", "regulatory",
         "rejects", "nod", "signed off", "regulators"),
    ),
    (
        ("clinic", "trial"),
        ("phase 1", "phase 1b", "phase 2", "phase 2b", "phase 3", "trial", "topline", "top-line", "readout",
         "study", "enrolled", "enrollment", "primary endpoint", "first patient dosed", "clinical", "real-world",
         "adherence", "persistence", "retention", "poster", "registry", "data"),
    ),
    (
        ("partner", "licens", "collab", "allian"),
        ("partnership", "partner", "partners", "collaboration", "license", "licensing", "agreement", "alliance",
         "co-development"),
    ),
    (
        ("financ", "fund", "acqui", "merger", "invest"),
        ("acquire", "acquires", "acquisition", "merger", "financing", "raises", "raised", "funding", "ipo",
         "offering", "investment", "private placement", "series a", "series b", "buyout", "buying", "grant",
         "convertible notes", "upfront"),
    ),
    (
        ("patent", "litig", "legal"),
        ("patent", "patents", "litigation", "lawsuit", "court", "infringement", "settlement", "paragraph iv"),
    ),
    (
        ("manufactur", "supply", "production"),
        ("manufacturing", "manufacture", "facility", "plant", "supply", "shortage", "capacity", "cdmo",
         "production"),
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
    stem: tuple(re.compile(r"(?<![\w-])" + re.escape(k) + r"(?![\w-])") for k in keywords) for stem, keywords in DECISIVE.items()
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
PURE_PLAYERS = ("MedinCell", "Camurus", "Indivior", "Alkermes", "Luye Pharma", "Tolmar", "Foresee Pharmaceuticals",
                "Ascendis Pharma", "Ascendis", "Pacira BioSciences", "Heron Therapeutics", "Luye", "Foresee")


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
    if "regulat" in event_type and re.search(r"\b(?:approv(?:es|ed|al)|positive opinion|complete response|rejects|nod|signed off)\b", both):
        return "major"
    if "clinic" in event_type and re.search(r"\b(?:phase 3|pivotal)\b", both) and re.search(r"\b(?:results?|topline|met|primary endpoint)\b", both):
        return "major"
    if re.search(r"\b(?:acquir\w*|acquisition|buyout)\b", title.lower()):
        return "major"
    amounts = [float(n) * (1000 if u.startswith("b") else 1) for n, u in re.findall(r"\$\s?(\d+(?:\.\d+)?)\s?(billion|million|m\b|b\b)", both)]
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


_DANGLING_WORDS = frozenset("a an the of for to in on at by with from and or but as that which its their is are was were has have into".split())


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
        items.append(
            {
                "id": item_id,
                "event_type": event_type,
                "significance": significance_of(title, text, event_type),
                "lai": is_about_lai(title, text),
                "summary": _first_sentence(text, 160) or _shorten(title, 160) or item_id,
                "companies": _names_in(both, COMPANIES),
                "molecules": extract_molecules(both),
                "trademarks": _unique(_names_in(both, TRADEMARKS) + marked),
                "technologies": _unique(_names_in(both, TECHNOLOGIES)),
            }
        )
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


# --------------------------------------------------------------------------------------------------
# Request checks
# --------------------------------------------------------------------------------------------------


def _message_text(content: Any, field_name: str) -> str:
    """Text of a message content: a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if not isinstance(block, dict):
                raise _malformed(f"#/{field_name}", "expected type: JSONObject")
            if isinstance(block.get("text"), str):
                parts.append(block["text"])
        return "\n".join(parts)
    raise _malformed(f"#/{field_name}", "expected type: String or JSONArray")


def check_model_id(model_id: str, region: str | None) -> None:
    """Refuse non-Anthropic ids and, unless `region` is None, a profile called outside its geography."""
    if "anthropic." not in model_id:
        raise _validation("The provided model identifier is invalid.")
    if region is None:
        return
    for prefix, regions in PROFILE_REGION_PREFIXES.items():
        if model_id.startswith(prefix) and not region.startswith(regions):
            raise _validation("The provided model identifier is invalid.")


def parse_anthropic_body(raw: bytes) -> tuple[str, str, list[dict[str, Any]], int]:
    """Check an InvokeModel Anthropic Messages body; return (system, first user text, all texts, max_tokens)."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise _validation("Malformed input request, please reformat your input and try again.") from None
    if not isinstance(body, dict):
        raise _malformed("#", "expected type: JSONObject")
    extra = sorted(set(body) - ANTHROPIC_BODY_KEYS)
    if extra:
        raise _malformed("#", f"extraneous key [{extra[0]}] is not permitted")
    for key in ("anthropic_version", "max_tokens", "messages"):
        if key not in body:
            raise _malformed("#", f"required key [{key}] not found")
    if body["anthropic_version"] != ANTHROPIC_VERSION:
        raise _validation(f"Invalid API version: anthropic_version must be {ANTHROPIC_VERSION}.")
    max_tokens = body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0:
        raise _malformed("#/max_tokens", "must be an integer greater than 0")
    temperature = body.get("temperature", 1.0)
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not 0 <= temperature <= 1:
        raise _malformed("#/temperature", "must be a number between 0 and 1")
    system = body.get("system", "")
    if not isinstance(system, (str, list)):
        raise _malformed("#/system", "expected type: String")
    system_text = _message_text(system, "system")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise _malformed("#/messages", "expected minimum item count: 1")
    texts = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise _malformed(f"#/messages/{i}", "required keys [role, content]")
        if message["role"] not in ("user", "assistant"):
            raise _validation(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        texts.append(_message_text(message["content"], f"messages/{i}/content"))
    if messages[0]["role"] != "user":
        raise _validation("messages: first message must use the \"user\" role")
    user_text = texts[0]  # the prompt; later turns are the engine's repair request, answered from the prompt
    return system_text, user_text, [{"text": t} for t in [system_text, *texts]], max_tokens


def parse_converse_body(raw: bytes) -> tuple[str, str, list[dict[str, Any]], int]:
    """Check a Converse body; same return shape as `parse_anthropic_body`."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise _validation("Malformed input request, please reformat your input and try again.") from None
    if not isinstance(body, dict):
        raise _validation("Malformed input request, please reformat your input and try again.")
    messages = body.get("messages")
    must_start = (
        "A conversation must start with a user message. "
        "Try again with a conversation that starts with a user message."
    )
    if not isinstance(messages, list) or not messages:
        raise _validation(must_start)
    texts = []
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant") or not isinstance(message.get("content"), list):
            raise _validation("Malformed input request: each message needs a role and a list of content blocks.")
        texts.append(_message_text(message["content"], "messages/content"))
    if messages[0]["role"] != "user":
        raise _validation(must_start)
    system = body.get("system", [])
    if not isinstance(system, list):
        raise _validation("Malformed input request: system must be a list of content blocks.")
    system_text = _message_text(system, "system")
    config = body.get("inferenceConfig", {}) or {}
    max_tokens = config.get("maxTokens", 4096)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0:
        raise _validation(
            "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        )
    user_text = texts[0]
    return system_text, user_text, [{"text": t} for t in [system_text, *texts]], max_tokens


# --------------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the call log is the record
        return

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without this, Nagle and delayed ACKs add ~40 ms per call
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.standin._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.standin._track(self.connection, False)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.send_header("x-standin", "1")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (read timeout): nothing to answer

    def _error(self, status: int, error_type: str, message: str) -> None:
        self._send(status, {"message": message}, {"x-amzn-ErrorType": error_type})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        body = self._read_body()
        path = urlsplit(self.path).path
        if path.startswith("/_standin/"):
            self._control(method, path, body)
            return
        match = re.fullmatch(r"/model/([^/]+)/(invoke|converse)", path)
        if method != "POST" or not match:
            self._error(404, "UnknownOperationException", f"No operation for {method} {path}")
            return
        model_id = unquote(match.group(1))
        operation = "InvokeModel" if match.group(2) == "invoke" else "Converse"
        status, payload, headers, raw = self.server.standin._handle_model_call(operation, model_id, self.headers, body)
        self._send(status, payload, headers, raw)

    def _control(self, method: str, path: str, body: bytes) -> None:
        standin = self.server.standin
        if path == "/_standin/health" and method == "GET":
            self._send(200, {"status": "ok", "config": standin.settings, "calls": len(standin.calls)})
        elif path == "/_standin/calls" and method == "GET":
            self._send(200, {"calls": standin.calls})
        elif path == "/_standin/calls" and method == "DELETE":
            standin.clear_calls()
            self._send(200, {"calls": []})
        elif path == "/_standin/config" and method == "POST":
            try:
                settings = json.loads(body or b"{}")
                if not isinstance(settings, dict):
                    raise ValueError("config must be a JSON object")
                standin.configure(**settings)
            except (ValueError, TypeError) as exc:
                self._error(400, VALIDATION_ERROR_TYPE, str(exc))
                return
            self._send(200, {"config": standin.settings})
        else:
            self._error(404, "UnknownOperationException", f"No control operation for {method} {path}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: "BedrockStandIn"


class BedrockStandIn:
    """The stand-in server. Use as a context manager or call `start()` / `stop()`; `url` is its endpoint."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: int = 0,
        throttle_rate: float = 0.0,
        malformed_rate: float = 0.0,
        timeout_rate: float = 0.0,
        timeout_sleep_s: float = 5.0,
        seed: int = 0,
        *,
        unavailable_rate: float = 0.0,
        model_timeout_rate: float = 0.0,
        check_profile_region: bool = True,
        latency_scale: float = 0.0,
        ttft_ms: float = SONNET_45_TTFT_MS,
        output_tokens_per_s: float = SONNET_45_OUTPUT_TOKENS_PER_S,
    ) -> None:
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._settings: dict[str, Any] = {}
        self._rng = random.Random(seed)
        self._calls: deque[dict[str, Any]] = deque(maxlen=CALL_LOG_LIMIT)
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.configure(
            latency_ms=latency_ms,
            throttle_rate=throttle_rate,
            malformed_rate=malformed_rate,
            timeout_rate=timeout_rate,
            timeout_sleep_s=timeout_sleep_s,
            seed=seed,
            unavailable_rate=unavailable_rate,
            model_timeout_rate=model_timeout_rate,
            check_profile_region=check_profile_region,
            access_denied_models=[],
            cut_answers={},
            refuse_answers={},
            latency_scale=latency_scale,
            ttft_ms=ttft_ms,
            output_tokens_per_s=output_tokens_per_s,
        )

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> "BedrockStandIn":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.standin = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="bedrock-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes calls sleeping on latency or a simulated timeout
        shutdown = threading.Thread(target=self._server.shutdown, daemon=True)
        shutdown.start()
        while shutdown.is_alive():  # a connection wakes the accept loop now instead of at its next poll
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
            except OSError:
                pass
            shutdown.join(0.01)
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # idle keep-alive connections would otherwise hold their threads
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "BedrockStandIn":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)

    # -- settings and call log ---------------------------------------------------------------------

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change settings; a `seed` restarts the random sequence. Unknown keys or bad values raise ValueError."""
        known = {"latency_ms", "timeout_sleep_s", "seed", "check_profile_region", "latency_scale", "ttft_ms",
                 "output_tokens_per_s", *SETTING_RATES, *SETTING_ANSWERS}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        clean: dict[str, Any] = {}
        for key, value in settings.items():
            if key in SETTING_RATES:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                    raise ValueError(f"{key} must be a number between 0 and 1")
                clean[key] = float(value)
            elif key in ("latency_ms", "timeout_sleep_s", "latency_scale", "ttft_ms"):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{key} must be a number >= 0")
                clean[key] = value
            elif key == "output_tokens_per_s":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise ValueError(f"{key} must be a number > 0")
                clean[key] = float(value)
            elif key == "seed":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError("seed must be an integer")
                clean[key] = value
            elif key == "check_profile_region":
                if not isinstance(value, bool):
                    raise ValueError("check_profile_region must be true or false")
                clean[key] = value
            elif key == "access_denied_models":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError('access_denied_models must be a list of model ids ("*" for every model)')
                clean[key] = list(value)
            elif key in ("cut_answers", "refuse_answers"):
                if not isinstance(value, dict) or not all(
                    isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value.values()
                ):
                    raise ValueError(f'{key} must map a purpose ("newsletter", "normalization") to a count >= 0')
                clean[key] = {str(purpose): count for purpose, count in value.items()}
        with self._lock:
            self._settings.update(clean)
            if "seed" in clean:
                self._rng = random.Random(clean["seed"])
            return dict(self._settings)

    @property
    def settings(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._settings)

    @property
    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(call) for call in self._calls]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _take(self, setting: str, purpose: str) -> bool:
        """Use up one of the answers of `purpose` to alter (cut or refuse); False when none is left."""
        with self._lock:
            counts = self._settings[setting]
            if counts.get(purpose, 0) > 0:
                counts[purpose] -= 1
                return True
            return False

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._calls.append(entry)

    # -- model calls -------------------------------------------------------------------------------

    def _draw(self) -> tuple[dict[str, Any], list[float]]:
        """Settings and random draws for one call. Always six draws, so a seed gives the same
        sequence whichever rates are set."""
        with self._lock:
            return dict(self._settings), [self._rng.random() for _ in range(6)]

    def _handle_model_call(
        self, operation: str, model_id: str, headers: Any, body: bytes
    ) -> tuple[int, Any, dict[str, str], bytes | None]:
        started = time.monotonic()
        entry: dict[str, Any] = {
            "ts": round(time.time(), 3),
            "operation": operation,
            "region": "",
            "model_id": model_id,
            "status": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "purpose": "unknown",
            "fault": "",
        }

        def fail(status: int, error_type: str, message: str, fault: str) -> tuple[int, Any, dict[str, str], None]:
            # a refused call processes (and bills) no tokens, so the log's token sums match what was answered
            latency = round((time.monotonic() - started) * 1000)
            entry.update(status=status, fault=fault, input_tokens=0, latency_ms=latency)
            self._record(entry)
            return status, {"message": message}, {"x-amzn-ErrorType": error_type}, None

        scope = signing_scope(headers.get("Authorization", ""))
        if scope is None:
            return fail(403, "MissingAuthenticationTokenException", "Missing Authentication Token", "unsigned")
        entry["region"] = scope["region"]
        if scope["service"] != "bedrock":
            return fail(
                403,
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: 'bedrock'. Got '{scope['service']}'.",
                "unsigned",
            )
        settings, draws = self._draw()
        try:
            check_model_id(model_id, scope["region"] if settings["check_profile_region"] else None)
            if operation == "InvokeModel":
                system, user, texts, max_tokens = parse_anthropic_body(body)
            else:
                system, user, texts, max_tokens = parse_converse_body(body)
        except StandInRequestError as exc:
            return fail(exc.status, exc.error_type, exc.message, "invalid_request")

        purpose = prompt_purpose(system)
        entry["purpose"] = purpose
        entry["max_tokens"] = max_tokens
        denied = settings["access_denied_models"]
        if "*" in denied or model_id in denied:
            return fail(403, "AccessDeniedException", ACCESS_DENIED_MESSAGE, "access_denied")
        entry["input_tokens"] = estimate_tokens("".join(t["text"] for t in texts))
        r_throttle, r_unavailable, r_model_timeout, r_timeout, r_malformed, r_variant = draws
        if r_throttle < settings["throttle_rate"]:
            return fail(429, "ThrottlingException", THROTTLING_MESSAGE, "throttle")
        if r_unavailable < settings["unavailable_rate"]:
            return fail(503, "ServiceUnavailableException", "Bedrock is unable to process your request.", "unavailable")
        # The answer first: a model's latency grows with the tokens it writes.
        malformed = r_malformed < settings["malformed_rate"]
        text = malformed_text(purpose, system, user, int(r_variant * 3)) if malformed else answer_text(purpose, system, user)
        stop_reason = "end_turn"
        if estimate_tokens(text) > max_tokens:  # a model stops mid-answer at max_tokens
            text = text[: int(max_tokens * CHARS_PER_TOKEN)]
            stop_reason = "max_tokens"
        answer_fault = ""
        if self._take("refuse_answers", purpose):
            answer_fault, text, stop_reason = "refusal", "", "refusal"
        elif self._take("cut_answers", purpose):  # a wordier model: the answer runs into the cap, cut mid-JSON
            answer_fault, text, stop_reason = "max_tokens", text[: max(1, len(text) // 2)], "max_tokens"
        input_tokens, output_tokens = entry["input_tokens"], estimate_tokens(text)
        if stop_reason == "max_tokens":
            output_tokens = max_tokens  # a cut answer used the whole cap
        wait_ms = settings["latency_ms"] + model_latency_ms(output_tokens, settings)
        if self._stopping.wait(wait_ms / 1000):
            return fail(503, "ServiceUnavailableException", "The stand-in is shutting down.", "stopping")
        if r_model_timeout < settings["model_timeout_rate"]:
            message = "Model has timed out in processing the request. Try your request again."
            return fail(408, "ModelTimeoutException", message, "model_timeout")
        fault = ""
        if r_timeout < settings["timeout_rate"]:
            fault = "timeout"
            if self._stopping.wait(settings["timeout_sleep_s"]):
                return fail(503, "ServiceUnavailableException", "The stand-in is shutting down.", "stopping")
        fault = fault or answer_fault or ("malformed" if malformed else "")
        latency = round((time.monotonic() - started) * 1000)
        entry.update(status=200, output_tokens=output_tokens, fault=fault, latency_ms=latency)
        self._record(entry)

        headers_out = {
            "x-amzn-bedrock-input-token-count": str(input_tokens),
            "x-amzn-bedrock-output-token-count": str(output_tokens),
            "x-amzn-bedrock-invocation-latency": str(latency),
        }
        if operation == "InvokeModel":
            digest = hashlib.sha256(body).hexdigest()[:24]
            payload = {
                "id": f"msg_bdrk_{digest}",
                "type": "message",
                "role": "assistant",
                "model": model_id,
                "content": [{"type": "text", "text": text}],
                "stop_reason": stop_reason,
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
            }
        else:
            payload = {
                "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": stop_reason,
                "usage": {
                    "inputTokens": input_tokens,
                    "outputTokens": output_tokens,
                    "totalTokens": input_tokens + output_tokens,
                },
                "metrics": {"latencyMs": latency},
            }
        return 200, payload, headers_out, None


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def _rate(value: str) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError("a rate is between 0 and 1")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m toolkit.local.bedrock_standin",
        description="Local Bedrock Runtime stand-in for Anthropic models (InvokeModel, Converse).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5056)
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every answered call")
    parser.add_argument("--latency-scale", type=float, default=0.0,
                        help="model latency (time to first token + output tokens / rate) times this; 1 = Claude Sonnet 4.5 on Bedrock")
    parser.add_argument("--ttft-ms", type=float, default=SONNET_45_TTFT_MS, help="time to first token at scale 1")
    parser.add_argument("--output-tokens-per-s", type=float, default=SONNET_45_OUTPUT_TOKENS_PER_S, help="output rate at scale 1")
    parser.add_argument("--throttle-rate", type=_rate, default=0.0, help="share of calls answered 429 Throttling")
    parser.add_argument("--malformed-rate", type=_rate, default=0.0, help="share of answers with invalid model output")
    parser.add_argument("--timeout-rate", type=_rate, default=0.0, help="share of calls slept --timeout-sleep-s first")
    parser.add_argument("--timeout-sleep-s", type=float, default=5.0)
    parser.add_argument("--unavailable-rate", type=_rate, default=0.0, help="share of calls answered 503")
    parser.add_argument("--model-timeout-rate", type=_rate, default=0.0, help="share answered 408 ModelTimeout")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-profile-region-check",
        action="store_true",
        help="accept an inference profile (eu., us.) signed for a region outside its geography",
    )
    args = parser.parse_args(argv)

    standin = BedrockStandIn(
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        throttle_rate=args.throttle_rate,
        malformed_rate=args.malformed_rate,
        timeout_rate=args.timeout_rate,
        timeout_sleep_s=args.timeout_sleep_s,
        seed=args.seed,
        unavailable_rate=args.unavailable_rate,
        model_timeout_rate=args.model_timeout_rate,
        check_profile_region=not args.no_profile_region_check,
        latency_scale=args.latency_scale,
        ttft_ms=args.ttft_ms,
        output_tokens_per_s=args.output_tokens_per_s,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    try:
        standin.start()
    except OSError as exc:
        parser.exit(2, f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
    try:
        while not done.wait(0.5):
            pass
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
