"""Release: build, ship, check and roll back a version of the function; its config files; the preflight."""

from __future__ import annotations

from invoke import Exit, task

from ._guard import ENV_HELP, _guard


@task(
    help={
        "env": ENV_HELP,
        "force": "rebuild even if the inputs are unchanged",
        "bundle_boto3": "bundle boto3 instead of using the runtime's",
    }
)
def package(c, env=None, force=False, bundle_boto3=None):
    """Build the reproducible Lambda zip dist/vectora-inbox-engine-<hash>.zip (skipped when inputs are unchanged).

    Changes: dist/ (the zip) and build/package-deps/ (the installed dependencies, reused while the pins hold).
    """
    from toolkit.packaging import build_package

    _guard(build_package, env, force=force, bundle_boto3=bundle_boto3)


BREAK_LEASE_HELP = "take over the deploy lease of a deploy or rollback that was killed (check that it is not running)"


@task(
    help={
        "env": ENV_HELP,
        "payload": "payload for the pre-promotion smoke test",
        "break_lease": BREAK_LEASE_HELP,
        "dry_run": "print the config files it would write, the version it would publish and where `live` would move;"
        " builds (or reuses) the zip to know its sha256, and changes nothing in the environment",
    }
)
def deploy(c, env=None, payload="payloads/test-payload-p1.json", break_lease=False, dry_run=False):
    """Release code, function configuration and config files; `live` moves only to a version whose smoke test passed.

    Config files (config/: client configs, canonical scopes, prices) are checked with the engine's parser first: a
    bad one is refused, naming file and field, before anything is uploaded. Changed files are uploaded (each
    listed as added, changed or unchanged). New code, or a configuration Terraform changed on $LATEST
    (environment, timeout, memory, runtime, handler, architectures), is published as a version, smoke-tested,
    then made live. When only config files changed, nothing is published: they live outside versions, so the
    live version is smoke-tested with them. A failed smoke test puts the previous config files back. One deploy
    or rollback at a time: a second one is refused, naming who holds the lease.
    """
    from toolkit.deploy import deploy as deploy_function

    _guard(deploy_function, env, smoke_payload=payload, break_lease=break_lease, dry_run=dry_run)


@task(
    help={
        "payload": "JSON payload file (its client is used for every check)",
        "env": ENV_HELP,
        "qualifier": "alias or version number to test (default: live)",
        "json": "print the report as JSON",
    }
)
def smoke(c, payload="payloads/test-payload-p1.json", env=None, qualifier="live", json_=False):
    """Run the three post-deploy checks (basic, cache miss/hit, Bedrock regions in the logs) as check runs that never publish.

    Changes: only files under checks/ in the buckets (a check run's own output); no edition, feed state or cache
    an edition reads.
    """
    from toolkit.versions import smoke_and_record

    printer = (lambda _line: None) if json_ else print
    report = _guard(smoke_and_record, env, payload, qualifier=str(qualifier), printer=printer)
    if json_:
        print(report.to_json())
    if not report.ok:
        raise Exit(code=1)


@task(
    help={
        "env": ENV_HELP,
        "to": "version to move live to, older or newer (default: the newest good version below live)",
        "break_lease": BREAK_LEASE_HELP,
        "dry_run": "print from which version to which `live` would move, and move nothing",
    }
)
def rollback(c, env=None, to=None, break_lease=False, dry_run=False):
    """Move `live` back to the previous good version (or --to N) in one call, then check it with a basic invocation.

    A good version passed its smoke test at deploy (or is the one Terraform created). With nothing older, it prints
    the versions and the command that would work. A failed check moves `live` back.
    """
    from toolkit.deploy import rollback as rollback_function

    _guard(rollback_function, env, to_version=to, break_lease=break_lease, dry_run=dry_run)


@task(help={"env": ENV_HELP})
def versions(c, env=None):
    """List published versions: git commit (or terraform), sha256, config digest, smoke verdict, what differs from live.

    A last line says when $LATEST holds configuration the next deploy would publish.
    """
    from toolkit.deploy import format_versions, latest_differences, list_versions
    from toolkit.envfile import load_env

    found = _guard(list_versions, env)
    print(format_versions(found, load_env(env).alias_name, _guard(latest_differences, env, printer=lambda _line: None)))


@task(help={"env": ENV_HELP, "dry_run": "print the files it would upload, and upload nothing"})
def config_sync(c, env=None, dry_run=False):
    """Check config/ with the engine's parser, then upload the changed files to the config bucket.

    Client configs, canonical scopes and prices. `invoke deploy` does this too, and smoke-tests live with them.
    """
    from toolkit.config_sync import sync_config
    from toolkit.envfile import load_env
    from toolkit.stack import prepare_stack
    from toolkit.target import open_target

    environment = _guard(load_env, env)
    if not dry_run:
        # On the emulator the stack is applied first if it lacks a piece, and the feeds point at the sample server.
        _guard(prepare_stack, environment, print)
        return
    target = open_target(environment)
    _guard(target.ready)
    s3 = _guard(target.client, "s3")
    bucket = environment.lambda_environment["CONFIG_BUCKET"]
    _guard(sync_config, s3, bucket, target.feeds_base_url, printer=print, dry_run=True)


@task(help={"env": ENV_HELP, "invoke": "also make a one-token call to each Bedrock profile (a fraction of a cent)"})
def doctor(c, env=None, invoke=False):
    """Preflight before a deploy: credentials, Terraform, state backend, buckets, model access, runtime boto3, role."""
    from toolkit.doctor import run_doctor

    report = _guard(run_doctor, env, invoke=invoke)
    if not report.ok:
        raise Exit(code=1)
