"""The AWS emulator (moto server), with S3's conditional writes made atomic as they are on AWS.

moto checks `If-None-Match` / `If-Match` and then writes, as two steps: two concurrent conditional PUTs of one key
can both pass the check, and both succeed. On S3 the first write to finish wins and the other gets 412 (or 409 for
a conditional write racing another): https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html.
The shared store (`vectora_core/shared_store.py`) relies on that, so the emulator serializes the S3 object writes
and deletes that carry a condition. Run it as `python -m toolkit.local.emulator -H 127.0.0.1 -p 5055` (the same
arguments as `moto.server`).

moto's request recorder (used to check Terraform's calls against the deploy and plan roles) writes each record in two
writes; under concurrent requests two records can interleave on one line, so the emulator writes each whole.
"""

from __future__ import annotations

import sys
import threading

_lock = threading.RLock()
_patched = False


def make_conditional_writes_atomic() -> None:
    """Serialize moto's S3 PUT and DELETE of an object when the request carries If-None-Match or If-Match."""
    global _patched
    if _patched:
        return
    from moto.s3.responses import S3Response

    def atomic(handler):
        def run(self, *args, **kwargs):
            if self.headers.get("If-None-Match") or self.headers.get("If-Match"):
                with _lock:
                    return handler(self, *args, **kwargs)
            return handler(self, *args, **kwargs)

        return run

    S3Response.put_object = atomic(S3Response.put_object)
    S3Response.delete_object = atomic(S3Response.delete_object)
    _patched = True


def record_requests_whole() -> None:
    """One recorded request per line, whatever requests run at the same time."""
    from moto.moto_api._internal.recorder.models import Recorder

    original = Recorder._record_request
    if getattr(original, "_whole", False):
        return
    lock = threading.Lock()

    def record(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    record._whole = True
    Recorder._record_request = record


def main(argv: list[str] | None = None) -> None:
    make_conditional_writes_atomic()
    record_requests_whole()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
