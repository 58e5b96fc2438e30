"""The local target: the release toolkit's one way into the local stand-ins (`toolkit.local`).

An environment with `"emulator": true` is deployed, smoke-tested and observed by the same release code as AWS;
only two things differ, and both come through here: the local services must be running (the emulator, the
Bedrock stand-in, the sample feeds), and the emulator cannot run Lambda code, so an invocation runs on this
machine. The stand-ins are imported on first use: a run against AWS never loads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .envfile import EnvFile
from .invoke_result import InvokeResult

Printer = Callable[[str], None]


def ensure_services(env: EnvFile, printer: Printer = print, timeout_s: float = 20.0) -> dict[str, str]:
    """Start whichever local services are not running yet; return their URLs (none for AWS)."""
    if not env.emulator:
        return {}
    from .local.services import ensure_services as start

    return start(env, printer, timeout_s)


def invoke_local(env: EnvFile, qualifier: str, payload: Any, *, printer: Printer = print) -> InvokeResult:
    """Run the version `qualifier` resolves to on this machine, as Lambda would (`InvocationType=RequestResponse`)."""
    from .local.lambda_runner import invoke_local as run

    return run(env, qualifier, payload, printer=printer)


def invoke_local_async(env: EnvFile, qualifier: str, payload: Any, *, printer: Printer = print) -> InvokeResult:
    """Run it as a schedule does (`InvocationType=Event`): retries, then the on-failure destination."""
    from .local.lambda_async import invoke_local_async as run

    return run(env, qualifier, payload, printer=printer)
