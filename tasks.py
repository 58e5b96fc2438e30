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
    from toolkit.local.run_local import RunError
    from toolkit.local.services import ServiceError

    errors: list[type[Exception]] = [EnvFileError, RunError, ServiceError]
    for module, name in (
        ("toolkit.packaging", "PackageError"),
        ("toolkit.deploy", "DeployError"),
        ("toolkit.release_config", "ReleaseConfigError"),
        ("toolkit.smoke", "SmokeError"),
        ("toolkit.cloudwatch", "LogsError"),
        ("toolkit.local.lambda_runner", "LocalLambdaError"),
        ("toolkit.terraform", "TerraformError"),
        ("toolkit.drivers.demo", "DemoError"),
        ("toolkit.drivers.bench", "BenchError"),
        ("toolkit.bootstrap", "BootstrapError"),
        ("toolkit.drivers.evaluate", "EvalError"),
        ("toolkit.drivers.screenshot", "ScreenshotError"),
        ("toolkit.operations", "OperationsError"),
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


@task(help={"payload": "JSON payload file", "env": ENV_HELP, "offline": "use the offline LLM backend instead of the Bedrock stand-in",
            "screenshot": "render the edition in headless Chromium at 1200 and 375 px; PNGs beside it"})
def run(c, payload="payloads/test-payload-p1.json", env=None, offline=False, screenshot=False):
    """Run the handler in process on the emulator with the sample feeds; print a summary and the newsletter's path."""
    from toolkit.local.run_local import OUT_DIR, load_payload_file, run_payload

    result = _guard(lambda: run_payload(env, load_payload_file(payload), llm_backend="offline" if offline else None))
    if result.get("status") != "ok":
        raise Exit(code=1)
    if screenshot:
        from toolkit.drivers.screenshot import screenshot_edition

        _guard(screenshot_edition, OUT_DIR / result["client_id"] / result["period"]["date"] / "newsletter.html")


@task(help={"env": ENV_HELP, "force": "rebuild even if the inputs are unchanged", "bundle_boto3": "bundle boto3 instead of using the runtime's"})
def package(c, env=None, force=False, bundle_boto3=None):
    """Build the reproducible Lambda zip dist/vectora-inbox-engine-<hash>.zip (skipped when inputs are unchanged)."""
    from toolkit.packaging import build_package

    _guard(build_package, env, force=force, bundle_boto3=bundle_boto3)


BREAK_LEASE_HELP = "take over the deploy lease of a deploy or rollback that was killed (check that it is not running)"


@task(help={"env": ENV_HELP, "payload": "payload for the pre-promotion smoke test", "break_lease": BREAK_LEASE_HELP})
def deploy(c, env=None, payload="payloads/test-payload-p1.json", break_lease=False):
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

    _guard(deploy_function, env, smoke_payload=payload, break_lease=break_lease)


@task(
    help={
        "payload": "JSON payload file (its client is used for every check)",
        "env": ENV_HELP,
        "qualifier": "alias or version number to test (default: live)",
        "json": "print the report as JSON",
    }
)
def smoke(c, payload="payloads/test-payload-p1.json", env=None, qualifier="live", json_=False):
    """Run the three post-deploy checks (basic, cache miss/hit, Bedrock regions in the logs) as check runs that never publish."""
    from toolkit.smoke import run_smoke

    printer = (lambda _line: None) if json_ else print
    report = _guard(run_smoke, env, payload, qualifier=str(qualifier), printer=printer)
    if json_:
        print(report.to_json())
    if not report.ok:
        raise Exit(code=1)




@task(
    help={
        "env": ENV_HELP,
        "to": "version to move live to, older or newer (default: the newest good version below live)",
        "break_lease": BREAK_LEASE_HELP,
    }
)
def rollback(c, env=None, to=None, break_lease=False):
    """Move `live` back to the previous good version (or --to N) in one call, then check it with a basic invocation.

    A good version passed its smoke test at deploy (or is the one Terraform created). With nothing older, it prints
    the versions and the command that would work. A failed check moves `live` back.
    """
    from toolkit.deploy import rollback as rollback_function

    _guard(rollback_function, env, to_version=to, break_lease=break_lease)


@task(help={"env": ENV_HELP})
def versions(c, env=None):
    """List published versions: git commit (or terraform), sha256, config digest, smoke verdict, what differs from live.

    A last line says when $LATEST holds configuration the next deploy would publish.
    """
    from toolkit.deploy import format_versions, latest_differences, list_versions
    from toolkit.envfile import load_env

    found = _guard(list_versions, env)
    print(format_versions(found, load_env(env).alias_name, _guard(latest_differences, env, printer=lambda _line: None)))


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
    """Check config/ with the engine's parser, then upload the changed files to the config bucket.

    Client configs, canonical scopes and prices. `invoke deploy` does this too, and smoke-tests live with them.
    """
    from toolkit.config_sync import sync_config
    from toolkit.envfile import load_env
    from toolkit.local.run_local import prepare_local
    from toolkit.services import boto3_client

    environment = _guard(load_env, env)
    if environment.emulator:
        _guard(prepare_local, environment)
    else:
        sync_config(boto3_client(environment, "s3"), environment.lambda_environment["CONFIG_BUCKET"], printer=print)


@task(help={"env": ENV_HELP, "skip_deploy": "skip the deploy and rollback figures (no terraform apply needed)",
            "scenario": "run only this scenario: realistic_week (~460 items, ~5 % relevant, the model's real latency)"})
def bench(c, env=None, skip_deploy=False, scenario=None):
    """Measure zip size, cold start, warm/cached runs, prompt size, rollback and a realistic week into bench/results.json."""
    from toolkit.drivers.bench import main

    _guard(main, env, include_deploy=not skip_deploy, scenario=scenario)


# --- operations -------------------------------------------------------------------------------------------------


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
    """Start a client's scheduled run now, asynchronously through `live`, exactly as its schedule would."""
    from toolkit.operations import trigger_scheduled_run

    _guard(trigger_scheduled_run, env, client)


@task(help={"verbose": "show every step's full output (Terraform's included) instead of one line per step"})
def demo(c, verbose=False):
    """The main job on the embedded default: emulator up, terraform apply, package, deploy, smoke, rollback drill, this week's edition."""
    from toolkit.drivers.demo import main_job

    _guard(main_job, verbose=verbose or None)


# --- editorial quality: the labelled evaluation weeks ---------------------------------------------------


@task(name="eval", help={"date": "reference day of the evaluation weeks, YYYY-MM-DD (default: today UTC)"})
def eval_(c, date=None):
    """Measure relevance on the labelled weeks (precision, recalls, duplicates) into bench/eval.json."""
    from datetime import date as _date

    from toolkit.drivers.evaluate import main

    results = _guard(main, _date.fromisoformat(date) if date else None)
    if not results["meets_targets"]:
        raise Exit(code=1)


# --- local services ----------------------------------------------------------------------------------


@task(name="up", help={"env": ENV_HELP})
def local_up(c, env=None):
    """Start the AWS emulator, the Bedrock stand-in and the sample-feed server (state lives while they run)."""
    from toolkit.envfile import load_env
    from toolkit.local.services import ensure_services

    urls = _guard(ensure_services, _guard(load_env, env))
    for name, url in urls.items():
        print(f"  {name:<16} {url}")


@task(name="down", help={"env": ENV_HELP})
def local_down(c, env=None):
    """Stop the local services (the emulator's state is lost; the next command notices and applies Terraform afresh)."""
    from toolkit.envfile import load_env
    from toolkit.local.services import stop_services

    _guard(stop_services, _guard(load_env, env))


@task(name="status", help={"env": ENV_HELP})
def local_status(c, env=None):
    """Show which local services are running."""
    from toolkit.envfile import load_env
    from toolkit.local.services import services_status

    for name, running in _guard(services_status, _guard(load_env, env)).items():
        print(f"  {name:<16} {'running' if running else 'stopped'}")


# --- terraform ------------------------------------------------------------------------------------------


@task(
    name="plan",
    help={
        "env": ENV_HELP,
        "out": "save the plan to this file, for `tf.apply --plan`",
        "summary": "append a Markdown account of the plan to this file (CI: $GITHUB_STEP_SUMMARY)",
    },
)
def tf_plan(c, env=None, out=None, summary=None):
    """terraform init + plan for the environment (the emulator for local)."""
    from toolkit.terraform import plan

    _guard(plan, env, out=out, summary=summary)


@task(
    name="apply",
    help={
        "env": ENV_HELP,
        "plan": "apply this saved plan (from `tf.plan --out`) instead of planning again",
        "verbose": "stream Terraform's output (it always goes to .local/logs/)",
    },
)
def tf_apply(c, env=None, plan=None, verbose=False):
    """Package, then terraform init + apply for the environment (the emulator for local, whose config it also uploads)."""
    from toolkit.stack import apply_stack

    _guard(apply_stack, env, verbose=verbose or None, plan_file=plan)


@task(name="mirror", help={"dir": "directory to fill (then export TF_PLUGIN_DIR=<dir>)"})
def tf_mirror(c, dir=".local/terraform-providers"):
    """Copy the AWS provider into a local mirror, so Terraform runs of the test suite need no registry."""
    from toolkit.terraform import mirror_providers

    _guard(mirror_providers, dir)


@task(name="check")
def tf_check(c):
    """terraform fmt -check and validate for every environment and the CI bootstrap, then the checkov security scan."""
    from toolkit.terraform import fmt_check, security_scan, validate, validate_bootstrap

    failed = _guard(fmt_check) != 0
    for name in ("local", "dev"):
        failed = _guard(validate, name) != 0 or failed
    failed = _guard(validate_bootstrap) != 0 or failed
    if _guard(security_scan) != 0 or failed:
        raise Exit(code=1)


# --- preflight for a real account: bootstrap the state bucket, then doctor --------------------------------------


@task(help={"env": ENV_HELP, "invoke": "also make a one-token call to each Bedrock profile (a fraction of a cent)"})
def doctor(c, env=None, invoke=False):
    """Preflight before a deploy: credentials, Terraform, state backend, buckets, model access, runtime boto3, role."""
    from toolkit.doctor import run_doctor

    report = _guard(run_doctor, env, invoke=invoke)
    if not report.ok:
        raise Exit(code=1)


@task(name="bootstrap", help={"env": ENV_HELP})
def tf_bootstrap(c, env=None):
    """Create the Terraform state bucket of the account (versioned, encrypted, private) and write backend.hcl."""
    from toolkit.bootstrap import bootstrap_state

    _guard(bootstrap_state, env)


# --- mutation score (slow: not part of make test or CI) ------------------------------------------
@task(help={"jobs": "mutants tested in parallel (default 2)"})
def mutate(c, jobs=2):
    """Mutation score of the engine's pure modules against their fast tests; writes bench/mutation.json."""
    from toolkit.drivers.mutation import MutationError, run_mutation

    try:
        summary = run_mutation(max_children=int(jobs))
    except MutationError as exc:
        raise _fail(exc) from None
    print(f"bench/mutation.json written: {summary['score_percent']} % of {summary['mutants']} mutants killed")



local = Collection("local", local_up, local_down, local_status)
tf = Collection("tf", tf_plan, tf_apply, tf_check, tf_bootstrap, tf_mirror)
namespace = Collection(
    run, package, deploy, smoke, rollback, versions, logs, config_sync, bench, demo, status, failures, trigger, local, tf
)
namespace.add_task(doctor)
namespace.add_task(eval_)
namespace.add_task(mutate)
