"""Run metrics in CloudWatch Embedded Metric Format: one log line per run, per client, that CloudWatch turns
into metrics (namespace VectoraInbox, dimensions Environment, ClientId and Mode).

`measure` is pure: it reads the run's response. `emit` prints the EMF line through Powertools for AWS Lambda's
`EphemeralMetrics` (bundled in the zip, imported only here, after the run, so the cold start does not pay for
it). Check runs (smoke, drill, bench) carry their Mode and never count as a published newsletter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

NAMESPACE = "VectoraInbox"
UNKNOWN_CLIENT = "unknown"


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    unit: str  # a Powertools MetricUnit name: Count, Milliseconds, NoUnit


@dataclass(frozen=True)
class RunMeasure:
    environment: str
    client_id: str
    mode: str
    metrics: tuple[Metric, ...]

    def dimensions(self) -> dict[str, str]:
        return {"Environment": self.environment, "ClientId": self.client_id, "Mode": self.mode}


def measure(
    response: dict[str, Any] | None,
    *,
    client_id: str | None,
    mode: str,
    publishes: bool,
    duration_ms: float,
    environment: str | None = None,
) -> RunMeasure:
    """The run's metrics from its response; `response` is None when the run raised."""
    response = response or {}
    succeeded = response.get("status") == "ok"
    counts = response.get("counts") or {}
    llm = response.get("llm") or {}
    metrics = [
        Metric("RunSucceeded", 1.0 if succeeded else 0.0, "Count"),
        Metric("Duration", round(float(duration_ms), 1), "Milliseconds"),
    ]
    if publishes:
        # Only a publishing run can publish; check runs leave this metric out rather than report 0.
        metrics.append(Metric("NewsletterPublished", 1.0 if succeeded else 0.0, "Count"))
    if succeeded:
        metrics += [
            Metric("ItemsFetched", float(counts.get("fetched", 0)), "Count"),
            Metric("ItemsSelected", float(counts.get("selected", 0)), "Count"),
            Metric("SourcesFailed", float(len(response.get("sources_failed") or [])), "Count"),
            Metric("Degraded", 1.0 if response.get("degraded") else 0.0, "Count"),
            Metric("BedrockCalls", float(sum((llm.get("calls") or {}).values())), "Count"),
            Metric("InputTokens", float(sum((llm.get("input_tokens") or {}).values())), "Count"),
            Metric("OutputTokens", float(sum((llm.get("output_tokens") or {}).values())), "Count"),
        ]
        if llm.get("estimated_cost_usd") is not None:
            metrics.append(Metric("EstimatedCostUSD", float(llm["estimated_cost_usd"]), "NoUnit"))
    return RunMeasure(
        environment=environment or os.environ.get("ENV", "unknown"),
        client_id=client_id or UNKNOWN_CLIENT,
        mode=mode,
        metrics=tuple(metrics),
    )


def emit(run: RunMeasure, **metadata: Any) -> None:
    """Print the run's EMF line on stdout (the function's log stream); `metadata` goes along unindexed."""
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    metrics = EphemeralMetrics(namespace=NAMESPACE)
    for name, value in run.dimensions().items():
        metrics.add_dimension(name=name, value=value)
    for metric in run.metrics:
        metrics.add_metric(name=metric.name, unit=getattr(MetricUnit, metric.unit), value=metric.value)
    for key, value in metadata.items():
        if value not in (None, ""):
            metrics.add_metadata(key=key, value=value)
    metrics.flush_metrics()
