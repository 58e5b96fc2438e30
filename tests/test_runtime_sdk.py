"""The AWS SDK the function runs with: versions logged at start-up, a botocore too old for the lease refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import LAMBDA_ENV, REPO_ROOT

from vectora_core import sdk


@pytest.mark.parametrize("version", ["1.35.67", "1.35.100", "1.43.127", "2.0.0"])
def test_botocore_with_conditional_deletes_is_accepted(version):
    assert sdk.botocore_problem(version) is None


@pytest.mark.parametrize("version", ["1.35.66", "1.35.2", "1.34.131", "1.29.0"])
def test_older_botocore_is_named_with_the_minimum_and_the_fix(version):
    problem = sdk.botocore_problem(version)
    assert f"botocore {version} is older than 1.35.67" in problem
    assert '"bundle_boto3": true' in problem and "\n" not in problem


def test_installed_version_is_read_without_importing_the_package():
    import botocore

    assert sdk.installed_version("botocore") == botocore.__version__
    assert sdk.installed_version("no_such_package_here") == ""


def _fresh_handler(tmp_path, botocore_version: str | None, code: str) -> subprocess.CompletedProcess:
    """Import the handler in a new process, as Lambda's init does, optionally over a fake old SDK."""
    paths = [str(REPO_ROOT / "lambda_src")]
    if botocore_version:
        for package in ("botocore", "boto3"):
            (tmp_path / package).mkdir()
            (tmp_path / package / "__init__.py").write_text(f"__version__ = '{botocore_version}'\n")
        paths.insert(0, str(tmp_path))
    environ = {**os.environ, **LAMBDA_ENV, "LLM_BACKEND": "offline", "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=60, cwd=tmp_path
    )


def test_init_logs_the_sdk_versions_the_function_runs_with(tmp_path):
    import botocore

    done = _fresh_handler(tmp_path, None, "import handler")
    [line] = [json.loads(x) for x in done.stdout.splitlines() if "SDK AWS du runtime" in x]
    assert line["botocore"] == botocore.__version__ and line["source"] == "runtime" and line["level"] == "INFO"


def test_too_old_runtime_botocore_is_an_init_error_and_fails_the_invocation_in_one_line(tmp_path):
    code = "import handler\nhandler.lambda_handler({'client_id': 'lai_weekly_v3'}, None)"
    done = _fresh_handler(tmp_path, "1.34.131", code)
    [error] = [json.loads(x) for x in done.stdout.splitlines() if "SDK AWS trop ancien" in x]
    assert error["level"] == "ERROR" and "older than 1.35.67" in error["error"]
    assert done.returncode != 0
    assert "RuntimeError: botocore 1.34.131 is older than 1.35.67" in done.stderr
    assert '"bundle_boto3": true in env/<env>.json' in done.stderr.splitlines()[-1]
