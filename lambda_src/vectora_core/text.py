"""Text an editor would sign (pure): whole sentences that fit, and, for prompts only, shortening that never cuts a word.

What the edition shows (summaries, TL;DR lines, intros) is made of whole sentences: `whole_sentences` keeps the
leading sentences that fit, `compact` first drops what a summary can do without (a dateline, tickers, asides in
parentheses), and `fit_sentences` falls back to the headline as a sentence rather than cut one short.
"""

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


# A sentence ends with . ! or ?, perhaps followed by closing quotes or brackets; an ellipsis is no end.
_TERMINAL = re.compile(r"(?<!\.\.)[.!?][\"'’”)\]]*$")
_TRAILING_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.|\[(?:…|\.\.\.)\])\s*$")
# "PARSIPPANY, N.J. —", "LUND, Sweden, Nov. 3, 2026 /PRNewswire/ --": where a wire release starts.
_DATELINE = re.compile(
    r"^[A-Z][A-Z.'’ -]{2,}(?:,\s*[A-Z][\w.]*\.?(?:\s[A-Z][\w.]*)*)*(?:,\s*\w+\.?\s\d{1,2},\s\d{4})?"
    r"\s*(?:/?\(?(?:PRNewswire|BUSINESS WIRE|GLOBE NEWSWIRE)\)?/?)?\s*(?:—|–|--|-)\s+"
)
# Asides a summary can lose, most dispensable first: tickers, then any short parenthesis.
_TICKER_ASIDE = re.compile(
    r"\s*\((?:[^()]*\b(?:Nasdaq|NYSE|TASE|Euronext|LSE|STO|SIX|TSX|HKEX|OTC|ASX)\b[^()]*)\)", re.IGNORECASE
)
_ASIDE = re.compile(r"\s*\([^()]{1,60}\)")
_APPOSITIVE = re.compile(r",\s(?:an?|the)\s[^,()]{3,90},\s(?=(?:today|has|have|will|is|announced|said|reported)\b)")
_TRADEMARK_SIGNS = re.compile(r"[®™]")


def ends_sentence(text: str) -> bool:
    """Whether `text` ends a sentence (with . ! or ?, not an ellipsis)."""
    return bool(_TERMINAL.search(text.strip()))


def whole_sentences(text: str, limit: int) -> str:
    """The leading whole sentences of `text` that fit in `limit` characters; "" when the first does not fit.

    A last piece that ends no sentence (a feed summary cut off mid-sentence) never counts."""
    kept = ""
    for sentence in split_sentences(text):
        if not ends_sentence(sentence):
            break
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    return kept


def compact(text: str) -> str:
    """The same words without a dateline, tickers, trademark signs, short asides in parentheses or an appositive."""
    text = _DATELINE.sub("", " ".join(text.split()))
    text = _TICKER_ASIDE.sub("", text)
    text = _TRADEMARK_SIGNS.sub("", text)
    text = _APPOSITIVE.sub(" ", text)
    return _ASIDE.sub("", text).replace(" ,", ",").strip()


def as_sentence(text: str) -> str:
    """A headline or a clause as a sentence of its own: no trailing ellipsis, a full stop at the end."""
    text = _TRAILING_ELLIPSIS.sub("", " ".join(text.split())).rstrip(" ,;:—–-")
    if not text or ends_sentence(text):
        return text
    return text + "."


def fit_sentences(text: str, limit: int, fallback: str = "", hard_limit: int | None = None) -> str:
    """Whole sentences of `text` within `limit`, compacted if need be; else the compacted first sentence whole if it
    is within `hard_limit` (`limit` by default); else `fallback` (a headline) as a sentence ("" without one).

    Nothing is ever cut short."""
    picked = whole_sentences(text, limit) or whole_sentences(compact(text), limit)
    if picked:
        return picked
    first = next((s for s in split_sentences(compact(text)) if ends_sentence(s)), "")
    if first and len(first) <= (hard_limit or limit):
        return first
    return as_sentence(compact(fallback)) if fallback else ""


# Short words every text of a language is full of: enough to tell which language a feed item is written in.
_FUNCTION_WORDS = {
    "en": frozenset("the of and to in for with that is on its has from by this was are as an at".split()),
    "fr": frozenset("le la les des du de et une un pour dans est sur au aux par qui que en son ses".split()),
    "de": frozenset("der die das und den dem des ein eine für mit von zu ist im auf bei nicht sich".split()),
    "es": frozenset("el la los las de del y una un para con por que en es al se su sus".split()),
    "sv": frozenset("och att det som för med av till den är på en ett om har inte".split()),
}


def language_of(text: str) -> str:
    """The language `text` is most likely written in (a code of `_FUNCTION_WORDS`), or "" when it cannot tell."""
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    counts = {code: sum(w in known for w in words) for code, known in _FUNCTION_WORDS.items()}
    best = max(counts, key=counts.get)
    return best if counts[best] >= 2 and list(counts.values()).count(counts[best]) == 1 else ""


def reads_in(text: str, language: str) -> bool:
    """Whether `text` reads in `language` (True when its language cannot be told, or the code is unknown)."""
    found = language_of(text)
    return not found or language not in _FUNCTION_WORDS or found == language
