"""Terraform: plan and apply an environment, check the modules, bootstrap the state bucket, mirror the provider."""

from __future__ import annotations

from invoke import Collection, Exit, task

from ._guard import ENV_HELP, _guard


@task(
    name="plan",
    help={
        "env": ENV_HELP,
        "out": "save the plan to this file, for `tf.apply --plan`",
        "summary": "append a Markdown account of the plan to this file (CI: $GITHUB_STEP_SUMMARY)",
    },
)
def tf_plan(c, env=None, out=None, summary=None):
    """terraform init + plan for the environment (the emulator for local).

    Changes: no resource; writes the --out plan file and appends to the --summary file when given.
    """
    from toolkit.terraform import plan

    _guard(plan, env, out=out, summary=summary)


@task(
    name="apply",
    help={
        "env": ENV_HELP,
        "plan": "apply this saved plan (from `tf.plan --out`) instead of planning again",
        "verbose": "stream Terraform's output (it always goes to .local/logs/)",
        "dry_run": "run terraform plan instead (and list the config files the emulator would get): nothing applied",
    },
)
def tf_apply(c, env=None, plan=None, verbose=False, dry_run=False):
    """Package, then terraform init + apply for the environment (the emulator for local, whose config it also uploads)."""
    from toolkit.stack import apply_stack

    _guard(apply_stack, env, verbose=verbose or None, plan_file=plan, dry_run=dry_run)


@task(name="mirror", help={"dir": "directory to fill (then export TF_PLUGIN_DIR=<dir>)"})
def tf_mirror(c, dir=".local/terraform-providers"):
    """Copy the AWS provider into a local mirror, so Terraform runs of the test suite need no registry."""
    from toolkit.terraform import mirror_providers

    _guard(mirror_providers, dir)


@task(name="check")
def tf_check(c):
    """terraform fmt -check and validate for every environment and the CI bootstrap, then the checkov security scan."""
    from toolkit.checkov import security_scan
    from toolkit.terraform import fmt_check, validate, validate_bootstrap

    failed = _guard(fmt_check) != 0
    for name in ("local", "dev"):
        failed = _guard(validate, name) != 0 or failed
    failed = _guard(validate_bootstrap) != 0 or failed
    if _guard(security_scan) != 0 or failed:
        raise Exit(code=1)


@task(name="bootstrap", help={"env": ENV_HELP, "dry_run": "print what it would create and write, and do neither"})
def tf_bootstrap(c, env=None, dry_run=False):
    """Create the Terraform state bucket of the account (versioned, encrypted, private) and write backend.hcl."""
    from toolkit.bootstrap import bootstrap_state

    _guard(bootstrap_state, env, dry_run=dry_run)


ns = Collection("tf", tf_plan, tf_apply, tf_check, tf_bootstrap, tf_mirror)
