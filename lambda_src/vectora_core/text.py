"""Text an editor would sign: shortening at a sentence or clause end, never inside a word (pure)."""

from __future__ import annotations

import re

ELLIPSIS = "…"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
# A period after these does not end a sentence ("the U.S. Food and Drug Administration").
ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.|\b(?:[A-Z]\.){2,}|\b(?:Inc|Ltd|Co|Corp|No|Dr|Mr|Ms|St|vs|approx|e\.g|i\.e)\.)$"
)
# Where a clause ends: after a comma, semicolon, colon or closing parenthesis, or before a dash.
_CLAUSE_END = re.compile(r"[,;:)](?=\s)|\s(?=[—–]\s)|\s(?=-\s)")
_DANGLING = re.compile(
    r"^(?:a|an|the|of|for|to|in|on|at|by|with|from|and|or|but|as|that|which|who|its|their|his|her|is|are|was|were|has|have|be|into|than)$",
    re.IGNORECASE,
)
# A clause shorter than this share of the limit says too little: cut at a word instead.
MIN_CLAUSE_SHARE = 0.45


def split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    for piece in SENTENCE_END.split(" ".join(text.split())):
        if pieces and ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        elif piece:
            pieces.append(piece)
    return pieces


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters: whole sentences when one fits, else up to a clause end, else up to a
    word end, with an ellipsis whenever something was left out. Never cuts inside a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in split_sentences(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    room = text[: limit - len(ELLIPSIS)]
    if not text[len(room)].isspace():  # the last word runs on past the room: leave all of it out
        room = room[: room.rfind(" ") + 1]  # up to and with the last space ("" for a single word)
    clause_ends = [m.start() + (1 if m.group(0) == ")" else 0) for m in _CLAUSE_END.finditer(room)]
    clause_ends = [end for end in clause_ends if end >= MIN_CLAUSE_SHARE * limit]
    if clause_ends:
        cut = room[: clause_ends[-1]]
    else:
        cut = room.rstrip()
        # "…the study of…" reads as an accident: end on a word that carries meaning.
        while " " in cut and _DANGLING.match(cut.rsplit(" ", 1)[1]):
            cut = cut.rsplit(" ", 1)[0]
    cut = cut.rstrip(" ,;:—–-")
    if not cut:  # a single word longer than the limit: nothing sensible to keep
        return text[: limit - len(ELLIPSIS)] + ELLIPSIS
    return cut + ELLIPSIS


def first_sentence(text: str) -> str:
    sentences = split_sentences(text)
    return sentences[0] if sentences else ""
