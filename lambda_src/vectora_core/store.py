"""S3 edges: client config and prices, feed state and stored items in the data bucket; where each key lives is
`vectora_core.layout`'s, the write lease is `vectora_core.lease`'s."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from . import layout
from .client_config import ClientNotFound, parse_client_config, parse_scopes
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


def is_missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


def read_text(s3, bucket: str, key: str) -> str | None:
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    except ClientError as exc:
        if is_missing(exc):
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
    key = layout.client_key(client_id)
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

    text = read_text(s3, bucket, layout.PRICES_KEY)
    if not text:
        return {}
    data = yaml.load(text, Loader=SAFE_LOADER) or {}
    return data.get("models", {}) if isinstance(data, dict) else {}


# --- feed state: conditional-GET validators and the items each feed held, one object per client ---------

# `root` is "" for publishing runs and a check run's own folder otherwise, so check runs keep their state apart.


def load_feed_states(s3, bucket: str, client_id: str, root: str = "") -> dict[str, dict[str, Any]]:
    text = read_text(s3, bucket, layout.feed_state_key(client_id, root))
    if not text:
        return {}
    try:
        states = json.loads(text)
        return states if isinstance(states, dict) else {}
    except ValueError:
        return {}  # a damaged state only costs one unconditional fetch per source


def save_feed_states(s3, bucket: str, client_id: str, states: dict[str, dict[str, Any]], root: str = "") -> None:
    put_json(s3, bucket, layout.feed_state_key(client_id, root), states)


# --- stored items: raw and normalized, one object per item ------------------------------------------


def load_items(s3, bucket: str, client_id: str, item_ids: Iterable[str], root: str = "") -> dict[str, dict[str, Any]]:
    """Stored item records by id (missing or unreadable ones are left out)."""

    def load(item_id: str):
        text = read_text(s3, bucket, layout.item_key(client_id, item_id, root))
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
            layout.item_key(client_id, raw.item_id, root),
            {"raw": item_to_dict(raw), "normalized": item_to_dict(normalized), "normalization_version": version},
        )

    records = list(records)
    if not records:
        return
    with ThreadPoolExecutor(max_workers=min(IO_THREADS, len(records))) as pool:
        list(pool.map(save, records))


def load_index(s3, bucket: str, client_id: str, root: str = "") -> dict[str, dict[str, Any]]:
    """The last run's normalized items in one object, so a warm run reads one object instead of one per item."""
    text = read_text(s3, bucket, layout.index_key(client_id, root))
    try:
        index = json.loads(text) if text else {}
    except ValueError:
        return {}
    return index if isinstance(index, dict) else {}


def save_index(s3, bucket: str, client_id: str, entries: dict[str, dict[str, Any]], root: str = "") -> None:
    put_json(s3, bucket, layout.index_key(client_id, root), entries)


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


# --- newsletter files ---------------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_conflict(exc: ClientError) -> bool:
    """A conditional write or delete refused: another run created or changed the object first."""
    error = exc.response.get("Error", {})
    return error.get("Code") in ("PreconditionFailed", "ConditionalRequestConflict", "412") or exc.response.get(
        "ResponseMetadata", {}
    ).get("HTTPStatusCode") in (409, 412)
