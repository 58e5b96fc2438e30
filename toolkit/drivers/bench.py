"""`invoke bench`: the deployment plan's figures, measured on the embedded default and printed beside its own.

Writes bench/results.json. Figures are wall-clock on the machine that runs it: compare ratios, not
absolute numbers, across machines.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import resource
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from vectora_core import layout

from .. import REPO_ROOT
from ..config_sync import CONFIG_DIR
from ..envfile import EnvFile, load_env
from ..errors import ToolkitError
from ..local.endpoints import service_url
from ..local.run_local import InProcessHandler, prepare_local
from ..local.sample_feeds import render_feed
from ..local.services import standin_latency_ms
from ..local.target import LocalTarget
from ..target import open_target

# The committed reference figures; a run writes its own under .local/ unless asked to update the reference.
REFERENCE = REPO_ROOT / "bench" / "results.json"
RESULTS = REPO_ROOT / ".local" / "bench" / "results.json"
SCENARIOS = ("realistic_week", "fleet")
# Every benchmark invocation is a check run: its files and state stay under checks/bench/, never in an edition.
BENCH_MODE = "bench"
STANDIN_LATENCY_MS = 400
SCALES = (1, 4, 15)  # corpus copies: ~66, ~264, ~990 items
_ITEM = re.compile(rb"(<item>.*?</item>|<entry>.*?</entry>)", re.S)
_LINK = re.compile(rb"(<link>)([^<]+)(</link>)|(<link[^>]*href=\")([^\"]+)(\")")


class BenchError(ToolkitError, RuntimeError):
    """The benchmark could not run."""


# --- a feed server that multiplies the sample corpus, for the scaling figures ---------------------------


def multiplied_feed(source_id: str, copies: int) -> bytes:
    """The sample feed with every complete item repeated `copies` times under distinct links."""
    body = render_feed(source_id, datetime.now(UTC).date())
    items = _ITEM.findall(body)
    if copies <= 1 or not items:
        return body
    extra = []
    for copy in range(1, copies):
        for item in items:

            def relink(match: re.Match[bytes], copy: int = copy) -> bytes:
                if match.group(1):
                    url = match.group(2)
                    sep = b"&amp;" if b"?" in url else b"?"
                    return match.group(1) + url + sep + b"copy=" + str(copy).encode() + match.group(3)
                url = match.group(5)
                sep = b"&amp;" if b"?" in url else b"?"
                return match.group(4) + url + sep + b"copy=" + str(copy).encode() + match.group(6)

            extra.append(_LINK.sub(relink, item, count=1))
    last = body.rfind(items[-1]) + len(items[-1])
    return body[:last] + b"\n".join(extra) + body[last:]


class _Multiplier(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        match = re.match(r"^/x(\d+)/([a-z0-9_]+)\.xml$", self.path)
        if not match:
            self.send_response(404)
            self.end_headers()
            return
        body = multiplied_feed(match.group(2), int(match.group(1)))
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def multiplier_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Multiplier)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


# --- the engine in process, against the emulator and the stand-in ---------------------------------------


class Engine:
    """The handler in this process: one warm Lambda container for the whole benchmark."""

    def __init__(self, env: EnvFile):
        self.container = InProcessHandler(env)

    def run(self, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
        result, seconds, _logs = self.container.invoke({**payload, "mode": BENCH_MODE})
        if result.get("status") != "ok":
            raise BenchError(f"run failed: {result.get('error')}")
        return result, seconds

    def close(self) -> None:
        self.container.close()


def standin_config(env: EnvFile, **settings) -> None:
    request = urllib.request.Request(
        service_url(env, "bedrock_standin") + "/_standin/config",
        data=json.dumps(settings).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=5).read()


def standin_calls(env: EnvFile) -> list[dict]:
    with urllib.request.urlopen(service_url(env, "bedrock_standin") + "/_standin/calls", timeout=5) as response:
        data = json.loads(response.read())
    return data["calls"] if isinstance(data, dict) else data


def clear_standin_calls(env: EnvFile) -> None:
    urllib.request.urlopen(
        urllib.request.Request(service_url(env, "bedrock_standin") + "/_standin/calls", method="DELETE"), timeout=5
    ).read()


def forget_client_data(s3, bucket: str, client_id: str) -> None:
    """Drop the benchmark's stored items and feed state so the next run normalizes everything again."""
    root = layout.check_data_root(BENCH_MODE)  # where the engine keeps a bench run's state
    for prefix in (layout.items_prefix(client_id, root), layout.feed_state_key(client_id, root)):
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def upload_bench_client(
    s3, env: EnvFile, client_id: str, feeds_base: str, copies: int, max_items: int | None = None
) -> None:
    config = yaml.safe_load((CONFIG_DIR / "clients" / "lai_weekly_v3.yaml").read_text())
    config["client_id"] = client_id
    config["default_period_days"] = 30  # every sample item, old ones included
    for source in config["sources"]:
        source["url"] = f"{feeds_base}/x{copies}/{source['id']}.xml"
    if max_items:
        for section in config["sections"]:
            section["max_items"] = max_items
    s3.put_object(
        Bucket=env.lambda_environment["CONFIG_BUCKET"],
        Key=layout.client_key(client_id),
        Body=yaml.safe_dump(config).encode(),
    )


# --- the realistic week: ~5 % on topic, the stand-in at Claude Sonnet 4.5's speed on Bedrock ---------------

REALISTIC_CLIENT = "bench_realistic_week"
REALISTIC_TARGETS = {"seconds": 25.0, "estimated_cost_usd": 0.10}


def realistic_week(env: EnvFile, printer: Callable[[str], None] = print, items: int = 460) -> dict[str, Any]:
    """A warm cache-miss run over a generated week of `items` items (~5 % relevant), every model call
    answered at the real model's latency (time to first token + output tokens ÷ output rate)."""
    from ..local.sample_feeds import SampleFeedServer
    from .eval_corpus import realistic_week as write_week

    s3 = prepare_local(env, printer=lambda _: None)
    engine = Engine(env)
    data_bucket = env.lambda_environment["DATA_BUCKET"]
    try:
        with tempfile.TemporaryDirectory(prefix="vectora-realistic-week-") as scratch:
            week = write_week(Path(scratch), items=items)
            with SampleFeedServer(corpus_dir=scratch) as feeds:
                config = yaml.safe_load((CONFIG_DIR / "clients" / "lai_weekly_v3.yaml").read_text())
                config["client_id"] = REALISTIC_CLIENT
                for source in config["sources"]:
                    source["url"] = feeds.feed_url(source["id"])
                s3.put_object(
                    Bucket=env.lambda_environment["CONFIG_BUCKET"],
                    Key=layout.client_key(REALISTIC_CLIENT),
                    Body=yaml.safe_dump(config).encode(),
                )
                standin_config(env, latency_ms=0, latency_scale=0.0, throttle_rate=0.0, malformed_rate=0.0)
                engine.run({"client_id": REALISTIC_CLIENT, "force_regenerate": True})  # warm the container
                forget_client_data(s3, data_bucket, REALISTIC_CLIENT)
                standin_config(env, latency_scale=1.0)
                clear_standin_calls(env)
                result, seconds = engine.run({"client_id": REALISTIC_CLIENT, "force_regenerate": True})
                calls = standin_calls(env)
    finally:
        standin_config(env, latency_ms=standin_latency_ms(env), latency_scale=0.0)
        engine.close()
    llm = result["llm"]
    figures = {
        "items": result["counts"]["in_window"],
        "relevant_items": week["relevant"],
        "screened_out": result["counts"]["screened_out"],
        "normalized": result["counts"]["normalized"],
        "selected": result["counts"]["selected"],
        "seconds": round(seconds, 2),
        "model_calls": llm["calls"],
        "input_tokens": llm["input_tokens"],
        "output_tokens": llm["output_tokens"],
        "estimated_cost_usd": llm["estimated_cost_usd"],
        "slowest_call_s": round(max((c.get("latency_ms", 0) for c in calls), default=0) / 1000, 2),
        "latency_model": "Claude Sonnet 4.5 on Bedrock: 1.8 s to first token, 63 output tokens/s",
        "degraded": result["degraded"],
        "timings_ms": result["timings_ms"],
        "targets": REALISTIC_TARGETS,
    }
    figures["meets_targets"] = (
        figures["seconds"] <= REALISTIC_TARGETS["seconds"]
        and (figures["estimated_cost_usd"] or 0) <= REALISTIC_TARGETS["estimated_cost_usd"]
        and not figures["degraded"]
    )
    return figures


def realistic_week_lines(figures: dict[str, Any]) -> list[str]:
    calls = sum(figures["model_calls"].values())
    tokens_in, tokens_out = sum(figures["input_tokens"].values()), sum(figures["output_tokens"].values())
    return [
        f"realistic week: {figures['items']} items ({figures['relevant_items']} relevant), {figures['screened_out']} screened out, "
        f"{figures['normalized']} normalized, {figures['selected']} selected",
        f"  warm cache miss at Claude Sonnet 4.5 speed: {figures['seconds']:.1f} s (target ≤ {REALISTIC_TARGETS['seconds']:g} s), "
        f"{calls} model calls, {tokens_in} input / {tokens_out} output tokens, "
        f"≈ {figures['estimated_cost_usd']} USD per edition (target ≤ {REALISTIC_TARGETS['estimated_cost_usd']:.2f})"
        + ("" if figures["meets_targets"] else "  TARGET MISSED"),
    ]


def results_path(update_reference: bool = False) -> Path:
    return REFERENCE if update_reference else RESULTS


def save_results(update: dict[str, Any], path: Path = RESULTS) -> dict[str, Any]:
    """Merge figures into `path` (the untracked .local/bench/results.json unless the reference is updated), keeping
    the figures not measured this time; a first untracked file starts from the reference's."""
    source = path if path.exists() else REFERENCE
    current = json.loads(source.read_text()) if source.exists() else {}
    current.update(update)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return current


# --- figures ---------------------------------------------------------------------------------------------


def cold_start(
    zip_path: Path, interpreter: str, lambda_environment: dict[str, str], runs: int = 10
) -> dict[str, float]:
    """Handler import, and import plus the first container set-up, each in a fresh process (median ms)."""
    with tempfile.TemporaryDirectory(prefix="vectora-cold-") as scratch:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(scratch)
        probe = (
            "import time,sys;t=time.perf_counter();import handler;a=time.perf_counter();"
            "import vectora_core.pipeline, vectora_core.ingest.fetch, vectora_core.render, boto3;"
            "boto3.client('s3', region_name='eu-west-3');b=time.perf_counter();"
            "print((a-t)*1000,(b-t)*1000)"
        )
        imports, full = [], []
        for _ in range(runs):
            # The function's own environment, as at a real init (the handler checks it at import).
            out = (
                subprocess.run(
                    [interpreter, "-c", probe],
                    cwd=scratch,
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, **lambda_environment, "PYTHONDONTWRITEBYTECODE": "1"},
                )
                .stdout.split("\n")[-2]
                .split()
            )
            imports.append(float(out[0]))
            full.append(float(out[1]))
    return {"handler_import_ms": statistics.median(imports), "import_and_setup_ms": statistics.median(full)}


def main(
    env_name: str | None = None,
    printer: Callable[[str], None] = print,
    scales: tuple[int, ...] = SCALES,
    include_deploy: bool = True,
    scenario: str | None = None,
    update_reference: bool = False,
    clients: int | None = None,
) -> dict[str, Any]:
    env = load_env(env_name)
    if not isinstance(open_target(env), LocalTarget):
        raise BenchError("the benchmark runs on the embedded emulator (env local)")
    if scenario not in (None, *SCENARIOS):
        raise BenchError(f"unknown scenario {scenario!r}: use one of {', '.join(SCENARIOS)}")
    path = results_path(update_reference)
    if scenario == "fleet":
        from .fleet_bench import CLIENTS, fleet, fleet_lines

        figures = fleet(env, printer, clients=clients or CLIENTS)
        for line in fleet_lines(figures):
            printer(line)
        save_results({"fleet": figures}, path)
        printer(f"results written to {path.relative_to(REPO_ROOT)} under fleet")
        return figures
    if scenario == "realistic_week":
        figures = realistic_week(env, printer)
        for line in realistic_week_lines(figures):
            printer(line)
        save_results({"realistic_week": figures}, path)
        printer(f"results written to {path.relative_to(REPO_ROOT)} under realistic_week")
        return figures
    figures: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count()},
    }
    step_started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal step_started
        printer(f"[bench] {name} ({time.perf_counter() - step_started:.1f} s since last step)")
        step_started = time.perf_counter()

    from ..local.lambda_runner import select_interpreter
    from ..packaging import build_package, measure_boto3_tradeoff

    step("package")
    package = build_package(env.name, printer=lambda _: None)
    started = time.perf_counter()
    build_package(env.name, printer=lambda _: None)
    figures["zip_mb"] = package.size_bytes / 1e6
    figures["unzipped_mb"] = package.unzipped_bytes / 1e6
    figures["noop_rebuild_s"] = time.perf_counter() - started
    tradeoff = measure_boto3_tradeoff(env.name, printer=lambda _: None)
    figures["boto3_tradeoff"] = tradeoff

    step("cold start")
    interpreter = select_interpreter(env.runtime, printer=lambda _: None)
    figures["cold_start"] = cold_start(package.path, interpreter, env.lambda_environment)

    step("services and engine")
    s3 = prepare_local(env, printer=lambda _: None)
    engine = Engine(env)
    data_bucket = env.lambda_environment["DATA_BUCKET"]
    scaling = []
    try:
        with multiplier_server() as feeds_base:
            for copies in scales:
                client_id = f"bench_x{copies}"
                upload_bench_client(s3, env, client_id, feeds_base, copies)
                standin_config(env, latency_ms=0, throttle_rate=0.0, malformed_rate=0.0)
                engine.run({"client_id": client_id, "force_regenerate": True})  # warm the container
                forget_client_data(s3, data_bucket, client_id)
                standin_config(env, latency_ms=STANDIN_LATENCY_MS)
                clear_standin_calls(env)
                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                result, seconds = engine.run({"client_id": client_id, "force_regenerate": True})
                calls = len(standin_calls(env))
                concurrency = int(env.lambda_environment.get("NORMALIZATION_CONCURRENCY", 8))
                normalization_calls = result["llm"]["calls"].get("normalization", 0)
                bound = (math.ceil(normalization_calls / concurrency) + 1) * STANDIN_LATENCY_MS / 1000
                row = {
                    "items": result["counts"]["in_window"],
                    "normalized": result["counts"]["normalized"],
                    "bedrock_calls": calls,
                    "seconds": seconds,
                    "serial_calls_s": calls * STANDIN_LATENCY_MS / 1000,
                    "concurrency_bound_s": bound,
                    "degraded": result["degraded"],
                    "timings_ms": result["timings_ms"],
                }
                scaling.append(row)
                printer(
                    f"  warm miss with {row['items']} items: {seconds:.2f} s ({calls} calls; serial would be {row['serial_calls_s']:.1f} s)"
                )
                if copies == scales[0]:
                    figures["warm_miss_s"] = seconds
                    figures["warm_miss_items"] = row["items"]
                    figures["peak_rss_mb"] = max(rss_before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
                    hit, hit_s = engine.run({"client_id": client_id})
                    figures["cache_hit_s"] = hit_s
                    figures["cache_hit_state"] = hit["cache"]
            figures["scaling"] = scaling

            step("editorial prompt, 12 items")
            standin_config(env, latency_ms=0)
            upload_bench_client(s3, env, "bench_p12", feeds_base, 1, max_items=3)
            clear_standin_calls(env)
            result, _ = engine.run({"client_id": "bench_p12", "force_regenerate": True})
            editorial_calls = [c for c in standin_calls(env) if c.get("purpose") == "newsletter"]
            figures["prompt_items"] = result["counts"]["selected"]
            figures["prompt_tokens"] = editorial_calls[-1]["input_tokens"] if editorial_calls else None
    finally:
        standin_config(env, latency_ms=standin_latency_ms(env))
        engine.close()

    if include_deploy:
        step("deploy and rollback")
        figures.update(deploy_figures(env, printer))
    step("realistic week")
    figures["realistic_week"] = realistic_week(env, printer)
    step("done")
    save_results(figures, path)
    for line in table(figures):
        printer(line)
    for line in realistic_week_lines(figures["realistic_week"]):
        printer(line)
    printer(f"results written to {path.relative_to(REPO_ROOT)}")
    return figures


def _current_zip(env: EnvFile) -> Path:
    from ..packaging import build_package

    return Path(build_package(env.name, printer=lambda _line: None).path)


def deploy_figures(env: EnvFile, printer: Callable[[str], None]) -> dict[str, Any]:
    """Unchanged-code deploy and a rollback round trip on the emulator (needs `invoke tf.apply` first)."""
    from ..deploy import deploy, rollback
    from ..invoker import invoke_function

    quiet = lambda _line: None  # noqa: E731
    deploy(env, printer=quiet)  # make sure the current code is live
    started = time.perf_counter()
    result = deploy(env, printer=quiet)
    unchanged_s = time.perf_counter() - started
    figures: dict[str, Any] = {"deploy_unchanged_s": unchanged_s, "deploy_unchanged_published": result.published}
    # A whole cold invocation: fresh process, imports, clients, a cached newsletter (local target).
    payload = {**json.loads((REPO_ROOT / "payloads" / "test-payload-p1.json").read_text()), "mode": BENCH_MODE}
    invoke_function(env, "live", payload, printer=quiet)
    walls = []
    for _ in range(3):
        started = time.perf_counter()
        invoke_function(env, "live", payload, printer=quiet)
        walls.append((time.perf_counter() - started) * 1000)
    figures["cold_invocation_ms"] = statistics.median(walls)
    # Rollback needs a version to leave: publish the demo's drill build (same code plus a note file),
    # time the rollback to the version that was live, which also restores it.
    from .demo import drill_package

    with tempfile.TemporaryDirectory(prefix="vectora-bench-drill-") as scratch:
        drill = drill_package(_current_zip(env), Path(scratch))
        deploy(env, printer=quiet, build=lambda _env, _printer: drill)
    started = time.perf_counter()
    rollback(env, to_version=result.live_version, printer=quiet)
    figures["rollback_s"] = time.perf_counter() - started
    return figures


# Figures of the phase 3 deployment plan the project started from, and our targets.
PLAN_FIGURES = {
    "zip_mb": ("zip size", 18.3, "MB", 5.0),
    "noop_rebuild_s": ("no-op rebuild", None, "s", 1.0),
    "cold_start": ("cold start (handler import, median of 10)", 3000.0, "ms", 300.0),
    "cold_invocation_ms": ("cold invocation, cache hit (fresh process)", 3000.0, "ms", None),
    "warm_miss_s": ("warm run, cache miss, stand-in 400 ms/call", 9.93, "s", 4.0),
    "cache_hit_s": ("cache-hit run", 5.0, "s", 0.3),
    "prompt_tokens": ("editorial prompt, 12 items (estimated tokens)", 1000, "tokens", 700),
    "rollback_s": ("rollback", 300.0, "s", 2.0),
    "deploy_unchanged_s": ("deploy of unchanged code", None, "s", 10.0),
    "peak_rss_mb": ("peak memory of a warm run", 400.0, "MB", None),
}


def table(figures: dict[str, Any]) -> list[str]:
    lines = [f"{'figure':<44} {'plan':>10} {'target':>9} {'measured':>12} {'plan/ours':>9}  ok", "-" * 94]
    for key, (label, planned, unit, target) in PLAN_FIGURES.items():
        value = figures.get(key)
        if key == "cold_start" and value:
            value = value["handler_import_ms"]
        if value is None:
            lines.append(f"{label:<44} {'':>10} {'':>9} {'not run':>12}")
            continue
        ratio = f"{planned / value:.1f}x" if planned and value else ""
        ok = "" if target is None else ("yes" if value <= target else "NO")
        plan_text = f"{planned:g} {unit}" if planned else "—"
        target_text = f"{target:g}" if target is not None else "—"
        lines.append(f"{label:<44} {plan_text:>10} {target_text:>9} {value:>9.3g} {unit:<3}{ratio:>8}  {ok}")
    cold = figures.get("cold_start")
    if cold:
        lines.append(f"  cold start incl. engine modules, boto3 and an S3 client: {cold['import_and_setup_ms']:.0f} ms")
    if figures.get("deploy_unchanged_published"):
        lines.append("  WARNING: the unchanged-code deploy published a version")
    for row in figures.get("scaling", []):
        lines.append(
            f"  warm miss, {row['items']:>4} items: {row['seconds']:.2f} s for {row['bedrock_calls']} calls "
            f"(concurrency bound ≈ {row['concurrency_bound_s']:.1f} s, serial {row['serial_calls_s']:.1f} s)"
        )
    if figures.get("boto3_tradeoff"):
        lines.append(f"  boto3 trade-off: {json.dumps(figures['boto3_tradeoff'])[:200]}")
    return lines
