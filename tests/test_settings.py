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
