"""checkov over terraform/: the security scan CI runs beside fmt and validate (`invoke tf.check`).

checkov pins an old boto3, so it lives in its own virtual environment (`make checkov`); the scan runs offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from . import REPO_ROOT
from .terraform import TerraformError

Printer = Callable[[str], None]

CHECKOV_VENV = ".venv-checkov"
CHECKOV_INSTALL_HINT = f"`make checkov` (checkov==3.3.30 in its own virtual environment, {CHECKOV_VENV})"


def security_scan(printer: Printer = print, *, repo_root: Path | None = None) -> int:
    """checkov over terraform/, offline; returns its exit code (0 when no check fails)."""
    root = Path(repo_root or REPO_ROOT)
    checkov = checkov_binary(root)
    started = time.perf_counter()
    printer("checkov terraform/ ...")
    completed = subprocess.run(
        [checkov, "-d", "terraform", "--framework", "terraform", "--compact", "--quiet", "--skip-download"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    for line in (completed.stdout + completed.stderr).splitlines():
        if line.strip():
            printer(f"  {line}")
    verdict = "no failed checks" if completed.returncode == 0 else "failed checks above"
    printer(f"checkov: {verdict} ({time.perf_counter() - started:.1f} s)")
    return completed.returncode


def checkov_binary(root: Path) -> str:
    """$CHECKOV, the project's checkov environment, or checkov on PATH."""
    candidates = [os.environ.get("CHECKOV"), str(root / CHECKOV_VENV / "bin" / "checkov"), shutil.which("checkov")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise TerraformError(f"checkov is not installed: run {CHECKOV_INSTALL_HINT}")
