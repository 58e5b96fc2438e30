"""Check runs (smoke, drill, bench) on in-process S3: their own prefix, cache and lease; nothing published changes."""

from __future__ import annotations

import hashlib

import pytest
from conftest import LAMBDA_ENV, read_object

pytestmark = pytest.mark.slow

NEWSLETTERS = LAMBDA_ENV["NEWSLETTERS_BUCKET"]
DATA = LAMBDA_ENV["DATA_BUCKET"]
PUBLISH = {"client_id": "lai_weekly_v3", "period_days": 7}


class VersionContext:
    aws_request_id = "check-run"
    function_name = "vectora-inbox-engine-local"

    def __init__(self, function_version: str):
        self.function_version = function_version

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@pytest.fixture
def run(handler_module, context):
    def _run(payload, version: str | None = None):
        return handler_module.lambda_handler(dict(payload), VersionContext(version) if version else context)

    return _run


def keys(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def digests(s3, bucket, prefix):
    return {key: hashlib.sha256(read_object(s3, bucket, key)).hexdigest() for key in keys(s3, bucket, prefix)}


@pytest.mark.parametrize("mode", ["smoke", "drill", "bench"])
def test_check_run_writes_under_its_mode_and_version(run, s3, mode):
    result = run({**PUBLISH, "mode": mode}, version="7")

    prefix = f"checks/{mode}/7/lai_weekly_v3/{result['period']['date']}/"
    assert result["mode"] == mode
    assert {result["s3"][kind] for kind in ("markdown", "html", "manifest")} == {
        prefix + "newsletter.md",
        prefix + "newsletter.html",
        prefix + "manifest.json",
    }
    assert keys(s3, NEWSLETTERS, prefix) == sorted(result["s3"][kind] for kind in ("markdown", "html", "manifest"))


def test_check_run_without_a_function_version_is_filed_under_local(run):
    result = run({**PUBLISH, "mode": "smoke"})

    assert result["s3"]["manifest"].startswith("checks/smoke/local/lai_weekly_v3/")


def test_latest_version_is_a_key_segment_of_its_own(run):
    result = run({**PUBLISH, "mode": "smoke"}, version="$LATEST")

    assert result["s3"]["manifest"].startswith("checks/smoke/$LATEST/lai_weekly_v3/")


def test_check_run_never_writes_the_published_path(run, s3):
    run({**PUBLISH, "mode": "smoke"}, version="3")

    assert keys(s3, NEWSLETTERS, "newsletters/") == []


def test_publishing_run_reports_its_mode(run):
    assert run(PUBLISH)["mode"] == "publish"


def test_published_edition_is_byte_identical_after_check_runs_of_the_same_day(run, s3):
    published = run(PUBLISH)
    before = digests(s3, NEWSLETTERS, "newsletters/")

    for mode in ("smoke", "drill", "bench"):
        for force in (True, False):
            assert (
                run({**PUBLISH, "mode": mode, "period_days": 1, "force_regenerate": force}, version="2")["status"]
                == "ok"
            )

    assert published["s3"]["manifest"] in before
    assert digests(s3, NEWSLETTERS, "newsletters/") == before


def test_check_run_leaves_published_feed_state_and_stored_items_untouched(run, s3):
    run(PUBLISH)
    before = {key: digest for key, digest in digests(s3, DATA, "").items() if not key.startswith("checks/")}

    run({**PUBLISH, "mode": "smoke", "force_regenerate": True}, version="2")

    after = {key: digest for key, digest in digests(s3, DATA, "").items() if not key.startswith("checks/")}
    assert after == before


def test_check_run_keeps_its_data_state_under_its_own_folder(run, s3):
    run({**PUBLISH, "mode": "smoke"}, version="2")

    stored = keys(s3, DATA)
    assert stored and all(key.startswith("checks/smoke/") for key in stored)


def test_second_check_run_reuses_its_own_normalizations(run):
    run({**PUBLISH, "mode": "smoke"}, version="2")

    assert run({**PUBLISH, "mode": "smoke"}, version="2")["counts"]["normalized"] == 0


def test_check_run_caches_its_editorial_apart_from_the_published_cache(run, s3):
    run(PUBLISH)
    published_cache = keys(s3, NEWSLETTERS, "cache/")

    first = run({**PUBLISH, "mode": "smoke", "force_regenerate": True}, version="2")
    second = run({**PUBLISH, "mode": "smoke"}, version="2")

    assert (first["cache"], second["cache"]) == ("bypass", "hit")
    assert keys(s3, NEWSLETTERS, "cache/") == published_cache
    assert len(keys(s3, NEWSLETTERS, "checks/cache/lai_weekly_v3/")) == 1


def test_check_run_does_not_read_the_published_editorial_cache(run):
    run(PUBLISH)

    assert run({**PUBLISH, "mode": "smoke"}, version="2")["cache"] == "miss"


def test_check_run_takes_its_own_write_lease(run, s3):
    day = run(PUBLISH)["period"]["date"]
    # A publishing run holding its lease must not block a check run of the same day.
    s3.put_object(Bucket=DATA, Key=f"locks/lai_weekly_v3/{day}.json", Body=b'{"token": "other", "expires": 9e12}')

    assert run({**PUBLISH, "mode": "smoke"}, version="2")["status"] == "ok"


def test_unknown_mode_is_a_validation_error_naming_the_field(run, s3):
    result = run({**PUBLISH, "mode": "rehearsal"})

    assert result["error"]["type"] == "ValidationError" and "mode" in result["error"]["fields"]
    assert keys(s3, NEWSLETTERS) == []
