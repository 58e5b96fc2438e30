"""One settings object, built once from the Lambda environment and validated at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

REQUIRED = ("ENV", "PROJECT_NAME", "CONFIG_BUCKET", "DATA_BUCKET", "NEWSLETTERS_BUCKET")
LLM_BACKENDS = ("bedrock", "offline")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Optional tuning variables: (name, default, lowest, highest accepted).
TUNING = (
    ("NORMALIZATION_CONCURRENCY", 8, 1, 64),
    ("NORMALIZATION_BATCH_SIZE", 6, 1, 25),
    ("BEDROCK_MAX_ATTEMPTS", 4, 1, 10),
    ("TIME_BUDGET_RESERVE_MS", 60_000, 0, 600_000),
    ("BEDROCK_READ_TIMEOUT_SECONDS", 120, 1, 900),
    ("FETCH_TIMEOUT_SECONDS", 10, 1, 120),
    ("FETCH_MAX_BYTES", 5_000_000, 1_000, 50_000_000),
    # The shared store (shared_store.py): how long a fetched feed serves every client, how long a run waits for
    # another run's fetch or normalization before doing it itself, and when an abandoned claim expires.
    ("SHARED_FEED_WINDOW_SECONDS", 3600, 0, 86_400),
    ("SHARED_WAIT_SECONDS", 300, 0, 900),
    ("SHARED_CLAIM_TTL_SECONDS", 600, 30, 3600),
    # How long a throttled Bedrock call keeps being retried (within the run's time budget) before the batch or
    # editorial falls back offline: Bedrock's quotas refill every minute, so waiting beats degrading.
    ("BEDROCK_THROTTLE_PATIENCE_SECONDS", 300, 0, 900),
)
SWITCHES = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}


class SettingsError(ValueError):
    """The Lambda environment is incomplete or invalid."""


@dataclass(frozen=True)
class BedrockTarget:
    purpose: str  # "newsletter" or "normalization"
    region: str
    model_id: str


@dataclass(frozen=True)
class Settings:
    env: str
    project_name: str
    config_bucket: str
    data_bucket: str
    newsletters_bucket: str
    newsletter: BedrockTarget
    normalization: BedrockTarget
    llm_backend: str
    log_level: str
    normalization_concurrency: int = 8
    normalization_batch_size: int = 6
    fetch_timeout_seconds: float = 10.0
    fetch_max_bytes: int = 5_000_000
    bedrock_max_attempts: int = 4
    bedrock_read_timeout_seconds: float = 120.0
    # Milliseconds kept back from the Lambda timeout for the editorial, rendering and writes.
    time_budget_reserve_ms: int = 60_000
    # SHARED_STORE: feeds and normalizations shared across clients (on), or each client's own (off).
    shared_store: bool = True
    shared_feed_window_seconds: int = 3600
    shared_wait_seconds: int = 300
    shared_claim_ttl_seconds: int = 600
    bedrock_throttle_patience_seconds: int = 300

    @property
    def allow_private_feed_hosts(self) -> bool:
        # Loopback sample feeds are the local environment's whole point; anywhere else it is SSRF.
        return self.env == "local"


def _int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bedrock_target(environ: Mapping[str, str], purpose: str) -> tuple[BedrockTarget | None, list[str]]:
    suffix = purpose.upper()
    region = environ.get(f"BEDROCK_REGION_{suffix}") or environ.get("BEDROCK_REGION")
    model_id = environ.get(f"BEDROCK_MODEL_ID_{suffix}") or environ.get("BEDROCK_MODEL_ID")
    missing = []
    if not region:
        missing.append(f"BEDROCK_REGION_{suffix} (or BEDROCK_REGION)")
    if not model_id:
        missing.append(f"BEDROCK_MODEL_ID_{suffix} (or BEDROCK_MODEL_ID)")
    if missing:
        return None, missing
    return BedrockTarget(purpose=purpose, region=region, model_id=model_id), []


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build and validate the settings; every problem is named in one SettingsError."""
    environ = os.environ if environ is None else environ
    problems = [f"{name} is not set" for name in REQUIRED if not environ.get(name)]
    llm_backend = environ.get("LLM_BACKEND", "bedrock").strip().lower()
    if llm_backend not in LLM_BACKENDS:
        problems.append(f"LLM_BACKEND must be one of {', '.join(LLM_BACKENDS)}, got {llm_backend!r}")
    log_level = environ.get("LOG_LEVEL", "INFO").strip().upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
    targets = {}
    for purpose in ("newsletter", "normalization"):
        target, missing = _bedrock_target(environ, purpose)
        targets[purpose] = target
        if llm_backend == "bedrock":
            problems.extend(f"{name} is not set" for name in missing)
    tuning: dict[str, int] = {}
    for name, default, low, high in TUNING:
        try:
            tuning[name] = _int(environ, name, default, low, high)
        except SettingsError as exc:
            problems.append(str(exc))
    shared = environ.get("SHARED_STORE", "on").strip().lower() or "on"
    if shared not in SWITCHES:
        problems.append(f"SHARED_STORE must be on or off, got {shared!r}")
    if problems:
        raise SettingsError("Invalid Lambda environment: " + "; ".join(problems))
    return Settings(
        env=environ["ENV"],
        project_name=environ["PROJECT_NAME"],
        config_bucket=environ["CONFIG_BUCKET"],
        data_bucket=environ["DATA_BUCKET"],
        newsletters_bucket=environ["NEWSLETTERS_BUCKET"],
        # The offline backend calls no model: placeholders keep the settings' shape.
        newsletter=targets["newsletter"] or BedrockTarget("newsletter", "-", "-"),
        normalization=targets["normalization"] or BedrockTarget("normalization", "-", "-"),
        llm_backend=llm_backend,
        log_level=log_level,
        normalization_concurrency=tuning["NORMALIZATION_CONCURRENCY"],
        normalization_batch_size=tuning["NORMALIZATION_BATCH_SIZE"],
        bedrock_max_attempts=tuning["BEDROCK_MAX_ATTEMPTS"],
        time_budget_reserve_ms=tuning["TIME_BUDGET_RESERVE_MS"],
        bedrock_read_timeout_seconds=float(tuning["BEDROCK_READ_TIMEOUT_SECONDS"]),
        fetch_timeout_seconds=float(tuning["FETCH_TIMEOUT_SECONDS"]),
        fetch_max_bytes=tuning["FETCH_MAX_BYTES"],
        shared_store=SWITCHES[shared],
        shared_feed_window_seconds=tuning["SHARED_FEED_WINDOW_SECONDS"],
        shared_wait_seconds=tuning["SHARED_WAIT_SECONDS"],
        shared_claim_ttl_seconds=tuning["SHARED_CLAIM_TTL_SECONDS"],
        bedrock_throttle_patience_seconds=tuning["BEDROCK_THROTTLE_PATIENCE_SECONDS"],
    )
