"""The engine's Bedrock path against the local stand-in: routing, tokens, retries, fallbacks.

Token counts from the stand-in are its estimate (characters ÷ 3.5), not a tokenizer's: bars on them are estimates."""

from __future__ import annotations

import json

import pytest
from conftest import (
    LAMBDA_ENV,
    FakeContext,
    engine_buckets,
    fresh_handler,
    read_object,
    record_run,
    use_lambda_environment,
)
from lambda_testkit import edit_client_config

pytestmark = pytest.mark.slow

PAYLOAD = {"client_id": "lai_weekly_v3", "period_days": 7, "force_regenerate": False}


@pytest.fixture
def standin(monkeypatch, lambda_env):
    from toolkit.local.bedrock_standin import BedrockStandIn

    server = BedrockStandIn()
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
    monkeypatch.setenv("LLM_BACKEND", "bedrock")
    monkeypatch.setenv("BEDROCK_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("BEDROCK_THROTTLE_PATIENCE_SECONDS", "0")  # degrade right after botocore's retries
    yield server
    server.stop()


@pytest.fixture
def run(standin, handler_module, context):
    def _run(payload=PAYLOAD, ctx=None):
        return handler_module.lambda_handler(dict(payload), ctx or context)

    return _run


@pytest.fixture(scope="module")
def default_run():
    """One default Bedrock run on fresh buckets: (record of the run, the stand-in's calls)."""
    from toolkit.local.bedrock_standin import BedrockStandIn
    from toolkit.local.sample_feeds import SampleFeedServer

    with pytest.MonkeyPatch.context() as patch, SampleFeedServer() as feeds, BedrockStandIn() as server:
        use_lambda_environment(
            patch, LLM_BACKEND="bedrock", BEDROCK_MAX_ATTEMPTS="2", AWS_ENDPOINT_URL_BEDROCK_RUNTIME=server.url
        )
        with engine_buckets(feeds.base_url) as s3, fresh_handler() as handler:
            recorded = record_run(handler, s3, PAYLOAD)
        calls = server.calls
    return recorded, calls


class RecordingSleep:
    """Stands in for the `time` module of botocore's retry loop: records each backoff instead of sleeping."""

    def __init__(self):
        import time

        self._time = time
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def __getattr__(self, name):
        return getattr(self._time, name)


def test_editorial_calls_are_signed_for_eu_west_3_with_the_eu_profile(default_run):
    recorded, calls = default_run
    editorial_calls = [c for c in calls if c["purpose"] == "newsletter"]
    assert editorial_calls and {c["region"] for c in editorial_calls} == {"eu-west-3"}
    assert {c["model_id"] for c in editorial_calls} == {LAMBDA_ENV["BEDROCK_MODEL_ID_NEWSLETTER"]}
    editorial = recorded.result["editorial"]
    assert editorial["backend"] == "bedrock" and editorial["region"] == "eu-west-3"


def test_normalization_calls_are_signed_for_us_east_1_with_the_us_profile(default_run):
    _recorded, calls = default_run
    normalization_calls = [c for c in calls if c["purpose"] == "normalization"]
    assert normalization_calls and {c["region"] for c in normalization_calls} == {"us-east-1"}
    assert {c["model_id"] for c in normalization_calls} == {LAMBDA_ENV["BEDROCK_MODEL_ID_NORMALIZATION"]}


def test_normalization_is_batched(default_run):
    recorded, calls = default_run
    normalization_calls = [c for c in calls if c["purpose"] == "normalization"]
    assert len(normalization_calls) < recorded.result["counts"]["normalized"]


def test_region_routing_is_logged(default_run):
    recorded, _calls = default_run
    messages = {line.get("message") for line in recorded.logs}
    assert "Client Bedrock hybride : newsletter → eu-west-3" in messages
    assert "Client Bedrock hybride : normalization → us-east-1" in messages


def test_tokens_and_cost_are_reported(default_run):
    result = default_run[0].result
    assert result["editorial"]["input_tokens"] > 0 and result["editorial"]["output_tokens"] > 0
    assert result["llm"]["input_tokens"]["normalization"] > 0
    assert result["llm"]["estimated_cost_usd"] > 0


def test_the_editorial_log_line_carries_the_usage_the_model_returned(default_run):
    recorded, calls = default_run
    (editorial_call,) = [c for c in calls if c["purpose"] == "newsletter"]
    (line,) = recorded.log_lines("Éditorial Bedrock généré")
    assert line["input_tokens"] == editorial_call["input_tokens"] == recorded.result["editorial"]["input_tokens"]
    (prompt_line,) = recorded.log_lines("Prompt éditorial compact")
    assert "estimated_tokens" in prompt_line and "input_tokens" not in prompt_line


def test_estimated_editorial_prompt_of_the_full_newsletter_stays_under_the_seed_bar(default_run):
    recorded, calls = default_run
    assert recorded.result["counts"]["selected"] > 12
    assert max(c["input_tokens"] for c in calls if c["purpose"] == "newsletter") < 1000


def test_manifest_records_the_editorial_backend(default_run):
    recorded, _calls = default_run
    manifest = json.loads(recorded.read(LAMBDA_ENV["NEWSLETTERS_BUCKET"], recorded.result["s3"]["manifest"]))
    assert manifest["editorial"]["model_id"] == LAMBDA_ENV["BEDROCK_MODEL_ID_NEWSLETTER"]


def test_legacy_variables_alone_route_both_purposes(monkeypatch, run, standin):
    for name in list(LAMBDA_ENV):
        if name.endswith(("_NEWSLETTER", "_NORMALIZATION")):
            monkeypatch.delenv(name)
    result = run()
    assert result["status"] == "ok"
    assert {c["region"] for c in standin.calls} == {LAMBDA_ENV["BEDROCK_REGION"]}


def test_estimated_editorial_prompt_for_a_12_item_newsletter_stays_under_700_tokens(run, standin, s3):
    def three_per_section(config):
        for section in config["sections"]:
            section["max_items"] = 3  # four sections of three: the seed's 12-item newsletter

    edit_client_config(s3, LAMBDA_ENV["CONFIG_BUCKET"], three_per_section)
    result = run()
    editorial_calls = [c for c in standin.calls if c["purpose"] == "newsletter"]
    assert result["counts"]["selected"] == 12
    assert max(c["input_tokens"] for c in editorial_calls) < 700


def test_throttled_call_is_retried_with_backoff_up_to_the_attempt_limit(monkeypatch, run, standin):
    monkeypatch.setenv("BEDROCK_MAX_ATTEMPTS", "3")
    backoff = RecordingSleep()
    monkeypatch.setattr("botocore.endpoint.time", backoff)
    standin.configure(throttle_rate=1.0)
    run()
    editorial_calls = [c for c in standin.calls if c["purpose"] == "newsletter"]
    normalization_calls = [c for c in standin.calls if c["purpose"] == "normalization"]
    assert len(editorial_calls) == 3  # one editorial request: the first call and two retries
    assert normalization_calls and len(normalization_calls) % 3 == 0
    # Every retry waited first: two backoffs per request, each a positive, capped delay.
    assert len(backoff.sleeps) == 2 * (len(standin.calls) // 3)
    assert all(0 < delay <= 20 for delay in backoff.sleeps)


def test_throttling_everywhere_yields_a_degraded_uncached_newsletter(monkeypatch, run, standin, s3):
    monkeypatch.setattr("botocore.endpoint.time", RecordingSleep())  # no real backoff waits
    standin.configure(throttle_rate=1.0)
    result = run()
    assert result["status"] == "ok" and result["degraded"]
    assert result["editorial"]["degraded"] and "throttl" in result["editorial"]["degraded_reason"].lower()
    cached = s3.list_objects_v2(Bucket=LAMBDA_ENV["NEWSLETTERS_BUCKET"], Prefix="cache/").get("KeyCount", 0)
    assert cached == 0
    html = read_object(s3, LAMBDA_ENV["NEWSLETTERS_BUCKET"], result["s3"]["html"]).decode()
    assert "Degraded edition" in html


def test_malformed_answers_are_repaired_once_then_fall_back(run, standin):
    standin.configure(malformed_rate=1.0)
    result = run()
    assert result["editorial"]["degraded"] and "invalid" in result["editorial"]["degraded_reason"]
    editorial_calls = [c for c in standin.calls if c["purpose"] == "newsletter"]
    assert len(editorial_calls) == 2  # the call and its one repair


def test_exhausted_time_budget_degrades_instead_of_dying(run):
    result = run(ctx=FakeContext(remaining_ms=30_000))  # below the 60 s reserve
    assert result["status"] == "ok" and result["degraded"]
    assert "time budget" in " ".join(result["degraded_reasons"])


def test_degraded_items_are_renormalized_on_the_next_run(monkeypatch, run, standin):
    monkeypatch.setattr("botocore.endpoint.time", RecordingSleep())
    standin.configure(throttle_rate=1.0)
    run()
    standin.configure(throttle_rate=0.0)
    result = run()
    assert result["counts"]["normalized"] == result["counts"]["in_window"] - result["counts"]["screened_out"]
    assert not result["degraded"]


def test_read_timeout_is_a_flagged_fallback(monkeypatch, run, standin):
    monkeypatch.setenv("BEDROCK_READ_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("BEDROCK_MAX_ATTEMPTS", "1")
    standin.configure(timeout_rate=1.0, timeout_sleep_s=2.5)
    result = run()
    assert result["editorial"]["degraded"] and "timed out" in result["editorial"]["degraded_reason"]


# --- failures that retrying will not heal: reported with their fix -----------------------------------------


def test_editorial_model_access_denied_is_a_blocking_problem_naming_the_console_fix(run, standin):
    model = LAMBDA_ENV["BEDROCK_MODEL_ID_NEWSLETTER"]
    standin.configure(access_denied_models=[model])
    result = run()
    assert result["status"] == "ok" and result["editorial"]["degraded"]
    [problem] = result["blocking_problems"]
    assert problem["stage"] == "editorial" and problem["error_code"] == "AccessDeniedException"
    assert "don't have access" in problem["message"]
    assert problem["fix"] == (
        f"enable model access for {model} in the Bedrock console of eu-west-3 "
        "(Marketplace subscription + Anthropic use-case form)"
    )


def test_blocking_problem_is_logged_as_an_error(run, standin, capsys):
    standin.configure(access_denied_models=["*"])
    run()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "Problème Bedrock bloquant" in line]
    assert {line["stage"] for line in lines} == {"editorial", "normalization"}
    assert {line["level"] for line in lines} == {"ERROR"}


def test_normalization_access_denied_stops_calling_the_model_for_the_rest_of_the_run(monkeypatch, run, standin):
    monkeypatch.setenv("NORMALIZATION_CONCURRENCY", "1")
    standin.configure(access_denied_models=[LAMBDA_ENV["BEDROCK_MODEL_ID_NORMALIZATION"]])
    result = run()
    calls = [c for c in standin.calls if c["model_id"] == LAMBDA_ENV["BEDROCK_MODEL_ID_NORMALIZATION"]]
    assert len(calls) == 1
    assert [p["stage"] for p in result["blocking_problems"]] == ["normalization"]
    assert not result["editorial"]["degraded"]


def test_unknown_model_id_is_a_blocking_problem(monkeypatch, run, standin):
    monkeypatch.setenv("BEDROCK_MODEL_ID_NEWSLETTER", "eu.meta.llama3-2-3b-instruct-v1:0")
    result = run()
    [problem] = result["blocking_problems"]
    assert problem["error_code"] == "ValidationException" and "BEDROCK_MODEL_ID_NEWSLETTER" in problem["fix"]


def test_throttling_degrades_without_a_blocking_problem(run, standin):
    standin.configure(throttle_rate=1.0)
    result = run()
    assert result["degraded"] and result["blocking_problems"] == []


def test_a_healthy_run_has_no_blocking_problems(run):
    assert run()["blocking_problems"] == []


def test_refusal_is_a_blocking_problem_and_not_repaired(run, standin):
    standin.configure(refuse_answers={"newsletter": 1})
    result = run()
    assert [p["error_code"] for p in result["blocking_problems"]] == ["refusal"]
    assert len([c for c in standin.calls if c["purpose"] == "newsletter"]) == 1


def test_denied_role_gets_the_iam_fix_not_the_console_one():
    from botocore.exceptions import ClientError

    from vectora_core.llm.bedrock import blocking_problem
    from vectora_core.settings import BedrockTarget

    denied = ClientError(
        {
            "Error": {
                "Code": "AccessDeniedException",
                "Message": "User: arn:aws:sts::000000000000:assumed-role/r/f is not "
                "authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:eu-west-1::foundation-model/x",
            }
        },
        "InvokeModel",
    )
    problem = blocking_problem(denied, BedrockTarget("newsletter", "eu-west-3", "eu.anthropic.claude-x"))
    assert "function's role" in problem.fix and "Bedrock console" not in problem.fix


# --- stop_reason ----------------------------------------------------------------------------------------------


def test_answer_cut_at_max_tokens_is_asked_again_once_with_a_larger_cap(run, standin):
    standin.configure(cut_answers={"newsletter": 1})
    result = run()
    calls = [c for c in standin.calls if c["purpose"] == "newsletter"]
    assert [c["fault"] for c in calls] == ["max_tokens", ""]
    assert calls[1]["max_tokens"] == 2 * calls[0]["max_tokens"]  # the same question with a larger cap
    assert not result["editorial"]["degraded"] and result["blocking_problems"] == []


def test_answer_cut_twice_is_an_offline_editorial_flagged_with_the_cap(run, standin):
    standin.configure(cut_answers={"newsletter": 2})
    result = run()
    assert result["editorial"]["backend"] == "offline" and result["editorial"]["degraded"]
    assert "cut at max_tokens" in result["editorial"]["degraded_reason"]
    assert len([c for c in standin.calls if c["purpose"] == "newsletter"]) == 2  # no repair turn into the same cap
    assert result["blocking_problems"] == []


def test_editorial_cap_leaves_room_for_the_longest_valid_answer():
    from vectora_core.llm import prompts

    sections = {f"section_{i}": "x" * 320 for i in range(6)}
    longest = json.dumps({"title": "t" * 90, "intro": "i" * 600, "tldr": ["l" * 140] * 5, "sections": sections})
    assert len(longest) / 3.0 < prompts.editorial_max_tokens(6)
    assert prompts.editorial_max_tokens(6) > prompts.editorial_max_tokens(2)


def test_a_refused_normalization_batch_does_not_stop_the_other_batches(monkeypatch, run, standin):
    monkeypatch.setenv("NORMALIZATION_CONCURRENCY", "1")
    standin.configure(refuse_answers={"normalization": 1})
    result = run()
    calls = [c for c in standin.calls if c["purpose"] == "normalization"]
    assert [c["fault"] for c in calls][:2] == ["refusal", ""] and len(calls) > 2
    assert [(p["stage"], p["error_code"]) for p in result["blocking_problems"]] == [("normalization", "refusal")]


def test_screened_out_items_are_listed_with_their_reason_and_never_normalized(run, s3):
    result = run()
    manifest = json.loads(read_object(s3, result["s3"]["bucket"], result["s3"]["manifest"]))
    screened = manifest["screened_out"]
    assert len(screened) == result["counts"]["screened_out"] > 0
    assert all(entry["reason"] for entry in screened)
    from vectora_core import shared_store

    data = LAMBDA_ENV["DATA_BUCKET"]
    normalized_titles = {r["content"]["title"] for r in shared_store.normalized_records(s3, data)}
    index = json.loads(read_object(s3, data, "items/lai_weekly_v3/_index.json"))
    assert normalized_titles and index and not set(index) & {entry["item_id"] for entry in screened}
    assert not normalized_titles & {entry["title"] for entry in screened}


def test_standin_edition_carries_the_banner_at_the_top_and_one_byline_top_and_bottom(run, s3):
    from vectora_core.render import byline_for
    from vectora_core.serialize import editorial_from_dict

    result = run()
    html = read_object(s3, result["s3"]["bucket"], result["s3"]["html"]).decode()
    manifest = json.loads(read_object(s3, result["s3"]["bucket"], result["s3"]["manifest"]))
    byline = byline_for(editorial_from_dict(manifest["editorial_text"]))
    assert "stand-in" in byline
    assert html.count(byline) == 2
    assert html.index("Stand-in edition") < html.index("TL;DR")
    assert "claude" not in html.split("<body", 1)[1].lower()


def test_every_summary_tldr_line_and_intro_of_the_standin_edition_is_whole_sentences(run, s3):
    """The demo's edition: no "…", nothing stopped mid-sentence, whichever of the stand-in's answers it shows."""
    result = run()
    manifest = json.loads(read_object(s3, result["s3"]["bucket"], result["s3"]["manifest"]))
    from vectora_core import shared_store

    records = shared_store.normalized_records(s3, LAMBDA_ENV["DATA_BUCKET"])
    editorial = manifest["editorial_text"]
    shown = [editorial["intro"], *editorial["tldr"], *(s["intro"] for s in editorial["sections"])]
    shown += [r["normalized"]["summary"] for r in records]
    assert (
        len(shown) > 40
        and [t for t in shown if t.endswith("…") or not t.rstrip("\"')").endswith((".", "!", "?"))] == []
    )
    assert "…" not in read_object(s3, result["s3"]["bucket"], result["s3"]["markdown"]).decode()


# --- warm containers, retries and denials as AWS gives them ---------------------------------------------------


def test_a_warm_invocation_logs_its_bedrock_routing_again(run, standin, capsys):
    # On Lambda a second invocation reuses the container and its clients: the smoke test's regions check reads
    # the routing lines of the runs it made, so every invocation logs where each purpose goes.
    run()
    capsys.readouterr()
    run()  # same process, same clients: a warm start
    messages = [
        json.loads(line).get("message") for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    assert messages.count("Client Bedrock hybride : newsletter → eu-west-3") == 1
    assert messages.count("Client Bedrock hybride : normalization → us-east-1") == 1


def test_model_not_ready_is_retried_by_botocore_alone(monkeypatch):
    # ModelNotReadyException is modelled retryable in bedrock-runtime: botocore's standard mode retries it up to
    # total_max_attempts; a loop of our own on top would multiply the attempts.
    import botocore.session

    from vectora_core.llm.bedrock import RETRYABLE_MODEL_ERRORS

    shape = botocore.session.get_session().get_service_model("bedrock-runtime").shape_for("ModelNotReadyException")
    assert "retryable" in shape.metadata
    assert "ModelNotReadyException" not in RETRYABLE_MODEL_ERRORS


def test_marketplace_subscription_denial_gets_the_console_fix_not_the_iam_one():
    # The denial of the first use of a Marketplace model also says "not authorized to perform", but names the
    # aws-marketplace actions: the role's bedrock grants are not the problem.
    from botocore.exceptions import ClientError

    from vectora_core.llm.bedrock import blocking_problem
    from vectora_core.settings import BedrockTarget

    denied = ClientError(
        {
            "Error": {
                "Code": "AccessDeniedException",
                "Message": "Model access is denied due to IAM user or service role is not authorized to perform the "
                "required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to "
                "enable access to this model. Refer to the Amazon Bedrock documentation for further details. Your "
                "AWS Marketplace subscription for this model cannot be completed at this time. If you recently "
                "fixed this issue, try again after 15 minutes.",
            }
        },
        "InvokeModel",
    )
    problem = blocking_problem(denied, BedrockTarget("newsletter", "eu-west-3", "eu.anthropic.claude-x"))
    assert "Marketplace" in problem.fix and "function's role" not in problem.fix
