"""The stand-in's reading of a field other than the one its own name lists know (long-acting injectables).

The normalization prompt names the client's field (`Field: <name>.`, from the `field:` block of its canonical
scopes). For any field but the built-in one, the stand-in judges relevance the way a careful reader of that
field would, from the field's own canonical scopes in `config/canonical/`: an item is on the field when its own
subject (what precedes a competitor cue in each sentence, with the field's words in another sense blanked out)
names a watched product or technology, or a watched specialist company or molecule together with a word of the
field's vocabulary. A big company named alone is not enough, as for the built-in field.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from vectora_core.phrasing import own_subject

from ... import REPO_ROOT

CANONICAL_DIR = REPO_ROOT / "config" / "canonical"
# The field the stand-in's own name lists (answers.py) describe; its answers stay exactly what they were.
BUILT_IN_FIELD = "long-acting injectables"
_FIELD = re.compile(r"\bField: (?P<name>[^.]+)\.")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def one_sense(text: str, other_senses: re.Pattern[str], field_words: re.Pattern[str] | None) -> str:
    """Other senses of the field's words blanked, and with them the same word elsewhere in the item: one item uses
    one word in one sense ("Implant Compatibility" beside "cochlear implant sound processors")."""
    found = list(other_senses.finditer(text))
    text = other_senses.sub(lambda m: " " * len(m.group(0)), text)
    heads = {m.group(0).lower().split()[-1] for m in found}
    heads = {h for h in heads if field_words is not None and field_words.fullmatch(h)}
    if not heads:
        return text
    forms = heads | {h + "s" for h in heads} | {h[:-1] for h in heads if h.endswith("s")}
    same_word = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in sorted(forms)) + r")(?![\w-])", re.I)
    return same_word.sub(lambda m: " " * len(m.group(0)), text)


def _pattern(aliases: list[str]) -> re.Pattern[str] | None:
    parts = sorted({str(a).strip() for a in aliases if str(a).strip()}, key=len, reverse=True)
    if not parts:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(p) for p in parts) + r")(?![\w-])", re.IGNORECASE)


class FieldReader:
    """The names and words of one field, compiled once."""

    def __init__(self, scopes: dict[str, Any]):
        def entities(kind: str) -> list[dict[str, Any]]:
            return [e for e in scopes.get(kind) or [] if isinstance(e, dict) and e.get("name")]

        def names(kind: str) -> list[tuple[str, re.Pattern[str]]]:
            found = []
            for entity in entities(kind):
                pattern = _pattern([entity["name"], *(entity.get("aliases") or [])])
                if pattern is not None:
                    found.append((str(entity["name"]), pattern))
            return found

        self.companies = names("companies")
        self.molecules = names("molecules")
        self.trademarks = names("trademarks")
        self.technologies = names("technologies")
        self.specialists = {str(e["name"]) for e in entities("companies") if e.get("category") != "big_pharma"}
        self.vocabulary = _pattern(scopes.get("vocabulary") or [])
        self.other_senses = _pattern(scopes.get("other_senses") or [])

    def _masked(self, text: str) -> str:
        return one_sense(text, self.other_senses, self.vocabulary) if self.other_senses else text

    def _subject(self, title: str, text: str) -> str:
        return self._masked("\n".join(own_subject(s) for s in [title, *_SENTENCE_END.split(text)]))

    @staticmethod
    def _found(text: str, entries: list[tuple[str, re.Pattern[str]]]) -> list[str]:
        return [name for name, pattern in entries if pattern.search(text)]

    def on_topic(self, title: str, text: str) -> bool:
        subject = self._subject(title, text)
        if self._found(subject, self.trademarks) or self._found(subject, self.technologies):
            return True
        named = set(self._found(subject, self.companies)) & self.specialists or self._found(subject, self.molecules)
        return bool(named) and bool(self.vocabulary and self.vocabulary.search(subject))

    def answer(self, title: str, text: str) -> dict[str, Any]:
        both = self._masked(f"{title}. {text}")
        return {
            "on_topic": self.on_topic(title, text),
            "companies": self._found(both, self.companies),
            "molecules": self._found(both, self.molecules),
            "trademarks": self._found(both, self.trademarks),
            "technologies": self._found(both, self.technologies),
        }


@lru_cache(maxsize=8)
def field_reader(name: str, canonical_dir: Path = CANONICAL_DIR) -> FieldReader | None:
    """The reader of the field whose canonical scopes carry this `field.name`; None when no file does."""
    for path in sorted(Path(canonical_dir).glob("*.yaml")):
        try:
            scopes = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        field = scopes.get("field") if isinstance(scopes, dict) else None
        if isinstance(field, dict) and str(field.get("name", "")).strip().lower() == name.strip().lower():
            return FieldReader(scopes)
    return None


def prompt_field(system: str) -> str:
    match = _FIELD.search(system)
    return match["name"].strip() if match else ""


def field_answer(system: str, title: str, text: str) -> dict[str, Any] | None:
    """Relevance and names for an item of a field other than the built-in one; None for the built-in field
    (or a prompt naming no field the config knows), whose answers the name lists of answers.py give."""
    name = prompt_field(system)
    if not name or name.lower() == BUILT_IN_FIELD:
        return None
    reader = field_reader(name)
    return reader.answer(title, text) if reader else None
