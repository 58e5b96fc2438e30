"""`invoke bench --scenario fleet`: a hundred clients start the same minute, on the emulator, under a Bedrock quota.

What is measured, twice (shared store on, then off, from a clean store each time):

- the clients: N configs (default 100) over a pool of sources: LAI Weekly's eight (the benchmark's realistic week,
  ~5 % on topic) and GLP-1 & Obesity Weekly's six own, each client of a field reading a random subset of its
  field's pool, so most sources are read by many clients (the obesity clients also read the three trade and
  regulator feeds the LAI clients read);
- the start: every client's schedule puts its run on the run queue at once, as a hundred schedules due the same
  minute do; the queue's event source mapping (its maximum concurrency read from the emulator) delivers them
  (toolkit/local/queue_runner.py, since the emulator cannot run the function);
- the model: the Bedrock stand-in answering at Claude Sonnet 4.5's speed (latency grows with the tokens written)
  and enforcing a tokens- and requests-per-minute quota per Region and model (output tokens counted five times,
  `max_tokens` reserved), answering ThrottlingException past it;
- the figures: wall time from the first run's start to the last edition, editions failed and degraded, feed
  fetches (requests the feed server answered) against the distinct source URLs, normalizations (items the model
  normalized, over every run) against the distinct items the fleet needed normalized (content × field, computed
  here from the feeds with the engine's own parser, window and screen), model calls, estimated cost, and the
  quota's bound: the tokens the runs drew on each quota ÷ its tokens per minute.
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from vectora_core import layout

from .. import REPO_ROOT
from ..config_sync import CONFIG_DIR
from ..envfile import EnvFile
from ..errors import ToolkitError
from ..local import queue_runner
from ..local.endpoints import emulator_environment, service_url
from ..local.run_local import LocalContext, prepare_local
from ..local.sample_feeds import SampleFeedServer, render
from ..services import boto3_client

CLIENTS = 100
LAI_SHARE = 0.6
# The quotas of the benchmark's account for Claude Sonnet 4.5 through each Region's cross-Region profile (the
# normalization's us. profile from us-east-1, the editorial's eu. profile from eu-west-3). Bedrock's defaults differ
# per account and Region and new accounts may get less: read yours with
# `aws service-quotas list-service-quotas --service-code bedrock --region <region>` (README: Fleet).
QUOTAS = {
    "us-east-1": {"tokens_per_minute": 400_000, "requests_per_minute": 200},
    "eu-west-3": {"tokens_per_minute": 100_000, "requests_per_minute": 50},
}
TARGETS = {"failed_editions": 0, "degraded_editions": 0, "cost_ratio": 3.0, "bound_ratio": 1.5}
SHARED_FEEDS = ("fierce_pharma", "endpoints_news", "fda_press")
BENCH_MODE = "bench"


class FleetBenchError(ToolkitError, RuntimeError):
    """The fleet benchmark could not run."""


# --- the pool and the clients ----------------------------------------------------------------------------


def write_pool(directory: Path) -> dict[str, list[str]]:
    """The feeds the fleet reads: the realistic LAI week at the top, the obesity field's own feeds in `obesity/`.
    Returns the source ids of each field's pool."""
    from .eval_corpus import realistic_week

    realistic_week(directory)
    shutil.copytree(REPO_ROOT / "sample_feeds" / "obesity", directory / "obesity")
    lai = sorted(p.stem for p in directory.glob("*.xml"))
    obesity = sorted(p.stem for p in (directory / "obesity").glob("*.xml"))
    return {"lai": lai, "obesity": obesity}


def fleet_configs(count: int, pool: dict[str, list[str]], feeds_base: str, seed: int = 19) -> list[dict[str, Any]]:
    """`count` client configs: the two shipped clients' configs with another id, a subset of their field's sources
    and watch domains, and a minimum score a little above or below theirs."""
    rng = random.Random(seed)
    templates = {
        "lai": yaml.safe_load((CONFIG_DIR / "clients" / "lai_weekly_v3.yaml").read_text()),
        "obesity": yaml.safe_load((CONFIG_DIR / "clients" / "glp1_obesity_weekly.yaml").read_text()),
    }
    configs = []
    for n in range(count):
        field = "lai" if n < round(count * LAI_SHARE) else "obesity"
        config = json.loads(json.dumps(templates[field]))
        config["client_id"] = f"fleet_{field}_{n:03d}"
        config["name"] = f"Fleet client {n:03d}"
        own = [s for s in config["sources"] if s["id"] in pool[field]]
        # The obesity clients also read some of the trade and regulator feeds the LAI clients read.
        shared = [s for s in config["sources"] if s["id"] in SHARED_FEEDS and s["id"] not in pool[field]]
        keep = rng.sample(own, rng.randint(max(3, len(own) - 3), len(own)))
        if shared:
            keep += rng.sample(shared, rng.randint(1, len(shared)))
        for source in keep:
            source["url"] = f"{feeds_base}/feeds/{source['id']}.xml"
        config["sources"] = keep
        config["watch_domains"] = rng.sample(config["watch_domains"], rng.randint(2, len(config["watch_domains"])))
        config["min_score"] = round(config["min_score"] + rng.choice((-0.5, 0.0, 0.5)), 1)
        config.pop("schedule", None)  # the benchmark puts the runs on the queue itself, as the schedules would
        configs.append(config)
    return configs


def needed_normalizations(configs: list[dict[str, Any]], corpus: Path, now: datetime) -> tuple[int, int]:
    """(distinct source URLs, distinct items the fleet must normalize): every client's in-window items that pass
    its screen, counted once per content and field, with the engine's own parser, window and screen."""
    from vectora_core.client_config import parse_client_config, parse_scopes
    from vectora_core.ingest.parse import parse_feed
    from vectora_core.screen import split_by_screen

    scopes_cache: dict[str, Any] = {}

    def load_scopes(key: str):
        if key not in scopes_cache:
            scopes_cache[key] = parse_scopes((CONFIG_DIR / key).read_text(), key)
        return scopes_cache[key]

    feeds: dict[str, list] = {}
    urls, needed = set(), set()
    for config in configs:
        client = parse_client_config(yaml.safe_dump(config), layout.client_key(config["client_id"]), load_scopes)
        start = now - timedelta(days=client.default_period_days)
        for source in client.sources:
            urls.add(source.url)
            if source.source_id not in feeds:
                rendered = render(source.source_id, now.date(), corpus, now)
                feeds[source.source_id] = list(
                    parse_feed(rendered.body, source.source_id, now, rendered.content_type).items
                )
            in_window = [i for i in feeds[source.source_id] if start <= i.published <= now]
            kept, _out = split_by_screen(in_window, client.scopes)
            needed |= {(item.content_hash, client.scopes.key) for item in kept}
    return len(urls), len(needed)


# --- one run of the fleet ------------------------------------------------------------------------------------


def _clear(s3, bucket: str, prefix: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def _standin(env: EnvFile, path: str, method: str = "GET", body: dict | None = None) -> Any:
    import urllib.request

    request = urllib.request.Request(
        service_url(env, "bedrock_standin") + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def run_fleet(
    env: EnvFile,
    configs: list[dict[str, Any]],
    feeds: SampleFeedServer,
    *,
    sharing: bool,
    quotas: dict[str, dict[str, int]],
    log_path: Path,
) -> dict[str, Any]:
    """Every client's run through the queue, from a clean store; the figures of that run."""
    s3, sqs = boto3_client(env, "s3"), boto3_client(env, "sqs")
    variables = env.lambda_environment
    own_state = layout.check_data_root(BENCH_MODE)
    for prefix in (own_state, layout.claim_key(own_state)):  # the benchmark's own state and leases only
        _clear(s3, variables["DATA_BUCKET"], prefix)
    mapping = queue_runner.fleet_mapping(env)
    sqs.purge_queue(QueueUrl=mapping.queue_url)
    for config in configs:
        s3.put_object(
            Bucket=variables["CONFIG_BUCKET"],
            Key=layout.client_key(config["client_id"]),
            Body=yaml.safe_dump(config).encode(),
        )
    _standin(
        env,
        "/_standin/config",
        "POST",
        {
            "latency_ms": 0,
            "latency_scale": 1.0,
            "throttle_rate": 0.0,
            "malformed_rate": 0.0,
            "quotas_by_region": quotas,
        },
    )
    _standin(env, "/_standin/calls", "DELETE")
    feeds.clear_requests()

    import os

    overrides = {
        **variables,
        **emulator_environment(env),
        "SHARED_STORE": "on" if sharing else "off",
        "BEDROCK_THROTTLE_PATIENCE_SECONDS": "600",
        "LOG_LEVEL": os.environ.get("VECTORA_BENCH_LOG_LEVEL", "WARNING"),
    }
    saved = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    log = open(log_path, "a")
    with contextlib.redirect_stdout(log):
        import handler  # after the environment is set: the handler checks it (and logs) when first imported
        from vectora_core.llm import bedrock

    handler._runtime.clear()
    bedrock.reset_clients()
    started_at = datetime.now(UTC)
    try:
        for config in configs:  # the schedules, all due the same minute
            payload = {"client_id": config["client_id"], "period_days": 7, "force_regenerate": True, "mode": BENCH_MODE}
            sqs.send_message(QueueUrl=mapping.queue_url, MessageBody=json.dumps(payload))
        with log, contextlib.redirect_stdout(log):
            report = queue_runner.poll(
                env,
                lambda event: handler.lambda_handler(event, LocalContext(env.function_name, env.timeout)),
                expected=len(configs),
                mapping=mapping,
                idle_stop_s=30,
                client_of=lambda body: json.loads(body).get("client_id", ""),
            )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        handler._runtime.clear()
        bedrock.reset_clients()
    calls = _standin(env, "/_standin/calls")["calls"]
    _standin(env, "/_standin/config", "POST", {"latency_scale": 0.0, "quotas_by_region": {}})
    return figures_of(env, configs, report, calls, feeds, quotas, started_at)


def figures_of(env, configs, report, calls, feeds, quotas, started_at) -> dict[str, Any]:
    s3 = boto3_client(env, "s3")
    bucket = env.lambda_environment["NEWSLETTERS_BUCKET"]
    manifests = []
    for config in configs:
        prefix = f"{layout.check_runs_prefix(BENCH_MODE, 'local')}{config['client_id']}/"
        for entry in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            if entry["Key"].endswith(layout.EDITION_FILES["manifest"]) and entry[
                "LastModified"
            ] >= started_at - timedelta(seconds=2):
                manifests.append(json.loads(s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()))
    answered = [c for c in calls if c.get("status") == 200]
    drawn: dict[str, float] = {}
    requests: dict[str, int] = {}
    for call in answered:
        key = f"{call['region']} {call['model_id']}"
        drawn[key] = drawn.get(key, 0.0) + float(call.get("quota_tokens", 0))
        requests[key] = requests.get(key, 0) + 1
    # What each quota allows: the tokens the runs drew on it ÷ its tokens per minute (and the calls ÷ its requests
    # per minute); the fleet cannot finish before the slowest of them.
    bounds = []
    for key in drawn:
        limits = quotas.get(key.split(" ", 1)[0], {})
        if limits.get("tokens_per_minute"):
            bounds.append(60 * drawn[key] / limits["tokens_per_minute"])
        if limits.get("requests_per_minute"):
            bounds.append(60 * requests[key] / limits["requests_per_minute"])
    seconds = round(report.last_end - report.first_start, 1)
    bound = round(max(bounds, default=0.0), 1)
    total_cost = round(sum((m.get("llm") or {}).get("estimated_cost_usd") or 0.0 for m in manifests), 4)
    return {
        "clients": len(configs),
        "seconds": seconds,
        "quota_bound_seconds": bound,
        "bound_ratio": round(seconds / bound, 2) if bound else None,
        "degraded_editions": sum(1 for m in manifests if m.get("degraded")),
        "failed_editions": len(configs) - len(manifests),
        "fetches": sum(1 for path, _status in feeds.requests if path.startswith("/feeds/")),
        "normalizations": sum((m.get("counts") or {}).get("normalized", 0) for m in manifests),
        "bedrock_calls": len(answered),
        "throttled_calls": sum(1 for c in calls if c.get("fault") == "quota"),
        "quota_tokens_drawn": {key: round(tokens) for key, tokens in drawn.items()},
        "estimated_cost_usd": total_cost,
        "cost_per_client_usd": round(total_cost / len(configs), 5),
        "peak_concurrent_runs": report.peak_concurrency,
        "deliveries": len(report.deliveries),
    }


def fleet(
    env: EnvFile, printer: Callable[[str], None] = print, clients: int = CLIENTS, quotas: dict | None = None
) -> dict[str, Any]:
    """Both runs of the fleet (sharing on, then off); the figures for bench/results.json under `fleet`."""
    quotas = quotas or QUOTAS
    import logging

    logging.getLogger("urllib3").setLevel(
        logging.ERROR
    )  # one client per purpose shared by every thread: pools overflow
    prepare_local(env, printer=lambda _line: None)
    log_path = REPO_ROOT / ".local" / "logs" / "bench-fleet.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text("")
    with tempfile.TemporaryDirectory(prefix="vectora-fleet-") as scratch:
        corpus = Path(scratch)
        pool = write_pool(corpus)
        with SampleFeedServer(corpus_dir=corpus) as feeds:
            configs = fleet_configs(clients, pool, feeds.base_url)
            unique_sources, unique_items = needed_normalizations(configs, corpus, datetime.now(UTC))
            mapping = queue_runner.fleet_mapping(env)
            printer(
                f"  {clients} clients ({sum(1 for c in configs if 'lai' in c['client_id'])} LAI, "
                f"{sum(1 for c in configs if 'obesity' in c['client_id'])} obesity) over {unique_sources} sources; "
                f"runs at once: {mapping.maximum_concurrency} (the run queue's event source mapping); "
                f"quotas: {quota_text(quotas)}"
            )
            results = {}
            for sharing in (True, False):
                started = time.perf_counter()
                printer(f"  sharing {'on' if sharing else 'off'}: {clients} runs queued at once …")
                figures = run_fleet(env, configs, feeds, sharing=sharing, quotas=quotas, log_path=log_path)
                figures.update(unique_sources=unique_sources, unique_items=unique_items)
                results["on" if sharing else "off"] = figures
                printer(f"    done in {time.perf_counter() - started:.0f} s")
    on, off = results["on"], results["off"]
    summary = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **on,
        "maximum_concurrency": mapping.maximum_concurrency,
        "quotas": {"per_region": quotas, "output_token_burndown": 5, "per": "Region and model"},
        "latency_model": "Claude Sonnet 4.5 on Bedrock: 1.8 s to first token, 63 output tokens/s",
        "sharing_off": off,
        "cost_ratio": round(off["cost_per_client_usd"] / on["cost_per_client_usd"], 2)
        if on["cost_per_client_usd"]
        else None,
        "targets": TARGETS,
    }
    summary["meets_targets"] = bool(
        on["failed_editions"] == 0
        and on["degraded_editions"] == 0
        and on["normalizations"] == on["unique_items"]
        and on["fetches"] == on["unique_sources"]
        and (summary["cost_ratio"] or 0) >= TARGETS["cost_ratio"]
        and on["bound_ratio"] is not None
        and on["bound_ratio"] <= TARGETS["bound_ratio"]
    )
    return summary


def quota_text(quotas: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{region} {q.get('tokens_per_minute', 0):,} tokens and {q.get('requests_per_minute', 0)} requests a minute"
        for region, q in sorted(quotas.items())
    )


def fleet_lines(figures: dict[str, Any]) -> list[str]:
    off = figures["sharing_off"]

    def row(label: str, key: str, fmt: str = "{}") -> str:
        return f"  {label:<44} {fmt.format(figures[key]):>14} {fmt.format(off[key]):>14}"

    lines = [
        f"fleet: {figures['clients']} clients, runs at once ≤ {figures['maximum_concurrency']}, "
        f"quotas: {quota_text(figures['quotas']['per_region'])}",
        f"  {'figure':<44} {'sharing on':>14} {'sharing off':>14}",
        row("wall time, first start to last edition (s)", "seconds", "{:.1f}"),
        row("what the quotas allow (s): tokens needed ÷ TPM", "quota_bound_seconds", "{:.1f}"),
        row("wall time ÷ quota bound (target ≤ 1.5)", "bound_ratio", "{}"),
        row("failed editions (target 0)", "failed_editions"),
        row("degraded editions (target 0)", "degraded_editions"),
        row("feed fetches", "fetches"),
        row("distinct sources", "unique_sources"),
        row("normalizations", "normalizations"),
        row("distinct items to normalize (content × field)", "unique_items"),
        row("model calls answered", "bedrock_calls"),
        row("calls throttled (then retried)", "throttled_calls"),
        row("estimated cost (USD)", "estimated_cost_usd", "{:.4f}"),
        row("cost per client (USD)", "cost_per_client_usd", "{:.5f}"),
        f"  cost per client, sharing off ÷ on: {figures['cost_ratio']}× (target ≥ 3)"
        + ("" if figures["meets_targets"] else "   TARGET MISSED"),
    ]
    return lines
