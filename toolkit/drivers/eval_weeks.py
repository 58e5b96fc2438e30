"""The labelled evaluation weeks, and which of them tuning may read.

LAI Weekly's weeks live in `eval/week*/`, every other client's in `eval/<client_id>/week*/`, in two formats:

- generated weeks: feed templates and `labels.yaml` (LAI Weekly's `week1` and `week2` are written by
  `eval_corpus.py`; another client's may be written by hand in the same format);
- hand-written weeks: one `week.yaml` each, items written in the voices of their sources (regulators, press
  offices, trade press, in several languages, some undated) with a label per item, the sources the client does
  not have yet, and generated off-topic padding (news off the LAI field, so only LAI Weekly's weeks take it:
  another client's week writes its off-topic items itself and says `padding: {items: 0}`). The loader renders
  them as RSS or Atom and parses them with the engine's own parser.

Tuning weeks are what rules, weights and vocabulary may be tuned on; held-out weeks are only ever read to report
(`invoke eval`). The split is fixed here, in code — one tuple of tuning weeks and one of held-out weeks per
client — and checked against each hand-written week's own `set:` line and against the weeks found on disk:
`load_week(..., purpose="tuning")`, which the engine's tests and `invoke eval --tuning` use, refuses a held-out
week. A week once read to tune or debug is a tuning week from then on.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

from .. import REPO_ROOT
from ..errors import ToolkitError
from ..local.sample_feeds import render, resolve_dates, source_ids

EVAL_DIR = REPO_ROOT / "eval"
FIRST_CLIENT = "lai_weekly_v3"  # its weeks sit at the top of eval/
# Weeks 2, 5, 6 and 7 of LAI Weekly and week 2 of GLP-1 & Obesity Weekly were the held-out set of the first
# measurement, LAI Weekly's weeks 8-10 and GLP-1 & Obesity Weekly's week 3 that of the second (figures in
# docs/benchmark.md); they were read to find what failed there, so they tune now.
TUNING = {
    FIRST_CLIENT: ("week1", "week2", "week3", "week4", "week5", "week6", "week7", "week8", "week9", "week10"),
    "glp1_obesity_weekly": ("week1", "week2", "week3"),
}
# Written by editors who never saw the engine, never read by tuning: add a week's name here when it is merged.
HELD_OUT: dict[str, tuple[str, ...]] = {
    FIRST_CLIENT: ("week11", "week12", "week13"),
    "glp1_obesity_weekly": (),
}
TUNING_WEEKS = TUNING[FIRST_CLIENT]
HELD_OUT_WEEKS = HELD_OUT[FIRST_CLIENT]
WEEKS = tuple(sorted(TUNING_WEEKS + HELD_OUT_WEEKS))
_WEEK_FOLDER = re.compile(r"^week\d+$")
PURPOSES = ("tuning", "report")
_DATE = re.compile(r"^[+-]?\d{1,3}(?:@\d{2}:\d{2}(?:[+-]\d{2}:?\d{2})?)?$")
# Off-topic padding per source, as a share of the week's padding (the client's own sources; a week's extra
# sources give their own share).
PADDING_SHARES = {
    "medincell_press": 0.02,
    "teva_press": 0.12,
    "camurus_press": 0.04,
    "indivior_press": 0.04,
    "alkermes_press": 0.05,
    "fierce_pharma": 0.30,
    "endpoints_news": 0.28,
    "fda_press": 0.15,
}


class EvalError(ToolkitError, RuntimeError):
    """The evaluation could not run (a missing week, an unlabelled item, a held-out week read for tuning)."""


class HeldOutWeekError(EvalError):
    """A held-out week was asked for by something that tunes (a test, `invoke eval --tuning`)."""


@dataclass(frozen=True)
class ExtraSource:
    """A source a week adds to the client's own (an EMA feed, a French trade outlet)."""

    source_id: str
    name: str
    kind: str
    format: str = "rss"
    language: str = "en"
    site: str = ""
    share: float = 0.05


@dataclass(frozen=True)
class Week:
    name: str
    held_out: bool
    items: tuple  # RawItem, as the engine's parser made them
    labels: dict[str, dict[str, Any]]  # by item id
    window_end: datetime
    description: str = ""
    extra_sources: tuple[ExtraSource, ...] = field(default=())
    client_id: str = FIRST_CLIENT


def reference_now(today: date) -> datetime:
    # Late on the reference day, so every item of the week (dated up to 21:10) is in the window.
    return datetime.combine(today, time(23, 0), tzinfo=UTC)


def client_dir(client_id: str, eval_dir: Path = EVAL_DIR) -> Path:
    return eval_dir if client_id == FIRST_CLIENT else eval_dir / client_id


def clients() -> tuple[str, ...]:
    """The clients with evaluation weeks, LAI Weekly first."""
    return tuple(TUNING)


def weeks_of(client_id: str, purpose: str = "report") -> tuple[str, ...]:
    """The client's weeks a purpose may read, tuning weeks first (only those when `purpose` is "tuning")."""
    if client_id not in TUNING:
        raise EvalError(f"no evaluation weeks declared for {client_id!r}: the clients are {', '.join(clients())}")
    return TUNING[client_id] + (() if purpose == "tuning" else HELD_OUT.get(client_id, ()))


def weeks_on_disk(client_id: str, eval_dir: Path = EVAL_DIR) -> tuple[str, ...]:
    folder = client_dir(client_id, eval_dir)
    if not folder.is_dir():
        return ()
    found = [
        p.name
        for p in folder.iterdir()
        if p.is_dir() and _WEEK_FOLDER.match(p.name) and ((p / "week.yaml").is_file() or (p / "labels.yaml").is_file())
    ]
    return tuple(sorted(found, key=lambda n: int(n[4:])))


def undeclared_weeks(eval_dir: Path = EVAL_DIR) -> list[str]:
    """Weeks on disk in neither set of their client, and client folders with no sets: each needs a line here."""
    problems = []
    for client_id in clients():
        declared = set(weeks_of(client_id))
        problems += [f"{client_id}/{w}" for w in weeks_on_disk(client_id, eval_dir) if w not in declared]
    for folder in sorted(p for p in eval_dir.iterdir() if p.is_dir() and not _WEEK_FOLDER.match(p.name)):
        if folder.name not in TUNING and any(_WEEK_FOLDER.match(w.name) for w in folder.iterdir()):
            problems.append(f"{folder.name}/ (a client with weeks but no tuple)")
    return problems


def is_held_out(name: str, client_id: str = FIRST_CLIENT) -> bool:
    names = weeks_of(client_id)
    if name not in names:
        raise EvalError(
            f"unknown evaluation week {client_id}/{name}: add it to TUNING or HELD_OUT in eval_weeks.py "
            f"(the weeks are {', '.join(names)})"
        )
    return name in HELD_OUT.get(client_id, ())


def load_week(
    name: str, today: date, eval_dir: Path = EVAL_DIR, *, purpose: str = "tuning", client_id: str = FIRST_CLIENT
) -> Week:
    """The week's items, parsed as the engine would, each with its label. Tuning never reads a held-out week."""
    if purpose not in PURPOSES:
        raise EvalError(f"unknown purpose {purpose!r}: use one of {', '.join(PURPOSES)}")
    held_out = is_held_out(name, client_id)
    if held_out and purpose == "tuning":
        raise HeldOutWeekError(
            f"{client_id}/{name} is held out: tuning and the engine's tests never read it; `invoke eval` reports it"
        )
    directory = client_dir(client_id, eval_dir) / name
    if (directory / "week.yaml").exists():
        return _load_written(name, directory, today, held_out, client_id)
    if (directory / "labels.yaml").exists():
        return _load_generated(name, directory, today, held_out, client_id)
    raise EvalError(f"no labelled week at {directory}: run `python -m toolkit.drivers.eval_corpus` to write it")


def _load_generated(name: str, directory: Path, today: date, held_out: bool, client_id: str) -> Week:
    from vectora_core.ingest.parse import parse_feed

    labels = yaml.safe_load((directory / "labels.yaml").read_text(encoding="utf-8"))
    now = reference_now(today)
    items, by_id = [], {}
    for source in source_ids(directory):
        feed = render(source, today, directory)
        parsed = parse_feed(feed.body, source, now, feed.content_type)
        by_title = {entry["title"]: entry for entry in labels.get(source, [])}
        for item in parsed.items:
            label = by_title.get(item.title)
            if label is None:
                raise EvalError(f"{name}/{source}: item {item.title!r} has no label")
            items.append(item)
            by_id[item.item_id] = {"source": source, **label}
    return Week(name, held_out, tuple(items), by_id, now, client_id=client_id)


# --- hand-written weeks ---------------------------------------------------------------------------------


def _check_entry(name: str, index: int, entry: dict[str, Any]) -> None:
    where = f"{name}/week.yaml item {index + 1}"
    for key in ("source", "title", "text", "label"):
        if key not in entry:
            raise EvalError(f"{where}: {key} is missing")
    when = entry.get("date")
    if when is not None and not _DATE.match(str(when)):
        raise EvalError(f"{where}: date {when!r} is not like -2@13:00 (or null for an undated item)")
    label = entry["label"]
    if ("story" in label) == ("trap" in label):
        raise EvalError(f"{where}: a label has either a story (relevant) or a trap (off topic)")
    if "story" in label:
        for key in ("event_type", "significance", "must_include"):
            if key not in label:
                raise EvalError(f"{where}: a relevant item's label needs {key}")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70]
    return slug or hashlib.sha256(text.encode()).hexdigest()[:12]


def _rss(source: ExtraSource | None, source_id: str, entries: list[dict[str, Any]]) -> str:
    site = source.site if source else f"https://{source_id.replace('_', '-')}.example/"
    language = source.language if source else "en"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0">',
        "  <channel>",
        f"    <title>{escape(source.name if source else source_id)}</title>",
        f"    <link>{site}</link>",
        "    <description>Evaluation week for Vectora Inbox: invented stories about real companies.</description>",
        f"    <language>{language}</language>",
    ]
    for entry in entries:
        link = site + entry["slug"] + "/"
        parts += ["    <item>", f"      <title>{escape(entry['title'])}</title>", f"      <link>{link}</link>"]
        parts.append(f"      <guid>{link}</guid>")
        if entry.get("date") is not None:
            parts.append(f"      <pubDate>{{{{date:{entry['date']}}}}}</pubDate>")
        parts += [f"      <description>{escape(entry['text'])}</description>", "    </item>"]
    return "\n".join([*parts, "  </channel>", "</rss>", ""])


def _atom(source: ExtraSource, entries: list[dict[str, Any]]) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{source.language}">',
        f'  <title type="text">{escape(source.name)}</title>',
        f"  <id>{source.site}feed/</id>",
        f'  <link rel="alternate" type="text/html" href="{source.site}" />',
    ]
    for entry in entries:
        link = source.site + entry["slug"] + "/"
        parts += ["  <entry>", f'    <title type="text">{escape(entry["title"])}</title>']
        parts += [f'    <link rel="alternate" type="text/html" href="{link}" />', f"    <id>{link}</id>"]
        if entry.get("date") is not None:
            parts.append(f"    <published>{{{{isodate:{entry['date']}}}}}</published>")
        parts += [f'    <summary type="html">{escape("<p>" + escape(entry["text"]) + "</p>")}</summary>', "  </entry>"]
    return "\n".join([*parts, "</feed>", ""])


def _padding(spec: dict[str, Any], shares: dict[str, float], taken: set[str]) -> list[dict[str, Any]]:
    """Generated off-topic pharma news spread over the week's sources (no label beyond "off topic")."""
    from .eval_noise import off_topic

    count, rng = int(spec.get("items", 0)), random.Random(int(spec.get("seed", 0)))
    total = sum(shares.values())
    entries = []
    for source, share in shares.items():
        wanted, attempts = round(count * share / total), 0
        made = 0
        while made < wanted and attempts < 50 * max(wanted, 1):
            attempts += 1
            title, text = off_topic(rng, source)
            if (source, title) in taken:
                continue
            taken.add((source, title))
            hour = f"{rng.randint(6, 20):02d}:{rng.choice(['00', '10', '25', '40', '55'])}"
            label = {"trap": "padding"}
            entries.append({"source": source, "title": title, "text": text, "date": f"-{rng.randint(0, 6)}@{hour}"})
            entries[-1]["label"] = label
            made += 1
    return entries


def _load_written(name: str, directory: Path, today: date, held_out: bool, client_id: str) -> Week:
    from vectora_core.ingest.parse import parse_feed

    spec = yaml.safe_load((directory / "week.yaml").read_text(encoding="utf-8"))
    declared = spec.get("set")
    if declared != ("held_out" if held_out else "tuning"):
        raise EvalError(
            f"{name}/week.yaml says set: {declared!r}, but the evaluation holds {name} as "
            f"{'held out' if held_out else 'tuning'}: change both together"
        )
    extra = {
        source_id: ExtraSource(source_id, **{k: v for k, v in fields.items()})
        for source_id, fields in (spec.get("sources") or {}).items()
    }
    entries = list(spec.get("items") or [])
    for index, entry in enumerate(entries):
        _check_entry(name, index, entry)
    padding = spec.get("padding") or {}
    if client_id != FIRST_CLIENT and int(padding.get("items", 0)):
        raise EvalError(
            f"{client_id}/{name}/week.yaml asks for padding, which is news off the LAI field (maybe on yours): "
            "write the week's off-topic items and say padding: {items: 0}"
        )
    shares = {**PADDING_SHARES, **{s.source_id: s.share for s in extra.values()}}
    entries += _padding(padding, shares, {(e["source"], e["title"]) for e in entries})
    now = reference_now(today)
    by_source: dict[str, list[dict[str, Any]]] = {}
    slugs: set[str] = set()
    for entry in entries:
        slug = _slug(entry["title"])
        while slug in slugs:
            slug += "-2"
        slugs.add(slug)
        by_source.setdefault(entry["source"], []).append({**entry, "slug": slug})
    items, labels = [], {}
    for source_id, source_entries in sorted(by_source.items()):
        source = extra.get(source_id)
        template = (
            _atom(source, source_entries)
            if source and source.format == "atom"
            else _rss(source, source_id, source_entries)
        )
        body, _newest = resolve_dates(template, today)
        parsed = parse_feed(body.encode("utf-8"), source_id, now)
        by_link = {e["slug"]: e for e in source_entries}
        for item in parsed.items:
            entry = by_link[item.url.rstrip("/").rsplit("/", 1)[-1]]
            label = entry["label"]
            items.append(item)
            labels[item.item_id] = {
                "source": source_id,
                "title": entry["title"],
                "relevant": "story" in label,
                **label,
            }
        if len(parsed.items) != len(source_entries):
            raise EvalError(f"{name}/{source_id}: {len(source_entries)} items written, {len(parsed.items)} parsed")
    return Week(
        name, held_out, tuple(items), labels, now, spec.get("description", ""), tuple(extra.values()), client_id
    )
