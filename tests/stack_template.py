"""The local stack as a fresh `terraform apply` leaves it, applied once per test session and given to any emulator.

A fresh apply of the local stack takes about a minute, nearly all of it the AWS provider's fixed waits after it
creates the SQS queues; the modules whose tests start from an applied stack (rather than test the apply itself)
used to pay that minute each. `stack_template` applies the stack once for the whole session (one xdist worker
applies, the others wait for it) and records every request Terraform makes (moto's recorder);
`StackTemplate.restore` empties a test's emulator and replays the recording (about two seconds), then writes
Terraform's state into the test's copy of the tree. The stack is the one Terraform made: every name and ARN is
the apply's, and the one id moto draws at random that Terraform reads back by it, the event source mapping's
UUID, is taken from the restored emulator into the state. A plan on a restored emulator shows no changes
(tests/test_any_order.py applies a restored stack again and checks that nothing changes).

tests/test_terraform_emulator.py checks the session's apply: Terraform's log of it, and a second plan on the restored
stack. The tests of the stack coming up apply from an empty emulator themselves: the whole cycle from its first
apply (tests/test_cycle_integration.py), the buckets with their lifecycle rules (tests/test_terraform_lifecycle.py),
`invoke run` before any apply and the demo after `local.down`/`local.up` (the any-order walks).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from lambda_testkit import emulator_process

from tests.test_terraform import copy_infrastructure, require_terraform_provider
from toolkit import terraform

_NOT_REPLAYED_HEADERS = {"host", "content-length", "transfer-encoding"}


@dataclass(frozen=True)
class StackTemplate:
    directory: Path

    @property
    def recording(self) -> Path:
        """Every request of the apply, one JSON object per line (moto's recorder format)."""
        return self.directory / "requests.jsonl"

    @property
    def state(self) -> Path:
        return self.directory / "terraform.tfstate"

    @property
    def package(self) -> dict:
        """The package the stack was applied with: its `path` and `sha256`."""
        return json.loads((self.directory / "package.json").read_text())

    @property
    def terraform_log(self) -> str:
        """Terraform's own log of the apply (each resource's "Creation complete" line, in order)."""
        return (self.directory / "terraform-apply.log").read_text()

    def restore(self, emulator_url: str, repo_root: Path, env_name: str = "local") -> None:
        """Empty the emulator at `emulator_url`, rebuild the stack in it and give the tree at `repo_root` the
        Terraform state of that stack."""
        _post(f"{emulator_url}/moto-api/reset")
        with requests.Session() as session:
            for line in self.recording.read_text().splitlines():
                _replay(session, json.loads(line), emulator_url)
        state = self.state.read_text()
        for recorded_uuid, restored_uuid in self._mapping_uuids(state, emulator_url):
            state = state.replace(recorded_uuid, restored_uuid)
        (repo_root / "terraform" / "envs" / env_name / terraform.STATE_FILE).write_text(state)

    @staticmethod
    def _mapping_uuids(state: str, emulator_url: str) -> list[tuple[str, str]]:
        """(the apply's UUID, the restored one) of each event source mapping of the state."""
        pairs = []
        for resource in json.loads(state)["resources"]:
            if resource["type"] != "aws_lambda_event_source_mapping":
                continue
            for instance in resource["instances"]:
                attributes = instance["attributes"]
                region = attributes["event_source_arn"].split(":")[3]
                client = boto3.client(
                    "lambda",
                    endpoint_url=emulator_url,
                    region_name=region,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",
                )
                found = client.list_event_source_mappings(EventSourceArn=attributes["event_source_arn"])
                restored = [m["UUID"] for m in found["EventSourceMappings"]]
                assert len(restored) == 1, f"the restored emulator holds {len(restored)} mappings of the run queue"
                pairs.append((attributes["uuid"], restored[0]))
        return pairs


def _replay(session: requests.Session, record: dict, emulator_url: str) -> None:
    body = record.get("body") or b""
    if record.get("body_encoded"):
        body = base64.b64decode(body)
    recorded = urllib.parse.urlsplit(record["url"])
    url = f"{emulator_url}{recorded.path}" + (f"?{recorded.query}" if recorded.query else "")
    # The emulator's address is the test's own: the recorded host and the framing headers are the apply's.
    headers = {k: v for k, v in record["headers"].items() if k.lower() not in _NOT_REPLAYED_HEADERS}
    session.request(record["method"], url, headers=headers, data=body, timeout=30)


def _post(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=30).read()


@pytest.fixture(scope="session")
def stack_template(tmp_path_factory) -> StackTemplate:
    """The session's one apply of the local stack (made by whichever xdist worker asks first)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's directory, above each worker's own
    directory = shared / "stack-template"
    failed = shared / "stack-template.failed"
    with open(shared / "stack-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.is_file():
            pytest.fail(f"the session's apply of the local stack failed:\n{failed.read_text()}")
        if not (directory / "outputs.json").is_file():
            try:
                _apply_and_record(directory)
            except BaseException as exc:
                failed.write_text(f"{type(exc).__name__}: {exc}")
                raise
    return StackTemplate(directory)


def _apply_and_record(directory: Path) -> None:
    from toolkit.packaging import build_package

    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    template = StackTemplate(directory)
    with contextlib.ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        require_terraform_provider(patch)
        patch.delenv("TF_VAR_bucket_lifecycle_rules", raising=False)
        patch.setenv("MOTO_RECORDER_FILEPATH", str(template.recording))
        root = copy_infrastructure(directory / "repo")
        package = build_package("local", dist_dir=directory / "dist", printer=lambda _line: None)
        port = stack.enter_context(emulator_process())
        emulator_url = f"http://127.0.0.1:{port}"
        _post(f"{emulator_url}/moto-api/recorder/reset-recording")
        _post(f"{emulator_url}/moto-api/recorder/start-recording")
        lines: list[str] = []
        try:
            outputs = terraform.apply(
                "local", printer=lines.append, repo_root=root, endpoint_url=emulator_url, package_path=package.path
            )
        except terraform.TerraformError as exc:
            raise RuntimeError(f"{exc}\n" + "\n".join(lines[-60:])) from exc
        _post(f"{emulator_url}/moto-api/recorder/stop-recording")
    shutil.copyfile(root / "terraform" / "envs" / "local" / terraform.STATE_FILE, template.state)
    shutil.copyfile(root / terraform.LOG_DIR / "terraform-local-apply.log", directory / "terraform-apply.log")
    (directory / "package.json").write_text(json.dumps({"path": str(package.path), "sha256": package.sha256}))
    (directory / "outputs.json").write_text(json.dumps(outputs))  # written last: the template is complete
