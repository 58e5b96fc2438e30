"""What an operator asks on a Monday: which version is live, what each client's last edition was, which alarms
are firing, and which scheduled runs failed. The same calls serve the emulator and a real account.

- `collect_status` / `format_status`: `invoke status`.
- `failed_invocations` / `format_failures`: `invoke failures`, the on-failure queue of the `live` alias, read
  without consuming it (messages are received with a zero visibility timeout, so they stay in the queue).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vectora_core import layout

from . import REPO_ROOT
from .envfile import EnvFile, load_env
from .errors import ToolkitError
from .services import boto3_client
from .target import open_target

Printer = Callable[[str], None]
LINK_SECONDS = 3600
# SQS returns at most 10 messages per receive; a few rounds show a backlog without draining it.
PEEK_ROUNDS = 10


class OperationsError(ToolkitError, RuntimeError):
    """The environment's function or its resources cannot be read."""


@dataclass(frozen=True)
class LiveVersion:
    version: str
    git: str  # who published it, as `versions` says: the git commit, `terraform` or `terraform publish`
    sha256: str
    deployed: str  # when the version was published


@dataclass(frozen=True)
class Edition:
    client_id: str
    date: str = ""  # empty: no edition yet
    generated_at: str = ""
    fetched: int | None = None
    selected: int | None = None
    degraded: bool | None = None
    degraded_reasons: tuple[str, ...] = ()
    sources_failed: int | None = None
    estimated_cost_usd: float | None = None
    uri: str = ""
    link: str = ""


@dataclass(frozen=True)
class Alarm:
    name: str
    state: str
    reason: str


@dataclass(frozen=True)
class FailedInvocation:
    request_id: str
    timestamp: str
    client_id: str
    payload: Any
    condition: str
    attempts: int
    executed_version: str
    error_type: str
    error_message: str


@dataclass
class Status:
    environment: str
    function_name: str
    live: LiveVersion | None
    editions: list[Edition] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    failures_waiting: int | None = None  # None: no failure queue configured
    failures: list[FailedInvocation] = field(default_factory=list)
    fleet: Any = None  # fleet_status.FleetStatus: the clients at a glance

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=str)


# --- the failure queue ----------------------------------------------------------------------------------------


def failure_queue_url(env: EnvFile, lambda_client, sqs_client) -> str | None:
    """The SQS queue the alias's event invoke config sends failed invocations to; None when it has none."""
    try:
        config = lambda_client.get_function_event_invoke_config(
            FunctionName=env.function_name, Qualifier=env.alias_name
        )
    except lambda_client.exceptions.ResourceNotFoundException:
        return None
    arn = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") or ""
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "sqs":
        return None
    return sqs_client.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]


def parse_failure(body: str) -> FailedInvocation:
    """One on-failure destination record (Lambda's shape) as a FailedInvocation."""
    record = json.loads(body)
    context = record.get("requestContext") or {}
    response = record.get("responseContext") or {}
    error = record.get("responsePayload") or {}
    payload = record.get("requestPayload")
    return FailedInvocation(
        request_id=context.get("requestId", ""),
        timestamp=record.get("timestamp", ""),
        client_id=payload.get("client_id", "") if isinstance(payload, dict) else "",
        payload=payload,
        condition=context.get("condition", ""),
        attempts=int(context.get("approximateInvokeCount", 0)),
        executed_version=response.get("executedVersion", ""),
        error_type=error.get("errorType", "") if isinstance(error, dict) else "",
        error_message=error.get("errorMessage", "") if isinstance(error, dict) else str(error),
    )


def peek_failures(sqs_client, queue_url: str) -> tuple[int, list[FailedInvocation]]:
    """(messages waiting, the records read), newest first, leaving every message in the queue."""
    attributes = sqs_client.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    waiting = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )
    seen: dict[str, FailedInvocation] = {}
    for _ in range(PEEK_ROUNDS if waiting else 0):
        messages = sqs_client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        for message in fresh:
            try:
                seen[message["MessageId"]] = parse_failure(message["Body"])
            except (ValueError, TypeError, AttributeError):
                seen[message["MessageId"]] = FailedInvocation("", "", "", message["Body"], "unreadable", 0, "", "", "")
        if not fresh or len(seen) >= waiting:
            break
    return waiting, sorted(seen.values(), key=lambda f: f.timestamp, reverse=True)


def failed_invocations(
    env_name: str | EnvFile | None, *, printer: Printer = print
) -> tuple[int | None, list[FailedInvocation]]:
    """What the failure queue of the environment's `live` alias holds."""
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    open_target(env).ready(printer)
    sqs = boto3_client(env, "sqs")
    url = failure_queue_url(env, boto3_client(env, "lambda"), sqs)
    if url is None:
        return None, []
    return peek_failures(sqs, url)


def format_failures(waiting: int | None, failures: list[FailedInvocation]) -> str:
    if waiting is None:
        return "no failure queue: the live alias has no on-failure destination (run `invoke tf.apply`)"
    if not waiting:
        return "failed invocations waiting: none"
    lines = [f"failed invocations waiting: {waiting}"]
    for failure in failures:
        lines.append(
            f"  {failure.timestamp}  {failure.client_id or '?'}  version {failure.executed_version or '?'}  "
            f"{failure.condition} after {failure.attempts} attempt(s)"
        )
        lines.append(f"    {failure.error_type}: {failure.error_message}".rstrip(": "))
        lines.append(f"    request {failure.request_id}  payload {json.dumps(failure.payload, sort_keys=True)}")
    return "\n".join(lines)


# --- a scheduled run, now ---------------------------------------------------------------------------------------


def schedule_payload(client_id: str, config_dir: Path | None = None) -> dict:
    """The event the client's schedule sends: its `schedule.payload` plus the client id (as Terraform builds it)."""
    import yaml

    path = Path(config_dir or REPO_ROOT / "config" / "clients") / f"{client_id}.yaml"
    if not path.is_file():
        raise OperationsError(f"no client config config/clients/{client_id}.yaml")
    schedule = (yaml.safe_load(path.read_text()) or {}).get("schedule") or {}
    if not schedule.get("expression"):
        raise OperationsError(f"config/clients/{client_id}.yaml has no schedule: add schedule.expression first")
    return {**(schedule.get("payload") or {}), "client_id": client_id}


def trigger_scheduled_run(env_name: str | EnvFile | None, client_id: str, *, printer: Printer = print):
    """Invoke `live` asynchronously with the client's schedule payload, as the schedule does."""
    from .invoker import invoke_function

    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    payload = schedule_payload(client_id)
    open_target(env).ready(printer)
    result = invoke_function(env, env.alias_name, payload, printer=printer, invocation_type="Event")
    printer(
        f"{env.function_name}:{env.alias_name} accepted the run (status {result.status_code}, request {result.request_id})"
    )
    printer("follow it with `invoke logs`; a failed run ends in `invoke failures` after its retries")
    return result


# --- editions -------------------------------------------------------------------------------------------------


def known_clients(s3_client, bucket: str, config_dir: Path | None = None) -> list[str]:
    """Clients with a config in the repository or an edition in the bucket."""
    import yaml

    clients = set()
    for path in sorted(Path(config_dir or REPO_ROOT / "config" / "clients").glob("*.yaml")):
        document = yaml.safe_load(path.read_text()) or {}
        if isinstance(document, dict) and isinstance(document.get("client_id"), str):
            clients.add(document["client_id"])
    paginator = s3_client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=layout.NEWSLETTERS_PREFIX, Delimiter="/"):
        for prefix in page.get("CommonPrefixes", []):
            clients.add(prefix["Prefix"][len(layout.NEWSLETTERS_PREFIX) :].strip("/"))
    return sorted(clients)


def latest_edition(s3_client, bucket: str, client_id: str, *, link_seconds: int = LINK_SECONDS) -> Edition:
    """The client's newest published edition, from the newest manifest under newsletters/<client>/."""
    prefix = layout.client_newsletters_prefix(client_id)
    dates = []
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        dates += [p["Prefix"][len(prefix) :].strip("/") for p in page.get("CommonPrefixes", [])]
    for day in sorted(dates, reverse=True):
        try:
            body = s3_client.get_object(Bucket=bucket, Key=layout.manifest_key(client_id, day))["Body"].read()
        except s3_client.exceptions.NoSuchKey:
            continue  # an edition being written: its manifest comes last
        manifest = json.loads(body)
        counts = manifest.get("counts") or {}
        html_key = (manifest.get("s3") or {}).get("html") or layout.edition_keys(
            layout.newsletter_prefix(client_id, day)
        )["html"]
        return Edition(
            client_id=client_id,
            date=(manifest.get("period") or {}).get("date", day),
            generated_at=manifest.get("generated_at", ""),
            fetched=counts.get("fetched"),
            selected=counts.get("selected"),
            degraded=bool(manifest.get("degraded")),
            degraded_reasons=tuple(manifest.get("degraded_reasons") or ()),
            sources_failed=len(manifest.get("sources_failed") or []),
            estimated_cost_usd=(manifest.get("llm") or {}).get("estimated_cost_usd"),
            uri=f"s3://{bucket}/{html_key}",
            link=s3_client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": html_key}, ExpiresIn=link_seconds
            ),
        )
    return Edition(client_id=client_id)


# --- the whole status -----------------------------------------------------------------------------------------


def live_version(env: EnvFile, printer: Printer) -> LiveVersion | None:
    """The version `live` points at; None when the function or its alias does not exist yet."""
    from .deploy import DeployError, list_versions

    try:
        versions = list_versions(env, printer=printer)
    except DeployError:
        return None
    live = next((v for v in versions if v.is_live), None)
    return LiveVersion(live.version, live.origin, live.sha256, live.last_modified) if live else None


def alarm_states(cloudwatch_client, prefix: str) -> list[Alarm]:
    alarms = []
    for page in cloudwatch_client.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"]
    ):
        for alarm in page.get("MetricAlarms", []):
            alarms.append(Alarm(alarm["AlarmName"], alarm["StateValue"], alarm.get("StateReason", "")))
    return sorted(alarms, key=lambda a: a.name)


def collect_status(env_name: str | EnvFile | None, *, printer: Printer = print) -> Status:
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    open_target(env).ready(printer)
    status = Status(env.name, env.function_name, live_version(env, printer))
    s3 = boto3_client(env, "s3")
    bucket = env.lambda_environment["NEWSLETTERS_BUCKET"]
    try:
        status.editions = [latest_edition(s3, bucket, client) for client in known_clients(s3, bucket)]
    except s3.exceptions.NoSuchBucket:
        raise OperationsError(f"bucket {bucket} does not exist: run `invoke tf.apply --env {env.name}` first") from None
    status.alarms = alarm_states(boto3_client(env, "cloudwatch"), env.function_name)
    sqs = boto3_client(env, "sqs")
    url = failure_queue_url(env, boto3_client(env, "lambda"), sqs) if status.live else None
    if url:
        status.failures_waiting, status.failures = peek_failures(sqs, url)
    from .fleet_status import collect_fleet

    status.fleet = collect_fleet(env, status.editions, status.failures, sqs)
    return status


def format_status(status: Status) -> str:
    lines = [f"{status.function_name} ({status.environment})"]
    if status.live:
        live = status.live
        lines.append(
            f"live: version {live.version} ({live.git}), sha256 {live.sha256[:12]}…, published {live.deployed}"
        )
    else:
        lines.append("live: not deployed (run `invoke tf.apply`, then `invoke deploy`)")
    from .fleet_status import DETAIL_LIMIT, format_fleet

    editions = status.editions
    if status.fleet is not None:
        lines += format_fleet(status.fleet)
        if len(editions) > DETAIL_LIMIT:  # a fleet: the clients needing a look, not a page per client
            editions = [e for e in editions if e.client_id in status.fleet.needing_a_look]
    lines.append("last editions:" if editions or not status.editions else "last editions: every client published")
    for edition in editions or ([] if status.editions else [Edition("(no client)")]):
        if not edition.date:
            lines.append(f"  {edition.client_id}: no edition yet")
            continue
        cost = "cost unknown" if edition.estimated_cost_usd is None else f"${edition.estimated_cost_usd:.4f}"
        health = "degraded: " + "; ".join(edition.degraded_reasons) if edition.degraded else "not degraded"
        failed = f", {edition.sources_failed} source(s) failed" if edition.sources_failed else ""
        lines.append(
            f"  {edition.client_id}: {edition.date} (generated {edition.generated_at}), {edition.fetched} fetched, "
            f"{edition.selected} selected{failed}, {health}, {cost}"
        )
        lines.append(f"    {edition.uri}")
        lines.append(f"    {edition.link}")
    counts: dict[str, int] = {}
    for alarm in status.alarms:
        counts[alarm.state] = counts.get(alarm.state, 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
    lines.append(f"alarms: {summary}")
    for alarm in status.alarms:
        if alarm.state != "OK":
            lines.append(f"  {alarm.state:<17} {alarm.name}")
    lines.append(format_failures(status.failures_waiting, status.failures))
    return "\n".join(lines)
