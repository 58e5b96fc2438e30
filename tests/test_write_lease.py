import pytest
from conftest import LAMBDA_ENV

from vectora_core.lease import LeaseTimeout, write_lease

pytestmark = pytest.mark.slow

DATA = LAMBDA_ENV["DATA_BUCKET"]


def test_second_writer_waits_for_the_lease_then_times_out(s3):
    with write_lease(s3, DATA, "c", "2026-11-25"):
        with pytest.raises(LeaseTimeout, match="another run"):
            with write_lease(s3, DATA, "c", "2026-11-25", wait_s=0.3):
                pass


def test_lease_is_released_on_error(s3):
    with pytest.raises(ValueError):
        with write_lease(s3, DATA, "c", "2026-11-25"):
            raise ValueError("boom")
    with write_lease(s3, DATA, "c", "2026-11-25", wait_s=0):
        pass


def test_leases_of_other_dates_do_not_block(s3):
    with write_lease(s3, DATA, "c", "2026-11-25"):
        with write_lease(s3, DATA, "c", "2026-11-26", wait_s=0):
            pass


# --- races: every delete is conditional on the ETag of the lease it means to delete -----------------------
# moto (the pinned 5.2.1) honours DeleteObject IfMatch with 412 as S3 does, so no unconditional path is kept.


class _Interleaved:
    """An S3 client that lets the test order the calls of two racing runs: `before_delete` runs first."""

    def __init__(self, s3, before_delete):
        self._s3 = s3
        self._before_delete = before_delete

    def __getattr__(self, name):
        return getattr(self._s3, name)

    def delete_object(self, **kwargs):
        self._before_delete(kwargs)
        return self._s3.delete_object(**kwargs)


def test_two_runs_racing_for_an_expired_lease_write_one_after_the_other(s3):
    import json
    import threading
    import time

    key = "locks/c/2026-11-25.json"
    s3.put_object(Bucket=DATA, Key=key, Body=json.dumps({"token": "crashed", "expires": time.time() - 1}).encode())
    both_read = threading.Barrier(2, timeout=10)
    first_took_over = threading.Event()
    deleters: list[str] = []
    lock = threading.Lock()

    def before_delete(kwargs):
        # Both runs have seen the expired lease; the second deletes only after the first holds its own lease.
        with lock:
            deleters.append(threading.current_thread().name)
            order = len(deleters)
        if order == 1:
            both_read.wait()
        elif order == 2:
            both_read.wait()
            first_took_over.wait(5)

    def put_hook(original):
        def put_object(**kwargs):
            response = original(**kwargs)
            first_took_over.set()
            return response

        return put_object

    racing = _Interleaved(s3, before_delete)
    racing.put_object = put_hook(s3.put_object)
    inside, overlaps = [], []

    def writer():
        with write_lease(racing, DATA, "c", "2026-11-25", wait_s=20):
            with lock:
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(threading.current_thread().name)
            time.sleep(0.4)
            with lock:
                inside.pop()

    threads = [threading.Thread(target=writer, name=f"run-{i}") for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not any(thread.is_alive() for thread in threads)
    assert overlaps == []
    assert s3.list_objects_v2(Bucket=DATA, Prefix="locks/").get("KeyCount", 0) == 0


def test_a_run_past_its_lease_does_not_delete_its_successors_lease(s3):
    import json

    key = "locks/c/2026-11-25.json"
    successor = json.dumps({"token": "successor", "expires": 9e12}).encode()

    def successor_takes_over(kwargs):  # lands between our last look at the lease and our delete
        s3.put_object(Bucket=DATA, Key=key, Body=successor)

    racing = _Interleaved(s3, successor_takes_over)
    with write_lease(racing, DATA, "c", "2026-11-25"):
        pass

    assert s3.get_object(Bucket=DATA, Key=key)["Body"].read() == successor
