"""Vectora Inbox toolkit. Every task is a thin wrapper over a tested function of the `toolkit` package.

Environments are `env/<name>.json`; `--env` defaults to `local` (the embedded AWS emulator) or $VECTORA_ENV.
"""

from __future__ import annotations

import sys
from pathlib import Path

from invoke import Collection, Exit, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

ENV_HELP = "environment file env/<ENV>.json (default: local, the embedded emulator)"


def _fail(exc: Exception) -> Exit:
    return Exit(f"error: {exc}", code=1)


def _known_errors() -> tuple[type[Exception], ...]:
    from toolkit.envfile import EnvFileError
    from toolkit.run_local import RunError
    from toolkit.services import ServiceError

    errors: list[type[Exception]] = [EnvFileError, RunError, ServiceError]
    for module, name in (
        ("toolkit.packaging", "PackageError"),
        ("toolkit.deploy", "DeployError"),
        ("toolkit.smoke", "SmokeError"),
        ("toolkit.cloudwatch", "LogsError"),
        ("toolkit.local_lambda", "LocalLambdaError"),
        ("toolkit.terraform", "TerraformError"),
        ("toolkit.demo", "DemoError"),
        ("toolkit.bench", "BenchError"),
    ):
        try:
            errors.append(getattr(__import__(module, fromlist=[name]), name))
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


def _guard(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except _known_errors() as exc:
        raise _fail(exc) from None


@task(help={"payload": "JSON payload file", "env": ENV_HELP, "offline": "use the offline LLM backend instead of the Bedrock stand-in"})
def run(c, payload="payloads/test-payload-p1.json", env=None, offline=False):
    """Run the handler in process on the emulator with the sample feeds; print a summary and the newsletter's path."""
    from toolkit.run_local import load_payload_file, run_payload

    result = _guard(lambda: run_payload(env, load_payload_file(payload), llm_backend="offline" if offline else None))
    if result.get("status") != "ok":
        raise Exit(code=1)


@task(help={"env": ENV_HELP, "force": "rebuild even if the inputs are unchanged", "bundle_boto3": "bundle boto3 instead of using the runtime's"})
def package(c, env=None, force=False, bundle_boto3=None):
    """Build the reproducible Lambda zip dist/vectora-inbox-engine-<hash>.zip (skipped when inputs are unchanged)."""
    from toolkit.packaging import build_package

    _guard(build_package, env, force=force, bundle_boto3=bundle_boto3)


@task(help={"env": ENV_HELP, "payload": "payload for the pre-promotion smoke test"})
def deploy(c, env=None, payload="payloads/test-payload-p1.json"):
    """Publish a new version, smoke-test it, then move the `live` alias to it (nothing published if code is unchanged)."""
    from toolkit.deploy import deploy as deploy_function

    _guard(deploy_function, env, smoke_payload=payload)


@task(
    help={
        "payload": "JSON payload file (its client is used for every check)",
        "env": ENV_HELP,
        "qualifier": "alias or version number to test (default: live)",
        "json": "print the report as JSON",
    }
)
def smoke(c, payload="payloads/test-payload-p1.json", env=None, qualifier="live", json_=False):
    """Run the seed's three post-deploy checks: basic, cache miss/hit, Bedrock regions in the logs."""
    from toolkit.smoke import run_smoke

    printer = (lambda _line: None) if json_ else print
    report = _guard(run_smoke, env, payload, qualifier=str(qualifier), printer=printer)
    if json_:
        print(report.to_json())
    if not report.ok:
        raise Exit(code=1)




@task(help={"env": ENV_HELP, "to": "version to roll back to (default: the previously deployed one)"})
def rollback(c, env=None, to=None):
    """Move `live` back to the previous version (or --to N) in one call, then check it with a basic invocation."""
    from toolkit.deploy import rollback as rollback_function

    _guard(rollback_function, env, to_version=to)


@task(help={"env": ENV_HELP})
def versions(c, env=None):
    """List published versions with their deploy metadata and where `live` points."""
    from toolkit.deploy import format_versions, list_versions
    from toolkit.envfile import load_env

    found = _guard(list_versions, env)
    print(format_versions(found, load_env(env).alias_name))


@task(
    help={
        "env": ENV_HELP,
        "since": "how far back to start, e.g. 30s, 10m, 2h, 1d",
        "follow": "keep polling for new events",
        "filter": 'CloudWatch filter pattern, e.g. \'"Client Bedrock hybride"\'',
    }
)
def logs(c, env=None, since="10m", follow=False, filter=None):
    """Tail the function's CloudWatch logs like `aws logs tail`."""
    from toolkit.cloudwatch import tail_logs

    _guard(tail_logs, env, since=since, follow=follow, filter_pattern=filter)


@task(help={"env": ENV_HELP})
def config_sync(c, env=None):
    """Upload config/ (client configs, canonical scopes, prices) to the environment's config bucket."""
    from toolkit.config_sync import sync_config
    from toolkit.envfile import load_env
    from toolkit.run_local import prepare_local
    from toolkit.services import boto3_client

    environment = _guard(load_env, env)
    if environment.emulator:
        _guard(prepare_local, environment)
    else:
        sync_config(boto3_client(environment, "s3"), environment.lambda_environment["CONFIG_BUCKET"], printer=print)


@task(help={"env": ENV_HELP, "skip_deploy": "skip the deploy and rollback figures (no terraform apply needed)"})
def bench(c, env=None, skip_deploy=False):
    """Measure the seed's figures (zip, cold start, warm/cached runs, prompt size, rollback) into bench/results.json."""
    from toolkit.bench import main

    _guard(main, env, include_deploy=not skip_deploy)


@task
def demo(c):
    """The main job on the embedded default: emulator up, terraform apply, package, deploy, smoke, rollback drill."""
    from toolkit.demo import main_job

    _guard(main_job)


# --- local services ----------------------------------------------------------------------------------


@task(name="up", help={"env": ENV_HELP})
def local_up(c, env=None):
    """Start the AWS emulator, the Bedrock stand-in and the sample-feed server (state lives while they run)."""
    from toolkit.envfile import load_env
    from toolkit.services import ensure_services

    urls = _guard(ensure_services, _guard(load_env, env))
    for name, url in urls.items():
        print(f"  {name:<16} {url}")


@task(name="down", help={"env": ENV_HELP})
def local_down(c, env=None):
    """Stop the local services (the emulator's state is lost; local Terraform state is not)."""
    from toolkit.envfile import load_env
    from toolkit.services import stop_services

    _guard(stop_services, _guard(load_env, env))


@task(name="status", help={"env": ENV_HELP})
def local_status(c, env=None):
    """Show which local services are running."""
    from toolkit.envfile import load_env
    from toolkit.services import services_status

    for name, running in _guard(services_status, _guard(load_env, env)).items():
        print(f"  {name:<16} {'running' if running else 'stopped'}")


# --- terraform ------------------------------------------------------------------------------------------


@task(name="plan", help={"env": ENV_HELP})
def tf_plan(c, env=None):
    """terraform init + plan for the environment (the emulator for local)."""
    from toolkit.terraform import plan

    _guard(plan, env)


@task(name="apply", help={"env": ENV_HELP})
def tf_apply(c, env=None):
    """Package, then terraform init + apply for the environment (the emulator for local)."""
    from toolkit.terraform import apply

    _guard(apply, env)


@task(name="check")
def tf_check(c):
    """terraform fmt -check and validate for every environment, then the checkov security scan."""
    from toolkit.terraform import fmt_check, security_scan, validate

    failed = _guard(fmt_check) != 0
    for name in ("local", "dev"):
        failed = _guard(validate, name) != 0 or failed
    if _guard(security_scan) != 0 or failed:
        raise Exit(code=1)



# --- mutation score (slow: not part of make test or CI) ------------------------------------------
@task(help={"jobs": "mutants tested in parallel (default 2)"})
def mutate(c, jobs=2):
    """Mutation score of the engine's pure modules against their fast tests; writes bench/mutation.json."""
    from toolkit.mutation import MutationError, run_mutation

    try:
        summary = run_mutation(max_children=int(jobs))
    except MutationError as exc:
        raise _fail(exc) from None
    print(f"bench/mutation.json written: {summary['score_percent']} % of {summary['mutants']} mutants killed")


local = Collection("local", local_up, local_down, local_status)
tf = Collection("tf", tf_plan, tf_apply, tf_check)
namespace = Collection(run, package, deploy, smoke, rollback, versions, logs, config_sync, bench, demo, local, tf)
namespace.add_task(mutate)
