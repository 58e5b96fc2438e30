"""The Terraform IAM statements follow the engine's S3 layout (vectora_core/layout.py): every key the layout gives a
run is granted to the function for what the run does with it, no data prefix is granted that the layout does not
have, and the deploy role's grants name the toolkit's own keys. A change of layout that IAM does not follow fails
here, before any apply; the applied policies are checked against recorded calls in the emulator's tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from terraform_policies import policy_statements, variable_defaults

from toolkit.iam_policy import Request, evaluate
from vectora_core import layout

MODULES = Path(__file__).resolve().parent.parent / "terraform" / "modules"
ENGINE = MODULES / "engine_function"
DEPLOY_ROLE = MODULES / "github_deploy_role"
BUCKETS = MODULES / "buckets"
ARN = {"config": "arn:aws:s3:::config", "data": "arn:aws:s3:::data", "newsletters": "arn:aws:s3:::newsletters"}
FN = "vectora-inbox-engine-dev"
CLIENT, DAY, VERSION = "lai_weekly_v3", "2026-01-12", "7"


def engine_statements() -> list[dict]:
    return policy_statements(ENGINE, "permissions", {f"bucket_arns.{name}": arn for name, arn in ARN.items()})


def deploy_statements() -> list[dict]:
    names = {
        "fn": FN,
        "artifacts_arn": "arn:aws:s3:::artifacts",
        "config_arn": ARN["config"],
        "newsletters_arn": ARN["newsletters"],
    }
    return policy_statements(DEPLOY_ROLE, "read_stack", names) + policy_statements(DEPLOY_ROLE, "change_stack", names)


def _object(bucket: str, key: str) -> str:
    return f"{ARN[bucket]}/{key}"


def _run_keys(place: layout.OutputPlace) -> list[tuple[str, str, str]]:
    """(action, bucket, key) for what one run does with the keys the layout gives it."""
    root = place.data_root
    shared = layout.shared_root(root)
    feed = layout.shared_feed_key(shared, "https://example.com/feed.xml")
    normalized = layout.shared_normalized_key(shared, "normalize-v3|canonical/lai_scopes.yaml@2026.12a", "c0ffee")
    editorial = layout.editorial_key(CLIENT, "k1", place.cache_prefix)
    keys = [
        ("s3:GetObject", "config", layout.client_key(CLIENT)),
        ("s3:GetObject", "config", f"{layout.CANONICAL_PREFIX}lai_scopes.yaml"),
        ("s3:GetObject", "config", layout.PRICES_KEY),
        *[(a, "data", layout.feed_state_key(CLIENT, root)) for a in ("s3:GetObject", "s3:PutObject")],
        *[(a, "data", layout.item_key(CLIENT, "item1", root)) for a in ("s3:GetObject", "s3:PutObject")],
        *[(a, "data", layout.index_key(CLIENT, root)) for a in ("s3:GetObject", "s3:PutObject")],
        *[(a, "data", place.lease_key) for a in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")],
        *[(a, "data", key) for key in (feed, normalized) for a in ("s3:GetObject", "s3:PutObject")],
        *[
            (a, "data", layout.claim_key(key))
            for key in (feed, normalized)
            for a in ("s3:PutObject", "s3:DeleteObject")
        ],
        ("s3:GetObject", "newsletters", editorial),
        *[("s3:PutObject", "newsletters", key) for key in layout.edition_keys(place.newsletter_prefix).values()],
    ]
    if place.publishes:  # only publishing runs keep the history and write the cache (check runs read it)
        keys += [(a, "data", layout.history_key(CLIENT)) for a in ("s3:GetObject", "s3:PutObject")]
        keys += [("s3:PutObject", "newsletters", editorial)]
    return keys


PLACES = {
    "publishing": layout.output_place("live", True, CLIENT, DAY, VERSION),
    "smoke": layout.output_place("smoke", False, CLIENT, DAY, VERSION),
    "bench": layout.output_place("bench", False, CLIENT, DAY, "local"),
}


@pytest.mark.parametrize("run", PLACES)
def test_the_function_may_do_with_each_key_of_the_layout_what_a_run_does(run):
    statements = engine_statements()
    refused = [
        f"{action} {bucket}/{key}: {decision.reason}"
        for action, bucket, key in _run_keys(PLACES[run])
        if not (decision := evaluate(statements, Request(action, _object(bucket, key)))).allowed
    ]

    assert refused == []


@pytest.mark.parametrize("run", PLACES)
def test_the_function_may_list_the_editorial_cache_of_its_run(run):
    prefix = layout.editorial_key(CLIENT, "k1", PLACES[run].cache_prefix)
    request = Request("s3:ListBucket", ARN["newsletters"], {"s3:prefix": prefix})

    assert evaluate(engine_statements(), request).allowed


def test_the_function_may_not_overwrite_an_edition_from_a_check_run_prefix_it_does_not_own():
    # The reverse of the checks above: the statements are not so wide that any key passes.
    requests = [
        Request("s3:PutObject", _object("newsletters", "elsewhere/x.html")),
        Request("s3:DeleteObject", _object("data", layout.history_key(CLIENT))),
        Request("s3:PutObject", _object("config", layout.client_key(CLIENT))),
    ]

    assert [r.resource for r in requests if evaluate(engine_statements(), r).allowed] == []


def _granted_prefixes(statements: list[dict], bucket: str) -> set[str]:
    arn = ARN[bucket] + "/"
    return {r[len(arn) :].removesuffix("*") for s in statements for r in s["Resource"] if r.startswith(arn)}


def test_every_data_prefix_the_function_is_granted_is_one_of_the_layout():
    known = {
        layout.FEED_STATE_PREFIX,
        layout.ITEMS_PREFIX,
        layout.HISTORY_PREFIX,
        layout.LOCKS_PREFIX,
        layout.SHARED_PREFIX,
        layout.CHECKS_PREFIX,
    }

    assert _granted_prefixes(engine_statements(), "data") == known


def test_every_newsletters_prefix_the_function_is_granted_is_one_of_the_layout():
    known = {
        layout.CACHE_PREFIX,
        layout.NEWSLETTERS_PREFIX,
        layout.CHECKS_PREFIX,
        layout.CHECKS_PREFIX + layout.CACHE_PREFIX,
    }

    assert _granted_prefixes(engine_statements(), "newsletters") == known


def test_the_modules_prefix_variables_default_to_the_layout():
    engine, buckets = variable_defaults(ENGINE), variable_defaults(BUCKETS)
    expected = {
        "cache_prefix": layout.CACHE_PREFIX,
        "shared_prefix": layout.SHARED_PREFIX,
        "checks_prefix": layout.CHECKS_PREFIX,
    }

    assert {name: engine[name] for name in expected} == expected
    assert {name: buckets[name] for name in expected} == expected
    assert engine["newsletters_prefix"] == layout.NEWSLETTERS_PREFIX


def test_the_buckets_expire_stale_locks_under_the_layouts_locks_prefix():
    text = (BUCKETS / "main.tf").read_text()

    assert re.search(r'"locks/"\s*=\s*1', text) and layout.LOCKS_PREFIX == "locks/"


def test_the_deploy_role_may_delete_the_deploy_lease_and_the_config_pending_mark():
    statements = deploy_statements()
    for key in (layout.deploy_lease_key(FN), layout.config_pending_key(FN)):
        assert evaluate(statements, Request("s3:DeleteObject", f"arn:aws:s3:::artifacts/{key}")).statement == (
            "ReleaseDeployLease"
        )


def test_the_deploy_role_may_write_packages_and_smoke_records_and_read_editions():
    statements = deploy_statements()
    requests = [
        Request("s3:PutObject", f"arn:aws:s3:::artifacts/{layout.artifact_key(FN, 'ab' * 32)}"),
        Request("s3:PutObject", f"arn:aws:s3:::artifacts/{layout.smoke_record_key(FN, '4')}"),
        Request("s3:GetObject", f"arn:aws:s3:::artifacts/{layout.smoke_record_key(FN, '4')}"),
        Request("s3:GetObject", _object("newsletters", layout.manifest_key(CLIENT, DAY))),
    ]

    assert [r.resource for r in requests if not evaluate(statements, r).allowed] == []


def test_terraforms_first_package_is_stored_where_the_toolkit_looks_for_packages():
    text = (ENGINE / "main.tf").read_text()
    key = re.search(r'resource "aws_s3_object" "bootstrap_package" \{[^}]*?key\s*=\s*"([^"]+)"', text, re.DOTALL)

    assert key and key.group(1) == layout.artifact_key("${var.function_name}", "${local.package_sha256_hex}")
