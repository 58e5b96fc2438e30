"""Several clients through the engine: a URL fetched once per window, an item normalized once per field, runs
that happen at the same time, and one client's failure that leaves the others' editions whole."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from conftest import LAMBDA_ENV, REPO_ROOT, FakeContext
from lambda_testkit import edit_client_config

# The whole engine, run many times over (make test-fast leaves it out).
pytestmark = pytest.mark.slow

CONFIG = LAMBDA_ENV["CONFIG_BUCKET"]
DATA = LAMBDA_ENV["DATA_BUCKET"]


@pytest.fixture(autouse=True)
def _atomic_conditional_writes():
    """The in-process emulator's conditional writes as atomic as S3's (toolkit/local/emulator.py)."""
    from toolkit.local.emulator import make_conditional_writes_atomic

    make_conditional_writes_atomic()


def copy_client(s3, new_id: str, source_client: str = "lai_weekly_v3") -> None:
    """Another client of the same field: the first client's config under a new id."""
    import yaml

    config = yaml.safe_load(s3.get_object(Bucket=CONFIG, Key=f"clients/{source_client}.yaml")["Body"].read())
    config["client_id"] = new_id
    s3.put_object(Bucket=CONFIG, Key=f"clients/{new_id}.yaml", Body=yaml.safe_dump(config).encode())


def run_client(handler_module, client_id: str) -> dict:
    result = handler_module.lambda_handler({"client_id": client_id, "period_days": 7}, FakeContext())
    assert result["status"] == "ok", result
    return result


def feed_requests(feed_server) -> Counter:
    return Counter(path for path, _status in feed_server.requests)


def test_a_second_client_of_the_field_fetches_nothing_and_normalizes_nothing(handler_module, s3, feed_server):
    first = run_client(handler_module, "lai_weekly_v3")
    asked = len(feed_server.requests)
    copy_client(s3, "lai_second")
    second = run_client(handler_module, "lai_second")
    assert len(feed_server.requests) == asked
    assert second["counts"]["normalized"] == 0 and first["counts"]["normalized"] > 0
    assert second["counts"]["selected"] == first["counts"]["selected"]


def test_clients_of_two_fields_share_the_fetches_but_not_the_normalizations(handler_module, s3, feed_server):
    from vectora_core import shared_store

    lai = run_client(handler_module, "lai_weekly_v3")
    obesity = run_client(handler_module, "glp1_obesity_weekly")
    requests = feed_requests(feed_server)
    assert {path: n for path, n in requests.items() if n > 1} == {}
    assert {"/feeds/fierce_pharma.xml", "/feeds/endpoints_news.xml", "/feeds/fda_press.xml"} <= set(requests)
    assert obesity["counts"]["normalized"] > 0 and lai["counts"]["normalized"] > 0
    identities = Counter(r["identity"].rsplit("|", 1)[1] for r in shared_store.normalized_records(s3, DATA))
    assert set(identities) == {
        f"canonical/{name}@{_scopes_version(name)}" for name in ("lai_scopes.yaml", "obesity_scopes.yaml")
    }


def test_concurrent_clients_fetch_each_url_once_and_normalize_each_item_once(handler_module, s3, feed_server):
    from vectora_core import shared_store

    clients = [f"lai_copy_{n}" for n in range(4)]
    for client_id in clients:
        copy_client(s3, client_id)
    handler_module.lambda_handler({"client_id": "unknown_warms_the_container"}, FakeContext())
    results: dict[str, dict] = {}
    start = threading.Barrier(len(clients))

    def one(client_id: str) -> None:
        start.wait(5)
        results[client_id] = run_client(handler_module, client_id)

    threads = [threading.Thread(target=one, args=(client_id,)) for client_id in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(results) == set(clients)
    assert set(feed_requests(feed_server).values()) == {1}
    normalized = sum(r["counts"]["normalized"] for r in results.values())
    assert normalized == len(shared_store.normalized_records(s3, DATA)) > 0
    assert len({r["counts"]["selected"] for r in results.values()}) == 1


def test_one_clients_failure_mid_run_leaves_the_other_editions_whole(handler_module, s3, monkeypatch):
    from vectora_core import shared_store

    copy_client(s3, "broken_client")
    real = shared_store.SharedStore.normalize

    def fails_for_one_client(self, identity, raws, normalize, keep_waiting=lambda: True):
        if self.owner.startswith("broken_client/"):

            def breaks(batch):
                normalize(batch[:1])  # some work done, claims held ...
                raise RuntimeError("the run died mid-normalization")

            return real(self, identity, raws, breaks, keep_waiting)
        return real(self, identity, raws, normalize, keep_waiting)

    monkeypatch.setattr(shared_store.SharedStore, "normalize", fails_for_one_client)
    with pytest.raises(RuntimeError):
        handler_module.lambda_handler({"client_id": "broken_client", "period_days": 7}, FakeContext())
    waits = []
    monkeypatch.setattr(shared_store.SharedStore, "_waits", lambda self: waits.append(self.owner) or iter(()))
    good = run_client(handler_module, "lai_weekly_v3")
    assert waits == []  # the failed run left no claim behind to wait on
    assert not good["degraded"] and good["counts"]["selected"] >= 10
    assert good["counts"]["normalized"] + 1 == good["counts"]["in_window"] - good["counts"]["screened_out"]


def test_a_broken_config_fails_only_its_own_client(handler_module, s3):
    copy_client(s3, "misconfigured")
    edit_client_config(s3, CONFIG, lambda config: config["sources"][0].pop("url"), client_id="misconfigured")
    broken = handler_module.lambda_handler({"client_id": "misconfigured"}, FakeContext())
    good = run_client(handler_module, "lai_weekly_v3")
    assert broken["error"]["type"] == "ConfigError" and "sources[0].url" in broken["error"]["message"]
    assert good["counts"]["selected"] >= 10


def test_sharing_off_keeps_each_clients_own_feed_state_and_items(handler_module, s3, feed_server, monkeypatch):
    monkeypatch.setenv("SHARED_STORE", "off")
    run_client(handler_module, "lai_weekly_v3")
    copy_client(s3, "lai_alone")
    run_client(handler_module, "lai_alone")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=DATA).get("Contents", [])]
    assert {"feed-state/lai_weekly_v3.json", "feed-state/lai_alone.json"} <= set(keys)
    assert not [k for k in keys if k.startswith("shared/")]
    assert set(feed_requests(feed_server).values()) == {2}


def _scopes_version(name: str) -> str:
    import yaml

    return str(yaml.safe_load((REPO_ROOT / "config" / "canonical" / name).read_text())["version"])
