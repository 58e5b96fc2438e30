"""The Bedrock stand-in as a server: its control endpoint, its command line, concurrency, and the model latency it
simulates."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import botocore.exceptions
import pytest
from standin_testkit import (
    EU_MODEL,
    REPO_ROOT,
    US_MODEL,
    answer_text,
    anthropic_body,
    call_model,
    eu_client,
    http_json,
    is_valid_normalization,
    normalization_prompt,
    runtime_client,
    standin,
)

from toolkit.local.bedrock_standin import BedrockStandIn


def test_latency_setting_is_reported_and_applied(standin, eu_client, normalization_prompt):
    standin.configure(latency_ms=80)

    call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))

    assert http_json(f"{standin.url}/_standin/health")[1]["config"]["latency_ms"] == 80
    assert standin.calls[0]["latency_ms"] >= 75  # a lower bound only: the server slept at least this long


def test_timeout_rate_outlasts_the_client_read_timeout(standin, normalization_prompt):
    standin.configure(timeout_rate=1.0, timeout_sleep_s=3.0)
    client = runtime_client("eu-west-3", standin.url, read_timeout=0.2)

    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        call_model(client, EU_MODEL, anthropic_body(*normalization_prompt))


def test_control_endpoint_round_trip(standin, eu_client, normalization_prompt):
    status, configured = http_json(f"{standin.url}/_standin/config", "POST", {"throttle_rate": 0.25, "latency_ms": 5})
    call_model(runtime_client("eu-west-3", standin.url), EU_MODEL, anthropic_body(*normalization_prompt))
    listed = http_json(f"{standin.url}/_standin/calls")[1]["calls"]
    deleted_status = http_json(f"{standin.url}/_standin/calls", "DELETE")[0]
    health = http_json(f"{standin.url}/_standin/health")[1]

    assert status == 200 and configured["config"]["throttle_rate"] == 0.25
    assert [c["model_id"] for c in listed] == [EU_MODEL]
    assert deleted_status == 200
    assert health["status"] == "ok" and health["calls"] == 0 and health["config"]["latency_ms"] == 5


@pytest.mark.parametrize("settings", [{"throttle_rate": 1.5}, {"no_such_setting": 1}, {"latency_ms": -1}])
def test_control_endpoint_rejects_bad_settings(standin, settings):
    status, payload = http_json(f"{standin.url}/_standin/config", "POST", settings)

    assert status == 400 and payload["message"]
    assert standin.settings["throttle_rate"] == 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_cli_serves_with_its_flags_until_sigterm():
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "toolkit.local.bedrock_standin",
            "--port",
            str(port),
            "--latency-ms",
            "7",
            "--throttle-rate",
            "0.5",
            "--seed",
            "3",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        health = None
        for _ in range(100):
            try:
                health = http_json(f"http://127.0.0.1:{port}/_standin/health")[1]
                break
            except OSError:
                time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    assert health is not None
    assert (health["config"]["latency_ms"], health["config"]["throttle_rate"], health["config"]["seed"]) == (7, 0.5, 3)
    assert process.returncode == 0
    assert (stdout, stderr) == (b"", b"")


def test_stop_frees_the_port():
    server = BedrockStandIn().start()
    port = server.port
    server.stop()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_concurrent_calls_are_all_answered_and_logged(standin, normalization_prompt):
    from concurrent.futures import ThreadPoolExecutor

    client = runtime_client("us-east-1", standin.url)
    body = anthropic_body(*normalization_prompt)
    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(lambda _: answer_text(call_model(client, US_MODEL, body)), range(16)))

    assert len(set(texts)) == 1 and is_valid_normalization(texts[0])
    assert [c["status"] for c in standin.calls] == [200] * 16


# --- the model's latency: time to first token plus output tokens at the output rate ----------------------


def test_model_latency_is_time_to_first_token_plus_output_at_the_rate():
    from toolkit.local.bedrock_standin import model_latency_ms

    settings = {"latency_scale": 1.0, "ttft_ms": 1800, "output_tokens_per_s": 63.0}
    assert model_latency_ms(630, settings) == pytest.approx(1800 + 10_000)


def test_model_latency_is_off_by_default():
    from toolkit.local.bedrock_standin import BedrockStandIn, model_latency_ms

    assert model_latency_ms(5000, BedrockStandIn().settings) == 0


def test_default_model_figures_are_claude_sonnet_4_5_on_bedrock():
    from toolkit.local.bedrock_standin import BedrockStandIn

    settings = BedrockStandIn().settings
    assert (settings["ttft_ms"], settings["output_tokens_per_s"]) == (1800, 63.0)


def test_scaled_model_latency_grows_with_the_answer(standin, eu_client, normalization_prompt):
    standin.configure(latency_scale=0.1, ttft_ms=500, output_tokens_per_s=50)

    call_model(eu_client, EU_MODEL, anthropic_body(*normalization_prompt))

    call = standin.calls[0]
    expected = 0.1 * (500 + call["output_tokens"] / 50 * 1000)
    assert call["latency_ms"] >= expected - 5


def test_output_rate_must_be_positive(standin):
    with pytest.raises(ValueError):
        standin.configure(output_tokens_per_s=0)
