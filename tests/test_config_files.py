"""The YAML files uploaded to the config bucket agree with each other and with the sample corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from toolkit.local.sample_feeds import CORPUS_DIR, all_source_ids, source_ids

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "config"
YAML_FILES = sorted(CONFIG_DIR.rglob("*.yaml"))
CLIENT_FILES = sorted((CONFIG_DIR / "clients").glob("*.yaml"))


def _load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def client():
    return _load(CONFIG_DIR / "clients" / "lai_weekly_v3.yaml")


@pytest.fixture(scope="module")
def scopes(client):
    return _load(CONFIG_DIR / client["scopes"])


def _names(scopes, kind: str) -> set[str]:
    return {entity["name"] for entity in scopes[kind]}


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(CONFIG_DIR)))
def test_yaml_file_parses_to_a_mapping(path):
    assert isinstance(_load(path), dict)


@pytest.mark.parametrize("path", CLIENT_FILES, ids=lambda p: p.name)
def test_client_id_matches_its_file_name(path):
    assert _load(path)["client_id"] == path.stem


def test_client_top_level_fields_have_expected_types(client):
    assert isinstance(client["name"], str) and client["name"]
    assert client["language"] == "en"
    assert client["default_period_days"] == 7
    assert isinstance(client["min_score"], float)


def test_client_scopes_key_points_at_an_existing_file(client):
    assert (CONFIG_DIR / client["scopes"]).is_file()


def test_schedule_is_a_weekly_cron_with_the_run_payload(client):
    assert re.fullmatch(r"cron\(.+\)", client["schedule"]["expression"])
    assert client["schedule"]["payload"] == {"period_days": 7, "force_regenerate": False}


def test_at_least_seven_sources_with_unique_valid_ids(client):
    ids = [source["id"] for source in client["sources"]]
    assert len(ids) >= 7
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9_]+", source_id) for source_id in ids)


def test_sources_have_https_urls_known_kinds_and_bounded_priorities(client):
    for source in client["sources"]:
        assert source["url"].startswith("https://"), source["id"]
        assert source["kind"] in {"company", "trade_press", "regulator"}, source["id"]
        assert 0.5 <= source["priority"] <= 2.0, source["id"]


def test_sources_cover_every_kind(client):
    assert {source["kind"] for source in client["sources"]} == {"company", "trade_press", "regulator"}


def test_every_config_source_has_a_sample_feed(client):
    assert {source["id"] for source in client["sources"]} <= set(source_ids())


def test_every_sample_feed_belongs_to_a_config_source(client):
    assert set(source_ids()) <= {source["id"] for source in client["sources"]}


@pytest.mark.parametrize("path", CLIENT_FILES, ids=lambda p: p.name)
def test_every_clients_sources_have_a_sample_feed(path):
    assert {source["id"] for source in _load(path)["sources"]} <= set(all_source_ids())


def test_every_sample_feed_of_a_field_folder_belongs_to_a_client():
    sources = {source["id"] for path in CLIENT_FILES for source in _load(path)["sources"]}
    assert set(all_source_ids()) - set(source_ids()) and set(all_source_ids()) <= sources


def test_clients_share_some_sources_and_read_others_alone():
    lai, obesity = (
        {source["url"] for source in _load(CONFIG_DIR / "clients" / f"{name}.yaml")["sources"]}
        for name in ("lai_weekly_v3", "glp1_obesity_weekly")
    )
    assert len(lai & obesity) == 3 and lai - obesity and obesity - lai


@pytest.mark.parametrize("path", sorted((CONFIG_DIR / "canonical").glob("*.yaml")), ids=lambda p: p.name)
def test_every_canonical_scopes_file_describes_its_field(path):
    field = _load(path)["field"]
    assert field["name"] and field["subject"] and "." not in field["name"]


def test_obesity_sample_labels_use_its_scope_event_types():
    known = {rule["type"] for rule in _load(CONFIG_DIR / "canonical" / "obesity_scopes.yaml")["event_types"]}
    labels = _load(CORPUS_DIR / "obesity" / "labels.yaml")
    used = {e["event_type"] for feed, items in labels.items() if feed != "shared_feeds" for e in items}
    assert used <= known


def test_three_or_four_watch_domains_with_unique_ids(client):
    ids = [domain["id"] for domain in client["watch_domains"]]
    assert 3 <= len(ids) <= 4
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("kind", ["companies", "molecules", "trademarks", "technologies"])
def test_watch_domain_names_exist_in_scopes(client, scopes, kind):
    known = _names(scopes, kind)
    used = {name for domain in client["watch_domains"] for name in domain.get(kind, [])}
    assert used, kind
    assert used - known == set()


def test_four_or_five_sections_with_unique_ids(client):
    ids = [section["id"] for section in client["sections"]]
    assert 4 <= len(ids) <= 5
    assert len(set(ids)) == len(ids)
    assert all(section["max_items"] >= 1 for section in client["sections"])


def test_section_event_types_exist_in_scopes(client, scopes):
    known = {rule["type"] for rule in scopes["event_types"]}
    used = {event_type for section in client["sections"] for event_type in section["event_types"]}
    assert used - known == set()


def test_every_non_fallback_event_type_has_a_section(client, scopes):
    known = {rule["type"] for rule in scopes["event_types"]} - {"other"}
    used = {event_type for section in client["sections"] for event_type in section["event_types"]}
    assert known - used == set()


def test_scopes_list_pure_players_and_big_pharma(scopes):
    categories = {company["category"] for company in scopes["companies"]}
    assert categories == {"pure_player", "big_pharma"}


def test_trademark_owners_are_canonical_companies(scopes):
    companies = _names(scopes, "companies")
    assert {trademark["category"] for trademark in scopes["trademarks"]} - companies == set()


@pytest.mark.parametrize("kind", ["companies", "molecules", "trademarks", "technologies"])
def test_no_alias_points_at_two_canonical_names(scopes, kind):
    owners: dict[str, set[str]] = {}
    for entity in scopes[kind]:
        assert entity["aliases"], entity["name"]
        for alias in entity["aliases"]:
            owners.setdefault(str(alias).lower(), set()).add(entity["name"])
    assert {alias: names for alias, names in owners.items() if len(names) > 1} == {}


def test_event_types_are_unique_and_end_with_keywordless_other(scopes):
    rules = scopes["event_types"]
    types = [rule["type"] for rule in rules]
    assert len(set(types)) == len(types)
    assert rules[-1]["type"] == "other" and rules[-1]["keywords"] == []
    assert all(rule["keywords"] and rule["weight"] > rules[-1]["weight"] for rule in rules[:-1])


def test_sample_labels_use_scope_event_types(scopes):
    known = {rule["type"] for rule in scopes["event_types"]}
    labels = _load(CORPUS_DIR / "labels.yaml")
    assert {label["event_type"] for items in labels.values() for label in items} <= known


def test_pricing_covers_every_model_id_of_the_env_files():
    models = _load(CONFIG_DIR / "bedrock_pricing.yaml")["models"]
    model_ids = {
        value
        for env_file in (REPO_ROOT / "env").glob("*.json")
        for name, value in json.loads(env_file.read_text(encoding="utf-8"))["lambda_environment"].items()
        if name.startswith("BEDROCK_MODEL_ID")
    }
    assert model_ids and model_ids <= set(models)


def test_pricing_entries_are_positive_per_million_prices():
    for model_id, price in _load(CONFIG_DIR / "bedrock_pricing.yaml")["models"].items():
        assert price["input_per_million"] > 0 and price["output_per_million"] > price["input_per_million"], model_id


def test_pricing_prices_geographic_profiles_above_the_global_one():
    """Bedrock bills a geographic profile (eu., us.) about 10% above the global profile of the same model."""
    models = _load(CONFIG_DIR / "bedrock_pricing.yaml")["models"]
    for model_id, price in models.items():
        geography, _, model = model_id.partition(".")
        if geography == "global":
            continue
        global_price = models[f"global.{model}"]
        assert price["input_per_million"] > global_price["input_per_million"], model_id
        assert price["output_per_million"] > global_price["output_per_million"], model_id


def test_pricing_says_which_price_it_holds_and_where_it_comes_from():
    pricing = _load(CONFIG_DIR / "bedrock_pricing.yaml")
    assert "geographic" in pricing["price_basis"] and "global" in pricing["price_basis"]
    assert any("aws.amazon.com/bedrock/pricing" in source for source in pricing["sources"])
