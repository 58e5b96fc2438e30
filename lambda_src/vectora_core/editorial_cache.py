"""Editorial cache in the newsletters bucket under cache/<client_id>/, keyed by everything that shapes the text."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date

from botocore.exceptions import ClientError

from . import layout
from .logs import log_event
from .models import Editorial, ScoredItem
from .serialize import editorial_from_dict, editorial_to_dict

CACHE_FORMAT = 1


def cache_key(
    client_id: str,
    window_start: date,
    window_end: date,
    selected: Sequence[ScoredItem],
    prompt_version: str,
    model_id: str,
) -> str:
    """Any change to the client, window, selection, item content, prompt or model gives a new key."""
    material = {
        "format": CACHE_FORMAT,
        "client": client_id,
        "window": [window_start.isoformat(), window_end.isoformat()],
        "prompt": prompt_version,
        "model": model_id,
        "items": [
            [
                s.section_id,
                s.item.item_id,
                s.item.content_hash,
                s.item.summary,
                s.item.event_type,
                list(s.item.companies),
            ]
            for s in selected
        ],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


object_key = layout.editorial_key  # where an editorial is cached


def load_cached(s3, bucket: str, client_id: str, key: str, prefix: str | None = None) -> Editorial | None:
    """The cached editorial, or None on a miss; a corrupt object is logged and treated as a miss."""
    location = object_key(client_id, key, prefix)
    # List first: the function may list cache/ only, and a GetObject of a missing key would then be a 403.
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=location, MaxKeys=1).get("KeyCount", 0)
    if not listed:
        return None
    try:
        body = s3.get_object(Bucket=bucket, Key=location)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    try:
        editorial = editorial_from_dict(json.loads(body))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # AttributeError: valid JSON, not an object
        log_event("Cache éditorial corrompu, régénération", level="WARNING", key=location, reason=str(exc)[:200])
        return None
    return editorial


def save_cached(s3, bucket: str, client_id: str, key: str, editorial: Editorial, prefix: str | None = None) -> str:
    location = object_key(client_id, key, prefix)
    s3.put_object(
        Bucket=bucket,
        Key=location,
        Body=json.dumps(editorial_to_dict(editorial), ensure_ascii=False).encode(),
        ContentType="application/json",
    )
    return location
