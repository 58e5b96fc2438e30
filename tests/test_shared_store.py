"""The shared store: conditional writes, claims, a feed fetched once and an item normalized once across runs."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from conftest import REGION

BUCKET = "shared-store-test"
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _atomic_conditional_writes():
    """The in-process emulator's conditional writes as atomic as S3's (toolkit/local/emulator.py)."""
    from toolkit.local.emulator import make_conditional_writes_atomic

    make_conditional_writes_atomic()


@pytest.fixture
def s3(fake_aws_credentials):
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield client


class Clock:
    def __init__(self, start: float = NOW.timestamp()):
        self.now = start

    def __call__(self) -> float:
        return self.now


def make_store(s3, owner="client_a", clock=None, **settings):
    from vectora_core.shared_store import SharedStore

    return SharedStore(
        s3, BUCKET, "shared/", owner, clock=clock or Clock(), sleep=lambda _s: None, **{"wait_s": 5, **settings}
    )


def raw(n: int, text: str = "", source_id: str = "fierce_pharma"):
    from vectora_core.models import RawItem

    body = text or f"story {n}"
    return RawItem(
        f"id{n:03d}", source_id, f"https://example.com/{n}", f"Title {n}", body, NOW, f"hash{n:03d}{body[:3]}"
    )


def normalized_from(item, degraded: bool = False):
    from vectora_core.models import NormalizedItem

    return NormalizedItem(
        item.item_id,
        item.source_id,
        item.url,
        item.title,
        item.published,
        item.content_hash,
        summary=f"summary of {item.title}",
        event_type="other",
        companies=(),
        molecules=(),
        trademarks=(),
        technologies=(),
        backend="bedrock",
        degraded=degraded,
        degraded_reason="throttled" if degraded else "",
    )


class Model:
    """Counts what it is asked to normalize; optionally degrades or fails."""

    def __init__(self, degrade: bool = False, fail: bool = False, delay: threading.Event | None = None):
        self.asked: list[str] = []
        self.lock = threading.Lock()
        self.degrade, self.fail, self.delay = degrade, fail, delay

    def __call__(self, store, identity):
        def normalize(raws):
            with self.lock:
                self.asked += [r.content_hash for r in raws]
            if self.delay:
                self.delay.wait(5)
            if self.fail:
                raise RuntimeError("the model call broke")
            done = [normalized_from(r, degraded=self.degrade) for r in raws]
            store.save_normalized(identity, done, store.owner, raws)
            return done

        return normalize


# --- conditional writes and claims ---------------------------------------------------------------------------


def test_a_create_only_write_fails_when_the_object_exists(s3):
    from vectora_core.shared_store import read_json, write_json

    assert write_json(s3, BUCKET, "k.json", {"v": 1})
    assert not write_json(s3, BUCKET, "k.json", {"v": 2})
    assert read_json(s3, BUCKET, "k.json")[0] == {"v": 1}


def test_a_replace_from_a_stale_version_fails_and_keeps_the_newer_one(s3):
    from vectora_core.shared_store import read_json, write_json

    write_json(s3, BUCKET, "k.json", {"v": 1})
    _data, first = read_json(s3, BUCKET, "k.json")
    assert write_json(s3, BUCKET, "k.json", {"v": 2}, etag=first)
    assert not write_json(s3, BUCKET, "k.json", {"v": 3}, etag=first)
    assert read_json(s3, BUCKET, "k.json")[0] == {"v": 2}


def test_two_conditional_creates_racing_for_one_key_let_exactly_one_win(s3, monkeypatch):
    # The emulator checks the condition, then writes: a pause between the two lets a race through unless the
    # conditional write is atomic, as on S3.
    import time as time_module

    from moto.s3.models import S3Backend

    from vectora_core.shared_store import write_json

    real_put = S3Backend.put_object
    monkeypatch.setattr(S3Backend, "put_object", lambda *a, **k: time_module.sleep(0.2) or real_put(*a, **k))
    wins = []
    threads = [
        threading.Thread(target=lambda n=n: wins.append(write_json(s3, BUCKET, "race.json", {"n": n})))
        for n in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(wins) == [False, False, True]


def test_only_one_of_two_claims_wins(s3):
    from vectora_core.shared_store import try_claim

    first = try_claim(s3, BUCKET, "locks/x.json", "a", 60, Clock())
    second = try_claim(s3, BUCKET, "locks/x.json", "b", 60, Clock())
    assert first is not None and second is None


def test_an_expired_claim_is_taken_over_and_a_live_one_is_not(s3):
    from vectora_core.shared_store import take_over, try_claim

    clock = Clock()
    assert try_claim(s3, BUCKET, "locks/x.json", "crashed", 60, clock)
    assert take_over(s3, BUCKET, "locks/x.json", "b", 60, clock) is None
    clock.now += 61
    assert take_over(s3, BUCKET, "locks/x.json", "b", 60, clock) is not None
    assert take_over(s3, BUCKET, "locks/x.json", "c", 60, clock) is None  # b's claim is live


def test_an_unreadable_claim_is_taken_over(s3):
    from vectora_core.shared_store import take_over

    s3.put_object(Bucket=BUCKET, Key="locks/x.json", Body=b"{not json")
    assert take_over(s3, BUCKET, "locks/x.json", "b", 60, Clock()) is not None


# --- feeds -------------------------------------------------------------------------------------------------


def fetched_record(calls: list, clock: Clock, error: str = ""):
    def fetch(record):
        calls.append(record)
        if error:
            return {**record, "error": error, "failed_at": clock()}
        return {"etag": '"e1"', "items": [], "fetched_at": clock(), "error": "", "failed_at": None}

    return fetch


def test_concurrent_runs_fetch_a_feed_once(s3):
    clock, calls = Clock(), []
    gate = threading.Event()

    def slow_fetch(record):
        gate.wait(5)
        return fetched_record(calls, clock)(record)

    results = []

    def one_run(owner):
        store = make_store(s3, owner, clock, wait_s=10)
        store.sleep = lambda seconds: time.sleep(0.05)  # waiting runs poll while the fetching run works
        results.append(store.feed("https://example.com/feed", slow_fetch))

    threads = [threading.Thread(target=one_run, args=(f"client_{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert sorted(fetched for _record, fetched in results) == [False] * 5 + [True]


def test_a_feed_is_fetched_again_past_the_window_with_the_last_validators(s3):
    clock, calls = Clock(), []
    store = make_store(s3, clock=clock, window_s=3600)
    store.feed("https://example.com/feed", fetched_record(calls, clock))
    clock.now += 1800
    store.feed("https://example.com/feed", fetched_record(calls, clock))
    clock.now += 1801
    store.feed("https://example.com/feed", fetched_record(calls, clock))
    assert len(calls) == 2 and calls[1]["etag"] == '"e1"'


def test_a_failure_is_reported_to_the_next_runs_without_asking_the_source_again(s3):
    clock, calls = Clock(), []
    first, _ = make_store(s3, clock=clock).feed("https://example.com/down", fetched_record(calls, clock, "HTTP 503"))
    clock.now += 60
    second, fetched = make_store(s3, "client_b", clock).feed("https://example.com/down", fetched_record(calls, clock))
    assert len(calls) == 1 and not fetched and second["error"] == first["error"] == "HTTP 503"
    clock.now += 300
    make_store(s3, "client_c", clock).feed("https://example.com/down", fetched_record(calls, clock))
    assert len(calls) == 2  # a failure is retried after a few minutes


def test_a_run_waiting_on_a_crashed_fetcher_fetches_itself_once_its_claim_expires(s3):
    from vectora_core.layout import claim_key, shared_feed_key
    from vectora_core.shared_store import try_claim

    clock, calls = Clock(), []
    try_claim(s3, BUCKET, claim_key(shared_feed_key("shared/", "https://example.com/feed")), "crashed", 30, clock)
    store = make_store(s3, "client_b", clock, claim_ttl_s=30)
    store.sleep = lambda seconds: setattr(clock, "now", clock.now + seconds)
    store.wait_s = 300
    record, fetched = store.feed("https://example.com/feed", fetched_record(calls, clock))
    assert fetched and len(calls) == 1 and clock.now - NOW.timestamp() < 60


# --- normalizations ----------------------------------------------------------------------------------------

IDENTITY = "normalization-v3/us.model|canonical/lai_scopes.yaml@1"


def test_concurrent_runs_normalize_each_item_once(s3):
    items = [raw(n) for n in range(12)]
    model = Model(delay=threading.Event())
    outcomes = {}

    def one_run(n):
        store = make_store(s3, f"client_{n}", wait_s=10)
        store.sleep = lambda _s: time.sleep(0.05)  # waiting runs poll while the claiming runs work
        mine = items[n % 3 :: 1][:9]  # overlapping selections
        outcomes[n] = (mine, store.normalize(IDENTITY, mine, model(store, IDENTITY)))

    threads = [threading.Thread(target=one_run, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    model.delay.set()
    for thread in threads:
        thread.join(20)
    assert len(model.asked) == len(set(model.asked)) and set(model.asked) <= {i.content_hash for i in items}
    for mine, (reused, fresh) in outcomes.values():
        assert {i.item_id for i in mine} == set(reused) | {n.item_id for n in fresh}


def test_a_normalization_is_reused_on_another_clients_copy_of_the_item(s3):
    store = make_store(s3)
    model = Model()
    store.normalize(IDENTITY, [raw(1)], model(store, IDENTITY))
    copy = replace(raw(1), item_id="other", source_id="endpoints_news", url="https://other.example/1")
    reused, fresh = make_store(s3, "client_b").normalize(IDENTITY, [copy], model(store, IDENTITY))
    assert fresh == [] and len(model.asked) == 1
    assert (reused["other"].source_id, reused["other"].url) == ("endpoints_news", "https://other.example/1")


def test_another_field_or_prompt_version_normalizes_the_item_again(s3):
    store = make_store(s3)
    model = Model()
    store.normalize(IDENTITY, [raw(1)], model(store, IDENTITY))
    other = "normalization-v3/us.model|canonical/obesity_scopes.yaml@1"
    _reused, fresh = store.normalize(other, [raw(1)], model(store, other))
    assert len(fresh) == 1 and len(model.asked) == 2


def test_a_degraded_normalization_is_never_shared(s3):
    store = make_store(s3)
    store.normalize(IDENTITY, [raw(1)], Model(degrade=True)(store, IDENTITY))
    model = Model()
    _reused, fresh = make_store(s3, "client_b").normalize(IDENTITY, [raw(1)], model(store, IDENTITY))
    assert len(fresh) == 1 and model.asked == [raw(1).content_hash]


def test_a_corrupt_shared_normalization_reads_as_missing_and_is_replaced(s3):
    from vectora_core.layout import shared_normalized_key as normalized_key
    from vectora_core.shared_store import read_json

    key = normalized_key("shared/", IDENTITY, raw(1).content_hash)
    s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"identity": "normalization-v3')
    store = make_store(s3)
    _reused, fresh = store.normalize(IDENTITY, [raw(1)], Model()(store, IDENTITY))
    assert len(fresh) == 1
    assert read_json(s3, BUCKET, key)[0]["normalized"]["summary"] == "summary of Title 1"


def test_a_run_that_fails_mid_normalization_releases_its_claims_for_the_others(s3):
    failing = make_store(s3, "client_a")
    with pytest.raises(RuntimeError):
        failing.normalize(IDENTITY, [raw(1), raw(2)], Model(fail=True)(failing, IDENTITY))
    other, slept = make_store(s3, "client_b", wait_s=300), []
    other.sleep = slept.append
    model = Model()
    _reused, fresh = other.normalize(IDENTITY, [raw(1), raw(2)], model(other, IDENTITY))
    assert len(fresh) == 2 and len(model.asked) == 2 and slept == []  # nothing waited on the failed run


def test_a_run_waiting_on_a_crashed_claimer_normalizes_itself_when_the_claim_expires(s3):
    from vectora_core.layout import claim_key
    from vectora_core.layout import shared_normalized_key as normalized_key
    from vectora_core.shared_store import try_claim

    clock = Clock()
    try_claim(s3, BUCKET, claim_key(normalized_key("shared/", IDENTITY, raw(1).content_hash)), "crashed", 30, clock)
    store = make_store(s3, "client_b", clock, claim_ttl_s=30, wait_s=300)
    store.sleep = lambda seconds: setattr(clock, "now", clock.now + seconds)
    model = Model()
    _reused, fresh = store.normalize(IDENTITY, [raw(1)], model(store, IDENTITY))
    assert len(fresh) == 1 and clock.now - NOW.timestamp() < 60


def test_items_with_the_same_content_are_normalized_once_in_a_run(s3):
    store = make_store(s3)
    model = Model()
    twin = replace(raw(1), item_id="twin", url="https://example.com/twin")
    reused, fresh = store.normalize(IDENTITY, [raw(1), twin], model(store, IDENTITY))
    assert len(model.asked) == 1 and {n.item_id for n in fresh} == {"id001", "twin"}


def test_the_shared_record_keeps_the_content_it_was_made_from(s3):
    from vectora_core.shared_store import normalized_records

    store = make_store(s3)
    store.normalize(IDENTITY, [raw(1, "Semaglutide approved for MASH")], Model()(store, IDENTITY))
    (record,) = normalized_records(s3, BUCKET)
    assert record["content"] == {"title": "Title 1", "text": "Semaglutide approved for MASH"}
    assert json.dumps(record)  # plain JSON
