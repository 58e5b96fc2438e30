"""One way to invoke a function version, whatever the target: Lambda itself, or the local target on the emulator.

Smoke tests, deploys and rollbacks call `invoke_function` and read the same Lambda-shaped `InvokeResult` either
way, so they run the same code against AWS and against the embedded default. The environment's target does the
invoking (`toolkit.target`): Lambda's API on AWS (`toolkit.lambda_invoke`), the local runner on the emulator.
"""

from __future__ import annotations

from collections.abc import Callable

from .envfile import EnvFile
from .invoke_result import InvokeResult
from .target import open_target

INVOCATION_TYPES = ("RequestResponse", "Event")


def invoke_function(
    env: EnvFile,
    qualifier: str,
    payload: dict,
    *,
    printer: Callable[[str], None] = print,
    invocation_type: str = "RequestResponse",
) -> InvokeResult:
    """Invoke `qualifier` (an alias or a version number) of the environment's function.

    `invocation_type="Event"` invokes as a schedule does: asynchronously, with the alias's retries and on-failure
    destination; the result is Lambda's 202 acknowledgement.
    """
    if invocation_type not in INVOCATION_TYPES:
        raise ValueError(f"invocation type is RequestResponse or Event, not {invocation_type!r}")
    return open_target(env).invoke(qualifier, payload, invocation_type=invocation_type, printer=printer)
