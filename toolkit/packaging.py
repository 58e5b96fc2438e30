"""Build the engine's Lambda package: a reproducible zip of `lambda_src/` plus its pinned dependencies.

The same inputs give the same bytes (sorted entries, fixed timestamps and permissions, no bytecode or install
records), so the zip's sha256 identifies the code everywhere: in its file name, in the artifacts bucket key and in
Lambda's CodeSha256. Dependencies are installed for the Lambda's platform and Python version, never the host's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from . import REPO_ROOT
from .envfile import EnvFile, load_env
from .errors import ToolkitError

PACKAGE_NAME = "vectora-inbox-engine"
SOURCE_DIR = REPO_ROOT / "lambda_src"
REQUIREMENTS_FILE = REPO_ROOT / "requirements.txt"
DEV_REQUIREMENTS_FILE = REPO_ROOT / "requirements-dev.txt"
DIST_DIR = REPO_ROOT / "dist"
DEPS_CACHE_DIR = REPO_ROOT / "build" / "package-deps"

# Lambda's quotas: a zip uploaded directly, and the unpacked function (layers included).
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024

# Bumped whenever the zip layout changes, so an older build is never mistaken for a current one.
FORMAT_VERSION = 1
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
COMPRESSION_LEVEL = 9

LAMBDA_PLATFORMS = {
    "x86_64": "manylinux2014_x86_64",
    "arm64": "manylinux2014_aarch64",
    "aarch64": "manylinux2014_aarch64",
}

# boto3 and the whole closure it pulls in, used when boto3 is bundled instead of taken from the runtime.
# requirements-dev.txt wins when it pins the same names, so tests and the package agree.
BOTO3_CLOSURE = {
    "boto3": "1.43.11",
    "botocore": "1.43.127",
    "s3transfer": "0.17.1",
    "jmespath": "1.1.0",
    "python-dateutil": "2.9.0.post0",
    "six": "1.17.0",
    "urllib3": "2.8.0",
}

# Never shipped: bytecode is compiled by the runtime, tests and editor/build leftovers are dead weight.
_JUNK_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "tests", "test", ".git"}
_JUNK_SUFFIXES = (".pyc", ".pyo", ".swp", "~", ".orig", ".rej")
_JUNK_NAMES = {".DS_Store", "Thumbs.db"}
# Install records that differ between machines (absolute paths, installer names, hashes of .pyc files).
_INSTALL_RECORDS = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)\s*$")


class PackageError(ToolkitError, RuntimeError):
    """The package cannot be built, or the built package breaks a Lambda limit."""


@dataclass(frozen=True)
class PackageResult:
    path: Path
    sha256: str
    size_bytes: int
    unzipped_bytes: int
    file_count: int
    largest: list[tuple[str, int]] = field(default_factory=list)
    skipped: bool = False
    seconds: float = 0.0

    @property
    def code_sha256(self) -> str:
        """The digest as Lambda reports it (`CodeSha256`: base64 of the raw sha256)."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()


@dataclass(frozen=True)
class _Inputs:
    """Everything that decides the zip's bytes; its fingerprint lets an unchanged build be skipped."""

    source_files: dict[str, Path]
    requirements: tuple[str, ...]
    platform: str
    python_version: str

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        header = {
            "format": FORMAT_VERSION,
            "platform": self.platform,
            "python": self.python_version,
            "requirements": list(self.requirements),
            "compression": COMPRESSION_LEVEL,
        }
        digest.update(json.dumps(header, sort_keys=True).encode())
        for name in sorted(self.source_files):
            digest.update(name.encode() + b"\0")
            digest.update(hashlib.sha256(self.source_files[name].read_bytes()).digest())
        return digest.hexdigest()

    def deps_key(self) -> str:
        text = json.dumps([self.platform, self.python_version, list(self.requirements)])
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def build_package(
    env_name: str | None = None,
    *,
    force: bool = False,
    bundle_boto3: bool | None = None,
    printer: Callable[[str], None] = print,
    source_dir: Path | None = None,
    requirements_file: Path | None = None,
    dist_dir: Path | None = None,
    deps_cache_dir: Path | None = None,
    max_zipped_bytes: int = MAX_ZIPPED_BYTES,
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
    env: EnvFile | None = None,
) -> PackageResult:
    """Build (or reuse) `dist/vectora-inbox-engine-<sha256[:16]>.zip` for the environment's runtime.

    Raises PackageError when dependencies cannot be installed for the target platform, when an installed
    distribution is not pinned, or when the zip exceeds Lambda's limits.
    """
    started = time.perf_counter()
    env = env or load_env(env_name)
    if bundle_boto3 is None:
        bundle_boto3 = env.bundle_boto3
    dist_dir = Path(dist_dir or DIST_DIR)
    inputs = _Inputs(
        source_files=_source_files(Path(source_dir or SOURCE_DIR)),
        requirements=_requirements(Path(requirements_file or REQUIREMENTS_FILE), bundle_boto3),
        platform=lambda_platform(env.architecture),
        python_version=env.python_version,
    )
    fingerprint = inputs.fingerprint()

    if not force:
        cached = _reuse_previous_build(dist_dir, fingerprint)
        if cached is not None:
            result = _with_timing(cached, skipped=True, started=started)
            _check_limits(result, max_zipped_bytes, max_unzipped_bytes)
            _report(result, printer)
            return result

    deps_dir = _installed_dependencies(inputs, Path(deps_cache_dir or DEPS_CACHE_DIR), printer)
    entries = _zip_entries(inputs.source_files, deps_dir)
    result = _write_zip(entries, dist_dir)
    result = _with_timing(result, skipped=False, started=started)
    try:
        _check_limits(result, max_zipped_bytes, max_unzipped_bytes)
    except PackageError:
        result.path.unlink(missing_ok=True)
        raise
    _record_build(dist_dir, fingerprint, result)
    _report(result, printer)
    return result


def measure_boto3_tradeoff(env_name: str | None = None, *, printer: Callable[[str], None] = print) -> dict:
    """Build the package without and with a bundled boto3 (into a scratch directory) and compare their sizes."""
    report: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="vectora-boto3-") as scratch:
        for label, bundled in (("runtime_boto3", False), ("bundled_boto3", True)):
            result = build_package(
                env_name, force=True, bundle_boto3=bundled, dist_dir=Path(scratch) / label, printer=lambda _: None
            )
            report[label] = {
                "size_bytes": result.size_bytes,
                "unzipped_bytes": result.unzipped_bytes,
                "file_count": result.file_count,
                "sha256": result.sha256,
                "seconds": round(result.seconds, 2),
            }
    report["bundled_extra_bytes"] = report["bundled_boto3"]["size_bytes"] - report["runtime_boto3"]["size_bytes"]
    report["bundled_extra_unzipped_bytes"] = (
        report["bundled_boto3"]["unzipped_bytes"] - report["runtime_boto3"]["unzipped_bytes"]
    )
    printer(
        "boto3 from the runtime: {} zipped / {} unzipped; bundled: {} zipped / {} unzipped".format(
            _mb(report["runtime_boto3"]["size_bytes"]),
            _mb(report["runtime_boto3"]["unzipped_bytes"]),
            _mb(report["bundled_boto3"]["size_bytes"]),
            _mb(report["bundled_boto3"]["unzipped_bytes"]),
        )
    )
    return report


def lambda_platform(architecture: str) -> str:
    """The pip platform tag of a Lambda architecture (`x86_64`, `arm64`)."""
    try:
        return LAMBDA_PLATFORMS[architecture]
    except KeyError:
        raise PackageError(
            f"unknown Lambda architecture {architecture!r}; expected one of {', '.join(sorted(LAMBDA_PLATFORMS))}"
        ) from None


# --- inputs -------------------------------------------------------------------------------------------------


def _is_junk(relative: Path) -> bool:
    if any(part in _JUNK_DIRS or part.endswith(".egg-info") for part in relative.parts[:-1]):
        return True
    name = relative.name
    return name in _JUNK_NAMES or name.endswith(_JUNK_SUFFIXES)


def _source_files(source_dir: Path) -> dict[str, Path]:
    if not source_dir.is_dir():
        raise PackageError(f"no source directory {source_dir}")
    files = {
        path.relative_to(source_dir).as_posix(): path
        for path in source_dir.rglob("*")
        if path.is_file() and not _is_junk(path.relative_to(source_dir))
    }
    if not files:
        raise PackageError(f"source directory {source_dir} holds no files to package")
    return files


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _read_pins(path: Path, *, strict: bool = True) -> dict[str, tuple[str, str]]:
    """`name==version` lines of a requirements file, keyed by normalised name; other lines are refused if strict."""
    pins: dict[str, tuple[str, str]] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        if not match and not strict:
            continue
        if not match:
            raise PackageError(f"{path.name}:{number}: {line!r} is not pinned as name==version")
        name, version = match.groups()
        pins[_normalise(name)] = (name, version)
    return pins


def _requirements(requirements_file: Path, bundle_boto3: bool) -> tuple[str, ...]:
    if not requirements_file.exists():
        raise PackageError(f"no requirements file {requirements_file}")
    pins = _read_pins(requirements_file)
    if bundle_boto3:
        dev_pins = _read_pins(DEV_REQUIREMENTS_FILE, strict=False) if DEV_REQUIREMENTS_FILE.exists() else {}
        for name, version in BOTO3_CLOSURE.items():
            key = _normalise(name)
            pins.setdefault(key, dev_pins.get(key, (name, version)))
    elif "boto3" in pins or "botocore" in pins:
        raise PackageError("requirements.txt pins boto3/botocore: use the environment's bundle_boto3 switch instead")
    return tuple(sorted(f"{name}=={version}" for name, version in pins.values()))


# --- dependencies -------------------------------------------------------------------------------------------


def _installed_dependencies(inputs: _Inputs, cache_root: Path, printer: Callable[[str], None]) -> Path | None:
    """The pinned dependencies installed for the Lambda platform, from the cache or freshly with pip."""
    if not inputs.requirements:
        return None
    target = cache_root / inputs.deps_key()
    if (target / ".complete").exists():
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache_root))
    command = [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-input",
        "--platform", inputs.platform,
        "--implementation", "cp",
        "--python-version", inputs.python_version,
        "--only-binary=:all:",
        "--no-compile",
        "--target", str(staging),
        *inputs.requirements,
    ]  # fmt: skip
    printer(
        f"installing {len(inputs.requirements)} pinned dependencies for {inputs.platform} / Python {inputs.python_version}"
    )
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        errors = [line for line in completed.stderr.splitlines() if "ERROR" in line] or completed.stderr.splitlines()
        raise PackageError(
            f"pip could not install the dependencies for {inputs.platform} / Python {inputs.python_version}: "
            + " | ".join(errors[-5:])
        )
    try:
        _check_all_pinned(staging, inputs.requirements)
    except PackageError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    (staging / ".complete").write_text("\n".join(inputs.requirements) + "\n")
    try:
        staging.rename(target)
    except OSError:  # another build finished the same install first: keep theirs
        shutil.rmtree(staging, ignore_errors=True)
    printer(f"dependencies installed in {time.perf_counter() - started:.1f} s")
    return target


def _check_all_pinned(deps_dir: Path, requirements: Iterable[str]) -> None:
    """Refuse a transitive dependency that pip chose on its own: its version would drift between builds."""
    pinned = {_normalise(line.split("==")[0]): line.split("==")[1] for line in requirements}
    unpinned = []
    for metadata in sorted(deps_dir.glob("*.dist-info/METADATA")):
        fields = dict(
            line.split(": ", 1) for line in metadata.read_text(errors="replace").splitlines()[:20] if ": " in line
        )
        name, version = fields.get("Name", ""), fields.get("Version", "")
        if pinned.get(_normalise(name)) != version:
            unpinned.append(f"{name}=={version}")
    if unpinned:
        raise PackageError(f"unpinned dependencies pulled in: {', '.join(unpinned)}; pin them in requirements.txt")


# --- zip ----------------------------------------------------------------------------------------------------


def _dependency_files(deps_dir: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in deps_dir.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(deps_dir)
        top = relative.parts[0]
        if top in ("bin", ".complete") or _is_junk(relative):
            continue
        if top.endswith(".dist-info") and relative.name in _INSTALL_RECORDS:
            continue
        files[relative.as_posix()] = path
    return files


def _zip_entries(source_files: dict[str, Path], deps_dir: Path | None) -> list[tuple[str, Path]]:
    entries = dict(_dependency_files(deps_dir)) if deps_dir else {}
    clashes = sorted(set(entries) & set(source_files))
    if clashes:
        raise PackageError(f"lambda_src and the dependencies both provide {', '.join(clashes[:5])}")
    entries.update(source_files)
    return sorted(entries.items())


def _write_zip(entries: list[tuple[str, Path]], dist_dir: Path) -> PackageResult:
    dist_dir.mkdir(parents=True, exist_ok=True)
    contributions: dict[str, int] = {}
    unzipped = 0
    handle, temp_name = tempfile.mkstemp(prefix=".building-", suffix=".zip", dir=dist_dir)
    os.close(handle)
    temp_path = Path(temp_name)
    try:
        with zipfile.ZipFile(temp_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION_LEVEL) as zf:
            for name, path in entries:
                info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
                info.create_system = 3  # unix, so the permission bits below mean the same everywhere
                info.external_attr = (0o100000 | FILE_MODE) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                data = path.read_bytes()
                zf.writestr(info, data, compresslevel=COMPRESSION_LEVEL)
                unzipped += len(data)
            for info in zf.infolist():
                top = info.filename.split("/", 1)[0]
                contributions[top] = contributions.get(top, 0) + info.compress_size
        sha256 = _sha256_file(temp_path)
        final = dist_dir / f"{PACKAGE_NAME}-{sha256[:16]}.zip"
        temp_path.replace(final)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    largest = sorted(contributions.items(), key=lambda item: (-item[1], item[0]))[:5]
    return PackageResult(
        path=final,
        sha256=sha256,
        size_bytes=final.stat().st_size,
        unzipped_bytes=unzipped,
        file_count=len(entries),
        largest=largest,
    )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- build index (skip unchanged builds) --------------------------------------------------------------------

_INDEX_NAME = ".package-index.json"


def _load_index(dist_dir: Path) -> dict[str, dict]:
    try:
        return json.loads((dist_dir / _INDEX_NAME).read_text())
    except (OSError, ValueError):
        return {}


def _reuse_previous_build(dist_dir: Path, fingerprint: str) -> PackageResult | None:
    record = _load_index(dist_dir).get(fingerprint)
    if not record:
        return None
    path = dist_dir / record["file"]
    if not path.exists() or path.stat().st_size != record["size_bytes"] or _sha256_file(path) != record["sha256"]:
        return None
    return PackageResult(
        path=path,
        sha256=record["sha256"],
        size_bytes=record["size_bytes"],
        unzipped_bytes=record["unzipped_bytes"],
        file_count=record["file_count"],
        largest=[tuple(item) for item in record["largest"]],
    )


def _record_build(dist_dir: Path, fingerprint: str, result: PackageResult) -> None:
    index = {
        key: record for key, record in _load_index(dist_dir).items() if (dist_dir / record.get("file", "")).is_file()
    }
    record = asdict(result)
    record.pop("path")
    record.pop("skipped")
    record.pop("seconds")
    record["file"] = result.path.name
    index[fingerprint] = record
    temp = dist_dir / f"{_INDEX_NAME}.{os.getpid()}"
    temp.write_text(json.dumps(index, indent=1, sort_keys=True))
    temp.replace(dist_dir / _INDEX_NAME)


# --- reporting and limits -----------------------------------------------------------------------------------


def _with_timing(result: PackageResult, *, skipped: bool, started: float) -> PackageResult:
    return replace(result, skipped=skipped, seconds=time.perf_counter() - started)


def _check_limits(result: PackageResult, max_zipped: int, max_unzipped: int) -> None:
    if result.size_bytes > max_zipped:
        raise PackageError(
            f"{result.path.name} is {_mb(result.size_bytes)} zipped, over the {_mb(max_zipped)} limit "
            f"for a direct upload; largest: {_largest_text(result)}"
        )
    if result.unzipped_bytes > max_unzipped:
        raise PackageError(
            f"{result.path.name} unpacks to {_mb(result.unzipped_bytes)}, over Lambda's {_mb(max_unzipped)} "
            f"limit; largest: {_largest_text(result)}"
        )


def format_size(size: int) -> str:
    """Every size the toolkit prints, in one unit: MB = 10^6 bytes (kB = 10^3 below 0.1 MB), as Lambda's limits and
    the benchmark state them."""
    return f"{size / 1e6:.2f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


_mb = format_size


def _largest_text(result: PackageResult) -> str:
    return ", ".join(f"{name} {_mb(size)}" for name, size in result.largest)


def _report(result: PackageResult, printer: Callable[[str], None]) -> None:
    """The full summary when the zip is built; one line when an unchanged build is reused (tf.apply, deploy and
    the demo each ask for the package, and the summary is worth reading once)."""
    if result.skipped:
        printer(
            f"package unchanged, reused: {_display(result.path)} ({format_size(result.size_bytes)}, "
            f"sha256 {result.sha256[:12]}…)"
        )
        return
    printer(f"package built: {_display(result.path)} in {result.seconds:.2f} s")
    printer(
        f"  size    {_mb(result.size_bytes)} zipped, {_mb(result.unzipped_bytes)} unzipped, {result.file_count} files"
    )
    printer(f"  sha256  {result.sha256}")
    printer(f"  largest {_largest_text(result)}")


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
