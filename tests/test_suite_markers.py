"""The suite's own machinery. The fast subset stays fast: what applies Terraform or starts the local services is
marked slow. xdist keeps slow modules apart. Every boto3 session of a test process shares the parsed service models.

`make test-fast` runs the tests not marked `slow` (pytest.ini registers the marker). Two checks keep the marks
honest as the suite grows: this module reads every test module for the fixtures and helpers that apply the stack or
start the emulator and the local services (an in-process emulator thread included), and conftest.py fails any test
not marked slow that starts Terraform, the emulator, a local service or the local Lambda runner as a process.
"""

from __future__ import annotations

import ast
import configparser
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import SlowWorkInFastTest, slow_work

from toolkit.drivers.mutation import FAST_TESTS

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent

# Fixtures (as test or fixture parameters) and helpers whose use means the stack is applied or the local services
# (the emulator above all) are started. Terraform itself is left to the guard in conftest.py, which sees each run.
SLOW_FIXTURES = {"emulator", "fake_env", "walk", "applied_walk", "empty_walk"}
SLOW_HELPERS = {
    "apply_stack",
    "ensure_stack",
    "main_job",
    "emulator_process",
    "ThreadedMotoServer",
    "local_services",
}


def _module_mark(tree: ast.Module) -> bool:
    """True when the module sets `pytestmark` to (a list holding) `pytest.mark.slow`."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
            return any(
                isinstance(n, ast.Attribute) and n.attr == "slow" and ast.unparse(n).endswith("mark.slow")
                for n in ast.walk(node.value)
            )
    return False


def _slow_uses(tree: ast.Module) -> set[str]:
    """The fixtures and helpers of the module that apply the stack or start the local services."""
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.arg in SLOW_FIXTURES:
            used.add(f"fixture {node.arg}")
        elif isinstance(node, ast.Name) and node.id in SLOW_HELPERS:
            used.add(node.id)
        elif isinstance(node, ast.alias) and (node.asname or node.name) in SLOW_HELPERS:
            used.add(node.asname or node.name)
        elif isinstance(node, ast.Attribute) and node.attr in SLOW_HELPERS:
            used.add(node.attr)
    return used


def _test_modules() -> list[Path]:
    return sorted(TESTS.glob("test_*.py"))


def test_every_module_that_applies_terraform_or_starts_local_services_is_marked_slow():
    unmarked = {}
    for path in _test_modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        uses = _slow_uses(tree)
        if uses and not _module_mark(tree):
            unmarked[path.name] = sorted(uses)

    assert unmarked == {}, "add `pytestmark = pytest.mark.slow` to these modules: " + repr(unmarked)


def test_the_check_sees_a_module_that_applies_the_stack():
    applying = ast.parse("from toolkit import stack\n\ndef test_x(tmp_path):\n    stack.apply_stack('local')\n")
    marked = ast.parse("import pytest\n\npytestmark = pytest.mark.slow\n\ndef test_x(emulator):\n    pass\n")
    pure = ast.parse("def test_x(tmp_path):\n    assert 1 + 1 == 2\n")

    assert _slow_uses(applying) == {"apply_stack"} and not _module_mark(applying)
    assert _slow_uses(marked) == {"fixture emulator"} and _module_mark(marked)
    assert _slow_uses(pure) == set()


def test_the_mutation_runs_fast_tests_only():
    # `invoke mutate` reruns these for every mutant: none of them may be slow.
    for name in FAST_TESTS:
        source = (REPO_ROOT / name).read_text()
        assert not _module_mark(ast.parse(source)) and "mark.slow" not in source, name


def test_the_markers_have_one_home():
    ini = configparser.ConfigParser()
    ini.read(REPO_ROOT / "pytest.ini")
    markers = [line.split(":")[0].strip() for line in ini["pytest"]["markers"].strip().splitlines()]
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())

    assert markers == ["slow"]
    assert "--strict-markers" in ini["pytest"]["addopts"].split()  # a misspelt marker is an error, not a new marker
    assert "pytest" not in pyproject.get("tool", {}), "pytest reads pytest.ini only: keep its settings there"


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["terraform", "apply", "-auto-approve"], "runs `terraform apply`"),
        (["/usr/local/bin/terraform", "-chdir=x", "plan"], "runs `terraform plan`"),
        (["terraform", "fmt", "-check"], None),
        (["terraform", "version"], None),
        ([sys.executable, "-m", "moto.server", "-p", "5000"], "starts the AWS emulator"),
        ([sys.executable, "-m", "toolkit.local.sample_feeds"], "starts a local service (toolkit.local.sample_feeds)"),
        ([sys.executable, "-I", "/x/lambda_bootstrap.py", "spec.json"], "runs a function on the local Lambda runner"),
        ([sys.executable, "-c", "print(1)"], None),
        ("git status", None),
    ],
)
def test_slow_work_is_told_apart_from_quick_commands(argv, reason):
    assert slow_work(argv) == reason


def test_a_test_not_marked_slow_that_starts_terraform_fails_saying_how_to_mark_it():
    with pytest.raises(SlowWorkInFastTest, match=r"runs `terraform apply` but is not marked slow.*pytestmark"):
        subprocess.Popen(["terraform", "apply", "-auto-approve"])


@pytest.mark.slow
def test_a_test_marked_slow_may_start_terraform():
    completed = subprocess.run(["terraform", "plan", "-help"], capture_output=True, text=True)

    assert completed.returncode == 0 and "Usage: terraform" in completed.stdout


# --- the xdist scheduler: slow modules apart ------------------------------------------------------------------


class _FakeConfig:
    def getvalue(self, name):
        return {"dist": "loadfile", "tx": ["2*popen"]}[name]


class _FakeNode:
    def __init__(self, name):
        self.name = name
        self.sent: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indices):
        self.sent.extend(indices)


def _scheduler_with(modules: dict[str, int], nodes):
    from conftest import pytest_xdist_make_scheduler

    scheduler = pytest_xdist_make_scheduler(_FakeConfig(), None)
    collection = [f"tests/{module}::test_{i}" for module, count in modules.items() for i in range(count)]
    for node in nodes:
        scheduler.assigned_work[node] = {}
        scheduler.registered_collections[node] = collection
    for nodeid in collection:
        scheduler.workqueue.setdefault(nodeid.split("::")[0], {})[nodeid] = False
    return scheduler


def _modules_of(scheduler, node) -> list[str]:
    return [Path(scope).name for scope in scheduler.assigned_work[node]]


def test_a_worker_still_on_a_slow_module_is_handed_a_short_one_next():
    first, second = _FakeNode("gw0"), _FakeNode("gw1")
    scheduler = _scheduler_with(
        {"test_any_order_releases.py": 3, "test_cycle_integration.py": 1, "test_parse.py": 5, "test_text.py": 4},
        [first, second],
    )

    scheduler._assign_work_unit(first)  # the demo's module, three tests
    scheduler._assign_work_unit(first)  # xdist asks again while two of them are still to run

    assert _modules_of(scheduler, first) == ["test_any_order_releases.py", "test_parse.py"]
    scheduler._assign_work_unit(second)
    assert _modules_of(scheduler, second) == ["test_cycle_integration.py"]


def test_a_worker_done_with_its_slow_module_takes_the_next_slow_one():
    node = _FakeNode("gw0")
    scheduler = _scheduler_with(
        {"test_terraform_emulator.py": 2, "test_toolkit_local.py": 2, "test_parse.py": 1}, [node]
    )
    scheduler._assign_work_unit(node)
    scheduler.assigned_work[node]["tests/test_terraform_emulator.py"] = dict.fromkeys(
        scheduler.assigned_work[node]["tests/test_terraform_emulator.py"], True
    )

    scheduler._assign_work_unit(node)

    assert _modules_of(scheduler, node) == ["test_terraform_emulator.py", "test_toolkit_local.py"]


def test_a_test_listed_to_run_apart_is_a_unit_of_its_own():
    node = _FakeNode("gw0")
    scheduler = _scheduler_with({"test_parse.py": 1}, [node])

    demo = "tests/test_any_order_releases.py::test_down_up_demo_then_rollback"
    assert scheduler._split_scope(demo) == demo
    assert scheduler._split_scope("tests/test_any_order_releases.py::test_published_edition") == (
        "tests/test_any_order_releases.py"
    )


def test_every_boto3_session_of_the_test_process_shares_the_parsed_service_models():
    import boto3
    from moto import mock_aws

    with mock_aws():  # starts with a new default session, as before each test that uses it
        first = boto3.client("s3", region_name="eu-west-3")
    with mock_aws():
        second = boto3.client("s3", region_name="eu-west-3")

    assert boto3.Session()._session.get_component("data_loader") is boto3.Session()._session.get_component(
        "data_loader"
    )
    assert first.meta.service_model.shape_for("PutObjectRequest") is not None
    assert first._loader is second._loader
