"""AWS clients for an environment, from its target (`toolkit.target`): AWS itself, or the emulator on this machine.

A shorthand for the many call sites that want one client and nothing else of the target.
"""

from __future__ import annotations

from typing import Any

from .envfile import EnvFile
from .target import open_target


def boto3_client(env: EnvFile, service: str, region: str | None = None, *, agent: str | None = None) -> Any:
    """A boto3 client for the environment: the emulator for local, the default chain for AWS.

    `agent` is added to the user agent: the local target marks the calls it makes in the Lambda service's stead.
    """
    return open_target(env).client(service, region, agent=agent)
