"""The GitHub Actions workflows: linted by actionlint, thin over invoke tasks, OIDC only, one release at a time."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
# A step's command is a make target or an invoke task from the project's virtual environment.
THIN_COMMAND = re.compile(r"^(make [a-z-]+|\.venv/bin/invoke [a-z.-]+( .*)?)$")


def _actionlint() -> str:
    # Installed beside pytest (requirements-dev.txt), so it is next to this interpreter.
    candidate = Path(sys.executable).with_name("actionlint")
    found = str(candidate) if candidate.is_file() else shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint is not installed: pip install -r requirements-dev.txt")
    return found


def _workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job["steps"]:
            yield job_id, step


def test_workflows_pass_actionlint():
    files = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))

    completed = subprocess.run([_actionlint(), "-no-color", *files], cwd=REPO_ROOT, capture_output=True, text=True)

    assert len(files) == 3
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    (broken / "broken.yml").write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.sha }}\n"
    )

    completed = subprocess.run(
        [_actionlint(), "-no-color", str(broken / "broken.yml")], cwd=tmp_path, capture_output=True, text=True
    )

    assert completed.returncode == 1 and "nope" in completed.stdout


@pytest.mark.parametrize("name", ["pull-request.yml", "main.yml", "rollback.yml"])
def test_every_run_step_is_a_make_target_or_an_invoke_task(name):
    commands = [step["run"].strip() for _, step in _steps(_workflow(name)) if "run" in step]

    assert commands
    assert [c for c in commands if "\n" in c or not THIN_COMMAND.match(c)] == []


@pytest.mark.parametrize("name", ["pull-request.yml", "main.yml", "rollback.yml"])
def test_aws_access_comes_only_from_an_oidc_role(name):
    text = (WORKFLOWS / name).read_text()
    credential_steps = [
        s for _, s in _steps(_workflow(name)) if s.get("uses", "").startswith("aws-actions/configure-aws-credentials")
    ]

    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for step in credential_steps:
        assert set(step["with"]) >= {"role-to-assume", "aws-region"}
    for job_id, job in _workflow(name)["jobs"].items():
        if any(s.get("uses", "").startswith("aws-actions/") for s in job["steps"]):
            assert job["permissions"]["id-token"] == "write", job_id


def test_pull_requests_run_tests_checks_and_a_dev_plan_in_the_summary():
    commands = [step.get("run", "") for _, step in _steps(_workflow("pull-request.yml"))]

    assert "make test" in commands
    assert ".venv/bin/invoke tf.check" in commands
    assert '.venv/bin/invoke tf.plan --env dev --out dev.tfplan --summary "$GITHUB_STEP_SUMMARY"' in commands


def test_main_applies_the_saved_plan_of_its_commit_then_deploys_then_smokes():
    workflow = _workflow("main.yml")
    release = [step.get("run", "") for step in workflow["jobs"]["release"]["steps"]]
    upload = next(
        s for s in workflow["jobs"]["plan"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")
    )
    download = next(
        s for s in workflow["jobs"]["release"]["steps"] if s.get("uses", "").startswith("actions/download-artifact")
    )

    assert workflow[True] == {"push": {"branches": ["main"]}}  # YAML reads the key `on` as true
    assert upload["with"]["name"] == download["with"]["name"] == "dev-plan-${{ github.sha }}"
    ordered = [
        ".venv/bin/invoke tf.apply --env dev --plan dev.tfplan",
        ".venv/bin/invoke package deploy --env dev",
        ".venv/bin/invoke smoke --env dev",
    ]
    assert [command for command in release if command in ordered] == ordered


def test_release_and_rollback_share_one_concurrency_group_that_never_cancels():
    release, rollback = _workflow("main.yml"), _workflow("rollback.yml")

    assert release["concurrency"] == rollback["concurrency"] == {"group": "dev-release", "cancel-in-progress": False}


def test_rollback_is_manual_and_takes_a_version():
    rollback = _workflow("rollback.yml")

    assert set(rollback[True]) == {"workflow_dispatch"}
    assert "version" in rollback[True]["workflow_dispatch"]["inputs"]
    assert any("invoke rollback --env dev" in step.get("run", "") for _, step in _steps(rollback))
