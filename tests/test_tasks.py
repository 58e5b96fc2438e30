"""The Invoke tasks' exit codes: a known failure is one `error: ...` line and exit 1, a failed check exits 1."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from invoke import Exit, MockContext

import tasks


@dataclass
class Report:
    ok: bool

    def to_json(self) -> str:
        return json.dumps({"ok": self.ok})


def test_run_with_a_missing_payload_file_exits_1_naming_the_file():
    with pytest.raises(Exit) as exit_:
        tasks.run(MockContext(), payload="payloads/no-such-payload.json")
    assert exit_.value.code == 1
    assert (
        str(exit_.value.message).startswith("error: payload file ")
        and "no-such-payload.json does not exist" in exit_.value.message
    )


def test_run_whose_handler_answers_an_error_exits_1(monkeypatch):
    import toolkit.local.run_local

    monkeypatch.setattr(
        toolkit.local.run_local, "run_payload", lambda env, payload, llm_backend=None: {"status": "error"}
    )
    with pytest.raises(Exit) as exit_:
        tasks.run(MockContext())
    assert exit_.value.code == 1


def test_run_that_succeeds_returns_normally(monkeypatch):
    import toolkit.local.run_local

    monkeypatch.setattr(toolkit.local.run_local, "run_payload", lambda env, payload, llm_backend=None: {"status": "ok"})
    assert tasks.run(MockContext()) is None


def test_unknown_environment_exits_1_naming_the_known_ones():
    with pytest.raises(Exit) as exit_:
        tasks.versions(MockContext(), env="nowhere")
    assert exit_.value.code == 1
    assert "no environment file nowhere.json; known environments:" in exit_.value.message


@pytest.mark.parametrize("json_", [False, True])
def test_failed_smoke_test_exits_1(monkeypatch, json_):
    import toolkit.smoke

    monkeypatch.setattr(toolkit.smoke, "run_smoke", lambda env, payload, qualifier, printer: Report(ok=False))
    with pytest.raises(Exit) as exit_:
        tasks.smoke(MockContext(), json_=json_)
    assert exit_.value.code == 1


def test_passed_smoke_test_exits_0(monkeypatch):
    import toolkit.smoke

    monkeypatch.setattr(toolkit.smoke, "run_smoke", lambda env, payload, qualifier, printer: Report(ok=True))
    assert tasks.smoke(MockContext()) is None


def test_a_deploy_error_exits_1_with_its_message(monkeypatch):
    import toolkit.deploy

    def refuse(env, smoke_payload, **options):
        raise toolkit.deploy.DeployError("smoke test of version 3 failed: basic")

    monkeypatch.setattr(toolkit.deploy, "deploy", refuse)
    with pytest.raises(Exit) as exit_:
        tasks.deploy(MockContext())
    assert (exit_.value.code, exit_.value.message) == (1, "error: smoke test of version 3 failed: basic")


def test_mutation_run_that_cannot_start_exits_1(monkeypatch):
    import toolkit.drivers.mutation

    def cannot_start(max_children, update_reference=False, only=None):
        raise toolkit.drivers.mutation.MutationError("mutmut is not installed")

    monkeypatch.setattr(toolkit.drivers.mutation, "run_mutation", cannot_start)
    with pytest.raises(Exit) as exit_:
        tasks.mutate(MockContext())
    assert (exit_.value.code, exit_.value.message) == (1, "error: mutmut is not installed")


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookup on a laptop or CI
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a session an earlier test made keeps its credentials


@pytest.mark.parametrize(
    "call",
    [
        lambda: tasks.smoke(MockContext(), env="dev"),
        lambda: tasks.versions(MockContext(), env="dev"),
        lambda: tasks.rollback(MockContext(), env="dev"),
        lambda: tasks.status(MockContext(), env="dev"),
        lambda: tasks.config_sync(MockContext(), env="dev"),
    ],
    ids=["smoke", "versions", "rollback", "status", "config-sync"],
)
def test_a_command_against_aws_without_credentials_says_so_in_one_line(no_aws_credentials, call):
    with pytest.raises(Exit) as exit_:
        call()
    assert exit_.value.code == 1
    message = str(exit_.value.message)
    assert message.startswith("error: ") and "\n" not in message and "credentials" in message
