"""Environment files (`env/<name>.json`): the one source Terraform and the toolkit both read."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import REPO_ROOT
from .errors import ToolkitError

ENV_DIR = REPO_ROOT / "env"
DEFAULT_ENV = "local"
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,20}$")
# Bucket names are global across AWS accounts: a name in an env file may carry the account id, which the toolkit
# (from the caller's credentials) and Terraform (aws_caller_identity) both fill in, so two accounts deploying
# the same repository never claim the same names.
ACCOUNT_ID = "{account_id}"


class EnvFileError(ToolkitError, ValueError):
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
    # Why names holding {account_id} could not be filled in (no credentials, STS unreachable); empty when they were.
    unresolved: str = ""

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

    def require_resolved(self) -> None:
        """Raise when bucket names still hold {account_id}: AWS calls would go to a bucket that is not ours."""
        if self.unresolved:
            raise EnvFileError(
                f"{self.path.name} names buckets by AWS account ({ACCOUNT_ID}) and the account is unknown: "
                f"{self.unresolved}; configure AWS credentials (check with: aws sts get-caller-identity)"
            )

    @property
    def bucket_names(self) -> dict[str, str]:
        """The four buckets by role."""
        variables = self.lambda_environment
        return {
            "config": variables.get("CONFIG_BUCKET", ""),
            "data": variables.get("DATA_BUCKET", ""),
            "newsletters": variables.get("NEWSLETTERS_BUCKET", ""),
            "artifacts": self.artifacts_bucket,
        }


_accounts: dict[str, tuple[str, str]] = {}


def caller_account_id(region: str) -> tuple[str, str]:
    """(account id, "") from the caller's credentials, or ("", why not). Cached per process."""
    if region not in _accounts:
        try:
            import boto3
            from botocore.config import Config

            session = boto3.Session()
            if session.get_credentials() is None:
                _accounts[region] = ("", "no AWS credentials found")
            else:
                sts = session.client(
                    "sts", region_name=region, config=Config(connect_timeout=5, retries={"total_max_attempts": 2})
                )
                _accounts[region] = (sts.get_caller_identity()["Account"], "")
        except Exception as exc:  # any failure leaves the names unresolved, with the reason
            _accounts[region] = ("", (str(exc).splitlines() or [type(exc).__name__])[0][:200])
    return _accounts[region]


def fill_account_id(data: dict[str, Any], account_id: str) -> dict[str, Any]:
    """The env file's bucket names with {account_id} replaced."""
    filled = dict(data)
    filled["artifacts_bucket"] = str(data["artifacts_bucket"]).replace(ACCOUNT_ID, account_id)
    filled["lambda_environment"] = {
        key: value.replace(ACCOUNT_ID, account_id) if key.endswith("_BUCKET") and isinstance(value, str) else value
        for key, value in data["lambda_environment"].items()
    }
    return filled


def _names_account(data: dict[str, Any]) -> bool:
    names = [str(data.get("artifacts_bucket", ""))] + [
        str(v) for k, v in (data.get("lambda_environment") or {}).items() if k.endswith("_BUCKET")
    ]
    return any(ACCOUNT_ID in name for name in names)


def local_port_offset() -> int:
    raw = os.environ.get("VECTORA_LOCAL_PORT_OFFSET", "0").strip() or "0"
    if not raw.isdigit() or int(raw) > 10000:
        raise EnvFileError(f"VECTORA_LOCAL_PORT_OFFSET must be a whole number from 0 to 10000, got {raw!r}")
    return int(raw)


def default_env_name() -> str:
    return os.environ.get("VECTORA_ENV", DEFAULT_ENV)


def load_env(name: str | None = None, env_dir: Path | None = None, *, account_id: str | None = None) -> EnvFile:
    """Read `env/<name>.json`. Bucket names holding {account_id} get the caller's account (or `account_id`)."""
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
    expected = {f for f in EnvFile.__dataclass_fields__ if f not in ("path", "local_services", "unresolved")}
    missing = sorted(expected - data.keys())
    if missing:
        raise EnvFileError(f"{path.name} lacks {', '.join(missing)}")
    if data.get("emulator") and not data.get("local_services"):
        raise EnvFileError(f"{path.name}: an emulator environment needs local_services ports")
    unresolved = ""
    if _names_account(data):
        if data.get("emulator"):
            raise EnvFileError(f"{path.name}: an emulator environment names its buckets without {ACCOUNT_ID}")
        account, unresolved = (account_id, "") if account_id else caller_account_id(data["aws_region"])
        if account:
            data = fill_account_id(data, account)
    fields = {k: data[k] for k in expected}
    return EnvFile(**fields, local_services=data.get("local_services", {}), path=path, unresolved=unresolved)
