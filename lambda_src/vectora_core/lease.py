"""The write lease: one run at a time writes a client's newsletter for a date (an S3 conditional create).

The lease object's key is `vectora_core.layout.write_lease_key` (a check run's own under `locks/checks/`).
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from . import layout
from .logs import log_event
from .store import is_conflict, is_missing


class LeaseTimeout(RuntimeError):
    """Another run held the write lease for longer than we could wait."""


def _race_lost(exc: ClientError) -> bool:
    """A conditional delete refused: the object changed (412) or is already gone (404) since we read it."""
    return is_conflict(exc) or is_missing(exc)


def _read_lease(s3, bucket: str, key: str) -> tuple[dict[str, Any], str] | None:
    """The lease's content and ETag; None when there is none. An unreadable lease reads as expired."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if is_missing(exc):
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
    key = key or layout.write_lease_key(client_id, day)
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
            if not is_conflict(exc):
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
