"""No file of code, tests or documentation grows past 600 lines: a longer one is split by behaviour.

Data is left out: the labelled weeks (eval/), the sample feeds, committed benchmark figures (bench/*.json) and lock
files are as long as what they record.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from toolkit import REPO_ROOT

MAX_LINES = 600
DATA = ("eval/", "sample_feeds/", "bench/")
TEXT_SUFFIXES = {
    ".py",
    ".md",
    ".tf",
    ".hcl",
    ".toml",
    ".ini",
    ".cfg",
    ".yaml",
    ".yml",
    ".j2",
    ".sh",
    ".txt",
    ".example",
}
TEXT_NAMES = {"Makefile", "run"}


def tracked_text_files(root: Path) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    paths = [name for name in listed.decode().split("\0") if name]
    return [
        path
        for path in paths
        if not path.startswith(DATA)
        and not path.endswith(".lock")
        and (Path(path).suffix in TEXT_SUFFIXES or Path(path).name in TEXT_NAMES)
    ]


def too_long(root: Path, paths: list[str], limit: int = MAX_LINES) -> list[str]:
    found = []
    for path in paths:
        file = root / path
        if file.is_file():
            count = len(file.read_text(encoding="utf-8", errors="replace").splitlines())
            if count > limit:
                found.append(f"{path} has {count} lines")
    return found


def test_no_tracked_file_of_code_tests_or_docs_is_over_600_lines():
    if not (REPO_ROOT / ".git").exists():
        pytest.fail("the length check reads `git ls-files`: run the tests from a git checkout")
    long_files = too_long(REPO_ROOT, tracked_text_files(REPO_ROOT))
    assert not long_files, f"over {MAX_LINES} lines, split by behaviour: " + "; ".join(long_files)


def test_a_file_over_the_limit_is_named_with_its_length(tmp_path):
    (tmp_path / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "short.md").write_text("line\n" * MAX_LINES)

    assert too_long(tmp_path, ["long.py", "short.md"]) == [f"long.py has {MAX_LINES + 1} lines"]


def test_data_and_lock_files_are_not_counted():
    kept = set(tracked_text_files(REPO_ROOT))

    assert "README.md" in kept and "tasks/_guard.py" in kept
    assert not any(path.startswith(DATA) or path.endswith(".lock") for path in kept)
