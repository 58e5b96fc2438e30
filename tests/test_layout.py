"""The buckets' layout: every key and prefix the engine writes, the toolkit reads and the IAM grants."""

from __future__ import annotations

import pytest

from vectora_core import layout


def test_config_keys():
    assert layout.client_key("lai_weekly_v3") == "clients/lai_weekly_v3.yaml"
    assert layout.PRICES_KEY == "bedrock_pricing.yaml"
    assert layout.CANONICAL_PREFIX == "canonical/"


def test_data_keys_of_a_publishing_run():
    assert layout.feed_state_key("c") == "feed-state/c.json"
    assert layout.items_prefix("c") == "items/c/"
    assert layout.item_key("c", "i1") == "items/c/i1.json"
    assert layout.index_key("c") == "items/c/_index.json"
    assert layout.history_key("c") == "history/c.json"
    assert layout.write_lease_key("c", "2026-01-12") == "locks/c/2026-01-12.json"


def test_data_keys_of_a_check_run_stay_under_its_root():
    root = layout.check_data_root("smoke")
    assert root == "checks/smoke/"
    assert layout.feed_state_key("c", root) == "checks/smoke/feed-state/c.json"
    assert layout.item_key("c", "i1", root) == "checks/smoke/items/c/i1.json"
    assert layout.index_key("c", root) == "checks/smoke/items/c/_index.json"
    assert layout.write_lease_key("c", "2026-01-12", "smoke/3") == "locks/checks/smoke/3/c/2026-01-12.json"


def test_shared_store_keys():
    root = layout.shared_root("")
    assert root == "shared/"
    assert layout.shared_root("checks/bench/") == "checks/bench/shared/"
    feed = layout.shared_feed_key(root, "https://example.com/feed")
    assert feed.startswith("shared/feeds/") and feed.endswith(".json")
    assert len(feed) == len("shared/feeds/") + 32 + len(".json")
    assert feed != layout.shared_feed_key(root, "https://example.com/other")
    assert layout.shared_normalized_prefix(root) == "shared/normalized/"
    normalized = layout.shared_normalized_key(root, "v1|canonical/lai_scopes.yaml@1", "abc")
    assert normalized.startswith("shared/normalized/") and normalized.endswith("/abc.json")
    assert len(normalized.split("/")[2]) == 16
    assert normalized != layout.shared_normalized_key(root, "v2|canonical/lai_scopes.yaml@1", "abc")
    assert layout.claim_key(feed) == "locks/" + feed


def test_newsletter_keys():
    assert layout.client_newsletters_prefix("c") == "newsletters/c/"
    assert layout.newsletter_prefix("c", "2026-01-12") == "newsletters/c/2026-01-12/"
    assert layout.edition_keys("p/") == {
        "markdown": "p/newsletter.md",
        "html": "p/newsletter.html",
        "manifest": "p/manifest.json",
    }
    assert layout.manifest_key("c", "2026-01-12") == "newsletters/c/2026-01-12/manifest.json"
    assert layout.cache_prefix("c") == "cache/c/"
    assert layout.check_cache_prefix("c") == "checks/cache/c/"
    assert layout.check_runs_prefix("bench", "local") == "checks/bench/local/"


def test_a_publishing_run_writes_the_edition_its_cache_and_its_lease():
    place = layout.output_place("live", True, "c", "2026-01-12", "7")

    assert place == layout.OutputPlace(
        "newsletters/c/2026-01-12/", "cache/c/", "locks/c/2026-01-12.json", "", publishes=True
    )


def test_a_check_run_writes_only_under_checks_named_after_its_mode_and_version():
    place = layout.output_place("smoke", False, "c", "2026-01-12", "$LATEST")

    assert place == layout.OutputPlace(
        "checks/smoke/$LATEST/c/2026-01-12/",
        "checks/cache/c/",
        "locks/checks/smoke/$LATEST/c/2026-01-12.json",
        "checks/smoke/",
        publishes=False,
    )


@pytest.mark.parametrize(
    ("version", "segment"),
    [("3", "3"), ("$LATEST", "$LATEST"), ("", "local"), (None, "local"), ("a/b c", "a-b-c"), ("v1.2_x", "v1.2_x")],
)
def test_a_version_becomes_one_safe_key_segment(version, segment):
    assert layout.safe_segment(version) == segment


def test_a_long_version_is_cut_to_64_characters():
    assert layout.safe_segment("9" * 100) == "9" * 64


def test_artifact_keys():
    assert layout.artifact_key("fn", "ab12") == "fn/ab12.zip"
    assert layout.smoke_records_prefix("fn") == "fn/smoke/"
    assert layout.smoke_record_key("fn", "4") == "fn/smoke/4.json"
    assert layout.deploy_lease_key("fn") == "fn/deploy.lease"
    assert layout.config_pending_key("fn") == "fn/config-pending.json"


def test_editorial_cache_keys():
    assert layout.editorial_key("c", "k1") == "cache/c/k1.json"
    assert layout.editorial_key("c", "k1", layout.check_cache_prefix("c")) == "checks/cache/c/k1.json"
