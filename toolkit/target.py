"""The target of an environment: AWS itself, or the local stand-ins on this machine, behind one protocol.

Release modules never ask which one they run on. They open the environment's target (`open_target`, once per
environment and process) and ask it for what differs: readiness (the local services started; nothing on AWS),
clients, the process environment of the engine and of Terraform, invoking a function version, and the few
wordings and rules that are not the same on both sides (where the checks run, the bucket owner AWS can check,
the sample feeds the config points at on this machine, the preflight checks one side has no use for).

`AwsTarget` is here; `LocalTarget` lives with the stand-ins (`toolkit.local.target`) and is imported on first
use, so a run against AWS never loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .envfile import EnvFile
from .invoke_result import InvokeResult

Printer = Callable[[str], None]

# The preflight checks a target may have no use for (`Target.skips`).
STATE_BUCKET = "state bucket"  # a remote Terraform state in an S3 bucket (tf.bootstrap creates it)
MODEL_AVAILABILITY = "model availability"  # Bedrock's control plane, asked about model access
ROLE_SIMULATION = "role simulation"  # IAM's policy simulator, asked about the function's role
CHECKS = (STATE_BUCKET, MODEL_AVAILABILITY, ROLE_SIMULATION)


class Target(Protocol):
    """What the release toolkit asks of where an environment runs."""

    env: EnvFile

    @property
    def where(self) -> str:
        """Where the calls go, for messages: `Region eu-west-3`, or the local emulator."""

    @property
    def feeds_base_url(self) -> str | None:
        """The base URL the client configs' feeds are rewritten to (the sample feeds); None: as written."""

    @property
    def terraform_endpoint(self) -> str | None:
        """The endpoint Terraform's AWS provider is pointed at; None: AWS's own."""

    @property
    def stack_on_demand(self) -> bool:
        """True when the toolkit brings the stack up itself (Terraform, then the config) whenever a command needs
        it, as on the emulator, which forgets everything when it restarts; on AWS only `tf.apply` changes the
        stack and a deploy uploads the config."""

    def ready(self, printer: Printer = print) -> dict[str, str]:
        """Make the target answer: start the local services not running yet (their URLs); nothing on AWS."""

    def client(self, service: str, region: str | None = None, *, agent: str | None = None) -> Any:
        """A boto3 client of `service` in `region` (the env's Region by default); `agent` joins the user agent."""

    def process_environment(self) -> dict[str, str]:
        """Variables that point boto3 and the engine in another process at the target."""

    def terraform_environment(self, process_env: Mapping[str, str], endpoint_url: str | None = None) -> dict[str, str]:
        """`process_env` for a Terraform run against the target (`endpoint_url` overrides the local endpoint)."""

    def prepare_terraform(self, ws: Any, printer: Printer, *, start_services: bool = True) -> None:
        """What must hold before Terraform plans or applies the workspace `ws` (`toolkit.terraform.Workspace`)."""

    def invoke(
        self, qualifier: str, payload: Any, *, invocation_type: str = "RequestResponse", printer: Printer = print
    ) -> InvokeResult:
        """Invoke a version of the env's function, `RequestResponse` or `Event`, as Lambda would."""

    def expected_owner(self, account: str) -> dict[str, str]:
        """Keyword arguments that make an S3 call fail unless `account` owns the bucket, where that can be told."""

    def skips(self, check: str) -> str:
        """Why the preflight check `check` (one of CHECKS) does not apply to this target; "" when it does."""


class AwsTarget:
    """AWS itself: the default credential chain in the env's Region; nothing to start, nothing to repair."""

    feeds_base_url = None
    terraform_endpoint = None
    stack_on_demand = False

    def __init__(self, env: EnvFile):
        self.env = env

    @property
    def where(self) -> str:
        return f"Region {self.env.aws_region}"

    def ready(self, printer: Printer = print) -> dict[str, str]:
        return {}

    def client(self, service: str, region: str | None = None, *, agent: str | None = None) -> Any:
        import boto3
        from botocore.config import Config

        self.env.require_resolved()
        config = Config(user_agent_extra=agent) if agent else None
        return boto3.client(service, region_name=region or self.env.aws_region, config=config)

    def process_environment(self) -> dict[str, str]:
        return {"AWS_DEFAULT_REGION": self.env.aws_region, "AWS_REGION": self.env.aws_region}

    def terraform_environment(self, process_env: Mapping[str, str], endpoint_url: str | None = None) -> dict[str, str]:
        return dict(process_env)  # the caller's credentials, profile and endpoints, as they are

    def prepare_terraform(self, ws: Any, printer: Printer, *, start_services: bool = True) -> None:
        return None

    def invoke(
        self, qualifier: str, payload: Any, *, invocation_type: str = "RequestResponse", printer: Printer = print
    ) -> InvokeResult:
        from .lambda_invoke import invoke_aws, invoke_aws_async

        if invocation_type == "Event":
            return invoke_aws_async(self.env, qualifier, payload, lambda_client=self.client("lambda"))
        return invoke_aws(self.env, qualifier, payload, logs_client=lambda: self.client("logs"))

    def expected_owner(self, account: str) -> dict[str, str]:
        return {"ExpectedBucketOwner": account} if account else {}

    def skips(self, check: str) -> str:
        return ""


# Targets opened in this process, by the environment's every field: a task that calls several release functions
# with the same environment (loaded once or several times) opens its target once, and starts services once.
_opened: dict[str, Target] = {}


def open_target(env: EnvFile) -> Target:
    """The environment's target: the local stand-ins when its file says `"emulator": true`, AWS otherwise."""
    key = repr(env)
    target = _opened.get(key)
    if target is None:
        if env.emulator:
            from .local.target import LocalTarget

            target = LocalTarget(env)
        else:
            target = AwsTarget(env)
        target = _opened.setdefault(key, target)
    return target
