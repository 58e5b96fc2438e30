"""`invoke loop-bench`: how long the loop around the project takes, measured the way a developer meets it.

- the whole test suite, `make test` (what CI runs), with the slowest modules;
- the fast subset, `make test-fast`;
- `make demo` in a fresh copy of this checkout: its first run (fresh emulator, the Lambda's dependencies installed
  into the copy's empty package cache), a run from a fresh emulator once the package is built (`invoke local.down`
  first), and a warm run on the emulator that already holds the stack.

The copy runs with this checkout's Python environment ("once installed": no `make setup`), on local-service ports of its
own, and is stopped at the end: this checkout's emulator, Terraform state and editions are left alone. Figures are
printed and written to `.local/bench/loop.json` (untracked). Wall-clock seconds depend on the machine and on what
else runs on it: each figure carries how busy the machine's CPU was just before it (and the load average before and
after), and a figure taken on a busy machine is named as such.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import REPO_ROOT

Printer = Callable[[str], None]
OUT_FILE = Path(".local") / "bench" / "loop.json"
SCRATCH_DIR = Path(".local") / "loop-bench"
PARTS = ("suite", "fast", "demo")
# The targets of issue 20 (seconds): whole suite, fast subset, demo from a fresh emulator, warm demo.
TARGETS = {"suite": 120.0, "fast_subset": 20.0, "demo_fresh_emulator": 40.0, "demo_warm": 20.0}
_SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?|deselected|xfailed|xpassed)")
_MAIN_JOB = re.compile(r"Main job done in ([\d.]+) s")
# env/local.json's ports are shifted by this much at least for the copy, then by steps until all three are free.
PORT_OFFSET_START, PORT_OFFSET_STEP = 1100, 10
# Other work using more than this share of the machine's CPU before a figure makes it a busy machine's figure.
BUSY = 0.25


@dataclass
class Timing:
    """One measured command: wall and CPU seconds (its processes and their children), how busy the machine was in the
    seconds before it (a fraction of all cores, None where /proc/stat is missing), the load average before and after."""

    command: str
    seconds: float
    cpu_seconds: float
    returncode: int
    load_before: float
    load_after: float
    busy_before: float | None = None
    output_tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores since boot, from /proc/stat; None elsewhere."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return sum(fields) - idle, sum(fields)


def busy_fraction(seconds: float = 3.0) -> float | None:
    """How much of the machine's CPU was in use over the next `seconds` (0 to 1), before anything is measured: the
    load average cannot tell, since it still counts a command that just ended."""
    before = _cpu_jiffies()
    time.sleep(seconds)
    after = _cpu_jiffies()
    if before is None or after is None or after[1] == before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]), 2)


def run_timed(command: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> tuple[Timing, str]:
    """Run `command` to completion; its Timing and whole output."""
    busy_before = busy_fraction()
    load_before = os.getloadavg()[0]
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    seconds = time.perf_counter() - started
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage_after.ru_utime - usage_before.ru_utime) + (usage_after.ru_stime - usage_before.ru_stime)
    lines = completed.stdout.splitlines()
    timing = Timing(
        " ".join(command),
        round(seconds, 1),
        round(cpu, 1),
        completed.returncode,
        load_before,
        os.getloadavg()[0],
        busy_before,
    )
    timing.output_tail = lines[-15:]
    return timing, completed.stdout


def pytest_counts(output: str) -> dict[str, int]:
    """The counts of pytest's last summary line (`922 passed, 3 skipped in 98.1s`)."""
    for line in reversed(output.splitlines()):
        counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in _SUMMARY.findall(line)}
        if counts and " in " in line:
            return counts
    return {}


def module_seconds(junit_xml: Path, top: int = 10) -> list[tuple[str, float, int]]:
    """(module, summed seconds of its tests, number of tests), slowest first, from a JUnit XML report."""
    totals: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for case in ElementTree.parse(junit_xml).iter("testcase"):
        module = case.get("classname", "").split(".")[-1] + ".py"
        totals[module] += float(case.get("time") or 0)
        counts[module] += 1
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return [(module, round(seconds, 1), counts[module]) for module, seconds in ranked]


def measure_tests(target: str, repo: Path, scratch: Path) -> dict:
    """`make <target>` in `repo`: wall and CPU time, the pytest counts and the slowest modules."""
    report = scratch / f"{target}.xml"
    scratch.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTEST_ADDOPTS": f"{os.environ.get('PYTEST_ADDOPTS', '')} --junitxml={report}".strip()}
    env.pop("VECTORA_LOCAL_PORT_OFFSET", None)  # tests pick their own ports
    timing, output = run_timed(["make", "--no-print-directory", target], cwd=repo, env=env)
    return {
        "timing": asdict(timing),
        "tests": pytest_counts(output),
        "slowest_modules": module_seconds(report) if report.is_file() else [],
    }


def copy_checkout(repo: Path, destination: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, nothing ignored) in `destination`: a fresh clone of the
    working tree, with no Terraform state, package cache, `.local` or `out`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    if destination.exists():
        shutil.rmtree(destination)
    for name in filter(None, (os.fsdecode(entry) for entry in listed)):
        source = repo / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def _ports_free(ports: Sequence[int]) -> bool:
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return False
    return True


def free_port_offset(base_ports: Sequence[int], start: int = PORT_OFFSET_START, step: int = PORT_OFFSET_STEP) -> int:
    """A VECTORA_LOCAL_PORT_OFFSET whose shifted ports nothing listens on yet."""
    for offset in range(start, start + 100 * step, step):
        if _ports_free([port + offset for port in base_ports]):
            return offset
    raise RuntimeError("no free local-service ports for the benchmark's copy of the checkout")


def measure_demo(repo: Path, scratch: Path, printer: Printer) -> dict:
    """`make demo` three times in a fresh copy of the checkout (see the module's docstring); the copy is stopped."""
    copy = copy_checkout(repo, scratch / "checkout")
    base = json.loads((copy / "env" / "local.json").read_text())["local_services"]
    offset = free_port_offset([base[key] for key in ("emulator_port", "bedrock_standin_port", "sample_feeds_port")])
    env = {**os.environ, "VECTORA_LOCAL_PORT_OFFSET": str(offset), "PYTHONPATH": str(copy)}
    invoke = [sys.executable, "-m", "invoke"]
    runs = {}
    try:
        for name, before in (
            ("demo_first_run", None),
            ("demo_fresh_emulator", ["local.down"]),
            ("demo_warm", None),
        ):
            if before:
                subprocess.run([*invoke, *before], cwd=copy, env=env, capture_output=True, check=False)
            printer(f"  {name.replace('_', ' ')} ...")
            timing, output = run_timed([*invoke, "demo"], cwd=copy, env=env)
            reported = _MAIN_JOB.search(output)
            runs[name] = {"timing": asdict(timing), "main_job_seconds": float(reported.group(1)) if reported else None}
            if not timing.ok:
                break
    finally:
        subprocess.run([*invoke, "local.down"], cwd=copy, env=env, capture_output=True, check=False)
    runs["port_offset"] = offset
    return runs


def main(
    printer: Printer = print, *, only: str | None = None, out: Path | str | None = None, repo: Path | None = None
) -> dict:
    """Measure the loop; print the figures and write them to `out` (default .local/bench/loop.json)."""
    repo = Path(repo or REPO_ROOT)
    scratch = repo / SCRATCH_DIR
    results: dict = {"cores": os.cpu_count(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    if only in (None, "suite"):
        printer("make test ...")
        results["suite"] = measure_tests("test", repo, scratch)
    if only in (None, "fast"):
        printer("make test-fast ...")
        results["fast_subset"] = measure_tests("test-fast", repo, scratch)
    if only in (None, "demo"):
        printer("make demo in a fresh copy of the checkout ...")
        results.update(measure_demo(repo, scratch, printer))
    for line in report_lines(results):
        printer(line)
    out_path = Path(out) if out else repo / OUT_FILE
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=2) + "\n")
    printer(f"figures written to {out_path.relative_to(repo) if out_path.is_relative_to(repo) else out_path}")
    return results


def _percent(fraction: float | None) -> str:
    return "?" if fraction is None else f"{fraction:.0%}"


def report_lines(results: dict) -> list[str]:
    """The figures as a table, each against its target, then the slowest modules of the suite."""
    labels = {
        "suite": "make test (whole suite)",
        "fast_subset": "make test-fast",
        "demo_first_run": "make demo, first run of a fresh copy",
        "demo_fresh_emulator": "make demo, fresh emulator",
        "demo_warm": "make demo, warm",
    }
    cores = results.get("cores") or 1
    lines = [f"{'':38} {'wall s':>7} {'cpu s':>7} {'target':>7}  busy before  load before/after ({cores} cores)"]
    busy = False
    for key, label in labels.items():
        if key not in results:
            continue
        timing = results[key]["timing"]
        target = TARGETS.get(key)
        verdict = "" if timing["returncode"] == 0 else f"  FAILED (exit {timing['returncode']})"
        tests = results[key].get("tests")
        counted = f"  {', '.join(f'{n} {kind}' for kind, n in tests.items())}" if tests else ""
        lines.append(
            f"{label:38} {timing['seconds']:7.1f} {timing['cpu_seconds']:7.1f} "
            f"{f'≤ {target:.0f}' if target else '':>7}  {_percent(timing.get('busy_before')):>11}  "
            f"{timing['load_before']:.1f}/{timing['load_after']:.1f}"
            f"{counted}{verdict}"
        )
        busy = busy or (timing.get("busy_before") or 0) > BUSY
    if busy:
        lines.append(
            f"the machine was busy before a figure (over {BUSY:.0%} of its {cores} cores in use by other work): "
            "these times are longer than on a quiet machine"
        )
    slowest = results.get("suite", {}).get("slowest_modules") or []
    if slowest:
        lines.append("slowest modules of the suite (summed test seconds, over all workers):")
        lines += [f"  {seconds:7.1f} s  {module} ({count} tests)" for module, seconds, count in slowest]
    return lines
