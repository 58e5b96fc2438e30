"""The AWS SDK the function runs with: the Lambda runtime's boto3 unless the package bundles its own.

The runtime's bundled SDK differs by Region and by date, and the write lease needs S3 conditional deletes
(DeleteObject IfMatch), which botocore knows from 1.35.67 (November 2024) on; conditional creates
(PutObject IfNoneMatch) came in 1.35.2 (August 2024). An older botocore refuses the parameter, so the run would
fail at its last step: the start-up check names the problem first.
"""

from __future__ import annotations

import importlib.util
import re

MIN_BOTOCORE = (1, 35, 67)
MIN_BOTOCORE_TEXT = ".".join(map(str, MIN_BOTOCORE))
_VERSION = re.compile(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", re.MULTILINE)


def installed_version(package: str) -> str:
    """The version of `package` read from its source, without importing it (botocore's import costs ~40 ms)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return ""
    try:
        with open(spec.origin, encoding="utf-8") as source:
            match = _VERSION.search(source.read(8192))
    except OSError:
        return ""
    return match.group(1) if match else ""


def installed_from(package: str, task_root: str) -> str:
    """ "bundled" when the package comes from the function's own code, else "runtime"."""
    spec = importlib.util.find_spec(package)
    origin = (spec.origin if spec else "") or ""
    return "bundled" if task_root and origin.startswith(task_root.rstrip("/") + "/") else "runtime"


def _parse(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:3]:
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group(0)))
    return tuple(parts)


def botocore_problem(version: str) -> str | None:
    """One line naming what is wrong with this botocore and the fix, or None when it is recent enough."""
    if not version:
        return (
            f"botocore version unknown; the engine needs {MIN_BOTOCORE_TEXT} or later: "
            'set "bundle_boto3": true in env/<env>.json, then invoke package deploy'
        )
    if _parse(version) >= MIN_BOTOCORE:
        return None
    return (
        f"botocore {version} is older than {MIN_BOTOCORE_TEXT}, the first with the S3 conditional deletes the "
        'write lease needs: set "bundle_boto3": true in env/<env>.json, then invoke package deploy'
    )
