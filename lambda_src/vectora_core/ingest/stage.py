"""The ingest stage's work on one source: fetch and parse it, through the client's own feed state or the shared
store (a URL several clients read is fetched once per window for all of them)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..first_seen import apply_first_seen
from ..logs import log_event
from ..models import RawItem, Source
from ..serialize import item_to_dict, raw_from_dict
from ..settings import Settings
from .fetch import FetchError
from .parse import parse_feed


@dataclass(frozen=True)
class SourceOutcome:
    source: Source
    items: tuple[RawItem, ...]
    error: str = ""
    warning: str = ""
    not_modified: bool = False
    state: dict[str, Any] | None = None  # the source's new feed state, when it changed


def ingest_source(source: Source, state: dict[str, Any], settings: Settings, edges) -> SourceOutcome:
    """Fetch and parse one source; never raises for the source's own faults."""
    remembered = isinstance(state.get("items"), list)
    try:
        result = edges.fetch(
            source.url,
            timeout_s=settings.fetch_timeout_seconds,
            max_bytes=settings.fetch_max_bytes,
            # Validators without the items they stand for are useless: fetch unconditionally then.
            etag=state.get("etag", "") if remembered else "",
            last_modified=state.get("last_modified", "") if remembered else "",
            allow_private=settings.allow_private_feed_hosts,
        )
    except FetchError as exc:
        log_event("Source en échec", level="WARNING", source_id=source.source_id, reason=str(exc))
        return SourceOutcome(source, (), error=str(exc))
    if result.not_modified:
        items = []
        for record in state["items"]:
            try:
                items.append(raw_from_dict(record))
            except (KeyError, TypeError, ValueError):
                continue
        return SourceOutcome(source, tuple(items), not_modified=True)
    parsed = parse_feed(result.body, source.source_id, edges.now(), result.content_type)
    # Undated items keep the date they were first seen, remembered in the feed state.
    items, first_seen = apply_first_seen(parsed.items, state.get("first_seen") or {}, edges.now())
    warning = ""
    if parsed.bozo:
        warning = f"malformed feed, kept {len(parsed.items)} parsed item(s): {parsed.bozo_reason}"
        log_event("Flux malformé", level="WARNING", source_id=source.source_id, reason=warning)
    if parsed.dropped:
        note = f"feed has too many entries, kept the newest {len(parsed.items)} and ignored {parsed.dropped}"
        warning = f"{warning}; {note}" if warning else note
        log_event("Flux tronqué", level="WARNING", source_id=source.source_id, reason=note)
    if parsed.bozo and not parsed.items:
        return SourceOutcome(source, (), error=f"unreadable feed: {parsed.bozo_reason}")
    new_state = {
        "etag": result.etag,
        "last_modified": result.last_modified,
        # The parsed items themselves, so a 304 next time needs no other read.
        "items": [item_to_dict(i) for i in items],
        "fetched_at": edges.now().isoformat(),
        "first_seen": first_seen,
    }
    return SourceOutcome(source, tuple(items), warning=warning, state=new_state)


def ingest_shared(run, source: Source) -> SourceOutcome:
    """One source through the shared store: fetched (conditionally, with the validators of the last fetch by any
    client) only if no run fetched its URL within the window; the items carry this client's source id."""

    def fetch(record: dict[str, Any]) -> dict[str, Any]:
        outcome = ingest_source(source, record, run.settings, run.edges)
        now = run.edges.now().isoformat()
        if outcome.error:
            return {**record, "error": outcome.error, "failed_at": now}
        if outcome.not_modified:
            return {**record, "fetched_at": now, "error": "", "failed_at": None}
        return {**(outcome.state or {}), "warning": outcome.warning, "error": "", "failed_at": None}

    record, _fetched = run.shared.feed(source.url, fetch)
    failed_at, fetched_at = record.get("failed_at") or "", record.get("fetched_at") or ""
    if record.get("error") and str(failed_at) >= str(fetched_at):
        return SourceOutcome(source, (), error=str(record["error"]))
    items = []
    for data in record.get("items") or []:
        try:
            items.append(replace(raw_from_dict(data), source_id=source.source_id))
        except (KeyError, TypeError, ValueError):
            continue  # a damaged entry costs that item only
    return SourceOutcome(source, tuple(items), warning=str(record.get("warning") or ""))
