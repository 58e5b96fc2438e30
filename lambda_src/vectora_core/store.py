"""S3 edges: client config, feed state and stored items in the data bucket, newsletter files."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .client_config import ClientNotFound, client_key, parse_client_config, parse_scopes
from .logs import log_event
from .models import ClientConfig, NormalizedItem, RawItem, Scopes
from .serialize import item_from_dict, item_to_dict

IO_THREADS = 16
FETCH_THREADS = 8  # the pipeline's feed fetchers (HTTP only today; counted so a change there cannot starve S3)
MAX_S3_POOL = 128


def s3_pool_size(normalization_concurrency: int, normalization_batch_size: int) -> int:
    """Connections the one S3 client needs so that no thread sharing it waits for (or discards) a connection.

    The busiest moment is normalization: each of `normalization_concurrency` model threads stores its finished
    batch through its own pool of up to min(IO_THREADS, batch size) writers, while item reads use IO_THREADS.
    """
    busiest = max(IO_THREADS, FETCH_THREADS, normalization_concurrency * min(IO_THREADS, normalization_batch_size))
    return min(MAX_S3_POOL, busiest + 2)  # and the run's own thread (config, index, lease)


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


def read_text(s3, bucket: str, key: str) -> str | None:
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    except ClientError as exc:
        if _missing(exc):
            return None
        raise


def put_json(s3, bucket: str, key: str, data: Any) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(data, ensure_ascii=False, sort_keys=True).encode(),
        ContentType="application/json",
    )


def load_client(s3, bucket: str, client_id: str) -> ClientConfig:
    key = client_key(client_id)
    text = read_text(s3, bucket, key)
    if text is None:
        raise ClientNotFound(f"no configuration for client {client_id!r} (s3://{bucket}/{key})")

    def load_scopes(scopes_key: str) -> Scopes:
        scopes_text = read_text(s3, bucket, scopes_key)
        if scopes_text is None:
            from .client_config import ConfigError

            raise ConfigError(f"{key}: scopes: s3://{bucket}/{scopes_key} does not exist")
        return parse_scopes(scopes_text, scopes_key)

    return parse_client_config(text, key, load_scopes)


def load_pricing(s3, bucket: str) -> dict[str, dict[str, float]]:
    """Per-model prices from the config bucket; empty when absent (cost then reads as unknown)."""
    import yaml

    from .client_config import SAFE_LOADER

    text = read_text(s3, bucket, "bedrock_pricing.yaml")
    if not text:
        return {}
    data = yaml.load(text, Loader=SAFE_LOADER) or {}
    return data.get("models", {}) if isinstance(data, dict) else {}


# --- feed state: conditional-GET validators and the items each feed held, one object per client ---------

# `root` is "" for publishing runs and a check run's own folder otherwise, so check runs keep their state apart.


def feed_state_key(client_id: str, root: str = "") -> str:
    return f"{root}feed-state/{client_id}.json"


def load_feed_states(s3, bucket: str, client_id: str, root: str = "") -> dict[str, dict[str, Any]]:
    text = read_text(s3, bucket, feed_state_key(client_id, root))
    if not text:
        return {}
    try:
        states = json.loads(text)
        return states if isinstance(states, dict) else {}
    except ValueError:
        return {}  # a damaged state only costs one unconditional fetch per source


def save_feed_states(s3, bucket: str, client_id: str, states: dict[str, dict[str, Any]], root: str = "") -> None:
    put_json(s3, bucket, feed_state_key(client_id, root), states)


# --- stored items: raw and normalized, one object per item ------------------------------------------


def item_key(client_id: str, item_id: str, root: str = "") -> str:
    return f"{root}items/{client_id}/{item_id}.json"


def load_items(s3, bucket: str, client_id: str, item_ids: Iterable[str], root: str = "") -> dict[str, dict[str, Any]]:
    """Stored item records by id (missing or unreadable ones are left out)."""

    def load(item_id: str):
        text = read_text(s3, bucket, item_key(client_id, item_id, root))
        if not text:
            return item_id, None
        try:
            return item_id, json.loads(text)
        except ValueError:
            return item_id, None

    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    with ThreadPoolExecutor(max_workers=min(IO_THREADS, len(ids))) as pool:
        return {item_id: record for item_id, record in pool.map(load, ids) if record}


def save_items(
    s3, bucket: str, client_id: str, records: Iterable[tuple[RawItem, NormalizedItem, str]], root: str = ""
) -> None:
    """Store (raw, normalized, normalization version) per item."""

    def save(record):
        raw, normalized, version = record
        put_json(
            s3,
            bucket,
            item_key(client_id, raw.item_id, root),
            {"raw": item_to_dict(raw), "normalized": item_to_dict(normalized), "normalization_version": version},
        )

    records = list(records)
    if not records:
        return
    with ThreadPoolExecutor(max_workers=min(IO_THREADS, len(records))) as pool:
        list(pool.map(save, records))


def index_key(client_id: str, root: str = "") -> str:
    return f"{root}items/{client_id}/_index.json"


def load_index(s3, bucket: str, client_id: str, root: str = "") -> dict[str, dict[str, Any]]:
    """The last run's normalized items in one object, so a warm run reads one object instead of one per item."""
    text = read_text(s3, bucket, index_key(client_id, root))
    try:
        index = json.loads(text) if text else {}
    except ValueError:
        return {}
    return index if isinstance(index, dict) else {}


def save_index(s3, bucket: str, client_id: str, entries: dict[str, dict[str, Any]], root: str = "") -> None:
    put_json(s3, bucket, index_key(client_id, root), entries)


def reusable_normalized(record: dict[str, Any] | None, raw: RawItem, version: str) -> NormalizedItem | None:
    """A stored normalization is reused only for the same content, the same method and no degradation."""
    if not record or record.get("normalization_version") != version:
        return None
    try:
        normalized = item_from_dict(record["normalized"])
    except (KeyError, TypeError, ValueError):
        return None
    if normalized.content_hash != raw.content_hash or normalized.degraded:
        return None
    return normalized


# --- newsletter files -----------------------------------------------------------------------------


def newsletter_prefix(client_id: str, day: str) -> str:
    return f"newsletters/{client_id}/{day}/"


CHECKS_PREFIX = "checks/"


@dataclass(frozen=True)
class OutputPlace:
    """Where one run writes: the published edition, or a check run's own prefix that nothing published reads.

    A check run (smoke test, rollback drill, benchmark) gets its own files, editorial cache, write lease and data
    state (feed state, stored items) under `checks/<mode>/` of the data bucket, so it can neither replace an
    edition nor feed one with what an unproven version produced, while its own warm path (304s, stored items,
    cache hits) still works like a publishing run's.
    """

    newsletter_prefix: str
    cache_prefix: str
    lease_key: str
    data_root: str  # prefix of feed state and stored items in the data bucket
    publishes: bool


def output_place(mode: str, publishes: bool, client_id: str, day: str, function_version: str) -> OutputPlace:
    if publishes:
        return OutputPlace(
            newsletter_prefix(client_id, day), f"cache/{client_id}/", f"locks/{client_id}/{day}.json", "", True
        )
    run = f"{mode}/{safe_segment(function_version)}"
    return OutputPlace(
        f"{CHECKS_PREFIX}{run}/{client_id}/{day}/",
        f"{CHECKS_PREFIX}cache/{client_id}/",
        f"locks/{CHECKS_PREFIX}{run}/{client_id}/{day}.json",
        f"{CHECKS_PREFIX}{mode}/",
        False,
    )


def safe_segment(text: str) -> str:
    """One key segment: a version is "3", "$LATEST" or "local"; anything else is reduced to safe characters."""
    cleaned = "".join(c if c.isalnum() or c in "$._-" else "-" for c in str(text or ""))[:64]
    return cleaned or "local"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- write lease: one run at a time writes a client's newsletter for a date --------------------------


class LeaseTimeout(RuntimeError):
    """Another run held the write lease for longer than we could wait."""


def _is_conflict(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") in ("PreconditionFailed", "ConditionalRequestConflict", "412") or exc.response.get(
        "ResponseMetadata", {}
    ).get("HTTPStatusCode") in (409, 412)


def _race_lost(exc: ClientError) -> bool:
    """A conditional delete refused: the object changed (412) or is already gone (404) since we read it."""
    return _is_conflict(exc) or _missing(exc)


def _read_lease(s3, bucket: str, key: str) -> tuple[dict[str, Any], str] | None:
    """The lease's content and ETag; None when there is none. An unreadable lease reads as expired."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    try:
        holder = json.loads(response["Body"].read())
    except ValueError:
        holder = {}
    return (holder if isinstance(holder, dict) else {}), response.get("ETag", "")


@contextmanager
def write_lease(
    s3,
    bucket: str,
    client_id: str,
    day: str,
    *,
    key: str | None = None,
    wait_s: float = 120,
    ttl_s: float = 300,
    sleep=time.sleep,
    clock=time.time,
):
    """Serialize the write phase of concurrent runs with an S3 conditional create (IfNoneMatch).

    Files and manifest are then always written by one run after the other, so the manifest never
    describes another run's files. A lease older than `ttl_s` (a crashed run) is taken over. Every delete is
    conditional on the ETag of the lease it means to delete (IfMatch), so of two runs that find the same
    expired lease only one takes it over, and a run that outlived its lease never deletes its successor's:
    a 412 (or a 404) means the race was lost.
    """
    key = key or f"locks/{client_id}/{day}.json"
    token = uuid.uuid4().hex
    deadline = clock() + wait_s
    while True:
        try:
            created = s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=json.dumps({"token": token, "expires": clock() + ttl_s}).encode(),
                IfNoneMatch="*",
            )
            break
        except ClientError as exc:
            if not _is_conflict(exc):
                raise
        lease = _read_lease(s3, bucket, key)
        if lease is None:
            continue  # released between our write and our read
        holder, etag = lease
        expires = holder.get("expires", 0)
        if not isinstance(expires, (int, float)) or expires < clock():
            try:
                s3.delete_object(Bucket=bucket, Key=key, IfMatch=etag)
            except ClientError as exc:
                if not _race_lost(exc):
                    raise
                log_event("Bail d'écriture repris par un autre run", level="INFO", client_id=client_id, day=day)
            continue
        if clock() > deadline:
            raise LeaseTimeout(
                f"another run has been writing {client_id}'s newsletter for {day} for over {wait_s:.0f} s"
            )
        sleep(0.2)
    try:
        yield
    finally:
        try:
            s3.delete_object(Bucket=bucket, Key=key, IfMatch=created["ETag"])
        except ClientError as exc:
            if not _race_lost(exc):
                raise
            # Our lease expired and another run took it over: its lease is not ours to delete.
            log_event(
                "Bail d'écriture expiré pendant l'écriture", level="WARNING", client_id=client_id, day=day, ttl_s=ttl_s
            )
