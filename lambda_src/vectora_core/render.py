"""Render the newsletter as Markdown and email-friendly HTML with Jinja2 (pure: data in, text out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .models import ClientConfig, Editorial, ScoredItem

TEMPLATES = Path(__file__).parent / "templates"
_MD_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|"})


def md_escape(text: str) -> str:
    """Escape Markdown and inline-HTML characters so feed text renders as text."""
    return str(text).translate(_MD_SPECIALS)


def md_url(url: str) -> str:
    """Parentheses and spaces would end a Markdown link target early."""
    return str(url).replace("(", "%28").replace(")", "%29").replace(" ", "%20")


@dataclass(frozen=True)
class RenderedNewsletter:
    markdown: str
    html: str


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["md_url"] = md_url
    return env


@lru_cache(maxsize=2)
def _templates(autoescape: bool) -> Environment:
    """Built on first use rather than at import, which keeps importing the engine cheap."""
    return _environment(autoescape)


def label_for(editorial: Editorial) -> str:
    """A visible note whenever the text was not written by the model, so nobody mistakes it."""
    if editorial.degraded:
        return (
            f"Degraded edition: the editorial was generated offline by extraction because {editorial.degraded_reason}."
        )
    if editorial.backend == "offline":
        return "Offline edition: the editorial is extractive (taken from the items themselves), not written by a language model."
    if editorial.standin:
        return "Stand-in edition: the editorial was written by the local Bedrock stand-in from the item list, not by a language model."
    return ""


def byline_for(editorial: Editorial) -> str:
    """What wrote the edition, in the same words at its top and its bottom."""
    if editorial.degraded or editorial.backend == "offline":
        return "Editorial compiled by extraction from the items themselves; no language model wrote it."
    if editorial.standin:
        return "Editorial written by the local Bedrock stand-in (not a language model)."
    where = f", {editorial.region}" if editorial.region else ""
    return f"Editorial written by {editorial.model_id}{where} on Amazon Bedrock, from the selected items only."


def check_note_for(editorial: Editorial) -> str:
    """What the editorial's check changed in a written editorial, said at the foot of the edition ("" if nothing)."""
    if editorial.backend == "offline" or editorial.degraded:
        return ""  # extraction holds only the stories' own words: nothing for the check to remove
    removed = sum(1 for c in editorial.corrections if c.startswith(("ungrounded:", "unfinished:")))
    replaced = [c.split(":")[1].strip() for c in editorial.corrections if c.startswith("replaced:")]
    parts = []
    if removed:
        parts.append(f"removed {removed} sentence(s) that named what no story of this edition holds or were unfinished")
    if replaced:
        parts.append(f"took the {', '.join(dict.fromkeys(replaced))} from the stories' own words")
    return f"The editorial check {' and '.join(parts)}." if parts else ""


def render(
    client: ClientConfig,
    editorial: Editorial,
    selected: Sequence[ScoredItem],
    window_start: date,
    window_end: date,
    source_names: dict[str, str],
    items_degraded: int = 0,
) -> RenderedNewsletter:
    intros = {s.section_id: s.intro for s in editorial.sections}
    sections = []
    for section in client.sections:
        members = [s for s in selected if s.section_id == section.section_id]
        if members:
            sections.append({"title": section.title, "intro": intros.get(section.section_id, ""), "items": members})
    context = {
        "client": client,
        "editorial": editorial,
        "label": label_for(editorial),
        "byline": byline_for(editorial),
        "check_note": check_note_for(editorial),
        "items_note": (
            f"{items_degraded} item(s) were summarised offline by extraction after a model failure."
            if items_degraded
            else ""
        ),
        "sections": sections,
        "window_start": window_start,
        "window_end": window_end,
        "source_names": source_names,
    }
    return RenderedNewsletter(
        markdown=_templates(False).get_template("newsletter.md.j2").render(**context),
        html=_templates(True).get_template("newsletter.html.j2").render(**context),
    )
