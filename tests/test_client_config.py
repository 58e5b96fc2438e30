from pathlib import Path

import pytest

from vectora_core.client_config import ConfigError, parse_client_config, parse_scopes

CONFIG = Path(__file__).resolve().parent.parent / "config"
SCOPES_TEXT = (CONFIG / "canonical/lai_scopes.yaml").read_text()
CLIENT_TEXT = (CONFIG / "clients/lai_weekly_v3.yaml").read_text()


def scopes_loader(_key):
    return parse_scopes(SCOPES_TEXT, "canonical/lai_scopes.yaml")


def test_repository_config_parses():
    client = parse_client_config(CLIENT_TEXT, "clients/lai_weekly_v3.yaml", scopes_loader)
    assert client.client_id == "lai_weekly_v3" and len(client.sources) >= 6 and client.sections


def test_missing_field_error_names_file_and_field():
    text = CLIENT_TEXT.replace("client_id: lai_weekly_v3\n", "")
    with pytest.raises(ConfigError, match=r"clients/x.yaml: .*client_id: is required"):
        parse_client_config(text, "clients/x.yaml", scopes_loader)


def test_bad_source_url_is_named_with_its_index():
    text = CLIENT_TEXT.replace("url: https://www.medincell.com", "url: ftp://www.medincell.com", 1)
    with pytest.raises(ConfigError, match=r"sources\[0\]\.url"):
        parse_client_config(text, "clients/x.yaml", scopes_loader)


def test_unknown_canonical_name_in_watch_domain_is_refused():
    text = CLIENT_TEXT.replace("companies: [MedinCell, Teva,", "companies: [MedinKell, Teva,", 1)
    with pytest.raises(ConfigError, match="MedinKell"):
        parse_client_config(text, "clients/x.yaml", scopes_loader)


def test_invalid_yaml_is_reported_as_such():
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_client_config("a: [unclosed", "clients/x.yaml", scopes_loader)


def test_scopes_need_the_other_event_type():
    text = SCOPES_TEXT.replace("type: other", "type: misc")
    with pytest.raises(ConfigError, match="other"):
        parse_scopes(text, "canonical/lai_scopes.yaml")


def test_company_category_is_checked():
    text = SCOPES_TEXT.replace("category: pure_player", "category: startup", 1)
    with pytest.raises(ConfigError, match=r"companies\[0\]\.category"):
        parse_scopes(text, "canonical/lai_scopes.yaml")
