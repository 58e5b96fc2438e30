import pytest

from conftest import LAMBDA_ENV
from vectora_core.store import LeaseTimeout, write_lease

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
