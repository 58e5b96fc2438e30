"""The handler end to end on in-process S3 with the sample feeds, offline LLM backend."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from conftest import LAMBDA_ENV, engine_buckets, fresh_handler, read_object, record_run, use_lambda_environment
from lambda_testkit import edit_client_config

pytestmark = pytest.mark.slow

NEWSLETTERS = LAMBDA_ENV["NEWSLETTERS_BUCKET"]
DATA = LAMBDA_ENV["DATA_BUCKET"]
PAYLOAD = {"client_id": "lai_weekly_v3", "period_days": 7, "force_regenerate": False}


@pytest.fixture
def run(handler_module, context):
    def _run(payload=PAYLOAD):
        return handler_module.lambda_handler(dict(payload), context)

    return _run


@pytest.fixture(scope="module")
def default_run():
    """One default run on fresh buckets, shared by the tests that only read what it returned, wrote and logged."""
    from toolkit.local.sample_feeds import SampleFeedServer

    with pytest.MonkeyPatch.context() as patch, SampleFeedServer() as feeds:
        use_lambda_environment(patch)
        with engine_buckets(feeds.base_url) as s3, fresh_handler() as handler:
            recorded = record_run(handler, s3, PAYLOAD)
    # Emulator stopped and environment restored before any test uses the record: nothing leaks into others.
    return recorded


def keys(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def default_manifest(default_run) -> dict:
    return json.loads(default_run.read(NEWSLETTERS, default_run.result["s3"]["manifest"]))


def test_run_writes_markdown_html_and_manifest(default_run):
    result = default_run.result
    assert result["status"] == "ok"
    written = sorted(k for k in default_run.objects[NEWSLETTERS] if k.startswith("newsletters/"))
    assert written == sorted([result["s3"]["markdown"], result["s3"]["html"], result["s3"]["manifest"]])
    assert result["s3"]["manifest"].startswith(f"newsletters/lai_weekly_v3/{result['period']['date']}/")


def test_response_reports_counts_per_stage(default_run):
    counts = default_run.result["counts"]
    assert counts["fetched"] >= 60 and counts["in_window"] < counts["fetched"]
    # Items the screen keeps from the model are counted apart; every other item in the window is normalized.
    assert counts["screened_out"] > 0
    assert counts["normalized"] == counts["new"] == counts["in_window"] - counts["screened_out"]
    assert 0 < counts["selected"] <= counts["matched"] < counts["in_window"]
    assert counts["merged_duplicates"] >= 2


def test_three_source_story_is_one_item_with_three_links(default_run):
    assert max(len(item["links"]) for item in default_manifest(default_run)["items"]) >= 3


def test_every_selected_item_carries_its_score_breakdown(default_run):
    for item in default_manifest(default_run)["items"]:
        assert abs(sum(item["score_breakdown"].values()) - item["score"]) < 0.01


def test_manifest_checksums_match_the_written_files(default_run):
    for entry in default_manifest(default_run)["files"].values():
        assert hashlib.sha256(default_run.read(NEWSLETTERS, entry["key"])).hexdigest() == entry["sha256"]


def test_first_run_without_force_is_a_miss(default_run):
    assert default_run.result["cache"] == "miss"


def test_malformed_feed_is_a_warning_not_a_failure(default_run):
    assert any("malformed" in w["warning"] for w in default_run.result["source_warnings"])
    assert default_run.result["sources_failed"] == []


def test_offline_edition_is_labelled_in_both_formats(default_run):
    assert "Offline edition" in default_run.read(NEWSLETTERS, default_run.result["s3"]["html"]).decode()
    assert "Offline edition" in default_run.read(NEWSLETTERS, default_run.result["s3"]["markdown"]).decode()


def test_script_tags_in_feed_content_are_stripped_before_rendering(default_run):
    # Parsing drops <script> elements; escaping of what remains is test_pure_engine's and test_resilience_security's.
    html = default_run.read(NEWSLETTERS, default_run.result["s3"]["html"]).decode()
    assert "<script" not in html.lower()


def test_timings_cover_every_stage(default_run):
    timings = default_run.result["timings_ms"]
    assert {"config", "ingest", "normalize", "score", "editorial", "render", "write", "total"} <= set(timings)


def test_run_end_is_logged_with_the_responses_counts_cache_and_costs(default_run):
    (line,) = default_run.log_lines("Run terminé")
    result = default_run.result
    assert line["level"] == "INFO" and line["client_id"] == "lai_weekly_v3"
    assert (line["counts"], line["cache"], line["degraded"]) == (result["counts"], result["cache"], result["degraded"])
    assert line["llm"] == result["llm"] and line["timings_ms"] == result["timings_ms"]
    assert line["request_id"] == "test-request"


def test_second_run_is_a_cache_hit_and_normalizes_nothing(run, capsys):
    first = run({**PAYLOAD, "force_regenerate": True})
    second = run()
    assert (first["cache"], second["cache"]) == ("bypass", "hit")
    assert second["counts"]["normalized"] == 0
    logs = capsys.readouterr().out
    assert "Newsletter sauvegardée en cache" in logs and "Newsletter récupérée depuis cache S3" in logs


def test_force_regenerate_bypasses_the_cache(run):
    run()
    assert run({**PAYLOAD, "force_regenerate": True})["cache"] == "bypass"


def test_running_twice_writes_the_same_keys(run, s3):
    run()
    before = keys(s3, NEWSLETTERS)
    run()
    assert keys(s3, NEWSLETTERS) == before


def test_corrupt_cache_object_is_a_logged_miss(run, s3, capsys):
    run()
    for key in keys(s3, NEWSLETTERS, "cache/"):
        s3.put_object(Bucket=NEWSLETTERS, Key=key, Body=b"{not json")
    result = run()
    assert result["cache"] == "miss" and result["status"] == "ok"
    assert "Cache éditorial corrompu" in capsys.readouterr().out


def test_pre_p1_payload_still_works(run):
    result = run({"client_id": "lai_weekly_v3"})
    assert result["status"] == "ok" and result["period"]["days"] == 7


def test_target_date_moves_the_window(run):
    # The sample items are at most a few weeks old, whatever today is: a year back has none of them.
    year_ago = (datetime.now(UTC).date() - timedelta(days=365)).isoformat()
    result = run({**PAYLOAD, "target_date": year_ago})
    assert result["period"]["date"] == year_ago and result["counts"]["in_window"] == 0
    assert result["counts"]["fetched"] > 0


def test_invalid_payload_returns_validation_error_and_writes_nothing(run, s3):
    result = run({"client_id": "Bad Id", "period_days": 500, "colour": "red"})
    assert result["status"] == "error" and result["error"]["type"] == "ValidationError"
    assert set(result["error"]["fields"]) == {"client_id", "period_days", "colour"}
    assert keys(s3, NEWSLETTERS) == [] and keys(s3, DATA) == []


def test_unknown_client_returns_client_not_found(run):
    result = run({"client_id": "nobody_weekly"})
    assert result["status"] == "error" and result["error"]["type"] == "ClientNotFound"
    assert "nobody_weekly" in result["error"]["message"]


def test_broken_client_config_names_file_and_field(run, s3):
    s3.put_object(
        Bucket=LAMBDA_ENV["CONFIG_BUCKET"],
        Key="clients/broken_weekly.yaml",
        Body=b"client_id: broken_weekly\nname: B\n",
    )
    result = run({"client_id": "broken_weekly"})
    assert result["error"]["type"] == "ConfigError"
    assert "clients/broken_weekly.yaml" in result["error"]["message"] and "sources" in result["error"]["message"]


def test_failing_source_is_reported_and_the_run_completes(run, s3, feed_server):
    def break_first_source(config):
        config["sources"][0]["url"] = feed_server.base_url + "/feeds/does_not_exist.xml"

    config = edit_client_config(s3, LAMBDA_ENV["CONFIG_BUCKET"], break_first_source)
    result = run()
    assert result["status"] == "ok"
    assert result["sources_failed"] == [{"source_id": config["sources"][0]["id"], "reason": "HTTP 404 Not Found"}]


def test_unchanged_feeds_are_fetched_conditionally(run, feed_server, monkeypatch):
    monkeypatch.setenv("SHARED_FEED_WINDOW_SECONDS", "0")  # every run past the window: each one asks the feeds
    run()
    run()
    assert any(status == 304 for _path, status in feed_server.requests)


def test_a_feed_fetched_within_the_window_is_not_asked_again(run, feed_server):
    run()
    asked = len(feed_server.requests)
    run()
    assert asked == 8 and len(feed_server.requests) == asked


def test_missing_environment_variable_is_named(monkeypatch, handler_module, context):
    from vectora_core.settings import SettingsError

    monkeypatch.delenv("DATA_BUCKET")
    with pytest.raises(SettingsError, match="DATA_BUCKET is not set"):
        handler_module.lambda_handler(dict(PAYLOAD), context)


def test_failed_write_leaves_no_manifest_and_releases_the_lease(run, s3, handler_module):
    real_put = s3.put_object

    def failing_put(**kwargs):
        if kwargs["Key"].endswith("newsletter.html"):
            raise ConnectionError("S3 write failed")
        return real_put(**kwargs)

    handler_module._container()["s3"].put_object = failing_put
    with pytest.raises(ConnectionError):
        run()
    assert [k for k in keys(s3, NEWSLETTERS, "newsletters/") if k.endswith("manifest.json")] == []
    assert keys(s3, DATA, "locks/") == []
    handler_module._container()["s3"].put_object = real_put
    assert run()["status"] == "ok"


def test_concurrent_runs_write_their_files_one_run_after_the_other(run, s3, handler_module):
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    run()  # warm the stored items so both runs race on the write phase
    writes: list[tuple[int, str]] = []
    real_put = s3.put_object

    def recording_put(**kwargs):
        if kwargs["Key"].startswith("newsletters/"):
            writes.append((threading.get_ident(), kwargs["Key"].rsplit("/", 1)[1]))
            time.sleep(0.05)  # widen the window in which an unserialized writer would slip in
        return real_put(**kwargs)

    handler_module._container()["s3"].put_object = recording_put
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda force: run({**PAYLOAD, "force_regenerate": force}), (True, True)))
    assert [r["status"] for r in results] == ["ok", "ok"]
    writers = [writer for writer, _name in writes]
    first, second = writers[0], next(w for w in writers if w != writers[0])
    # Each run's markdown, html and manifest are contiguous: the lease kept the other run out meanwhile.
    assert writers == [first] * 3 + [second] * 3
    assert [name for _writer, name in writes] == ["newsletter.md", "newsletter.html", "manifest.json"] * 2
    manifest = json.loads(read_object(s3, NEWSLETTERS, results[0]["s3"]["manifest"]))
    for entry in manifest["files"].values():
        assert hashlib.sha256(read_object(s3, NEWSLETTERS, entry["key"])).hexdigest() == entry["sha256"]
    assert keys(s3, DATA, "locks/") == []


def test_stale_write_lease_of_a_crashed_run_is_taken_over(run, s3):
    import time

    day = run()["period"]["date"]
    stale = {"token": "crashed", "expires": time.time() - 1}
    s3.put_object(Bucket=DATA, Key=f"locks/lai_weekly_v3/{day}.json", Body=json.dumps(stale).encode())
    assert run()["status"] == "ok"


def test_lost_index_falls_back_to_per_item_objects_without_renormalizing(run, s3):
    run()
    s3.delete_object(Bucket=DATA, Key="items/lai_weekly_v3/_index.json")
    assert run()["counts"]["normalized"] == 0


def test_changed_item_content_is_normalized_again(run, s3, feed_server):
    from vectora_core import layout, store

    first = run()
    source = store.load_client(s3, LAMBDA_ENV["CONFIG_BUCKET"], "lai_weekly_v3").sources[-1]  # the FDA's feed
    key = layout.shared_feed_key(layout.shared_root(""), source.url)
    record = json.loads(read_object(s3, DATA, key))
    in_window = [i for i in record["items"] if i["published"] >= first["period"]["start"]]
    in_window[0]["text"] += " Updated."
    in_window[0]["content_hash"] = "changed"
    s3.put_object(Bucket=DATA, Key=key, Body=json.dumps(record).encode())
    second = run()
    assert second["counts"]["normalized"] == 1


def test_s3_client_pool_holds_a_connection_for_every_thread_sharing_it(handler_module, context, monkeypatch):
    from vectora_core import store

    monkeypatch.setenv("NORMALIZATION_CONCURRENCY", "8")
    monkeypatch.setenv("NORMALIZATION_BATCH_SIZE", "6")
    handler_module.lambda_handler({"client_id": "lai_weekly_v3"}, context)

    pool = handler_module._runtime["s3"].meta.config.max_pool_connections
    assert pool == 8 * 6 + 2  # eight model threads, each storing its batch with six writers, and the run's thread
    assert pool > store.IO_THREADS


def test_s3_pool_size_is_bounded_for_extreme_settings():
    from vectora_core.store import IO_THREADS, MAX_S3_POOL, s3_pool_size

    assert s3_pool_size(1, 1) == IO_THREADS + 2
    assert s3_pool_size(64, 25) == MAX_S3_POOL
