"""The interpreter the local target runs a function with: the runtime's Python version where it can."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import lru_cache


def select_interpreter(runtime: str, printer: Callable[[str], None] = print) -> str:
    """An interpreter of the runtime's Python version: the toolkit's own, or `python3.12` on PATH.

    A zip built for cp312 loads its C extensions only under 3.12. Falls back to the toolkit's interpreter with
    a warning.
    """
    wanted = runtime.removeprefix("python")
    if f"{sys.version_info.major}.{sys.version_info.minor}" == wanted:
        return sys.executable
    candidate = shutil.which(runtime)
    if candidate:
        version, executable = _describe_interpreter(candidate)
        if version == wanted:
            return executable  # the real binary: a version-manager shim depends on the working directory
    _warn_once(
        printer,
        f"warning: no working {runtime} interpreter found; running the function with Python "
        f"{sys.version_info.major}.{sys.version_info.minor}, whose C extensions may differ from Lambda's",
    )
    return sys.executable


@lru_cache(maxsize=8)
def _describe_interpreter(interpreter: str) -> tuple[str, str]:
    """(`X.Y`, path of the actual executable), or ("", "") if it does not run."""
    try:
        done = subprocess.run(
            [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "", ""
    lines = done.stdout.split("\n")
    if done.returncode != 0 or len(lines) < 2 or not lines[1].strip():
        return "", ""
    return lines[0].strip(), lines[1].strip()


_warned: set[str] = set()


def _warn_once(printer: Callable[[str], None], message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        printer(message)
