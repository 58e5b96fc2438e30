"""Clients: onboarding a new client of the fleet."""

from __future__ import annotations

from invoke import Collection, task

from ._guard import _guard


@task(
    name="new",
    positional=["client_id"],
    help={
        "client_id": "id of the new client (lowercase letters, digits, underscores; up to 40)",
        "from_": "client whose config to start from (its sources, watch domains, sections, schedule)",
        "name": "the newsletter's name (default: from the id)",
        "scopes": "canonical scopes file of the client's field, e.g. canonical/obesity_scopes.yaml (default: the template's)",
        "schedule": "EventBridge Scheduler expression, e.g. 'cron(0 7 ? * MON *)' (default: the template's)",
        "timezone": "IANA time zone the schedule is read in, e.g. Europe/Paris (default: the template's)",
        "dry_run": "check the new config and print the file it would write, writing nothing",
    },
)
def new(c, client_id, from_="lai_weekly_v3", name=None, scopes=None, schedule=None, timezone=None, dry_run=False):
    """Scaffold config/clients/<ID>.yaml from another client's config; written only if the engine's parser accepts it.

    Changes: config/clients/<ID>.yaml (new; nothing is uploaded: `invoke config-sync` and `invoke tf.apply` do that).
    """
    from toolkit.onboarding import new_client

    _guard(
        new_client, client_id, from_, name=name, scopes=scopes, schedule=schedule, timezone=timezone, dry_run=dry_run
    )


ns = Collection("client", new)
