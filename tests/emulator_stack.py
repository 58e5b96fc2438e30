"""The Terraform stack of the local environment as a fresh apply leaves it, on an emulator of its own, for the
modules that check it.

`stack` is module-scoped: the session's one apply of the stack (tests/stack_template.py) is restored into the
module's emulator, with Terraform's log of that apply, and a second `terraform plan` is run on it; every test reads
that stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from lambda_testkit import emulator_process
from stack_template import stack_template

from tests.test_terraform import copy_infrastructure, require_terraform_provider
from toolkit import terraform
from toolkit.envfile import load_env
from toolkit.packaging import build_package

ENV = load_env("local")


@dataclass
class Stack:
    root: Path
    endpoint_url: str
    package_path: Path
    package_sha256: str
    outputs: dict
    # `terraform plan -detailed-exitcode` run right after the apply: its exit code and what it printed.
    second_plan: tuple[int, list[str]] = (-1, [])
    first_apply_log: str = ""

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=ENV.aws_region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def run(self, action, **kwargs):
        lines: list[str] = []
        try:
            return action("local", printer=lines.append, repo_root=self.root, endpoint_url=self.endpoint_url, **kwargs)
        except terraform.TerraformError as exc:
            pytest.fail(f"{exc}\n" + "\n".join(lines[-60:]))


@pytest.fixture(scope="module")
def stack(tmp_path_factory, stack_template):
    workdir = tmp_path_factory.mktemp("terraform-emulator")
    # An emulator process of its own: the in-process `mock_aws` of other tests cannot wipe this stack.
    with pytest.MonkeyPatch.context() as patch, emulator_process() as port:
        require_terraform_provider(patch)
        patch.delenv("TF_VAR_bucket_lifecycle_rules", raising=False)
        root = copy_infrastructure(workdir / "repo")
        package = stack_template.package
        stack = Stack(root, f"http://127.0.0.1:{port}", Path(package["path"]), package["sha256"], {})
        stack_template.restore(stack.endpoint_url, root)
        stack.outputs = terraform.outputs("local", repo_root=root, endpoint_url=stack.endpoint_url)
        stack.first_apply_log = stack_template.terraform_log
        lines: list[str] = []
        code = terraform.plan(
            "local",
            detailed_exitcode=True,
            printer=lines.append,
            repo_root=root,
            endpoint_url=stack.endpoint_url,
            package_path=stack.package_path,
        )
        stack.second_plan = (code, lines)
        yield stack


def tiny_package(workdir: Path, status_code: int):
    """A dependency-free package: what Terraform does with the code does not depend on its content."""
    source = workdir / "lambda_src"
    source.mkdir()
    (source / "handler.py").write_text(
        f"def lambda_handler(event, context):\n    return {{'statusCode': {status_code}}}\n"
    )
    (workdir / "requirements.txt").write_text("")
    return build_package(
        env=ENV,
        source_dir=source,
        requirements_file=workdir / "requirements.txt",
        dist_dir=workdir / "dist",
        printer=lambda _: None,
    )
