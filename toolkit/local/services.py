"""Local services of the embedded default: the AWS emulator, the Bedrock stand-in and the sample feeds.

They run as detached processes so their state survives between commands; `local.up` starts them,
`local.down` stops them, and every task that needs them starts them on demand.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import REPO_ROOT
from ..envfile import EnvFile
from ..errors import ToolkitError
from .endpoints import service_url

STATE_DIR = REPO_ROOT / ".local"


class ServiceError(ToolkitError, RuntimeError):
    """A local service did not start or answer."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port_key: str
    module_args: tuple[str, ...]
    description: str

    def command(self, port: int, extra: tuple[str, ...] = ()) -> list[str]:
        return [sys.executable, "-m", *self.module_args, *self._port_args(port), *extra]

    def _port_args(self, port: int) -> list[str]:
        if self.name == "emulator":
            return ["-H", "127.0.0.1", "-p", str(port)]
        return ["--host", "127.0.0.1", "--port", str(port)]


SERVICES = (
    # moto server, with S3's conditional writes made atomic as on AWS (the shared store relies on them)
    ServiceSpec("emulator", "emulator", ("toolkit.local.emulator",), "AWS emulator (moto server)"),
    ServiceSpec("bedrock_standin", "bedrock_standin", ("toolkit.local.bedrock_standin",), "Bedrock stand-in"),
    ServiceSpec("sample_feeds", "sample_feeds", ("toolkit.local.sample_feeds",), "sample LAI feeds"),
)


def _port_open(port: int, timeout: float = 0.2) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def listening(env: EnvFile) -> bool:
    """Whether every local service of `env` answers on its port."""
    return all(_port_open(env.service_port(spec.port_key)) for spec in SERVICES)


def _pid_file(name: str) -> Path:
    return STATE_DIR / f"{name}.pid"


def standin_latency_ms(env: EnvFile) -> int:
    return int(env.local_services.get("bedrock_standin_latency_ms", 0))


def ensure_services(env: EnvFile, printer: Callable[[str], None] = print, timeout_s: float = 20.0) -> dict[str, str]:
    """Start whichever local services are not running yet; return their URLs.

    The missing ones start together and are then waited for, so the emulator's start-up (the longest, under a
    second) is all a cold start costs."""
    if not env.emulator:
        return {}
    STATE_DIR.mkdir(exist_ok=True)
    urls = {}
    starting: list[tuple[ServiceSpec, int, subprocess.Popen]] = []
    started = time.monotonic()
    for spec in SERVICES:
        port = env.service_port(spec.port_key)
        urls[spec.name] = service_url(env, spec.port_key)
        if _port_open(port):
            continue
        log = open(STATE_DIR / f"{spec.name}.log", "ab")
        extra: tuple[str, ...] = ()
        if spec.name == "bedrock_standin":
            # A model call takes time; a stand-in that answers instantly would make the cache look useless.
            extra = ("--latency-ms", str(standin_latency_ms(env)))
        process = subprocess.Popen(
            spec.command(port, extra),
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the task that started it
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        log.close()  # the child holds its own copy
        _pid_file(spec.name).write_text(str(process.pid))
        starting.append((spec, port, process))
    for spec, port, process in starting:
        while not _port_open(port):
            if process.poll() is not None:
                raise ServiceError(f"{spec.description} exited at start; see {STATE_DIR.name}/{spec.name}.log")
            if time.monotonic() - started > timeout_s:
                process.kill()
                raise ServiceError(f"{spec.description} did not listen on port {port} within {timeout_s:.0f} s")
            time.sleep(0.05)
        printer(f"  started {spec.description} on {urls[spec.name]} ({time.monotonic() - started:.1f} s)")
    return urls


def stop_services(env: EnvFile, printer: Callable[[str], None] = print, *, dry_run: bool = False) -> None:
    if dry_run:
        from ..dry_run import stop_plan

        return stop_plan([(spec.description, _pid_file(spec.name)) for spec in SERVICES], STATE_DIR / "warm", printer)
    for spec in SERVICES:
        pid_file = _pid_file(spec.name)
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
            printer(f"  stopped {spec.description} (pid {pid})")
        except ProcessLookupError:
            pass
        pid_file.unlink()
    from . import warm

    stopped = warm.stop_all(STATE_DIR / "warm")
    if stopped:
        printer(f"  stopped {stopped} warm execution environment(s) of the local target")


def services_status(env: EnvFile) -> dict[str, bool]:
    return {spec.name: _port_open(env.service_port(spec.port_key)) for spec in SERVICES}
