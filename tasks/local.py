"""Local services: the AWS emulator, the Bedrock stand-in and the sample feeds of the embedded default."""

from __future__ import annotations

from invoke import Collection, task

from ._guard import ENV_HELP, _guard


@task(name="up", help={"env": ENV_HELP})
def local_up(c, env=None):
    """Start the AWS emulator, the Bedrock stand-in and the sample-feed server (state lives while they run)."""
    from toolkit.envfile import load_env
    from toolkit.local.services import ensure_services

    urls = _guard(ensure_services, _guard(load_env, env))
    for name, url in urls.items():
        print(f"  {name:<16} {url}")


@task(name="down", help={"env": ENV_HELP, "dry_run": "print which services it would stop, and stop none"})
def local_down(c, env=None, dry_run=False):
    """Stop the local services (the emulator's state is lost; the next command notices and applies Terraform afresh)."""
    from toolkit.envfile import load_env
    from toolkit.local.services import stop_services

    _guard(stop_services, _guard(load_env, env), dry_run=dry_run)


@task(name="status", help={"env": ENV_HELP})
def local_status(c, env=None):
    """Show which local services are running."""
    from toolkit.envfile import load_env
    from toolkit.local.services import services_status

    for name, running in _guard(services_status, _guard(load_env, env)).items():
        print(f"  {name:<16} {'running' if running else 'stopped'}")


ns = Collection("local", local_up, local_down, local_status)
