"""Config files as part of a release: checked with the engine's parser, diffed file by file, one digest."""

from __future__ import annotations

import pytest

from toolkit.release_config import (
    ADDED,
    CHANGED,
    UNCHANGED,
    ConfigFile,
    ReleaseConfigError,
    config_digest,
    diff_config,
    read_config_dir,
    render_config,
    validate_config,
)

CLIENT = "clients/lai_weekly_v3.yaml"
SCOPES = "canonical/lai_scopes.yaml"
PRICES = "bedrock_pricing.yaml"


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return read_config_dir()


def test_the_repository_config_is_valid(texts):
    validate_config(texts)
    assert {CLIENT, SCOPES, PRICES} <= texts.keys()


def test_a_client_config_missing_a_field_is_refused_naming_file_and_field(texts):
    broken = texts[CLIENT].replace("default_period_days: 7\n", "default_period_days: 700\n")

    with pytest.raises(
        ReleaseConfigError, match=r"^config/clients/lai_weekly_v3\.yaml: default_period_days: must be from 1 to 90"
    ):
        validate_config({**texts, CLIENT: broken})


def test_a_watch_domain_naming_a_company_missing_from_the_scopes_is_refused(texts):
    scopes = texts[SCOPES].replace("name: MedinCell", "name: Medincell Renamed", 1)

    with pytest.raises(
        ReleaseConfigError,
        match=r"config/clients/lai_weekly_v3\.yaml: watch_domains\[\d\]\.companies: 'MedinCell' is not in the canonical scopes",
    ):
        validate_config({**texts, SCOPES: scopes})


def test_a_client_naming_scopes_that_are_not_released_is_refused(texts):
    without_scopes = {key: text for key, text in texts.items() if key != SCOPES}

    with pytest.raises(
        ReleaseConfigError, match=r"config/clients/lai_weekly_v3\.yaml: scopes: canonical/lai_scopes\.yaml is not among"
    ):
        validate_config(without_scopes)


def test_a_client_file_whose_id_differs_from_its_name_is_refused(texts):
    with pytest.raises(ReleaseConfigError, match=r"clients/other_client\.yaml: client_id: is 'lai_weekly_v3'"):
        validate_config({**texts, "clients/other_client.yaml": texts[CLIENT]})


def test_a_price_that_is_not_a_number_is_refused_naming_the_model(texts):
    prices = "models:\n  eu.model:\n    input_per_million: three\n    output_per_million: 15\n"

    with pytest.raises(
        ReleaseConfigError,
        match=r"config/bedrock_pricing\.yaml: models\.eu\.model\.input_per_million: must be a number",
    ):
        validate_config({**texts, PRICES: prices})


def test_on_local_every_source_points_at_the_sample_feed_server(texts):
    release = render_config(texts, "http://127.0.0.1:9999")

    client = next(f for f in release.files if f.key == CLIENT).body.decode()
    assert "url: http://127.0.0.1:9999/feeds/medincell_press.xml" in client
    assert "https://" not in client
    assert next(f for f in release.files if f.key == SCOPES).body.decode() == texts[SCOPES]  # untouched


def test_the_digest_changes_with_any_file_and_not_with_their_order():
    a, b = ConfigFile("a.yaml", b"1"), ConfigFile("b.yaml", b"2")

    assert config_digest([a, b]) == config_digest([b, a])
    assert config_digest([a, b]) != config_digest([a, ConfigFile("b.yaml", b"3")])
    assert config_digest([a, b]) != config_digest([ConfigFile("c.yaml", b"1"), b])  # the key counts too


def test_diff_says_added_changed_and_unchanged_per_file(texts):
    release = render_config(texts)
    current = {CLIENT: b"old", SCOPES: texts[SCOPES].encode(), PRICES: None}

    statuses = {change.key: change.status for change in diff_config(release, current)}

    assert {key: statuses[key] for key in current} == {CLIENT: CHANGED, SCOPES: UNCHANGED, PRICES: ADDED}
    assert set(statuses.values()) - {CHANGED, UNCHANGED} == {ADDED}  # files the bucket lacks are added
