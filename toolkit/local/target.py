"""The local target: an environment with `"emulator": true`, served by the stand-ins on this machine.

It answers what `toolkit.target.Target` asks: the services (the emulator, the Bedrock stand-in, the sample feeds)
are started on first need, clients and Terraform go to the emulator with fake credentials, an invocation runs the
version on this machine (the emulator stores functions but cannot run them), and a Terraform state the restarted
emulator no longer matches is dropped before Terraform runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..envfile import EnvFile
from ..invoke_result import InvokeResult
from .endpoints import TEST_CREDENTIALS, emulator_client, emulator_environment, service_url

Printer = Callable[[str], None]

# Why the preflight checks named in `toolkit.target.CHECKS` do not apply here.
SKIPPED_CHECKS = {
    "state bucket": "keeps its Terraform state locally",
    "model availability": "add --invoke for a call to the stand-in",
    "role simulation": "the emulator does not simulate IAM policies",
}
SERVICE_PORTS = ("emulator", "bedrock_standin", "sample_feeds")


class LocalTarget:
    stack_on_demand = True
    where = "the local emulator and Bedrock stand-in"

    def __init__(self, env: EnvFile):
        self.env = env
        self._ready: tuple[tuple[int, ...], dict[str, str]] | None = None

    @property
    def feeds_base_url(self) -> str:
        return service_url(self.env, "sample_feeds")

    @property
    def terraform_endpoint(self) -> str:
        return service_url(self.env, "emulator")

    def ready(self, printer: Printer = print, timeout_s: float = 20.0) -> dict[str, str]:
        """Start the services not listening: the first time, again if the ports moved or one stopped since (a task
        list such as `local.down smoke` runs in one process); their URLs."""
        from . import services

        ports = tuple(self.env.service_port(name) for name in SERVICE_PORTS)
        if self._ready is None or self._ready[0] != ports or not services.listening(self.env):
            self._ready = (ports, services.ensure_services(self.env, printer, timeout_s))
        return dict(self._ready[1])

    def client(self, service: str, region: str | None = None, *, agent: str | None = None) -> Any:
        if service == "bedrock":
            raise RuntimeError("the emulator has no Bedrock control plane")
        return emulator_client(self.env, service, region, agent=agent)

    def process_environment(self) -> dict[str, str]:
        return emulator_environment(self.env)

    def terraform_environment(self, process_env: Mapping[str, str], endpoint_url: str | None = None) -> dict[str, str]:
        terraform_env = dict(process_env)
        for name in [name for name in terraform_env if name.startswith("AWS_ENDPOINT_URL_")] + ["AWS_PROFILE"]:
            terraform_env.pop(name, None)  # every call must reach the emulator, with no real profile involved
        terraform_env.update(TEST_CREDENTIALS)
        terraform_env["AWS_ENDPOINT_URL"] = endpoint_url or self.terraform_endpoint
        return terraform_env

    def prepare_terraform(self, ws: Any, printer: Printer, *, start_services: bool = True) -> None:
        """The services up (unless Terraform is pointed at another emulator), then a stale state dropped."""
        from .emulator_state import forget_stale_emulator_state

        if start_services:
            self.ready(printer)
        forget_stale_emulator_state(ws, printer)

    def invoke(
        self, qualifier: str, payload: Any, *, invocation_type: str = "RequestResponse", printer: Printer = print
    ) -> InvokeResult:
        if invocation_type == "Event":  # as a schedule invokes: retries, then the on-failure destination
            from .lambda_async import invoke_local_async

            return invoke_local_async(self.env, qualifier, payload, printer=printer)
        from .lambda_runner import invoke_local

        return invoke_local(self.env, qualifier, payload, printer=printer)

    def expected_owner(self, account: str) -> dict[str, str]:
        return {}  # the emulator has one account: there is no other owner to tell apart

    def skips(self, check: str) -> str:
        return SKIPPED_CHECKS.get(check, "")
