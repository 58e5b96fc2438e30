import pytest

from vectora_core.settings import SettingsError, load_settings

BASE = {
    "ENV": "dev",
    "PROJECT_NAME": "vectora-inbox",
    "CONFIG_BUCKET": "c",
    "DATA_BUCKET": "d",
    "NEWSLETTERS_BUCKET": "n",
    "BEDROCK_REGION_NEWSLETTER": "eu-west-3",
    "BEDROCK_MODEL_ID_NEWSLETTER": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "BEDROCK_REGION_NORMALIZATION": "us-east-1",
    "BEDROCK_MODEL_ID_NORMALIZATION": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
}


def test_purpose_specific_variables_route_each_purpose():
    settings = load_settings(BASE)
    assert settings.newsletter.region == "eu-west-3" and settings.newsletter.model_id.startswith("eu.")
    assert settings.normalization.region == "us-east-1" and settings.normalization.model_id.startswith("us.")


def test_legacy_variables_serve_both_purposes():
    env = {k: v for k, v in BASE.items() if not k.startswith("BEDROCK_")}
    env.update(BEDROCK_REGION="us-east-1", BEDROCK_MODEL_ID="us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    settings = load_settings(env)
    assert settings.newsletter.region == settings.normalization.region == "us-east-1"


def test_missing_variables_are_all_named():
    env = {k: v for k, v in BASE.items() if k not in ("DATA_BUCKET", "BEDROCK_REGION_NEWSLETTER")}
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert "DATA_BUCKET is not set" in str(err.value)
    assert "BEDROCK_REGION_NEWSLETTER (or BEDROCK_REGION)" in str(err.value)


def test_offline_backend_needs_no_bedrock_variables():
    env = {k: v for k, v in BASE.items() if not k.startswith("BEDROCK")}
    assert load_settings({**env, "LLM_BACKEND": "offline"}).llm_backend == "offline"


def test_unknown_backend_is_refused():
    with pytest.raises(SettingsError, match="LLM_BACKEND"):
        load_settings({**BASE, "LLM_BACKEND": "openai"})


def test_non_integer_concurrency_is_refused():
    with pytest.raises(SettingsError, match="NORMALIZATION_CONCURRENCY"):
        load_settings({**BASE, "NORMALIZATION_CONCURRENCY": "many"})


# --- every field and bound, so a changed default or limit is noticed ------------------------------------


def test_every_setting_is_read_with_its_default():
    settings = load_settings(BASE)
    assert (settings.env, settings.project_name) == ("dev", "vectora-inbox")
    assert (settings.config_bucket, settings.data_bucket, settings.newsletters_bucket) == ("c", "d", "n")
    assert (settings.llm_backend, settings.log_level) == ("bedrock", "INFO")
    assert settings.newsletter.purpose == "newsletter" and settings.normalization.purpose == "normalization"
    assert settings.newsletter.model_id == BASE["BEDROCK_MODEL_ID_NEWSLETTER"]
    assert settings.normalization.model_id == BASE["BEDROCK_MODEL_ID_NORMALIZATION"]
    assert (settings.normalization_concurrency, settings.normalization_batch_size, settings.bedrock_max_attempts) == (
        8,
        6,
        4,
    )
    assert (settings.time_budget_reserve_ms, settings.bedrock_read_timeout_seconds) == (60_000, 120.0)
    assert (settings.fetch_timeout_seconds, settings.fetch_max_bytes) == (10.0, 5_000_000)
    assert settings.allow_private_feed_hosts is False


def test_tuning_variables_are_read():
    settings = load_settings(
        {
            **BASE,
            "NORMALIZATION_CONCURRENCY": "3",
            "NORMALIZATION_BATCH_SIZE": " 9 ",
            "BEDROCK_MAX_ATTEMPTS": "7",
            "TIME_BUDGET_RESERVE_MS": "500",
            "BEDROCK_READ_TIMEOUT_SECONDS": "30",
            "FETCH_TIMEOUT_SECONDS": "4",
            "FETCH_MAX_BYTES": "2000",
            "LOG_LEVEL": " debug ",
            "LLM_BACKEND": " Bedrock ",
        }
    )
    assert (settings.normalization_concurrency, settings.normalization_batch_size, settings.bedrock_max_attempts) == (
        3,
        9,
        7,
    )
    assert (settings.time_budget_reserve_ms, settings.bedrock_read_timeout_seconds) == (500, 30.0)
    assert (settings.fetch_timeout_seconds, settings.fetch_max_bytes) == (4.0, 2000)
    assert (settings.log_level, settings.llm_backend) == ("DEBUG", "bedrock")


def test_blank_tuning_variable_takes_the_default():
    assert load_settings({**BASE, "NORMALIZATION_BATCH_SIZE": "  "}).normalization_batch_size == 6


@pytest.mark.parametrize(
    "name, low, high",
    [
        ("NORMALIZATION_CONCURRENCY", 1, 64),
        ("NORMALIZATION_BATCH_SIZE", 1, 25),
        ("BEDROCK_MAX_ATTEMPTS", 1, 10),
        ("TIME_BUDGET_RESERVE_MS", 0, 600_000),
        ("BEDROCK_READ_TIMEOUT_SECONDS", 1, 900),
        ("FETCH_TIMEOUT_SECONDS", 1, 120),
        ("FETCH_MAX_BYTES", 1_000, 50_000_000),
    ],
)
def test_tuning_bounds_are_inclusive_and_enforced(name, low, high):
    for accepted in (low, high):
        load_settings({**BASE, name: str(accepted)})
    for refused in (low - 1, high + 1):
        with pytest.raises(SettingsError) as err:
            load_settings({**BASE, name: str(refused)})
        assert str(err.value) == f"Invalid Lambda environment: {name} must be between {low} and {high}, got {refused}"


def test_non_integer_value_is_quoted_in_the_error():
    with pytest.raises(SettingsError) as err:
        load_settings({**BASE, "FETCH_MAX_BYTES": "5MB"})
    assert str(err.value) == "Invalid Lambda environment: FETCH_MAX_BYTES must be an integer, got '5MB'"


def test_unknown_backend_and_log_level_are_named_with_the_choices():
    with pytest.raises(SettingsError) as err:
        load_settings({**BASE, "LLM_BACKEND": "openai", "LOG_LEVEL": "loud"})
    assert str(err.value) == (
        "Invalid Lambda environment: LLM_BACKEND must be one of bedrock, offline, got 'openai'; "
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"
    )


def test_every_missing_variable_is_named_in_one_error():
    with pytest.raises(SettingsError) as err:
        load_settings({})
    assert str(err.value) == (
        "Invalid Lambda environment: ENV is not set; PROJECT_NAME is not set; CONFIG_BUCKET is not set; "
        "DATA_BUCKET is not set; NEWSLETTERS_BUCKET is not set; "
        "BEDROCK_REGION_NEWSLETTER (or BEDROCK_REGION) is not set; BEDROCK_MODEL_ID_NEWSLETTER (or BEDROCK_MODEL_ID) is not set; "
        "BEDROCK_REGION_NORMALIZATION (or BEDROCK_REGION) is not set; BEDROCK_MODEL_ID_NORMALIZATION (or BEDROCK_MODEL_ID) is not set"
    )


def test_purpose_variables_win_over_the_legacy_ones():
    settings = load_settings({**BASE, "BEDROCK_REGION": "us-west-2", "BEDROCK_MODEL_ID": "legacy"})
    assert (settings.newsletter.region, settings.newsletter.model_id) == (
        "eu-west-3",
        BASE["BEDROCK_MODEL_ID_NEWSLETTER"],
    )


def test_offline_backend_has_placeholder_targets_per_purpose():
    env = {k: v for k, v in BASE.items() if not k.startswith("BEDROCK")}
    settings = load_settings({**env, "LLM_BACKEND": "offline"})
    assert settings.newsletter == type(settings.newsletter)("newsletter", "-", "-")
    assert settings.normalization == type(settings.normalization)("normalization", "-", "-")


def test_private_feed_hosts_are_allowed_only_in_the_local_environment():
    assert load_settings({**BASE, "ENV": "local"}).allow_private_feed_hosts is True


def test_settings_default_to_the_process_environment(monkeypatch):
    for name in ("LLM_BACKEND", "LOG_LEVEL", "NORMALIZATION_CONCURRENCY", "FETCH_MAX_BYTES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATA_BUCKET", "from-the-process")
    assert load_settings().data_bucket == "from-the-process"


def test_every_bad_tuning_variable_is_named_at_once():
    with pytest.raises(SettingsError) as err:
        load_settings({**BASE, "NORMALIZATION_CONCURRENCY": "0", "FETCH_MAX_BYTES": "lots"})
    assert str(err.value) == (
        "Invalid Lambda environment: NORMALIZATION_CONCURRENCY must be between 1 and 64, got 0; "
        "FETCH_MAX_BYTES must be an integer, got 'lots'"
    )


def test_the_shared_store_is_on_by_default_with_its_tuning_defaults():
    settings = load_settings(BASE)
    assert settings.shared_store is True
    assert (settings.shared_feed_window_seconds, settings.shared_wait_seconds) == (3600, 300)
    assert (settings.shared_claim_ttl_seconds, settings.bedrock_throttle_patience_seconds) == (600, 300)


def test_the_shared_store_s_tuning_is_read():
    settings = load_settings(
        {
            **BASE,
            "SHARED_FEED_WINDOW_SECONDS": "60",
            "SHARED_WAIT_SECONDS": "5",
            "SHARED_CLAIM_TTL_SECONDS": "45",
            "BEDROCK_THROTTLE_PATIENCE_SECONDS": "0",
        }
    )
    assert (settings.shared_feed_window_seconds, settings.shared_wait_seconds) == (60, 5)
    assert (settings.shared_claim_ttl_seconds, settings.bedrock_throttle_patience_seconds) == (45, 0)


def test_the_shared_store_is_switched_off_in_any_case():
    assert load_settings({**BASE, "SHARED_STORE": " OFF "}).shared_store is False


def test_a_blank_shared_store_switch_means_on():
    assert load_settings({**BASE, "SHARED_STORE": "  "}).shared_store is True


def test_an_unknown_shared_store_switch_is_quoted_in_the_error():
    with pytest.raises(SettingsError, match="SHARED_STORE must be on or off, got 'maybe'"):
        load_settings({**BASE, "SHARED_STORE": "maybe"})
