"""How `ensure_services` brings the local services up (processes faked: nothing listens, nothing starts)."""

from __future__ import annotations

import dataclasses

import pytest

from toolkit.envfile import load_env
from toolkit.local import services


class FakeProcess:
    def __init__(self, command, **_):
        self.command = command
        self.pid = 4242

    def poll(self):
        return None

    def kill(self):
        pass


@pytest.fixture
def fake_start(tmp_path, monkeypatch):
    """Popen recorded; a service's port opens only once every missing service has been started."""
    started: list[str] = []
    monkeypatch.setattr(services, "STATE_DIR", tmp_path)

    def popen(command, **kwargs):
        started.append(command[command.index("-m") + 1])
        return FakeProcess(command, **kwargs)

    monkeypatch.setattr(services.subprocess, "Popen", popen)
    monkeypatch.setattr(services.time, "sleep", lambda _: None)
    env = dataclasses.replace(
        load_env("local"), local_services={"emulator_port": 1, "bedrock_standin_port": 2, "sample_feeds_port": 3}
    )
    return env, started


def test_missing_services_start_together_then_are_waited_for(fake_start, monkeypatch):
    env, started = fake_start
    # Listening only after all three were started: a start that waited for each service in turn would time out.
    monkeypatch.setattr(services, "_port_open", lambda port, timeout=0.2: len(started) == 3)
    lines: list[str] = []

    urls = services.ensure_services(env, lines.append, timeout_s=1)

    assert started == ["toolkit.local.emulator", "toolkit.local.bedrock_standin", "toolkit.local.sample_feeds"]
    assert set(urls) == {"emulator", "bedrock_standin", "sample_feeds"}
    assert [line.split(" on ")[0] for line in lines] == [
        "  started AWS emulator (moto server)",
        "  started Bedrock stand-in",
        "  started sample LAI feeds",
    ]


def test_services_already_listening_are_left_alone(fake_start, monkeypatch):
    env, started = fake_start
    monkeypatch.setattr(services, "_port_open", lambda port, timeout=0.2: port != 2 or bool(started))

    services.ensure_services(env, lambda _: None, timeout_s=1)

    assert started == ["toolkit.local.bedrock_standin"]


def test_a_service_that_never_listens_is_named(fake_start, monkeypatch):
    env, _ = fake_start
    monkeypatch.setattr(services, "_port_open", lambda port, timeout=0.2: port != 3)
    clock = iter(range(100))
    monkeypatch.setattr(services.time, "monotonic", lambda: next(clock))

    with pytest.raises(services.ServiceError, match="sample LAI feeds did not listen on port 3 within 5 s"):
        services.ensure_services(env, lambda _: None, timeout_s=5)
