"""Warm execution environments for the local target, kept and reused as Lambda keeps and reuses them.

Lambda runs an invocation in an execution environment that it keeps after the invocation and reuses for the next
invocation of the same function version: the init code does not run again, and module state, SDK clients and
/tmp survive (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, "Execution
environment lifecycle"). An environment serves one invocation at a time; a concurrent one gets an environment of
its own. One that timed out, crashed or ran out of memory is not reused.

Here an environment is a detached `lambda_bootstrap.py --serve` process per function version (and per code,
configuration and emulator it was started for), reached through a Unix socket under `<state>/warm/`, so two
commands in a row (`invoke smoke` twice) reuse it as a warm Lambda would. It exits by itself after
`idle_seconds` without an invocation (Lambda's idle lifetime is not documented; minutes, not hours).
`VECTORA_LAMBDA_COLD=1` (or `"lambda_warm_idle_seconds": 0` under `local_services` in `env/local.json`) runs
every invocation cold in a fresh process instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_IDLE_SECONDS = 300
START_TIMEOUT_S = 20.0


def idle_seconds(local_services: dict) -> int:
    """How long an environment stays warm; 0: every invocation is cold."""
    if os.environ.get("VECTORA_LAMBDA_COLD", "").strip() not in ("", "0"):
        return 0
    override = os.environ.get("VECTORA_LAMBDA_IDLE_SECONDS", "").strip()
    if override:
        return max(0, int(override))
    return int(local_services.get("lambda_warm_idle_seconds", DEFAULT_IDLE_SECONDS))


@dataclass
class WarmAnswer:
    """What the environment answered for one invocation (or why it gave no answer)."""

    answer: dict | None  # payload or error, init_ms (None when warm), duration_ms, events, max_memory_mb
    timed_out: bool
    reused: bool  # the environment had served an invocation before


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Slot:
    """One function version's warm environment: its lock, state file and socket under `root`."""

    def __init__(self, root: Path, function_name: str, version: str, key: str):
        self.root = Path(root)
        self.name = f"{function_name}-{version}-{key}"
        self.state_path = self.root / f"{self.name}.json"
        self.lock_path = self.root / f"{self.name}.lock"
        self.journal_path = self.root / f"{self.name}.log.jsonl"
        # Unix socket paths are limited to about 100 bytes: keep them short, under the state directory's hash.
        self.socket_path = (
            Path(tempfile.gettempdir())
            / f"vectora-{hashlib.sha256(str(self.root / self.name).encode()).hexdigest()[:20]}.sock"
        )

    @contextlib.contextmanager
    def claimed(self):
        """Hold the environment for one invocation; yields False when another invocation is using it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def state(self) -> dict | None:
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return None
        return state if _ours(state) and Path(state.get("socket", "")).exists() else None

    def start(self, command: list[str], spec: dict, environment: dict, cwd: Path) -> dict:
        """Start a new environment (a cold start) and wait until its socket listens."""
        self.discard()
        spec_path = self.root / f"{self.name}.spec.json"
        self.journal_path.unlink(missing_ok=True)
        spec_path.write_text(json.dumps({**spec, "socket": str(self.socket_path), "journal": str(self.journal_path)}))
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        process = subprocess.Popen(
            [*command, "--serve", str(spec_path)],
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives this command, as the environment outlives the invocation
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.socket_path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                _kill_group(process.pid)
                raise RuntimeError(f"the local execution environment did not start ({self.name})")
            time.sleep(0.01)
        state = {
            "pid": process.pid,
            "process_start": _process_start(process.pid),
            "socket": str(self.socket_path),
            "invocations": 0,
            "started": time.time(),
        }
        self.state_path.write_text(json.dumps(state))
        return state

    def journal_since(self, started_ms: float) -> list[tuple[int, str]]:
        """The lines the environment printed from `started_ms` on (what an invocation with no answer printed)."""
        lines = []
        try:
            for raw in self.journal_path.read_text(encoding="utf-8").splitlines():
                timestamp, text = json.loads(raw)
                if timestamp >= int(started_ms):
                    lines.append((int(timestamp), text))
        except (OSError, ValueError):
            pass
        return lines

    def invoke(self, state: dict, request: dict, deadline_ms: float) -> WarmAnswer | None:
        """Run one invocation in the environment; None when the environment was gone before it took the request
        (it had just reached its idle limit): the caller starts a new one."""
        reused = state.get("invocations", 0) > 0
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        accepted = False
        try:
            client.settimeout(5.0)
            client.connect(state["socket"])
            with client.makefile("rwb") as stream:
                if stream.readline() != b"accepted\n":
                    return None
                accepted = True
                client.settimeout(max(0.1, deadline_ms / 1000 - time.time()))
                stream.write((json.dumps(request) + "\n").encode())
                stream.flush()
                line = stream.readline()
        except TimeoutError:
            return WarmAnswer(None, True, reused)  # the caller reads the journal, then discards the environment
        except OSError:
            return WarmAnswer(None, False, reused) if accepted else None
        finally:
            client.close()
        if not line:  # the process died during the invocation
            return WarmAnswer(None, False, reused)
        answer = json.loads(line)
        state["invocations"] = state.get("invocations", 0) + 1
        self.state_path.write_text(json.dumps(state))
        return WarmAnswer(answer, False, reused)

    def discard(self) -> None:
        """End the environment (its whole process group) and forget it."""
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            state = None
        if state and _ours(state):
            _kill_group(state["pid"])
        with contextlib.suppress(FileNotFoundError):
            self.state_path.unlink()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        self.journal_path.unlink(missing_ok=True)


def stop_all(root: Path) -> int:
    """End every warm environment under `root` (`invoke local.down`); returns how many were running."""
    stopped = 0
    for state_path in Path(root).glob("*.json"):
        if state_path.name.endswith(".spec.json"):
            continue
        try:
            state = json.loads(state_path.read_text())
        except (OSError, ValueError):
            continue
        if _ours(state):
            _kill_group(state["pid"])
            stopped += 1
        with contextlib.suppress(OSError):
            Path(state.get("socket", "")).unlink()
        state_path.unlink(missing_ok=True)
    return stopped


def _process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat, field 22): with the pid, it names one
    process; a pid alone is reused once the process has exited (pids wrap around on a busy machine)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _ours(state: dict) -> bool:
    """The environment the state file names is still running: the same process (pid and start time) and the leader
    of its own process group, so ending the group ends only it and what it started."""
    pid = int(state.get("pid") or 0)
    if not _alive(pid):
        return False
    started = state.get("process_start")
    if started and _process_start(pid) not in ("", started):
        return False
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped by its parent) no longer serves
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
