"""One settings object, built once from the Lambda environment and validated at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

REQUIRED = ("ENV", "PROJECT_NAME", "CONFIG_BUCKET", "DATA_BUCKET", "NEWSLETTERS_BUCKET")
LLM_BACKENDS = ("bedrock", "offline")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


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
    try:
        concurrency = _int(environ, "NORMALIZATION_CONCURRENCY", 8, 1, 64)
        batch_size = _int(environ, "NORMALIZATION_BATCH_SIZE", 6, 1, 25)
        max_attempts = _int(environ, "BEDROCK_MAX_ATTEMPTS", 4, 1, 10)
        reserve_ms = _int(environ, "TIME_BUDGET_RESERVE_MS", 60_000, 0, 600_000)
        read_timeout = _int(environ, "BEDROCK_READ_TIMEOUT_SECONDS", 120, 1, 900)
        fetch_timeout = _int(environ, "FETCH_TIMEOUT_SECONDS", 10, 1, 120)
        fetch_max_bytes = _int(environ, "FETCH_MAX_BYTES", 5_000_000, 1_000, 50_000_000)
    except SettingsError as exc:
        problems.append(str(exc))
        concurrency, batch_size, max_attempts, reserve_ms, read_timeout = 8, 6, 4, 60_000, 120
        fetch_timeout, fetch_max_bytes = 10, 5_000_000
    if problems:
        raise SettingsError("Invalid Lambda environment: " + "; ".join(problems))
    offline = BedrockTarget("-", "-", "-")
    return Settings(
        env=environ["ENV"],
        project_name=environ["PROJECT_NAME"],
        config_bucket=environ["CONFIG_BUCKET"],
        data_bucket=environ["DATA_BUCKET"],
        newsletters_bucket=environ["NEWSLETTERS_BUCKET"],
        newsletter=targets["newsletter"] or BedrockTarget("newsletter", offline.region, offline.model_id),
        normalization=targets["normalization"] or BedrockTarget("normalization", offline.region, offline.model_id),
        llm_backend=llm_backend,
        log_level=log_level,
        normalization_concurrency=concurrency,
        normalization_batch_size=batch_size,
        bedrock_max_attempts=max_attempts,
        time_budget_reserve_ms=reserve_ms,
        bedrock_read_timeout_seconds=float(read_timeout),
        fetch_timeout_seconds=float(fetch_timeout),
        fetch_max_bytes=fetch_max_bytes,
    )
