"""`invoke logs`: print the function's log events like `aws logs tail`, once or following the group."""

from __future__ import annotations

import time
from collections.abc import Callable

from .cloudwatch import filter_events, now_ms, parse_since
from .envfile import EnvFile, load_env
from .target import open_target


def tail_logs(
    env_name: str | EnvFile | None = None,
    since: str = "10m",
    follow: bool = False,
    filter_pattern: str | None = None,
    printer: Callable[[str], None] = print,
    *,
    poll_seconds: float = 2.0,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Print the function's log events like `aws logs tail`; with `follow`, keep polling until interrupted.

    `filter_pattern` is a CloudWatch filter pattern (quote a phrase: `"Client Bedrock hybride"`). Returns the
    number of events printed. `should_stop` ends a follow loop (Ctrl-C does too).
    """
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    target = open_target(env)
    target.ready(printer)
    logs_client = target.client("logs")
    start_ms = now_ms() - parse_since(since)
    printed = 0
    seen: set[str] = set()
    try:
        while True:
            poll_started = now_ms()
            fresh = [
                event
                for event in filter_events(logs_client, env.log_group, start_ms=start_ms, filter_pattern=filter_pattern)
                if not event.event_id or event.event_id not in seen
            ]
            fresh.sort(key=lambda event: (event.timestamp_ms, event.stream))
            for event in fresh:
                printer(event.format())
                if event.event_id:
                    seen.add(event.event_id)
            printed += len(fresh)
            if not follow or (should_stop and should_stop()):
                return printed
            # Events can arrive a little after their timestamp: look back a window, and let event ids dedupe.
            start_ms = max(start_ms, poll_started - 60_000)
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        return printed
