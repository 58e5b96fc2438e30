"""The code is formatted and linted by ruff (settings in pyproject.toml), so a review reads behaviour, not layout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RUFF = [sys.executable, "-m", "ruff"]


def _ruff(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([*RUFF, *arguments], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_finds_no_lint_problem():
    result = _ruff("check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_would_change_nothing():
    result = _ruff("format", "--no-cache", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr
