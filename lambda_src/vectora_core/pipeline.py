"""The newsletter run: config → ingest → normalize → score → editorial (cached) → render → write.

Pure steps live in their own modules; this module wires them to the edges it is given (S3, the LLM
layer, the HTTP fetcher, the clock), so tests pass in-memory or emulated ones.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from typing import Any, Callable

from . import editorial_cache, history, store
from .ingest.fetch import FetchError, FetchResult
from .ingest.parse import parse_feed
from .llm.base import Budget, EditorialRequest, LLMLayer
from .logs import log_event
from .models import ClientConfig, NormalizedItem, RawItem, Source
from .render import render
from .scoring import merge_duplicates, score_item, select
from .screen import screened_out_summary, split_by_screen
from .serialize import editorial_to_dict, item_to_dict, raw_from_dict, scored_to_manifest
from .settings import Settings
from .validation import Invocation

FETCH_THREADS = store.FETCH_THREADS


@dataclass
class Edges:
    s3: Any
    llm: LLMLayer
    fetch: Callable[..., FetchResult]
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    pricing: dict[str, dict[str, float]] | None = None


@dataclass
class Timer:
    timings: dict[str, int] = field(default_factory=dict)

    def stage(self, name: str):
        timer = self

        class _Stage:
            def __enter__(self):
                self.started = time.perf_counter()

            def __exit__(self, *exc):
                timer.timings[name] = int((time.perf_counter() - self.started) * 1000)

        return _Stage()


@dataclass(frozen=True)
class SourceOutcome:
    source: Source
    items: tuple[RawItem, ...]
    error: str = ""
    warning: str = ""
    not_modified: bool = False
    state: dict[str, Any] | None = None  # the source's new feed state, when it changed


def window_for(invocation: Invocation, client: ClientConfig, now: datetime) -> tuple[int, date, datetime, datetime]:
    """(period days, end date, window start, window end): the window ends now, or at the end of target_date."""
    period = invocation.period_days or client.default_period_days
    end_day = invocation.target_date or now.date()
    end = min(now, datetime.combine(end_day, dtime.max, tzinfo=timezone.utc))
    if end_day < now.date():
        end = datetime.combine(end_day, dtime.max, tzinfo=timezone.utc)
    return period, end_day, end - timedelta(days=period), end


def ingest_source(source: Source, state: dict[str, Any], settings: Settings, edges: Edges) -> SourceOutcome:
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
    items, first_seen = history.apply_first_seen(parsed.items, state.get("first_seen") or {}, edges.now())
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


def _estimated_cost(usage, settings: Settings, pricing: dict[str, dict[str, float]] | None) -> float | None:
    if not pricing:
        return None
    total = 0.0
    for purpose, target in (("newsletter", settings.newsletter), ("normalization", settings.normalization)):
        prices = pricing.get(target.model_id)
        if not prices:
            if usage.calls.get(purpose):
                return None
            continue
        total += usage.input_tokens.get(purpose, 0) * float(prices["input_per_million"]) / 1e6
        total += usage.output_tokens.get(purpose, 0) * float(prices["output_per_million"]) / 1e6
    return round(total, 5)


def run_newsletter(
    invocation: Invocation, settings: Settings, edges: Edges, budget: Budget, function_version: str = "local"
) -> dict[str, Any]:
    """One run. A publishing run writes the client's edition and the state later editions build on (feed state,
    stored normalizations, editorial cache). A check run (`invocation.publishes` false: smoke test, rollback
    drill, benchmark) keeps all of that under `checks/`, its files named after its mode and the function version
    it ran on, so an unproven version can neither replace an edition nor change what the next one reads.
    """
    timer = Timer()
    started = time.perf_counter()
    with timer.stage("config"):
        client = store.load_client(edges.s3, settings.config_bucket, invocation.client_id)
    now = edges.now()
    period, end_day, window_start, window_end = window_for(invocation, client, now)
    place = store.output_place(invocation.mode, invocation.publishes, client.client_id, end_day.isoformat(), function_version)
    log_event("Run démarré", client_id=client.client_id, mode=invocation.mode, period_days=period, window_start=window_start.isoformat(),
              window_end=window_end.isoformat(), force_regenerate=invocation.force_regenerate, llm_backend=edges.llm.name)

    # 1. Ingest every source concurrently; a failing source is reported, never fatal.
    with timer.stage("ingest"):
        states = store.load_feed_states(edges.s3, settings.data_bucket, client.client_id, place.data_root)
        with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(client.sources))) as pool:
            outcomes = list(
                pool.map(lambda s: ingest_source(s, states.get(s.source_id, {}), settings, edges), client.sources)
            )
        changed = {o.source.source_id: o.state for o in outcomes if o.state is not None}
        if changed:
            store.save_feed_states(edges.s3, settings.data_bucket, client.client_id, {**states, **changed}, place.data_root)
    fetched = {item.item_id: item for outcome in outcomes for item in outcome.items}
    in_window = [i for i in fetched.values() if window_start <= i.published <= window_end]

    # 1b. Screen: only items naming something of the client's field go on to the model; the others are
    # counted and listed in the manifest with their reason, never normalized.
    with timer.stage("screen"):
        screened_in, screened_out = split_by_screen(in_window, client.scopes)

    # 2. Normalize what is new or changed; reuse stored normalizations.
    with timer.stage("normalize"):
        version = edges.llm.normalization_version() + "/" + client.scopes.version
        index = store.load_index(edges.s3, settings.data_bucket, client.client_id, place.data_root)
        not_indexed = [i.item_id for i in screened_in if i.item_id not in index]
        # A client with neither index nor feed state has nothing stored: skip one lookup per item.
        if not_indexed and (index or states):
            records = {**index, **store.load_items(edges.s3, settings.data_bucket, client.client_id, not_indexed, place.data_root)}
        else:
            records = index
        normalized: dict[str, NormalizedItem] = {}
        to_normalize: list[RawItem] = []
        for raw in screened_in:
            reused = store.reusable_normalized(records.get(raw.item_id), raw, version)
            if reused:
                normalized[raw.item_id] = reused
            else:
                to_normalize.append(raw)
        by_id = {raw.item_id: raw for raw in to_normalize}

        def save_batch(batch: list[NormalizedItem]) -> None:
            records = [(by_id[n.item_id], n, version) for n in batch]
            store.save_items(edges.s3, settings.data_bucket, client.client_id, records, place.data_root)

        fresh = edges.llm.normalize(to_normalize, client.scopes, budget, on_batch=save_batch) if to_normalize else []
        normalized.update({n.item_id: n for n in fresh})
        if fresh or not_indexed:
            store.save_index(
                edges.s3,
                settings.data_bucket,
                client.client_id,
                {i: {"normalized": item_to_dict(n), "normalization_version": version} for i, n in normalized.items()},
                place.data_root,
            )

    # 3. Match, score, merge duplicates, select.
    with timer.stage("score"):
        candidates = [c for c in (score_item(n, client, window_end, period) for n in normalized.values()) if c]
        merged, merged_count = merge_duplicates(candidates)

    # 3b. History: a story an earlier edition published is withheld unless it changed materially.
    with timer.stage("history"):
        edition_history = history.load_history(edges.s3, settings.data_bucket, client.client_id)
        merged, withheld = history.withhold_published(merged, history.published_before(edition_history, end_day))

    with timer.stage("select"):
        selected = select(merged, client)

    # 4. Editorial, from the cache unless forced.
    with timer.stage("editorial"):
        prompt_version, model_id = edges.llm.editorial_identity()
        key = editorial_cache.cache_key(
            client.client_id, window_start.date(), end_day, selected, prompt_version, model_id
        )
        editorial = None
        cache_state = "bypass" if invocation.force_regenerate else "miss"
        if not invocation.force_regenerate:
            editorial = editorial_cache.load_cached(
                edges.s3, settings.newsletters_bucket, client.client_id, key, place.cache_prefix
            )
            if editorial:
                cache_state = "hit"
                log_event("Newsletter récupérée depuis cache S3", client_id=client.client_id, cache_key=key)
        if editorial is None:
            request = EditorialRequest(client, window_start.date(), end_day, tuple(selected))
            editorial = edges.llm.write_editorial(request, budget)
            if editorial.degraded:
                log_event("Éditorial dégradé non mis en cache", level="WARNING", reason=editorial.degraded_reason)
            else:
                editorial_cache.save_cached(
                    edges.s3, settings.newsletters_bucket, client.client_id, key, editorial, place.cache_prefix
                )
                log_event("Newsletter sauvegardée en cache", client_id=client.client_id, cache_key=key)

    # 5. Render, then write under a lease.
    degraded_items = [n for n in normalized.values() if n.degraded]
    with timer.stage("render"):
        names = {s.source_id: s.name for s in client.sources}
        rendered = render(client, editorial, selected, window_start.date(), end_day, names, len(degraded_items))
    prefix = place.newsletter_prefix
    keys = {"markdown": prefix + "newsletter.md", "html": prefix + "newsletter.html", "manifest": prefix + "manifest.json"}
    bodies = {"markdown": rendered.markdown.encode(), "html": rendered.html.encode()}
    failed = [{"source_id": o.source.source_id, "reason": o.error} for o in outcomes if o.error]
    warnings = [{"source_id": o.source.source_id, "warning": o.warning} for o in outcomes if o.warning]
    usage = edges.llm.usage
    degraded_reasons = []
    if editorial.degraded:
        degraded_reasons.append(f"editorial: {editorial.degraded_reason}")
    if degraded_items:
        reasons = sorted({n.degraded_reason for n in degraded_items})
        degraded_reasons.append(f"{len(degraded_items)} item(s) normalized offline: {'; '.join(reasons)}")
    response: dict[str, Any] = {
        "status": "ok",
        "mode": invocation.mode,
        "client_id": client.client_id,
        "period": {"days": period, "start": window_start.isoformat(), "end": window_end.isoformat(), "date": end_day.isoformat()},
        "counts": {
            "sources": len(client.sources),
            "fetched": len(fetched),
            "in_window": len(in_window),
            "screened_out": len(screened_out),
            "new": len(to_normalize),
            "normalized": len(fresh),
            "matched": len(candidates),
            "merged_duplicates": merged_count,
            "already_published": len(withheld),
            "selected": len(selected),
        },
        "s3": {"bucket": settings.newsletters_bucket, **keys},
        "cache": cache_state,
        "editorial": {
            "backend": editorial.backend,
            "model_id": editorial.model_id,
            "region": editorial.region,
            "prompt_version": editorial.prompt_version,
            "input_tokens": editorial.input_tokens,
            "output_tokens": editorial.output_tokens,
            "degraded": editorial.degraded,
            "degraded_reason": editorial.degraded_reason,
        },
        "llm": {
            "backend": edges.llm.name,
            "calls": usage.calls,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "estimated_cost_usd": _estimated_cost(usage, settings, edges.pricing),
        },
        "degraded": bool(degraded_reasons),
        "degraded_reasons": degraded_reasons,
        # Degradations no retry will heal (model access, validation, unknown model, refusal), each with its fix:
        # the smoke test refuses a version whose run has any.
        "blocking_problems": [problem.to_dict() for problem in getattr(edges.llm, "blocking_problems", [])],
        "sources_failed": failed,
        "source_warnings": warnings,
    }
    manifest = {
        **response,
        "generated_at": now.isoformat(),
        "editorial_text": editorial_to_dict(editorial),
        "files": {kind: {"key": keys[kind], "sha256": store.sha256_hex(body)} for kind, body in bodies.items()},
        "items": [scored_to_manifest(s) for s in selected],
        "screened_out": screened_out_summary(screened_out),
        "already_published": withheld,
    }
    # One run at a time writes this newsletter; the manifest goes last so it never points at a missing file.
    content_types = {"markdown": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}
    with timer.stage("write"), store.write_lease(
        edges.s3, settings.data_bucket, client.client_id, end_day.isoformat(), key=place.lease_key
    ):
        for kind, body in bodies.items():
            edges.s3.put_object(Bucket=settings.newsletters_bucket, Key=keys[kind], Body=body, ContentType=content_types[kind])
        store.put_json(edges.s3, settings.newsletters_bucket, keys["manifest"], manifest)
    # 6b. A publishing run records what its edition carried; check runs (smoke, drill, bench) never do.
    if invocation.publishes:
        with timer.stage("history_write"):
            history.save_history(edges.s3, settings.data_bucket, client.client_id,
                                 history.with_edition(edition_history, end_day, now, selected))
    timer.timings["total"] = int((time.perf_counter() - started) * 1000)
    response["timings_ms"] = timer.timings
    log_event("Run terminé", client_id=client.client_id, mode=invocation.mode, counts=response["counts"], cache=cache_state,
              degraded=response["degraded"], timings_ms=timer.timings, llm=response["llm"])
    return response
