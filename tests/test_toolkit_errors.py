"""One base error for the toolkit: any error deriving from it, raised anywhere in a task, is one line with its fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from invoke import Exit, MockContext

import tasks
from toolkit import REPO_ROOT
from toolkit.errors import ToolkitError

# A task run as a user runs it (invoke's program, its own process), with an error class the guard never heard of
# raised deep inside the function the task calls.
_PROGRAM = textwrap.dedent(
    """
    import sys

    import toolkit.deploy
    from invoke import Program

    import tasks
    from toolkit.errors import ToolkitError


    class BrandNewError(ToolkitError, RuntimeError):
        pass


    def deep_inside(env, smoke_payload, **options):
        raise BrandNewError("the zip of version 7 is missing from dist/", fix="run `invoke package` first")


    toolkit.deploy.deploy = deep_inside
    Program(namespace=tasks.namespace, version="test").run(["invoke", "deploy"], exit=True)
    """
)


def test_a_new_toolkit_error_raised_in_a_task_prints_one_line_with_its_fix_and_exits_1():
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == "error: the zip of version 7 is missing from dist/ — run `invoke package` first"
    assert "Traceback" not in done.stderr + done.stdout


def test_a_toolkit_error_without_a_fix_is_its_message_alone():
    assert str(ToolkitError("smoke test of version 3 failed: basic")) == "smoke test of version 3 failed: basic"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("toolkit.envfile", "EnvFileError"),
        ("toolkit.local.run_local", "RunError"),
        ("toolkit.local.services", "ServiceError"),
        ("toolkit.packaging", "PackageError"),
        ("toolkit.deploy", "DeployError"),
        ("toolkit.deploy", "RollbackError"),
        ("toolkit.deploy_lease", "LeaseHeld"),
        ("toolkit.deploy_lease", "LeaseNotReleased"),
        ("toolkit.release_config", "ReleaseConfigError"),
        ("toolkit.onboarding", "OnboardingError"),
        ("toolkit.smoke", "SmokeError"),
        ("toolkit.cloudwatch", "LogsError"),
        ("toolkit.local.lambda_runner", "LocalLambdaError"),
        ("toolkit.terraform", "TerraformError"),
        ("toolkit.drivers.demo", "DemoError"),
        ("toolkit.drivers.bench", "BenchError"),
        ("toolkit.bootstrap", "BootstrapError"),
        ("toolkit.drivers.evaluate", "EvalError"),
        ("toolkit.drivers.screenshot", "ScreenshotError"),
        ("toolkit.drivers.mutation", "MutationError"),
        ("toolkit.operations", "OperationsError"),
        ("toolkit.drivers.fleet_bench", "FleetBenchError"),
        ("toolkit.local.queue_runner", "QueueRunnerError"),
        ("toolkit.local.emulator_state", "EmulatorStateError"),
    ],
)
def test_every_error_a_task_can_meet_derives_from_the_toolkit_error(module, name):
    error = getattr(__import__(module, fromlist=[name]), name)
    assert issubclass(error, ToolkitError)


def test_the_guard_turns_a_toolkit_error_into_one_line_and_lets_other_bugs_through():
    from tasks._guard import _guard

    class Unexpected(Exception):
        pass

    def fails(kind):
        raise kind("the state bucket is not ours", fix="run `invoke tf.bootstrap --env dev`")

    with pytest.raises(Exit) as exit_:
        _guard(fails, type("Brand", (ToolkitError,), {}))
    assert (exit_.value.code, exit_.value.message) == (
        1,
        "error: the state bucket is not ours — run `invoke tf.bootstrap --env dev`",
    )
    with pytest.raises(Unexpected):
        _guard(lambda: (_ for _ in ()).throw(Unexpected("a bug keeps its traceback")))


def test_tasks_module_still_names_the_known_errors():
    assert tasks._known_errors() == (ToolkitError,)
