"""One change of `live` at a time: a lease object in the artifacts bucket, created with an S3 conditional
write (`IfNoneMatch="*"`), so of two deploys (or a deploy and a rollback) started together one proceeds and
the other is refused, naming who holds the lease and since when.

A lease expires (a deploy killed outright cannot release it); an expired lease, or one left by a process that
no longer runs on this machine, is taken over with a write conditional on its ETag, so two deploys finding
the same stale lease cannot both win. The alias move itself still carries the alias's RevisionId, which AWS
checks (the emulator does not).
"""

from __future__ import annotations

import getpass
import json
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from vectora_core.layout import deploy_lease_key as lease_key

from .errors import ToolkitError

LEASE_MINUTES = 60  # longer than the longest deploy: a smoke test is three invocations of at most 15 minutes
_LOST = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")


class LeaseHeld(ToolkitError, RuntimeError):
    """Another deploy or rollback holds the lease."""


class LeaseNotReleased(ToolkitError, RuntimeError):
    """The step finished but its lease could not be deleted: the message says how to break it."""


@dataclass(frozen=True)
class LeaseRecord:
    owner: str  # user@host
    host: str
    pid: int
    action: str  # deploy | rollback
    started: str  # ISO 8601, UTC
    expires: str

    def expired(self, now: datetime) -> bool:
        return now >= datetime.fromisoformat(self.expires)

    def describe(self) -> str:
        return f"{self.action} by {self.owner} (pid {self.pid}) since {self.started[11:19]} UTC, expires {self.expires[11:19]} UTC"


def new_record(action: str, now: datetime, minutes: int = LEASE_MINUTES) -> LeaseRecord:
    host = socket.gethostname()
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return LeaseRecord(
        owner=f"{user}@{host}",
        host=host,
        pid=os.getpid(),
        action=action,
        started=now.isoformat(timespec="seconds"),
        expires=(now + timedelta(minutes=minutes)).isoformat(timespec="seconds"),
    )


def stale_reason(record: LeaseRecord, now: datetime, host: str, pid_alive: Callable[[int], bool]) -> str | None:
    """Why a held lease may be taken over, or None while its holder may still be working."""
    if record.expired(now):
        return f"expired at {record.expires[11:19]} UTC"
    if record.host == host and not pid_alive(record.pid):
        return f"process {record.pid} on this machine no longer runs"
    return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def deploy_lease(
    s3,
    bucket: str,
    function_name: str,
    action: str,
    *,
    printer: Callable[[str], None] = print,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    break_lease: bool = False,
) -> Iterator[LeaseRecord]:
    """Hold the function's lease for the block; raises LeaseHeld if another holder's lease is current."""
    key = lease_key(function_name)
    record = new_record(action, now())
    body = json.dumps(asdict(record)).encode()
    etag = _acquire(s3, bucket, key, body, now(), printer, break_lease)
    failed = True
    with _stopped_by_sigterm():
        try:
            yield record
            failed = False
        finally:
            problem = _release(s3, bucket, key, etag, printer)
            if problem:
                line = (
                    f"could not release the deploy lease s3://{bucket}/{key} ({problem}): the next deploy or rollback "
                    f"is refused until {record.expires[11:19]} UTC unless run with --break-lease "
                    "(the rollback workflow's break_lease input)"
                )
                printer(f"  lease    {line}")
                if not failed:  # a step that failed keeps its own error; the line above says the rest
                    raise LeaseNotReleased(line)


def _release(s3, bucket: str, key: str, etag: str, printer) -> str | None:
    """Delete our lease (only if it is still ours); the reason it could not be, or None."""
    try:
        s3.delete_object(Bucket=bucket, Key=key, IfMatch=etag)
    except ClientError as exc:
        if _code(exc) in (*_LOST, "NoSuchKey", "404"):
            printer("  lease    was taken over by another deploy meanwhile; left in place")
            return None
        return f"{_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}".rstrip(": ")
    except Exception as exc:  # the endpoint went away, the credentials expired...
        return f"{type(exc).__name__}: {exc}"
    return None


@contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """While the lease is held, SIGTERM (a cancelled CI job, `kill`) raises SystemExit, so `finally` releases it.

    Python's default for SIGTERM ends the process at once. Signals can be handled only in the main thread; in any
    other, the default stays.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _acquire(s3, bucket: str, key: str, body: bytes, now: datetime, printer, break_lease: bool) -> str:
    try:
        return s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*")["ETag"]
    except ClientError as exc:
        if _code(exc) == "NoSuchBucket":
            raise LeaseHeld(f"artifacts bucket {bucket} does not exist: run `invoke tf.apply` first") from None
        if _code(exc) not in _LOST:
            raise
    try:
        held = s3.get_object(Bucket=bucket, Key=key)
    except s3.exceptions.NoSuchKey:  # released in between: try once more
        return _acquire(s3, bucket, key, body, now, printer, break_lease=False)
    try:
        record = LeaseRecord(**json.loads(held["Body"].read()))
    except (ValueError, TypeError):
        record = None
    if break_lease:
        reason = "broken on request"
    elif record is None:
        reason = "unreadable"
    else:
        reason = stale_reason(record, now, socket.gethostname(), pid_alive)
    if reason is None:
        raise LeaseHeld(
            f"another {record.describe()} holds the deploy lease s3://{bucket}/{key}; "
            "wait for it to finish (if it was killed, run again with --break-lease)"
        )
    try:
        etag = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", IfMatch=held["ETag"])[
            "ETag"
        ]
    except ClientError as exc:
        if _code(exc) not in _LOST:
            raise
        raise LeaseHeld(f"another deploy took over the stale lease s3://{bucket}/{key} first; try again") from None
    left_by = record.describe() if record else "an unreadable lease"
    printer(f"  lease    took over the lease of {left_by}: {reason}")
    return etag


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
