"""Drivers: the in-process run, the demo, the benchmark, the evaluation and the mutation score."""

from __future__ import annotations

from invoke import Exit, task

from ._guard import ENV_HELP, _fail, _guard


@task(
    help={
        "payload": "JSON payload file",
        "env": ENV_HELP,
        "offline": "use the offline LLM backend instead of the Bedrock stand-in",
        "screenshot": "render the edition in headless Chromium at 1200 and 375 px; PNGs beside it",
    }
)
def run(c, payload="payloads/test-payload-p1.json", env=None, offline=False, screenshot=False):
    """Run the handler in process on the emulator with the sample feeds; print a summary and the newsletter's path.

    Changes: starts the local services, applies the emulator's stack if it lacks a piece, uploads config/, writes
    the edition to the emulator's buckets and its files and log under out/ (a check run's under out/checks/).
    """
    from toolkit.local.run_local import OUT_DIR, load_payload_file, run_payload

    result = _guard(lambda: run_payload(env, load_payload_file(payload), llm_backend="offline" if offline else None))
    if result.get("status") != "ok":
        raise Exit(code=1)
    if screenshot:
        from toolkit.drivers.screenshot import screenshot_edition

        _guard(screenshot_edition, OUT_DIR / result["client_id"] / result["period"]["date"] / "newsletter.html")


@task(
    help={
        "env": ENV_HELP,
        "skip_deploy": "skip the deploy and rollback figures (no terraform apply needed)",
        "scenario": "run only this scenario: realistic_week (~460 items, ~5 % relevant, the model's real latency) "
        "or fleet (100 clients started at once under a Bedrock quota, sharing on and off)",
        "clients": "fleet scenario: how many clients (default 100)",
        "update_reference": "write the figures into the committed bench/results.json instead of .local/bench/",
    }
)
def bench(c, env=None, skip_deploy=False, scenario=None, clients=None, update_reference=False):
    """Measure zip size, cold start, warm/cached runs, prompt size, rollback, a realistic week (and, alone, the fleet).

    Changes: .local/bench/results.json (bench/results.json, the committed reference, only with --update-reference);
    on the emulator only, the stack, and (without --skip-deploy) a deploy and a rollback round trip of the function.
    """
    from toolkit.drivers.bench import main

    _guard(
        main,
        env,
        include_deploy=not skip_deploy,
        scenario=scenario,
        update_reference=update_reference,
        clients=int(clients) if clients else None,
    )


@task(help={"verbose": "show every step's full output (Terraform's included) instead of one line per step"})
def demo(c, verbose=False):
    """The main job on the embedded default: emulator up, terraform apply, package, deploy, smoke, rollback drill, this week's edition.

    Changes: the emulator only (its stack, function versions, `live`, this week's edition), dist/ and .local/logs/demo.log.
    """
    from toolkit.drivers.demo import main_job

    _guard(main_job, verbose=verbose or None)


# --- editorial quality: the labelled evaluation weeks ---------------------------------------------------


@task(
    name="eval",
    help={
        "date": "reference day of the evaluation weeks, YYYY-MM-DD (default: today UTC)",
        "tuning": "only the tuning weeks (what rules may be tuned on); the held-out weeks are left unread",
        "update_reference": "write the committed reference figures, bench/eval.json, instead of out/eval.json",
    },
)
def eval_(c, date=None, tuning=False, update_reference=False):
    """Measure editions on the labelled weeks (selection, story identity, faithfulness, whole sentences).

    Every client with weeks in eval/. Prints the figures per client, per week and overall, tuning and held-out weeks
    apart, and writes them to out/eval.json;
    exits non-zero when a target is missed. Changes: out/eval.json (bench/eval.json with --update-reference).
    """
    from datetime import date as _date

    from toolkit.drivers.evaluate import main

    results = _guard(
        main, _date.fromisoformat(date) if date else None, update_reference=update_reference, tuning_only=tuning
    )
    if not results["meets_targets"]:
        raise Exit(code=1)


@task(
    help={
        "jobs": "mutants tested in parallel (default 2)",
        "update_reference": "write the committed reference score, bench/mutation.json, instead of .local/bench/",
        "only": "mutate only these modules, comma-separated (e.g. stories,phrasing); not with --update-reference",
    }
)
def mutate(c, jobs=2, update_reference=False, only=""):
    """Mutation score of the engine's pure modules against their fast tests.

    Changes: .local/bench/mutation.json (bench/mutation.json with --update-reference), and the scratch copy in
    .mutation/ (the checkout itself is never modified).
    """
    from toolkit.drivers.mutation import MutationError, run_mutation

    try:
        modules = [name for name in only.split(",") if name.strip()]
        summary = run_mutation(max_children=int(jobs), update_reference=update_reference, only=modules)
    except MutationError as exc:
        raise _fail(exc) from None
    print(f"{summary['written_to']} written: {summary['score_percent']} % of {summary['mutants']} mutants killed")
