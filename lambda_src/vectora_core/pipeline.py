"""The newsletter run as named stages: config → ingest → screen → normalize → score → history → select →
editorial (cached) → render → write → history_write.

Each stage is a function taking and returning plain values; `run_newsletter` calls them in order, each under
the timer of its name (`timings_ms`). Pure steps live in their own modules; the stages wire them to the edges
they are given (S3, the LLM layer, the HTTP fetcher, the clock), so tests pass in-memory or emulated ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any, NamedTuple

from . import editorial_cache, faithfulness, history, layout, lease, log_phrases, shared_store, store
from .ingest.fetch import FetchResult
from .ingest.stage import SourceOutcome, ingest_shared, ingest_source
from .llm.base import Budget, EditorialRequest, LLMLayer
from .logs import log_event
from .models import ClientConfig, Editorial, NormalizedItem, RawItem, ScoredItem
from .render import RenderedNewsletter, render
from .scoring import Candidate, score_item, select
from .screen import ScreenedOut, screened_out_summary, split_by_screen
from .serialize import editorial_to_dict, item_to_dict, scored_to_manifest
from .settings import Settings
from .stories import cluster_stories
from .validation import Invocation

FETCH_THREADS = store.FETCH_THREADS


@dataclass
class Edges:
    s3: Any
    llm: LLMLayer
    fetch: Callable[..., FetchResult]
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
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


def window_for(invocation: Invocation, client: ClientConfig, now: datetime) -> tuple[int, date, datetime, datetime]:
    """(period days, end date, window start, window end): the window ends now, or at the end of target_date."""
    period = invocation.period_days or client.default_period_days
    end_day = invocation.target_date or now.date()
    end = min(now, datetime.combine(end_day, dtime.max, tzinfo=UTC))
    if end_day < now.date():
        end = datetime.combine(end_day, dtime.max, tzinfo=UTC)
    return period, end_day, end - timedelta(days=period), end


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


# The stages' values are NamedTuples: as plain as dataclasses, and an eighth of the cost to define at cold start.
class Run(NamedTuple):
    """What every stage after the config reads: the request, its settings and edges, the client, the window."""

    invocation: Invocation
    settings: Settings
    edges: Edges
    budget: Budget
    client: ClientConfig
    now: datetime
    period: int
    end_day: date
    window_start: datetime
    window_end: datetime
    place: layout.OutputPlace  # where this run reads and writes: a publishing run's places, or a check run's
    shared: shared_store.SharedStore | None = None  # work shared with other clients' runs (None: SHARED_STORE off)

    @property
    def data(self) -> tuple[Any, str, str]:
        """(S3 client, data bucket, client id): the arguments of every store call on the client's data."""
        return self.edges.s3, self.settings.data_bucket, self.client.client_id


class Ingested(NamedTuple):
    states: dict[str, Any]  # feed state per source id, as loaded before this run
    outcomes: list[SourceOutcome]
    fetched: dict[str, RawItem]
    in_window: list[RawItem]


class Screened(NamedTuple):
    kept: list[RawItem]
    screened_out: list[ScreenedOut]


class Normalized(NamedTuple):
    items: dict[str, NormalizedItem]
    new: list[RawItem]  # items no stored normalization covered
    fresh: list[NormalizedItem]  # normalized by this run


class Scored(NamedTuple):
    candidates: list[Candidate]
    merged: list[ScoredItem]
    merged_count: int


class Unpublished(NamedTuple):
    stories: list[ScoredItem]  # the merged stories no earlier edition carried (or that changed materially)
    withheld: list[dict[str, str]]
    edition_history: dict[str, Any]


class Written(NamedTuple):
    editorial: Editorial
    cache_state: str  # "hit", "miss" or "bypass"


class Edition(NamedTuple):
    """The run's outcome: the response, the manifest, and the files to write (key and body by kind)."""

    response: dict[str, Any]
    manifest: dict[str, Any]
    keys: dict[str, str]
    bodies: dict[str, bytes]


CONTENT_TYPES = {"markdown": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


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
    run = start(invocation, settings, edges, budget, client, function_version)
    with timer.stage("ingest"):
        ingested = ingest(run)
    with timer.stage("screen"):
        screened = screen(run, ingested.in_window)
    with timer.stage("normalize"):
        normalized = normalize(run, screened.kept, has_feed_state=bool(ingested.states))
    with timer.stage("score"):
        scored = score(run, normalized.items)
    with timer.stage("history"):
        unpublished = withhold_published(run, scored.merged)
    with timer.stage("select"):
        selected = select(unpublished.stories, client)
    with timer.stage("editorial"):
        written = write_editorial(run, selected)
    degraded_items = [n for n in normalized.items.values() if n.degraded]
    with timer.stage("render"):
        rendered = render_edition(run, written.editorial, selected, len(degraded_items))
    edition = assemble(
        run, ingested, screened, normalized, scored, unpublished, selected, written, rendered, degraded_items
    )
    with timer.stage("write"):
        publish(run, edition)
    if invocation.publishes:
        with timer.stage("history_write"):
            record_edition(run, unpublished.edition_history, selected)
    timer.timings["total"] = int((time.perf_counter() - started) * 1000)
    response = edition.response
    response["timings_ms"] = timer.timings
    log_event(
        "Run terminé",
        client_id=client.client_id,
        mode=invocation.mode,
        counts=response["counts"],
        cache=written.cache_state,
        degraded=response["degraded"],
        timings_ms=timer.timings,
        llm=response["llm"],
    )
    return response


def start(
    invocation: Invocation,
    settings: Settings,
    edges: Edges,
    budget: Budget,
    client: ClientConfig,
    function_version: str,
) -> Run:
    """The run's window and output place, announced in the log."""
    now = edges.now()
    period, end_day, window_start, window_end = window_for(invocation, client, now)
    place = layout.output_place(
        invocation.mode, invocation.publishes, client.client_id, end_day.isoformat(), function_version
    )
    log_event(
        "Run démarré",
        client_id=client.client_id,
        mode=invocation.mode,
        period_days=period,
        window_start=window_start.isoformat(),
        window_end=window_end.isoformat(),
        force_regenerate=invocation.force_regenerate,
        llm_backend=edges.llm.name,
    )
    shared = None
    if settings.shared_store:
        shared = shared_store.SharedStore.for_run(
            edges.s3, settings.data_bucket, place.data_root, client.client_id, settings, lambda: edges.now().timestamp()
        )
    return Run(
        invocation, settings, edges, budget, client, now, period, end_day, window_start, window_end, place, shared
    )


def ingest(run: Run) -> Ingested:
    """Every source fetched concurrently; a failing source is reported, never fatal. Changed feed states saved:
    in the shared store (one record per URL, serving every client), or in the client's own feed state."""
    states = {} if run.shared else store.load_feed_states(*run.data, run.place.data_root)
    with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(run.client.sources))) as pool:
        outcomes = list(
            pool.map(
                lambda s: (
                    ingest_shared(run, s)
                    if run.shared
                    else ingest_source(s, states.get(s.source_id, {}), run.settings, run.edges)
                ),
                run.client.sources,
            )
        )
    changed = {o.source.source_id: o.state for o in outcomes if o.state is not None}
    if changed and not run.shared:
        store.save_feed_states(*run.data, {**states, **changed}, run.place.data_root)
    fetched = {item.item_id: item for outcome in outcomes for item in outcome.items}
    in_window = [i for i in fetched.values() if run.window_start <= i.published <= run.window_end]
    return Ingested(states, outcomes, fetched, in_window)


def screen(run: Run, in_window: list[RawItem]) -> Screened:
    """Only items naming something of the client's field go on to the model; the others are counted and listed in
    the manifest with their reason, never normalized."""
    kept, screened_out = split_by_screen(in_window, run.client.scopes)
    return Screened(kept, screened_out)


def normalize(run: Run, items: list[RawItem], *, has_feed_state: bool) -> Normalized:
    """Normalize what is new or changed; reuse stored normalizations (the client's last run's, then the fleet's)."""
    s3, bucket, client_id = run.data
    data_root = run.place.data_root
    scopes = run.client.scopes
    version = shared_store.normalization_identity(run.edges.llm.normalization_version(), scopes.key, scopes.version)
    index = store.load_index(s3, bucket, client_id, data_root)
    if run.shared:
        return normalize_shared(run, items, version, index)
    not_indexed = [i.item_id for i in items if i.item_id not in index]
    # A client with neither index nor feed state has nothing stored: skip one lookup per item.
    if not_indexed and (index or has_feed_state):
        records = {**index, **store.load_items(s3, bucket, client_id, not_indexed, data_root)}
    else:
        records = index
    normalized: dict[str, NormalizedItem] = {}
    to_normalize: list[RawItem] = []
    for raw in items:
        reused = store.reusable_normalized(records.get(raw.item_id), raw, version)
        if reused:
            normalized[raw.item_id] = reused
        else:
            to_normalize.append(raw)
    by_id = {raw.item_id: raw for raw in to_normalize}

    def save_batch(batch: list[NormalizedItem]) -> None:
        store.save_items(s3, bucket, client_id, [(by_id[n.item_id], n, version) for n in batch], data_root)

    fresh = (
        run.edges.llm.normalize(to_normalize, run.client.scopes, run.budget, on_batch=save_batch)
        if to_normalize
        else []
    )
    normalized.update({n.item_id: n for n in fresh})
    if fresh or not_indexed:
        store.save_index(
            s3,
            bucket,
            client_id,
            {i: {"normalized": item_to_dict(n), "normalization_version": version} for i, n in normalized.items()},
            data_root,
        )
    return Normalized(normalized, to_normalize, fresh)


def normalize_shared(run: Run, items: list[RawItem], version: str, index: dict[str, Any]) -> Normalized:
    """Items the client's last run normalized come from its index; the others from the shared store, where each
    is normalized once for every client of the field (see shared_store.SharedStore.normalize)."""
    normalized: dict[str, NormalizedItem] = {}
    for raw in items:
        reused = store.reusable_normalized(index.get(raw.item_id), raw, version)
        if reused:
            normalized[raw.item_id] = reused
    rest = [raw for raw in items if raw.item_id not in normalized]

    def with_model(raws: list[RawItem]) -> list[NormalizedItem]:
        def share(batch: list[NormalizedItem]) -> None:
            run.shared.save_normalized(version, batch, run.client.client_id, raws)

        return run.edges.llm.normalize(raws, run.client.scopes, run.budget, on_batch=share)

    from_store, fresh = run.shared.normalize(
        version, rest, with_model, keep_waiting=lambda: not run.budget.exhausted(30_000)
    )
    normalized.update(from_store)
    normalized.update({n.item_id: n for n in fresh})
    if rest:
        store.save_index(
            *run.data,
            {i: {"normalized": item_to_dict(n), "normalization_version": version} for i, n in normalized.items()},
            run.place.data_root,
        )
    return Normalized(normalized, [raw for raw in rest if raw.item_id not in from_store], fresh)


def score(run: Run, normalized: dict[str, NormalizedItem]) -> Scored:
    """Match and score against the client's scopes, then cluster the items into stories (one per event)."""
    candidates = [c for c in (score_item(n, run.client, run.window_end, run.period) for n in normalized.values()) if c]
    merged, merged_count = cluster_stories(candidates, run.client)
    return Scored(candidates, merged, merged_count)


def withhold_published(run: Run, stories: list[ScoredItem]) -> Unpublished:
    """A story an earlier edition published is withheld unless it changed materially."""
    edition_history = history.load_history(*run.data)
    kept, withheld = history.withhold_published(stories, history.published_before(edition_history, run.end_day))
    return Unpublished(kept, withheld, edition_history)


def write_editorial(run: Run, selected: list[ScoredItem]) -> Written:
    """The editorial, from the cache unless forced, then checked (faithfulness.py): whole sentences, and nothing named
    that no story of this edition holds. The checked editorial is what is cached; a degraded one never is."""
    client, edges, invocation = run.client, run.edges, run.invocation
    bucket, cache_prefix = run.settings.newsletters_bucket, run.place.cache_prefix
    prompt_version, model_id = edges.llm.editorial_identity()
    key = editorial_cache.cache_key(
        client.client_id, run.window_start.date(), run.end_day, selected, prompt_version, model_id
    )
    request = EditorialRequest(client, run.window_start.date(), run.end_day, tuple(selected))
    editorial = None
    cache_state = "bypass" if invocation.force_regenerate else "miss"
    if not invocation.force_regenerate:
        editorial = editorial_cache.load_cached(edges.s3, bucket, client.client_id, key, cache_prefix)
        if editorial:
            cache_state = "hit"
            log_event(log_phrases.CACHE_HIT, client_id=client.client_id, cache_key=key)
            editorial = faithfulness.check_editorial(editorial, request)
    if editorial is None:
        editorial = faithfulness.check_editorial(edges.llm.write_editorial(request, run.budget), request)
        if editorial.corrections:
            log_event(
                "Éditorial corrigé",
                level="WARNING" if faithfulness.ungrounded_count(editorial) else "INFO",
                client_id=client.client_id,
                ungrounded_removed=faithfulness.ungrounded_count(editorial),
                corrections=list(editorial.corrections),
            )
        if editorial.degraded:
            log_event("Éditorial dégradé non mis en cache", level="WARNING", reason=editorial.degraded_reason)
        else:
            editorial_cache.save_cached(edges.s3, bucket, client.client_id, key, editorial, cache_prefix)
            log_event(log_phrases.CACHE_SAVED, client_id=client.client_id, cache_key=key)
    return Written(editorial, cache_state)


def render_edition(
    run: Run, editorial: Editorial, selected: list[ScoredItem], degraded_count: int
) -> RenderedNewsletter:
    """Markdown and HTML of the edition."""
    names = {s.source_id: s.name for s in run.client.sources}
    return render(run.client, editorial, selected, run.window_start.date(), run.end_day, names, degraded_count)


def assemble(
    run: Run,
    ingested: Ingested,
    screened: Screened,
    normalized: Normalized,
    scored: Scored,
    unpublished: Unpublished,
    selected: list[ScoredItem],
    written: Written,
    rendered: RenderedNewsletter,
    degraded_items: list[NormalizedItem],
) -> Edition:
    """The response and the manifest, built in one place from what the stages returned."""
    settings, edges, editorial = run.settings, run.edges, written.editorial
    prefix = run.place.newsletter_prefix
    keys = layout.edition_keys(prefix)
    bodies = {"markdown": rendered.markdown.encode(), "html": rendered.html.encode()}
    failed = [{"source_id": o.source.source_id, "reason": o.error} for o in ingested.outcomes if o.error]
    warnings = [{"source_id": o.source.source_id, "warning": o.warning} for o in ingested.outcomes if o.warning]
    usage = edges.llm.usage
    degraded_reasons = []
    if editorial.degraded:
        degraded_reasons.append(f"editorial: {editorial.degraded_reason}")
    if degraded_items:
        reasons = sorted({n.degraded_reason for n in degraded_items})
        degraded_reasons.append(f"{len(degraded_items)} item(s) normalized offline: {'; '.join(reasons)}")
    response: dict[str, Any] = {
        "status": "ok",
        "mode": run.invocation.mode,
        "client_id": run.client.client_id,
        "period": {
            "days": run.period,
            "start": run.window_start.isoformat(),
            "end": run.window_end.isoformat(),
            "date": run.end_day.isoformat(),
        },
        "counts": {
            "sources": len(run.client.sources),
            "fetched": len(ingested.fetched),
            "in_window": len(ingested.in_window),
            "screened_out": len(screened.screened_out),
            "new": len(normalized.new),
            "normalized": len(normalized.fresh),
            "matched": len(scored.candidates),
            "merged_duplicates": scored.merged_count,
            "already_published": len(unpublished.withheld),
            "selected": len(selected),
        },
        "s3": {"bucket": settings.newsletters_bucket, **keys},
        "cache": written.cache_state,
        "editorial": {
            "backend": editorial.backend,
            "model_id": editorial.model_id,
            "region": editorial.region,
            "prompt_version": editorial.prompt_version,
            "input_tokens": editorial.input_tokens,
            "output_tokens": editorial.output_tokens,
            "degraded": editorial.degraded,
            "degraded_reason": editorial.degraded_reason,
            # What the editorial's check removed (names no story of this edition holds, unfinished sentences).
            "ungrounded_removed": faithfulness.ungrounded_count(editorial),
            "corrections": list(editorial.corrections),
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
        "generated_at": run.now.isoformat(),
        "editorial_text": editorial_to_dict(editorial),
        "files": {kind: {"key": keys[kind], "sha256": store.sha256_hex(body)} for kind, body in bodies.items()},
        "items": [scored_to_manifest(s) for s in selected],
        "screened_out": screened_out_summary(screened.screened_out),
        "already_published": unpublished.withheld,
    }
    return Edition(response, manifest, keys, bodies)


def publish(run: Run, edition: Edition) -> None:
    """Write the edition under the lease: one run at a time writes this newsletter, and the manifest goes last so
    it never points at a missing file."""
    s3, bucket = run.edges.s3, run.settings.newsletters_bucket
    with lease.write_lease(*run.data, run.end_day.isoformat(), key=run.place.lease_key):
        for kind, body in edition.bodies.items():
            s3.put_object(Bucket=bucket, Key=edition.keys[kind], Body=body, ContentType=CONTENT_TYPES[kind])
        store.put_json(s3, bucket, edition.keys["manifest"], edition.manifest)


def record_edition(run: Run, edition_history: dict[str, Any], selected: list[ScoredItem]) -> None:
    """A publishing run records what its edition carried; check runs (smoke, drill, bench) never do."""
    history.save_history(*run.data, history.with_edition(edition_history, run.end_day, run.now, selected))
