"""Mutation score of the engine's pure modules: how much of their behaviour the fast tests would catch.

mutmut changes one operator, constant or call at a time in the listed modules and runs the fast tests that
cover the changed function; a mutant the tests do not notice "survives". The run happens in a scratch copy
(`.mutation/`) so the checkout is never modified, and mutmut resumes there if interrupted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .. import REPO_ROOT
from ..errors import ToolkitError

WORKDIR = REPO_ROOT / ".mutation"
# The committed reference score; a run writes its own under .local/ unless asked to update the reference.
REFERENCE = REPO_ROOT / "bench" / "mutation.json"
RESULTS = REPO_ROOT / ".local" / "bench" / "mutation.json"
EQUIVALENT = REPO_ROOT / "bench" / "mutation-equivalent.txt"

# The engine's pure modules (no S3, HTTP or clock of their own), relative to lambda_src/.
MODULES = (
    "vectora_core/ingest/parse.py",
    "vectora_core/extraction.py",
    "vectora_core/scoring.py",
    "vectora_core/stories.py",
    "vectora_core/phrasing.py",
    "vectora_core/faithfulness.py",
    "vectora_core/llm/prompts.py",
    "vectora_core/render.py",
    "vectora_core/editorial_cache.py",
    "vectora_core/validation.py",
    "vectora_core/settings.py",
    "vectora_core/layout.py",
    "vectora_core/log_phrases.py",
    "vectora_core/first_seen.py",
)
# Their fast tests: no emulator, no servers.
FAST_TESTS = (
    "tests/test_parse.py",
    "tests/test_extraction_scoring.py",
    "tests/test_extraction_details.py",
    "tests/test_validation.py",
    "tests/test_settings.py",
    "tests/test_client_config.py",
    "tests/test_pure_engine.py",
    "tests/test_prompts.py",
    "tests/test_parse_details.py",
    "tests/test_scoring_details.py",
    "tests/test_importance.py",
    "tests/test_text.py",
    "tests/test_stories.py",
    "tests/test_story_evidence.py",
    "tests/test_news_phrasing.py",
    "tests/test_faithfulness.py",
    "tests/test_faithfulness_details.py",
    "tests/test_layout.py",
    "tests/test_log_phrases.py",
    "tests/test_first_seen.py",
)
# mutmut's exit codes; a mutant in code no fast test runs ("no tests") counts against the score like a survivor.
STATUS_BY_EXIT_CODE = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
}


class MutationError(ToolkitError, RuntimeError):
    """The mutation run could not start or finish."""


def dotted(module: str) -> str:
    """`vectora_core.ingest.parse` of `vectora_core/ingest/parse.py`."""
    return module.removesuffix(".py").replace("/", ".")


def select_modules(names: list[str] | None) -> tuple[str, ...]:
    """The listed modules named by `names` (dotted, as a path, or by the last part alone: `stories`), all if none.

    Narrowing to a few modules keeps a run short while their tests are being written."""
    if not names:
        return MODULES
    chosen = []
    for name in names:
        wanted = dotted(name.strip())
        matches = [m for m in MODULES if dotted(m) == wanted or dotted(m).rsplit(".", 1)[-1] == wanted]
        if not matches:
            raise MutationError(f"{name!r} is not a mutated module; the list: {', '.join(map(dotted, MODULES))}")
        chosen.extend(m for m in matches if m not in chosen)
    return tuple(chosen)


def prepare(workdir: Path = WORKDIR, modules: tuple[str, ...] = MODULES) -> None:
    """A scratch copy laid out the way mutmut expects (engine under src/), refreshed from the checkout."""
    workdir.mkdir(exist_ok=True)
    # mutants/ too: mutmut keeps a mutated copy whose Python source looks unchanged even when the templates and
    # data beside it changed, and then tests stale code.
    for name in ("src", "tests", "config", "mutants"):
        shutil.rmtree(workdir / name, ignore_errors=True)
    shutil.copytree(
        REPO_ROOT / "lambda_src" / "vectora_core",
        workdir / "src" / "vectora_core",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(REPO_ROOT / "tests", workdir / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "config", workdir / "config")
    (workdir / "env").mkdir(exist_ok=True)
    shutil.copy2(REPO_ROOT / "env" / "local.json", workdir / "env" / "local.json")
    (workdir / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n")
    only = "\n    ".join(f"src/{module}" for module in modules)
    tests = "\n    ".join(FAST_TESTS)
    (workdir / "setup.cfg").write_text(
        "[mutmut]\n"
        "source_paths = src\n"
        f"only_mutate =\n    {only}\n"
        f"pytest_add_cli_args_test_selection =\n    {tests}\n"
        "also_copy =\n    config\n    env\n    pytest.ini\n"
    )


def statuses(workdir: Path = WORKDIR, modules: tuple[str, ...] = MODULES) -> dict[str, str]:
    """Every mutant's status from mutmut's per-file records."""
    found: dict[str, str] = {}
    for module in modules:
        meta = workdir / "mutants" / "src" / (module + ".meta")
        if not meta.exists():
            continue
        exit_codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
        for name, code in exit_codes.items():
            found[name] = STATUS_BY_EXIT_CODE.get(code, "not checked" if code is None else f"other ({code})")
    return found


def module_of(mutant: str) -> str:
    """`vectora_core.scoring` of `vectora_core.scoring.x_select__mutmut_3` (methods: `xǁClassǁname`)."""
    parts = mutant.split(".")
    for index in range(len(parts) - 1, -1, -1):
        if parts[index].startswith(("x_", "xǁ")):
            return ".".join(parts[:index])
    return mutant.rsplit(".", 1)[0]


def equivalent_mutants(path: Path = EQUIVALENT) -> dict[str, str]:
    """`mutant name: reason` lines: survivors judged equivalent (same behaviour), so no test can kill them."""
    reasons = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#") and ":" in line:
                name, _, reason = line.partition(":")
                reasons[name.strip()] = reason.strip()
    return reasons


def summarize(
    found: dict[str, str], equivalent: dict[str, str], seconds: float, modules: tuple[str, ...] = MODULES
) -> dict:
    counts = Counter(found.values())
    tested = counts["killed"] + counts["survived"] + counts["timeout"] + counts["no tests"]
    survivors = sorted(name for name, status in found.items() if status in ("survived", "no tests"))
    per_module: dict[str, Counter] = {}
    for name, status in found.items():
        module = module_of(name)
        per_module.setdefault(module, Counter())[status] += 1
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tool": "mutmut",
        "modules": list(modules),
        "tests": list(FAST_TESTS),
        "mutants": len(found),
        "killed": counts["killed"],
        "survived": counts["survived"],
        "timed_out": counts["timeout"],
        "not_covered": counts["no tests"],
        "not_checked": len(found) - tested,
        # A timeout means the mutant made the tests hang: the tests noticed it.
        "score_percent": round(100 * (counts["killed"] + counts["timeout"]) / tested, 1) if tested else None,
        "duration_s": round(seconds),
        "per_module": {m: dict(c) for m, c in sorted(per_module.items())},
        "survivors": [{"mutant": name, "equivalent": equivalent.get(name, "")} for name in survivors],
    }


def table(summary: dict) -> str:
    lines = [
        "| module | mutants | killed | survived | not covered | timed out | score |",
        "|---|---|---|---|---|---|---|",
    ]
    for module, counts in summary["per_module"].items():
        tested = sum(counts.get(k, 0) for k in ("killed", "survived", "timeout", "no tests"))
        score = f"{100 * (counts.get('killed', 0) + counts.get('timeout', 0)) / tested:.0f} %" if tested else "-"
        lines.append(
            f"| {module} | {sum(counts.values())} | {counts.get('killed', 0)} | {counts.get('survived', 0)} | "
            f"{counts.get('no tests', 0)} | {counts.get('timeout', 0)} | {score} |"
        )
    lines.append(
        f"| **all** | {summary['mutants']} | {summary['killed']} | {summary['survived']} | {summary['not_covered']} | "
        f"{summary['timed_out']} | **{summary['score_percent']} %** |"
    )
    unexplained = [s["mutant"] for s in summary["survivors"] if not s["equivalent"]]
    lines.append(
        f"\n{len(summary['survivors'])} survivor(s), {len(unexplained)} without a test or an equivalence reason."
    )
    lines.extend(f"  {name}" for name in unexplained[:40])
    return "\n".join(lines)


def run_mutation(
    max_children: int = 2,
    printer: Callable[[str], None] = print,
    workdir: Path = WORKDIR,
    *,
    update_reference: bool = False,
    only: list[str] | None = None,
) -> dict:
    """Prepare the scratch copy, run mutmut, write the summary (.local/bench/mutation.json, or the committed
    bench/mutation.json with `update_reference`) and return it with the path written as `written_to`.

    `only` names the modules to mutate (see select_modules); the reference is always measured over all of them."""
    import time

    modules = select_modules(only)
    if update_reference and modules != MODULES:
        raise MutationError("the reference score covers every mutated module: drop --only to update it")

    if shutil.which("mutmut", path=str(Path(sys.executable).parent)) is None:
        raise MutationError("mutmut is not installed: pip install -r requirements-dev.txt")
    prepare(workdir, modules)
    started = time.monotonic()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    command = [str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(max_children)]
    printer(f"mutmut over {len(modules)} modules with {len(FAST_TESTS)} test files (slow: tens of minutes)")
    log = workdir / "mutmut-output.txt"
    printer(f"progress: {log}")
    with log.open("w") as output:
        completed = subprocess.run(command, cwd=workdir, env=environment, stdout=output, stderr=subprocess.STDOUT)
    found = statuses(workdir, modules)
    if not found:
        raise MutationError(f"mutmut produced no results (exit {completed.returncode}); see {log}")
    summary = summarize(found, equivalent_mutants(), time.monotonic() - started, modules)
    if summary["score_percent"] is None:
        raise MutationError(
            f"mutmut checked no mutant (exit {completed.returncode}): the fast tests failed on the unmutated code; "
            f"see the end of {log}"
        )
    target = REFERENCE if update_reference else RESULTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    summary["written_to"] = str(target.relative_to(REPO_ROOT))
    printer(table(summary))
    return summary
