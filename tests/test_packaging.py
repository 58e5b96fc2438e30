"""The Lambda package: reproducible, free of build junk, built for the Lambda platform, and within Lambda's limits."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from toolkit.envfile import load_env
from toolkit.packaging import FIXED_DATE_TIME, PackageError, _requirements, build_package

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_ENV = load_env("local")


def _quiet(_: str) -> None:
    pass


@pytest.fixture
def source_dir(tmp_path):
    """A small engine tree, with the bytecode, tests and editor leftovers a working copy accumulates."""
    root = tmp_path / "lambda_src"
    (root / "engine" / "__pycache__").mkdir(parents=True)
    (root / "engine" / "tests").mkdir()
    (root / "handler.py").write_text("def lambda_handler(event, context):\n    return {'ok': True}\n")
    (root / "engine" / "__init__.py").write_text("")
    (root / "engine" / "core.py").write_text("VALUE = 1\n")
    (root / "engine" / "__pycache__" / "core.cpython-312.pyc").write_bytes(b"\x00bytecode")
    (root / "engine" / "stale.pyc").write_bytes(b"\x00bytecode")
    (root / "engine" / "tests" / "test_core.py").write_text("def test_core():\n    pass\n")
    (root / ".DS_Store").write_bytes(b"\x00")
    (root / "handler.py~").write_text("editor backup\n")
    return root


@pytest.fixture
def no_requirements(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("# no third-party dependencies\n")
    return path


@pytest.fixture(scope="module")
def deps_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("package-deps")


def _build(source_dir, requirements, dist_dir, deps_cache, **kwargs):
    return build_package(
        env=kwargs.pop("env", LOCAL_ENV),
        source_dir=source_dir,
        requirements_file=requirements,
        dist_dir=dist_dir,
        deps_cache_dir=deps_cache,
        printer=_quiet,
        **kwargs,
    )


def _names(result) -> list[str]:
    with zipfile.ZipFile(result.path) as zf:
        return zf.namelist()


def test_handler_sits_at_the_zip_root(source_dir, no_requirements, tmp_path, deps_cache):
    result = _build(source_dir, no_requirements, tmp_path / "dist", deps_cache)

    assert "handler.py" in _names(result)
    assert "engine/core.py" in _names(result)


def test_zip_holds_no_bytecode_tests_or_editor_leftovers(source_dir, no_requirements, tmp_path, deps_cache):
    result = _build(source_dir, no_requirements, tmp_path / "dist", deps_cache)

    assert sorted(_names(result)) == ["engine/__init__.py", "engine/core.py", "handler.py"]


def test_zip_entries_have_fixed_times_and_permissions(source_dir, no_requirements, tmp_path, deps_cache):
    (source_dir / "handler.py").chmod(0o755)

    result = _build(source_dir, no_requirements, tmp_path / "dist", deps_cache)

    with zipfile.ZipFile(result.path) as zf:
        infos = zf.infolist()
    assert {info.date_time for info in infos} == {FIXED_DATE_TIME}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}


def test_zip_is_named_and_reported_by_its_sha256(source_dir, no_requirements, tmp_path, deps_cache):
    result = _build(source_dir, no_requirements, tmp_path / "dist", deps_cache)

    digest = hashlib.sha256(result.path.read_bytes()).digest()
    assert result.sha256 == digest.hex()
    assert result.path.name == f"vectora-inbox-engine-{digest.hex()[:16]}.zip"
    assert result.code_sha256 == base64.b64encode(digest).decode()


def test_same_inputs_give_the_same_sha256_in_another_directory(source_dir, no_requirements, tmp_path, deps_cache):
    first = _build(source_dir, no_requirements, tmp_path / "dist-a", deps_cache)
    (source_dir / "engine" / "core.py").touch()  # a newer mtime must not change the bytes

    second = _build(source_dir, no_requirements, tmp_path / "dist-b", deps_cache)

    assert second.sha256 == first.sha256
    assert not second.skipped


def test_unchanged_inputs_skip_the_build(source_dir, no_requirements, tmp_path, deps_cache):
    first = _build(source_dir, no_requirements, tmp_path / "dist", deps_cache)

    second = _build(source_dir, no_requirements, tmp_path / "dist", deps_cache)

    assert second.skipped
    assert (second.path, second.sha256) == (first.path, first.sha256)


def test_changed_source_is_rebuilt(source_dir, no_requirements, tmp_path, deps_cache):
    first = _build(source_dir, no_requirements, tmp_path / "dist", deps_cache)
    (source_dir / "engine" / "core.py").write_text("VALUE = 2\n")

    second = _build(source_dir, no_requirements, tmp_path / "dist", deps_cache)

    assert not second.skipped
    assert second.sha256 != first.sha256


def test_force_rebuilds_unchanged_inputs(source_dir, no_requirements, tmp_path, deps_cache):
    _build(source_dir, no_requirements, tmp_path / "dist", deps_cache)

    again = _build(source_dir, no_requirements, tmp_path / "dist", deps_cache, force=True)

    assert not again.skipped


def test_refuses_a_zip_over_the_zipped_limit(source_dir, no_requirements, tmp_path, deps_cache):
    dist = tmp_path / "dist"

    with pytest.raises(PackageError, match="zipped, over the"):
        _build(source_dir, no_requirements, dist, deps_cache, max_zipped_bytes=100)
    assert not list(dist.glob("*.zip"))


def test_refuses_a_package_over_the_unzipped_limit(source_dir, no_requirements, tmp_path, deps_cache):
    with pytest.raises(PackageError, match="unpacks to"):
        _build(source_dir, no_requirements, tmp_path / "dist", deps_cache, max_unzipped_bytes=10)


def test_refuses_a_requirement_that_is_not_pinned(source_dir, tmp_path, deps_cache):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("feedparser>=6\n")

    with pytest.raises(PackageError, match="not pinned"):
        _build(source_dir, requirements, tmp_path / "dist", deps_cache)


def test_refuses_a_transitive_dependency_that_is_not_pinned(source_dir, tmp_path, deps_cache):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("feedparser==6.0.14\n")  # pulls feedparser-sgmllib without a pin

    with pytest.raises(PackageError, match="feedparser-sgmllib"):
        _build(source_dir, requirements, tmp_path / "dist", deps_cache)


def test_dependencies_are_built_for_the_lambda_platform_not_the_host(source_dir, tmp_path, deps_cache):
    arm_env = replace(LOCAL_ENV, architecture="arm64")

    result = _build(source_dir, REPO_ROOT / "requirements.txt", tmp_path / "dist", deps_cache, env=arm_env)

    extensions = [name for name in _names(result) if name.startswith("yaml/_yaml") and name.endswith(".so")]
    assert extensions and all("cpython-312-aarch64-linux-gnu" in name for name in extensions)


def test_fresh_dependency_installs_give_the_same_sha256(source_dir, tmp_path):
    requirements = REPO_ROOT / "requirements.txt"

    first = _build(source_dir, requirements, tmp_path / "dist-a", tmp_path / "deps-a")
    second = _build(source_dir, requirements, tmp_path / "dist-b", tmp_path / "deps-b")

    assert second.sha256 == first.sha256
    assert not any(name.endswith(("RECORD", "INSTALLER", "direct_url.json")) for name in _names(first))


def test_bundling_boto3_adds_its_whole_pinned_closure(no_requirements):
    pinned = {line.split("==")[0].lower() for line in _requirements(no_requirements, bundle_boto3=True)}

    assert {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"} <= pinned


def test_boto3_is_not_pinned_among_runtime_requirements(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3==1.43.11\n")

    with pytest.raises(PackageError, match="bundle_boto3"):
        _requirements(requirements, bundle_boto3=False)
