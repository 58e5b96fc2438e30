"""Operations: the function's logs, the live state, failed scheduled runs, and a scheduled run started now."""

from __future__ import annotations

from invoke import task

from ._guard import ENV_HELP, _guard


@task(
    help={
        "env": ENV_HELP,
        "since": "how far back to start, e.g. 30s, 10m, 2h, 1d",
        "follow": "keep polling for new events",
        "filter": "CloudWatch filter pattern, e.g. '\"Client Bedrock hybride\"'",
    }
)
def logs(c, env=None, since="10m", follow=False, filter=None):
    """Tail the function's CloudWatch logs like `aws logs tail`."""
    from toolkit.log_tail import tail_logs

    _guard(tail_logs, env, since=since, follow=follow, filter_pattern=filter)


@task(help={"env": ENV_HELP, "json": "print the status as JSON"})
def status(c, env=None, json_=False):
    """Show the live version, each client's last edition, alarm states and failed scheduled runs waiting."""
    from toolkit.operations import collect_status, format_status

    printer = (lambda _line: None) if json_ else print
    found = _guard(collect_status, env, printer=printer)
    print(found.to_json() if json_ else format_status(found))


@task(help={"env": ENV_HELP})
def failures(c, env=None):
    """Show the failed scheduled invocations kept in the live alias's failure queue (they stay in the queue)."""
    from toolkit.operations import failed_invocations, format_failures

    print(format_failures(*_guard(failed_invocations, env)))


@task(help={"env": ENV_HELP, "client": "client whose scheduled run to start (its schedule payload is used)"})
def trigger(c, env=None, client="lai_weekly_v3"):
    """Start a client's scheduled run now, asynchronously through `live`, exactly as its schedule would.

    Changes: what a scheduled run changes: it publishes the client's edition for today and the state later
    editions build on (feed state, stored normalizations, editorial cache, edition history).
    """
    from toolkit.operations import trigger_scheduled_run

    _guard(trigger_scheduled_run, env, client)
