"""Work shared across clients in the data bucket: a feed fetched once per window, an item normalized once per field.

Layout, under `<root>shared/` (`root` is "" for publishing runs and `checks/<mode>/` for check runs, which keep
their own copy so an unproven version never feeds an edition):

- `feeds/<sha256 of the URL>.json`: a feed as the last run that fetched it saw it: validators (ETag,
  Last-Modified), its parsed items, first-seen dates of undated items, when it was fetched and any failure.
  A run reuses it without a request while it is younger than the window; otherwise one run fetches (with the
  validators) while runs that need it meanwhile wait for its record.
- `normalized/<identity>/<content hash>.json`: one item's normalization, keyed by its content (title and text),
  the normalization prompt version and model (`LLMLayer.normalization_version`) and the field's canonical scopes
  (key and version: the prompt carries the field's definition and the entities are canonical names of that field).
  Every client of the field reuses it; relevance to the client's own domains, scoring and the editorial stay per
  client.

Who does a piece of work is settled by a claim, `locks/<root>shared/...`, created with a conditional PUT
(`IfNoneMatch: *`): exactly one concurrent run wins it. Results are written conditionally too: a normalization
is created once (`IfNoneMatch`), a feed record is replaced only if it is still the version the writer read
(`IfMatch`), so concurrent clients never overwrite each other's work or mix two versions. A claim expires
(`SHARED_CLAIM_TTL_SECONDS`): a run that crashed holding one delays the others at most until then, and a run
that waited `SHARED_WAIT_SECONDS` for someone else's result does the work itself. A degraded normalization is
never shared; a corrupt object reads as missing and is replaced conditionally. Expiry: the bucket's lifecycle
rules (terraform/modules/buckets) drop old records; a record older than the window is refetched anyway.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from . import layout
from .logs import log_event
from .models import NormalizedItem, RawItem
from .serialize import item_from_dict, item_to_dict
from .store import IO_THREADS, is_conflict, is_missing

FAILURE_REUSE_SECONDS = 300  # a source that just failed is reported, not retried, by the runs of the next minutes


def normalization_identity(normalization_version: str, scopes_key: str, scopes_version: str) -> str:
    """What a stored normalization was made with: prompt version and model, and the field's scopes."""
    return f"{normalization_version}|{scopes_key}@{scopes_version}"


# --- conditional reads and writes ---------------------------------------------------------------------------


def read_json(s3, bucket: str, key: str) -> tuple[Any, str]:
    """(content, ETag); (None, "") when absent; (None, etag) when present but unreadable."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if is_missing(exc):
            return None, ""
        raise
    etag = response.get("ETag", "")
    try:
        return json.loads(response["Body"].read()), etag
    except ValueError:
        return None, etag


def write_json(s3, bucket: str, key: str, data: Any, *, etag: str = "") -> bool:
    """Create `key` (no `etag`) or replace the version whose ETag is `etag`; False when another write won."""
    condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
    body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", **condition)
    except ClientError as exc:
        if is_conflict(exc) or (etag and is_missing(exc)):
            return False
        raise
    return True


@dataclass(frozen=True)
class Claim:
    key: str
    etag: str


def try_claim(s3, bucket: str, key: str, owner: str, ttl_s: float, clock=time.time) -> Claim | None:
    """Claim the work behind `key` with a conditional create; None when another run holds a claim on it (a
    dead run's claim is taken over by `take_over` once it expired: a live one is the common case, read nothing)."""
    body = json.dumps({"owner": owner, "expires": clock() + ttl_s}).encode()
    try:
        created = s3.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*")
    except ClientError as exc:
        if is_conflict(exc):
            return None
        raise
    return Claim(key, created.get("ETag", ""))


def take_over(s3, bucket: str, key: str, owner: str, ttl_s: float, clock=time.time) -> Claim | None:
    """Claim `key` if no live claim holds it: an expired or unreadable claim is deleted first, conditionally on
    its ETag, so of two runs that find it only one takes it over."""
    holder, etag = read_json(s3, bucket, key)
    if etag:
        expires = holder.get("expires", 0) if isinstance(holder, dict) else 0
        if isinstance(expires, (int, float)) and expires >= clock():
            return None
        try:
            s3.delete_object(Bucket=bucket, Key=key, IfMatch=etag)
        except ClientError as exc:
            if not (is_conflict(exc) or is_missing(exc)):
                raise
    return try_claim(s3, bucket, key, owner, ttl_s, clock)


def claim_alive(s3, bucket: str, key: str, clock=time.time) -> bool:
    holder, etag = read_json(s3, bucket, key)
    expires = holder.get("expires", 0) if isinstance(holder, dict) else 0
    return bool(etag) and isinstance(expires, (int, float)) and expires >= clock()


def release(s3, bucket: str, claim: Claim) -> None:
    try:
        s3.delete_object(Bucket=bucket, Key=claim.key, IfMatch=claim.etag)
    except ClientError as exc:
        if not (is_conflict(exc) or is_missing(exc)):
            raise  # a claim that expired and was taken over is not ours to delete


def _parallel(function, values: Sequence) -> list:
    if not values:
        return []
    with ThreadPoolExecutor(max_workers=min(IO_THREADS, len(values))) as pool:
        return list(pool.map(function, values))


@dataclass
class SharedStore:
    """The shared store of one run: its bucket, root, timings and the edges it waits with."""

    s3: Any
    bucket: str
    root: str  # `layout.shared_root(data_root)`
    owner: str  # who claims (the client id and a run token, for the logs)
    window_s: float = 3600.0
    wait_s: float = 300.0
    claim_ttl_s: float = 600.0
    # Claims are checked for a dead holder only after this much waiting: most work is done in seconds, and
    # checking every claim at every poll would double the requests of the runs that wait.
    check_claims_after_s: float = 15.0
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    stats: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_run(cls, s3, bucket: str, data_root: str, client_id: str, settings, clock=time.time) -> SharedStore:
        """The run's view of the store; `clock` is the run's own (feed records carry the run's `fetched_at`)."""
        return cls(
            s3,
            bucket,
            layout.shared_root(data_root),
            f"{client_id}/{uuid.uuid4().hex[:8]}",
            window_s=float(settings.shared_feed_window_seconds),
            wait_s=float(settings.shared_wait_seconds),
            claim_ttl_s=float(settings.shared_claim_ttl_seconds),
            clock=clock,
        )

    def count(self, name: str, n: int = 1) -> None:
        self.stats[name] = self.stats.get(name, 0) + n

    def _waits(self) -> Iterable[tuple[float, bool]]:
        """(poll interval, whether to check the claims) while another run works: short first (most work takes
        seconds), then every 5 s; claims are checked once the wait is long enough to suspect a dead holder."""
        waited, interval = 0.0, 1.0
        while waited < self.wait_s:
            step = min(interval, self.wait_s - waited)
            waited += step
            yield step, waited >= self.check_claims_after_s
            interval = min(5.0, interval * 1.6)

    # --- feeds ---------------------------------------------------------------------------------------------

    def _fresh(self, record: Any, since: float) -> bool:
        """A record younger than the window, or fetched (or failed) after `since`."""
        if not isinstance(record, dict):
            return False
        now = self.clock()
        for stamp, keep in (("fetched_at", self.window_s), ("failed_at", min(self.window_s, FAILURE_REUSE_SECONDS))):
            at = _timestamp(record.get(stamp))
            if at is not None and (now - at < keep or at >= since):
                return True
        return False

    def feed(self, url: str, fetch: Callable[[dict[str, Any]], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        """The feed's shared record, fetched by this run only if no run fetched it within the window.

        `fetch(state)` fetches with the record's validators and returns the new record (`fetched_at` or
        `failed_at` set). Returns (record, fetched by this run).
        """
        key = layout.shared_feed_key(self.root, url)
        record, etag = read_json(self.s3, self.bucket, key)
        if self._fresh(record, float("inf")):
            self.count("feeds_reused")
            return record, False
        started = self.clock()
        claim = try_claim(self.s3, self.bucket, layout.claim_key(key), self.owner, self.claim_ttl_s, self.clock)
        if claim is None:
            for step, check_claim in self._waits():
                self.sleep(step)
                record, etag = read_json(self.s3, self.bucket, key)
                if self._fresh(record, started):
                    self.count("feeds_waited")
                    return record, False
                if check_claim:
                    claim = take_over(
                        self.s3, self.bucket, layout.claim_key(key), self.owner, self.claim_ttl_s, self.clock
                    )
                    if claim is not None:
                        break
            else:
                log_event("Flux partagé : attente dépassée, lecture directe", level="WARNING", url=url)
        try:
            if claim is not None:
                # Won just after another run wrote the record and released its claim: read once more.
                latest, latest_etag = read_json(self.s3, self.bucket, key)
                if self._fresh(latest, started):
                    self.count("feeds_waited")
                    return latest, False
                record, etag = latest, latest_etag
            new = fetch(record if isinstance(record, dict) else {})
            new["url"] = url
            if not write_json(self.s3, self.bucket, key, new, etag=etag):
                self.count("feed_write_conflicts")  # another run wrote meanwhile: its record stays, ours serves us
            self.count("feeds_fetched")
            return new, True
        finally:
            if claim is not None:
                release(self.s3, self.bucket, claim)

    # --- normalizations ------------------------------------------------------------------------------------

    def load_normalized(self, identity: str, raws: Sequence[RawItem]) -> dict[str, NormalizedItem]:
        """Stored normalizations of these items (by item id), made with `identity` and not degraded."""
        by_hash: dict[str, list[RawItem]] = {}
        for raw in raws:
            by_hash.setdefault(raw.content_hash, []).append(raw)

        def load(content_hash: str):
            data, _etag = read_json(
                self.s3, self.bucket, layout.shared_normalized_key(self.root, identity, content_hash)
            )
            return content_hash, _normalized_from(data, identity, content_hash)

        found: dict[str, NormalizedItem] = {}
        for content_hash, normalized in _parallel(load, list(by_hash)):
            if normalized is not None:
                for raw in by_hash[content_hash]:
                    found[raw.item_id] = _for_item(normalized, raw)
        return found

    def save_normalized(
        self, identity: str, items: Sequence[NormalizedItem], owner: str, raws: Sequence[RawItem] = ()
    ) -> None:
        """Share each non-degraded normalization, with the content it was made from; the first one written for a
        key stays (created once). An unreadable object in the way is replaced only if it is still the one read."""
        contents = {raw.content_hash: {"title": raw.title, "text": raw.text} for raw in raws}

        def save(item: NormalizedItem) -> None:
            key = layout.shared_normalized_key(self.root, identity, item.content_hash)
            record = {
                "identity": identity,
                "content_hash": item.content_hash,
                "content": contents.get(item.content_hash),
                "normalized": item_to_dict(item),
                "by": owner,
                "normalized_at": self.clock(),
            }
            if write_json(self.s3, self.bucket, key, record):
                return
            existing, etag = read_json(self.s3, self.bucket, key)
            if _normalized_from(existing, identity, item.content_hash) is None and etag:
                write_json(self.s3, self.bucket, key, record, etag=etag)

        _parallel(save, [i for i in items if not i.degraded])

    def normalize(
        self,
        identity: str,
        raws: Sequence[RawItem],
        normalize: Callable[[list[RawItem]], list[NormalizedItem]],
        keep_waiting: Callable[[], bool] = lambda: True,
    ) -> tuple[dict[str, NormalizedItem], list[NormalizedItem]]:
        """Each item normalized once across concurrent runs: stored results reused, unclaimed items claimed and
        normalized here (`normalize` stores each finished batch through `save_normalized`), items another run
        claimed awaited. Returns (reused by item id, normalized by this run)."""
        reused = self.load_normalized(identity, raws)
        self.count("normalizations_reused", len(reused))
        pending = [raw for raw in raws if raw.item_id not in reused]
        if not pending:
            return reused, []
        by_hash: dict[str, list[RawItem]] = {}
        for raw in pending:
            by_hash.setdefault(raw.content_hash, []).append(raw)

        def claim(content_hash: str):
            key = layout.claim_key(layout.shared_normalized_key(self.root, identity, content_hash))
            return content_hash, try_claim(self.s3, self.bucket, key, self.owner, self.claim_ttl_s, self.clock)

        claims = dict(_parallel(claim, list(by_hash)))
        fresh: list[NormalizedItem] = []
        try:
            # A claim won just after another run stored the result and released its own: read once more.
            won = [by_hash[h][0] for h, c in claims.items() if c is not None]
            late = self.load_normalized(identity, won)
            for lead in won:
                if lead.item_id in late:
                    for raw in by_hash[lead.content_hash]:
                        reused[raw.item_id] = _for_item(late[lead.item_id], raw)
            self.count("normalizations_reused", len(late))
            mine = [h for h, c in claims.items() if c is not None and by_hash[h][0].item_id not in late]
            theirs = [h for h, c in claims.items() if c is None]
            fresh += self._normalize_hashes(mine, by_hash, normalize)
            waited = self._await(identity, theirs, by_hash, keep_waiting)
            reused.update(waited)
            self.count("normalizations_waited", len(waited))
            leftover = [h for h in theirs if not any(raw.item_id in waited for raw in by_hash[h])]
            if leftover:
                log_event(
                    "Normalisation partagée : attente dépassée, normalisation directe",
                    level="WARNING",
                    items=len(leftover),
                )
                fresh += self._normalize_hashes(leftover, by_hash, normalize)
        finally:
            _parallel(lambda c: release(self.s3, self.bucket, c), [c for c in claims.values() if c is not None])
        return reused, fresh

    @staticmethod
    def _normalize_hashes(hashes, by_hash, normalize) -> list[NormalizedItem]:
        """One model request per distinct content; copies with the same content get the same facts."""
        if not hashes:
            return []
        done = {n.content_hash: n for n in normalize([by_hash[h][0] for h in hashes])}
        return [_for_item(done[h], raw) for h in hashes if h in done for raw in by_hash[h]]

    def _await(self, identity, hashes, by_hash, keep_waiting) -> dict[str, NormalizedItem]:
        """Results of the items other runs claimed, polled until found, their claim is gone, or the wait ends."""
        found: dict[str, NormalizedItem] = {}
        waiting = list(hashes)
        for poll, (step, check_claims) in enumerate(self._waits() if waiting else ()):
            if not keep_waiting():
                break
            self.sleep(step)
            # One read tells whether other runs' work has landed (results come a batch at a time): read the rest
            # only then, so a hundred waiting runs do not each read every item at every poll.
            probe = by_hash[waiting[poll % len(waiting)]][0]
            if not check_claims and not self.load_normalized(identity, [probe]):
                continue
            results = self.load_normalized(identity, [by_hash[h][0] for h in waiting])
            for content_hash in waiting:
                lead = by_hash[content_hash][0]
                if lead.item_id in results:
                    for raw in by_hash[content_hash]:
                        found[raw.item_id] = _for_item(results[lead.item_id], raw)
            waiting = [h for h in waiting if by_hash[h][0].item_id not in found]
            # A claim released without a result (its run degraded) or expired: nobody works on it any more. Its
            # result may have landed just before the claim went: read once more before giving up on it.
            abandoned = [
                h
                for h in (waiting if check_claims else ())
                if not claim_alive(
                    self.s3,
                    self.bucket,
                    layout.claim_key(layout.shared_normalized_key(self.root, identity, h)),
                    self.clock,
                )
            ]
            if abandoned:
                late = self.load_normalized(identity, [by_hash[h][0] for h in abandoned])
                for content_hash in abandoned:
                    lead = by_hash[content_hash][0]
                    if lead.item_id in late:
                        for raw in by_hash[content_hash]:
                            found[raw.item_id] = _for_item(late[lead.item_id], raw)
            waiting = [h for h in waiting if h not in abandoned]
            if not waiting:
                break
        return found


def _timestamp(value: Any) -> float | None:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    return None


def _normalized_from(data: Any, identity: str, content_hash: str) -> NormalizedItem | None:
    if not isinstance(data, dict) or data.get("identity") != identity:
        return None
    try:
        normalized = item_from_dict(data["normalized"])
    except (KeyError, TypeError, ValueError):
        return None
    if normalized.content_hash != content_hash or normalized.degraded:
        return None
    return normalized


def _for_item(normalized: NormalizedItem, raw: RawItem) -> NormalizedItem:
    """Shared facts on this client's copy of the item: its own id, source, link, title and date."""
    return replace(
        normalized,
        item_id=raw.item_id,
        source_id=raw.source_id,
        url=raw.url,
        title=raw.title,
        published=raw.published,
    )


# --- reading the store from outside a run (operations, tests) ------------------------------------------------


def feed_record(s3, bucket: str, url: str, data_root: str = "") -> dict[str, Any] | None:
    """The shared record of the feed at `url` (publishing runs' by default, a check mode's with its data root)."""
    record, _etag = read_json(s3, bucket, layout.shared_feed_key(layout.shared_root(data_root), url))
    return record if isinstance(record, dict) else None


def normalized_records(s3, bucket: str, data_root: str = "") -> list[dict[str, Any]]:
    """Every shared normalization (readable ones), for audits and tests."""
    prefix = layout.shared_normalized_prefix(layout.shared_root(data_root))
    records = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            data, _etag = read_json(s3, bucket, entry["Key"])
            if isinstance(data, dict):
                records.append({"key": entry["Key"], **data})
    return records
