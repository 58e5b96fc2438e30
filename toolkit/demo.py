"""`make demo` / `invoke demo`: a fresh clone through the whole cycle on the embedded default.

Local services up → terraform apply → package → deploy (pre-promotion smoke) → smoke of `live` →
rollback drill → where the newsletter is. Each step prints its time.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import REPO_ROOT
from .envfile import load_env
from .run_local import OUT_DIR

Printer = Callable[[str], None]
DRILL_NOTE = "drill.txt"


class DemoError(RuntimeError):
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


@contextmanager
def _step(printer: Printer, number: int, title: str):
    printer(f"\n[{number}/7] {title}")
    started = time.perf_counter()
    yield
    printer(f"      done in {time.perf_counter() - started:.1f} s")


def fetch_latest_newsletter(env, client_id: str = "lai_weekly_v3") -> Path | None:
    """Copy the newest newsletter of a client from the emulator to out/<client>/<date>/."""
    from .services import boto3_client

    s3 = boto3_client(env, "s3")
    bucket = env.lambda_environment["NEWSLETTERS_BUCKET"]
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"newsletters/{client_id}/").get("Contents", [])
    manifests = sorted((o for o in listing if o["Key"].endswith("manifest.json")), key=lambda o: o["LastModified"])
    if not manifests:
        return None
    prefix = manifests[-1]["Key"].rsplit("/", 1)[0]
    out = OUT_DIR / client_id / prefix.rsplit("/", 1)[1]
    out.mkdir(parents=True, exist_ok=True)
    for name in ("newsletter.html", "newsletter.md", "manifest.json"):
        (out / name).write_bytes(s3.get_object(Bucket=bucket, Key=f"{prefix}/{name}")["Body"].read())
    return out


def main_job(printer: Printer = print) -> None:
    from .deploy import deploy, rollback
    from .packaging import build_package
    from .run_local import prepare_local
    from .services import ensure_services
    from .smoke import run_smoke
    from .terraform import apply

    started = time.perf_counter()
    env = load_env("local")
    printer(f"Vectora Inbox main job on the embedded default ({env.name}: AWS emulator, Bedrock stand-in, sample feeds)")
    with _step(printer, 1, "local services"):
        ensure_services(env, printer)
    with _step(printer, 2, "terraform apply (buckets, function, IAM, logs, live alias, schedule)"):
        apply(env.name, printer=printer)
        prepare_local(env, printer)  # config → config bucket, sources pointed at the sample feeds
    with _step(printer, 3, "package"):
        package = build_package(env.name, printer=printer)
    with _step(printer, 4, "deploy (publishes only changed code, smoke-tests the version before `live` moves)"):
        result = deploy(env.name, printer=printer)
        printer(f"      live is version {result.live_version}" + ("" if result.published else " (code unchanged: nothing published)"))
    with _step(printer, 5, "smoke test of live (basic, cache miss/hit, Bedrock regions)"):
        report = run_smoke(env.name, REPO_ROOT / "payloads" / "test-payload-p1.json", printer=printer)
        if not report.ok:
            raise DemoError(f"smoke test failed at {report.failing_check.name}")
    with _step(printer, 6, "rollback drill"):
        with tempfile.TemporaryDirectory(prefix="vectora-drill-") as scratch:
            drill = drill_package(package.path, Path(scratch))
            printer("      deploying a drill version (the current code plus a note file) so there is a version to roll back from")
            drilled = deploy(env.name, printer=printer, build=lambda _env, _printer: drill)
        back = rollback(env.name, to_version=result.live_version, printer=printer)
        printer(f"      rolled back {back.from_version} → {back.to_version} in {back.seconds:.1f} s (alias move {back.alias_seconds * 1000:.0f} ms)")
        if back.from_version != drilled.live_version:
            raise DemoError(f"rollback started from version {back.from_version}, expected the drill version {drilled.live_version}")
    with _step(printer, 7, "the newsletter"):
        out = fetch_latest_newsletter(env)
        if out is None:
            raise DemoError("no newsletter was written")
        printer(f"      s3://{env.lambda_environment['NEWSLETTERS_BUCKET']}/newsletters/lai_weekly_v3/{out.name}/")
        printer(f"      local copy: {out.relative_to(REPO_ROOT)}/newsletter.html (open it in a browser), newsletter.md, manifest.json")
    printer(f"\nMain job done in {time.perf_counter() - started:.1f} s. Next: `invoke versions`, `invoke logs --since 10m`,"
            " `invoke run`, `invoke local.down` when finished.")
