"""`make demo` / `invoke demo`: a fresh clone through the whole cycle on the embedded default.

Local services up → terraform apply → package → deploy (pre-promotion smoke) → smoke of `live` →
rollback drill → this week's edition, published by invoking `live` as the schedule does. Each step prints one line
with its time; everything the steps print goes to `.local/logs/demo.log` (and to the screen with `--verbose`).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import REPO_ROOT
from ..envfile import load_env
from ..errors import ToolkitError
from ..local.run_local import OUT_DIR

Printer = Callable[[str], None]
DRILL_NOTE = "drill.txt"


class DemoError(ToolkitError, RuntimeError):
    """A step of the main job failed."""


@dataclass(frozen=True)
class DrillPackage:
    path: Path
    sha256: str
    size_bytes: int
    skipped: bool = False


def drill_package(package_path: Path, out_dir: Path) -> DrillPackage:
    """The current package plus a note file: same code, a distinct version to roll back from."""
    import hashlib

    target = out_dir / "vectora-inbox-engine-drill.zip"
    shutil.copyfile(package_path, target)
    with zipfile.ZipFile(target, "a") as archive:
        info = zipfile.ZipInfo(DRILL_NOTE, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, "Rollback drill build: the current code plus this note.\n")
    data = target.read_bytes()
    return DrillPackage(target, hashlib.sha256(data).hexdigest(), len(data))


class StepOutput:
    """A step's printer: keeps what the step prints (for the log and its one-line note), echoes it when verbose."""

    def __init__(self, echo: Printer | None):
        self.lines: list[str] = []
        self.note = ""
        self._echo = echo

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        if self._echo:
            self._echo(f"      {line}")


class _Steps:
    """One line per step with its time; each step's own output goes to the job's log file (and to the screen when
    verbose). A failing step prints its last lines and the log's path before the error propagates."""

    def __init__(self, printer: Printer, log_path: Path, total: int, verbose: bool):
        self.printer = printer
        self.log_path = log_path
        self.total = total
        self.verbose = verbose
        self.number = 0
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text("")

    @property
    def log_shown(self) -> str:
        return (
            str(self.log_path.relative_to(REPO_ROOT)) if self.log_path.is_relative_to(REPO_ROOT) else str(self.log_path)
        )

    @contextmanager
    def step(self, title: str):
        self.number += 1
        out = StepOutput(self.printer if self.verbose else None)
        started = time.perf_counter()
        try:
            yield out
        except BaseException:
            self._save(title, out.lines)
            self.printer(f"[{self.number}/{self.total}] {title}: FAILED after {time.perf_counter() - started:.1f} s")
            if not self.verbose:
                for line in [line for line in out.lines if line.strip()][-25:]:
                    self.printer(f"      {line}")
            self.printer(f"      full output: {self.log_shown}")
            raise
        self._save(title, out.lines)
        detail = f": {out.note}" if out.note else ""
        self.printer(f"[{self.number}/{self.total}] {title}{detail} ({time.perf_counter() - started:.1f} s)")

    def _save(self, title: str, lines: list[str]) -> None:
        with self.log_path.open("a") as log:
            log.write(f"\n[{self.number}/{self.total}] {title}\n")
            log.writelines(line + "\n" for line in lines)


def save_newsletter(env, result: dict, out_root: Path = OUT_DIR) -> Path:
    """Copy the edition a run wrote from the emulator to out/<client>/<date>/."""
    from ..services import boto3_client

    s3 = boto3_client(env, "s3")
    bucket = result["s3"]["bucket"]
    out = out_root / result["client_id"] / result["period"]["date"]
    out.mkdir(parents=True, exist_ok=True)
    for kind, name in (("html", "newsletter.html"), ("markdown", "newsletter.md"), ("manifest", "manifest.json")):
        (out / name).write_bytes(s3.get_object(Bucket=bucket, Key=result["s3"][kind])["Body"].read())
    return out


def schedule_payload(client_id: str = "lai_weekly_v3") -> dict:
    """What the client's schedule sends `live` (config/clients/<id>.yaml), as the weekly run would."""
    import yaml

    config = yaml.safe_load((REPO_ROOT / "config" / "clients" / f"{client_id}.yaml").read_text())
    return {"client_id": client_id, **((config.get("schedule") or {}).get("payload") or {})}


def main_job(printer: Printer = print, *, env=None, verbose: bool | None = None, out_root: Path = OUT_DIR) -> Path:
    """The main job; returns the local copy of the published edition. `env` defaults to `local`."""
    from ..deploy import deploy, rollback
    from ..invoker import invoke_function
    from ..local.run_local import prepare_local
    from ..local.services import STATE_DIR
    from ..packaging import build_package, format_size
    from ..smoke import invocation_problems
    from ..target import open_target
    from ..terraform import apply, verbose_by_default
    from ..versions import DRILL_MARK, smoke_and_record

    started = time.perf_counter()
    env = env or load_env("local")
    verbose = verbose_by_default() if verbose is None else verbose
    steps = _Steps(printer, STATE_DIR / "logs" / "demo.log", 7, verbose)
    printer(
        f"Vectora Inbox main job on the embedded default ({env.name}: AWS emulator, Bedrock stand-in, sample feeds)"
    )
    target = open_target(env)
    with steps.step("local services") as out:
        target.ready(out)
        out.note = "AWS emulator, Bedrock stand-in, sample feeds"
    with steps.step("terraform apply: buckets, function, IAM, logs, live alias, schedule") as out:
        apply(env.name, printer=out, endpoint_url=target.terraform_endpoint, verbose=verbose)
        prepare_local(env, out)  # config → config bucket, sources pointed at the sample feeds
        applied = [line for line in out.lines if line.startswith("terraform apply")]
        out.note = applied[-1].split(": ", 1)[-1] if applied else ""
    with steps.step("package") as out:
        package = build_package(env.name, env=env, printer=out)
        out.note = f"{Path(package.path).name}, {format_size(package.size_bytes)}" + (
            " (unchanged)" if package.skipped else ""
        )
    with steps.step("deploy: publishes changed code, smoke-tests it, then moves live") as out:
        result = deploy(env, printer=out)
        out.note = f"live is version {result.live_version}" + (
            "" if result.published else ", code unchanged: nothing published"
        )
    with steps.step("smoke test of live: basic, cache miss/hit, Bedrock regions") as out:
        report = smoke_and_record(env, REPO_ROOT / "payloads" / "test-payload-p1.json", printer=out)
        if not report.ok:
            raise DemoError(f"smoke test failed at {report.failing_check.name}: {report.failing_check.detail}")
        out.note = (
            f"passed on version {report.executed_version}; check runs write under checks/smoke/, never the edition"
        )
    with steps.step("rollback drill") as out:
        # A version to roll back from: a drill build (this code plus a note file), deployed and smoke-tested like
        # any release and marked as a drill in `invoke versions`. The drill rolls live back with the everyday
        # command, then moves it forward again, so live ends on the newest version with a good one below it:
        # the README's next `invoke rollback` works.
        with tempfile.TemporaryDirectory(prefix="vectora-drill-") as scratch:
            drill = drill_package(package.path, Path(scratch))
            out("deploying a drill version (the current code plus a note file) so there is a version to roll back from")
            drilled = deploy(env, printer=out, build=lambda _env, _printer: drill, mark=DRILL_MARK)
        back = rollback(env, printer=out)
        if back.from_version != drilled.live_version:
            raise DemoError(
                f"rollback started from version {back.from_version}, expected the drill version {drilled.live_version}"
            )
        forward = rollback(env, to_version=drilled.live_version, printer=out)
        out.note = (
            f"live {back.from_version} → {back.to_version} in {back.seconds:.1f} s (alias move "
            f"{back.alias_seconds * 1000:.0f} ms), then forward to {forward.to_version}; `invoke rollback` returns "
            f"to {back.to_version}"
        )
    with steps.step("this week's edition: live invoked as the schedule does") as out:
        run = invoke_function(env, env.alias_name, schedule_payload(), printer=out)
        problems = invocation_problems(run)
        if problems:
            raise DemoError(f"the scheduled run failed: {'; '.join(problems)}")
        saved = save_newsletter(env, run.payload, out_root)
        shown = saved.relative_to(REPO_ROOT) if saved.is_relative_to(REPO_ROOT) else saved
        out.note = f"s3://{run.payload['s3']['bucket']}/{run.payload['s3']['html']}"
    printer(f"\nThe newsletter: {shown}/newsletter.html (open it in a browser), newsletter.md, manifest.json")
    printer(
        f"Main job done in {time.perf_counter() - started:.1f} s (full output: {steps.log_shown}). Next: `invoke versions`, "
        "`invoke rollback`, `invoke logs --since 10m`, `invoke run`, `invoke local.down` when finished."
    )
    return saved
