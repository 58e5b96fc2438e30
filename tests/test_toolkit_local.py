"""The toolkit's local helpers: invoke run, the demo's drill build, the benchmark's feed multiplier."""

from __future__ import annotations

import hashlib
import re
import zipfile
from datetime import UTC, datetime, timezone

import pytest
from lambda_testkit import emulator, local_services
from stack_template import stack_template

from toolkit.envfile import load_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def applied_stack(emulator, stack_template, tmp_path_factory):
    """The local stack as a fresh apply leaves it: the session's one apply restored into the emulator, with its
    Terraform state in a copy of the tree (so the working copy's state is left alone). What these tests check is
    the run on that stack, not the apply (test_any_order.py checks `run` bringing the stack up)."""
    from tests.test_terraform import copy_infrastructure, require_terraform_provider
    from toolkit import terraform
    from toolkit.stack import ensure_stack

    with pytest.MonkeyPatch.context() as patch:
        require_terraform_provider(patch)
        patch.setattr(terraform, "REPO_ROOT", copy_infrastructure(tmp_path_factory.mktemp("toolkit-local") / "repo"))
        with local_services(emulator) as (env, _feeds, _standin):
            stack_template.restore(env.emulator_url(), terraform.REPO_ROOT)
            lines: list[str] = []
            assert not ensure_stack(env, lines.append), "the restored stack lacks a piece:\n" + "\n".join(lines)
            yield env


@pytest.fixture
def local_stack(applied_stack):
    """The applied stack as a fresh apply leaves it (the engine's data and newsletters emptied), with a Bedrock
    stand-in and sample feeds of the test's own."""
    import dataclasses

    from toolkit.local.bedrock_standin import BedrockStandIn
    from toolkit.local.sample_feeds import SampleFeedServer
    from toolkit.services import boto3_client

    s3 = boto3_client(applied_stack, "s3")
    for variable in ("DATA_BUCKET", "NEWSLETTERS_BUCKET"):
        bucket = applied_stack.lambda_environment[variable]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
    feeds = SampleFeedServer().start()
    standin = BedrockStandIn().start()
    ports = {**applied_stack.local_services, "bedrock_standin_port": standin.port, "sample_feeds_port": feeds.port}
    try:
        yield dataclasses.replace(applied_stack, local_services=ports), standin
    finally:
        standin.stop()
        feeds.stop()


def test_run_payload_runs_the_handler_and_copies_the_newsletter(local_stack, tmp_path):
    from toolkit.local.run_local import run_payload

    env, standin = local_stack
    lines: list[str] = []
    result = run_payload(env, {"client_id": "lai_weekly_v3", "period_days": 7}, printer=lines.append, out_dir=tmp_path)
    assert result["status"] == "ok" and result["editorial"]["backend"] == "bedrock"
    folder = tmp_path / "lai_weekly_v3" / result["period"]["date"]
    assert {p.name for p in folder.iterdir()} == {"newsletter.html", "newsletter.md", "manifest.json", "run.log"}
    assert any("Client Bedrock hybride : newsletter → eu-west-3" in line for line in lines)
    assert {c["region"] for c in standin.calls} == {"eu-west-3", "us-east-1"}


def test_run_payload_reports_an_unknown_client_without_writing(local_stack, tmp_path):
    from toolkit.local.run_local import run_payload

    env, _ = local_stack
    lines: list[str] = []
    result = run_payload(env, {"client_id": "nobody"}, printer=lines.append, out_dir=tmp_path)
    assert result["error"]["type"] == "ClientNotFound"
    assert any("ClientNotFound" in line for line in lines) and not list(tmp_path.iterdir())


def test_run_refuses_an_environment_without_emulator():
    from toolkit.local.run_local import RunError, run_payload

    with pytest.raises(RunError, match="invoke smoke --env dev"):
        run_payload("dev", {"client_id": "lai_weekly_v3"})


def test_drill_package_is_the_same_code_with_a_note(tmp_path):
    from toolkit.drivers.demo import DRILL_NOTE, drill_package

    original = tmp_path / "engine.zip"
    with zipfile.ZipFile(original, "w") as archive:
        archive.writestr("handler.py", "def lambda_handler(e, c):\n    return {}\n")
    drill = drill_package(original, tmp_path)
    with zipfile.ZipFile(drill.path) as archive:
        assert set(archive.namelist()) == {"handler.py", DRILL_NOTE}
    assert (
        drill.sha256
        == hashlib.sha256(drill.path.read_bytes()).hexdigest()
        != hashlib.sha256(original.read_bytes()).hexdigest()
    )


def test_multiplied_feed_repeats_items_under_distinct_links():
    from toolkit.drivers.bench import multiplied_feed
    from vectora_core.ingest.parse import parse_feed

    now = datetime.now(UTC)
    single = parse_feed(multiplied_feed("medincell_press", 1), "medincell_press", now).items
    tripled = parse_feed(multiplied_feed("medincell_press", 3), "medincell_press", now).items
    assert len(tripled) == 3 * len(single) and len({i.item_id for i in tripled}) == len(tripled)


def test_port_offset_shifts_every_local_service(monkeypatch):
    from toolkit.envfile import load_env

    monkeypatch.setenv("VECTORA_LOCAL_PORT_OFFSET", "100")
    env = load_env("local")
    assert env.service_port("emulator") == env.local_services["emulator_port"] + 100
    assert env.emulator_url().endswith(str(env.local_services["emulator_port"] + 100))


def test_bad_port_offset_is_named(monkeypatch):
    from toolkit.envfile import EnvFileError, load_env

    monkeypatch.setenv("VECTORA_LOCAL_PORT_OFFSET", "-5")
    with pytest.raises(EnvFileError, match="VECTORA_LOCAL_PORT_OFFSET"):
        load_env("local").service_port("emulator")


def test_smoke_basic_refuses_a_run_that_cannot_reach_the_model(local_stack, tmp_path):
    """End to end: the stand-in answers AccessDenied as Bedrock does before model access is enabled; the engine
    degrades, reports the blocking problem, and the pre-promotion smoke check fails naming the fix."""
    from toolkit.invoker import InvokeResult
    from toolkit.local.run_local import run_payload
    from toolkit.smoke import FAILED, check_basic

    env, standin = local_stack
    standin.configure(access_denied_models=["*"])

    def invoke(payload):
        body = run_payload(env, payload, printer=lambda line: None, out_dir=tmp_path)
        return InvokeResult(
            status_code=200,
            function_error=None,
            payload=body,
            log_text="",
            duration_ms=1.0,
            request_id="r",
            executed_version="2",
        )

    check, run = check_basic(invoke, {"client_id": "lai_weekly_v3", "period_days": 1})

    assert run.payload["status"] == "ok" and run.payload["degraded"]
    assert check.status == FAILED
    assert "AccessDeniedException" in check.detail and "enable model access for" in check.detail


def test_run_prints_one_total_no_raw_log_line_and_an_honest_cache_hit(local_stack, tmp_path):
    from toolkit.local.run_local import run_payload

    env, _standin = local_stack
    payload = {"client_id": "lai_weekly_v3", "period_days": 7}
    first: list[str] = []
    run_payload(env, payload, printer=first.append, out_dir=tmp_path)
    second: list[str] = []
    hit = run_payload(env, payload, printer=second.append, out_dir=tmp_path)

    for lines in (first, second):
        assert not [line for line in lines if line.lstrip().startswith("{")], lines  # JSON only after a `log:` label
        totals = [line for line in lines if re.search(r"\btotal\b \d|^\s*done in ", line)]
        assert len(totals) == 1, totals
    assert hit["cache"] == "hit" and hit["llm"]["estimated_cost_usd"] == 0
    editorial = hit["editorial"]
    assert (
        f"cache hit (cached, written earlier with {editorial['input_tokens']}/{editorial['output_tokens']}"
        in "\n".join(second)
    )
    assert "  this run: 0/0 tokens in/out, cost ≈ 0.0000 USD" in second
