"""Lambda entry point: validate the payload (a batch of the fleet's run queue: each record's), build the
container's edges once, run the newsletter; one EMF metrics line per run."""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

from vectora_core import log_phrases
from vectora_core.logs import configure, log_event
from vectora_core.validation import PayloadError, parse_payload

_runtime: dict[str, Any] = {}


def _check_settings_at_start_up() -> None:
    """Name a broken environment in the init logs, before any invocation (the check is cheap: no AWS)."""
    from vectora_core.settings import SettingsError, load_settings

    try:
        load_settings()
    except SettingsError as exc:
        log_event("Configuration Lambda invalide", level="ERROR", error=str(exc))


_check_settings_at_start_up()

_sdk_problem: str | None = None


def _check_sdk_at_start_up() -> str | None:
    """Log the SDK versions the function runs with; name a botocore too old for the engine (no AWS call)."""
    global _sdk_problem
    import os

    from vectora_core import sdk

    versions = {package: sdk.installed_version(package) for package in ("boto3", "botocore")}
    source = sdk.installed_from("botocore", os.environ.get("LAMBDA_TASK_ROOT", ""))
    log_event(
        log_phrases.RUNTIME_SDK,
        boto3=versions["boto3"],
        botocore=versions["botocore"],
        source=source,
        minimum_botocore=sdk.MIN_BOTOCORE_TEXT,
    )
    _sdk_problem = sdk.botocore_problem(versions["botocore"])
    if _sdk_problem:
        log_event("SDK AWS trop ancien", level="ERROR", error=_sdk_problem)
    return _sdk_problem


_check_sdk_at_start_up()


def _error(error_type: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"status": "error", "error": {"type": error_type, "message": message, **extra}}


def _container():
    """Settings, S3 client and Bedrock clients: built on the first invocation, reused while warm."""
    if not _runtime:
        if _sdk_problem:
            raise RuntimeError(_sdk_problem)  # a function error the smoke test names, not a failed write at the end
        import boto3
        from botocore.config import Config

        from vectora_core.settings import load_settings
        from vectora_core.store import s3_pool_size

        settings = load_settings()  # raises SettingsError naming every missing variable
        _runtime["settings"] = settings
        # One client shared by every thread of a run: its pool holds a connection for each (botocore's default, 10,
        # would make the normalization's writers queue for, and urllib3 discard, connections).
        pool = s3_pool_size(settings.normalization_concurrency, settings.normalization_batch_size)
        _runtime["s3"] = boto3.client("s3", config=Config(max_pool_connections=pool))
        if settings.llm_backend == "bedrock":
            from vectora_core.llm.bedrock import get_bedrock_client_hybrid

            for target in (settings.newsletter, settings.normalization):
                get_bedrock_client_hybrid(target, settings)
    return _runtime


def _budget(context: Any, reserve_ms: int):
    from vectora_core.llm.base import Budget

    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        return Budget(remaining_ms=remaining, reserve_ms=reserve_ms)
    return Budget.from_deadline(time.monotonic() + 900, reserve_ms)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    from vectora_core import fanout

    records = fanout.sqs_records(event)  # a batch from the fleet's run queue: each record is one client's run
    if records is not None:
        return fanout.run_batch(records, lambda payload: _run_one(payload, context))
    return _run_one(event, context)


def _run_one(event: Any, context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    run: dict[str, Any] = {}
    try:
        run["response"] = _handle(event, context, run)
        return run["response"]
    finally:
        _emit_run_metrics(run, (time.perf_counter() - started) * 1000, context)


def _emit_run_metrics(run: dict[str, Any], duration_ms: float, context: Any) -> None:
    """One EMF line per run, even a failed one; metrics never fail the run itself."""
    try:
        from vectora_core.run_metrics import emit, measure

        invocation = run.get("invocation")
        response = run.get("response")
        emit(
            measure(
                response,
                client_id=invocation.client_id if invocation else None,
                mode=invocation.mode if invocation else "invalid",
                publishes=bool(invocation and invocation.publishes),
                duration_ms=duration_ms,
            ),
            request_id=getattr(context, "aws_request_id", None),
            function_version=getattr(context, "function_version", None),
            manifest=((response or {}).get("s3") or {}).get("manifest"),
        )
    except Exception as exc:
        log_event("Métriques non émises", level="WARNING", error=f"{type(exc).__name__}: {exc}")


def _handle(event: Any, context: Any, run: dict[str, Any]) -> dict[str, Any]:
    configure(request_id=getattr(context, "aws_request_id", "") or "")
    try:
        from datetime import datetime

        invocation = parse_payload(event, today=datetime.now(UTC).date())
        run["invocation"] = invocation
    except PayloadError as exc:
        log_event("Payload invalide", level="WARNING", fields=exc.fields)
        return _error("ValidationError", str(exc), fields=exc.fields)

    runtime = _container()
    settings = runtime["settings"]
    configure(settings.log_level, getattr(context, "aws_request_id", "") or "")

    from vectora_core.client_config import ClientNotFound, ConfigError
    from vectora_core.ingest.fetch import fetch_feed
    from vectora_core.pipeline import Edges, run_newsletter
    from vectora_core.store import load_pricing

    if settings.llm_backend == "bedrock":
        from vectora_core.llm.bedrock import BedrockLLM

        llm = BedrockLLM(settings)
    else:
        from vectora_core.llm.offline import OfflineLLM

        llm = OfflineLLM()
    edges = Edges(
        s3=runtime["s3"], llm=llm, fetch=fetch_feed, pricing=load_pricing(runtime["s3"], settings.config_bucket)
    )
    try:
        return run_newsletter(
            invocation,
            settings,
            edges,
            _budget(context, settings.time_budget_reserve_ms),
            # A check run's files go under its version ("3", "$LATEST"); outside Lambda there is none: "local".
            function_version=getattr(context, "function_version", None) or "local",
        )
    except ClientNotFound as exc:
        log_event("Client inconnu", level="WARNING", client_id=invocation.client_id)
        return _error("ClientNotFound", str(exc), client_id=invocation.client_id)
    except ConfigError as exc:
        log_event("Configuration client invalide", level="ERROR", message_detail=str(exc))
        return _error("ConfigError", str(exc), client_id=invocation.client_id)
