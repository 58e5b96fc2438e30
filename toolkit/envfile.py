"""Environment files (`env/<name>.json`): the one source Terraform and the toolkit both read."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import REPO_ROOT

ENV_DIR = REPO_ROOT / "env"
DEFAULT_ENV = "local"
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,20}$")


class EnvFileError(ValueError):
    """An environment file is missing or malformed."""


@dataclass(frozen=True)
class EnvFile:
    name: str
    aws_region: str
    emulator: bool
    function_name: str
    alias_name: str
    runtime: str
    architecture: str
    handler: str
    timeout: int
    memory_size: int
    log_retention_days: int
    artifacts_bucket: str
    bundle_boto3: bool
    lambda_environment: dict[str, str]
    local_services: dict[str, int] = field(default_factory=dict)
    path: Path = ENV_DIR

    @property
    def python_version(self) -> str:
        """`python3.12` → `3.12`."""
        return self.runtime.removeprefix("python")

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def service_port(self, service: str) -> int:
        """The local service's port, shifted by VECTORA_LOCAL_PORT_OFFSET when the usual ports are taken."""
        return int(self.local_services[f"{service}_port"]) + local_port_offset()

    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.service_port('emulator')}"


def local_port_offset() -> int:
    raw = os.environ.get("VECTORA_LOCAL_PORT_OFFSET", "0").strip() or "0"
    if not raw.isdigit() or int(raw) > 10000:
        raise EnvFileError(f"VECTORA_LOCAL_PORT_OFFSET must be a whole number from 0 to 10000, got {raw!r}")
    return int(raw)


def default_env_name() -> str:
    return os.environ.get("VECTORA_ENV", DEFAULT_ENV)


def load_env(name: str | None = None, env_dir: Path | None = None) -> EnvFile:
    name = name or default_env_name()
    if not _NAME.match(name):
        raise EnvFileError(f"invalid environment name {name!r}")
    path = (env_dir or ENV_DIR) / f"{name}.json"
    if not path.exists():
        known = sorted(p.stem for p in (env_dir or ENV_DIR).glob("*.json"))
        raise EnvFileError(f"no environment file {path.name}; known environments: {', '.join(known)}")
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise EnvFileError(f"{path.name} is not valid JSON: {exc}") from None
    expected = {f for f in EnvFile.__dataclass_fields__ if f not in ("path", "local_services")}
    missing = sorted(expected - data.keys())
    if missing:
        raise EnvFileError(f"{path.name} lacks {', '.join(missing)}")
    if data.get("emulator") and not data.get("local_services"):
        raise EnvFileError(f"{path.name}: an emulator environment needs local_services ports")
    fields = {k: data[k] for k in expected}
    return EnvFile(**fields, local_services=data.get("local_services", {}), path=path)
