"""Terraform static checks (fmt, validate, checkov) and the process environment the toolkit gives Terraform."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from toolkit import checkov, terraform
from toolkit.envfile import load_env

REPO_ROOT = Path(__file__).resolve().parent.parent


def require_terraform_provider(patch: pytest.MonkeyPatch) -> None:
    """Fail, not skip, when Terraform or its AWS provider cannot be found: CI must run these checks.

    Sets TF_PLUGIN_DIR through `patch`, so it is undone after the test (or module) that asked for it."""
    if not shutil.which("terraform"):
        pytest.fail("terraform is not on PATH; install Terraform 1.11 or later")
    from toolkit.terraform import discover_plugin_dir

    plugin_dir = os.environ.get("TF_PLUGIN_DIR") or discover_plugin_dir()
    if not plugin_dir:
        pytest.fail(
            "no Terraform AWS provider mirror found: set TF_PLUGIN_DIR to the directory holding "
            "registry.terraform.io/hashicorp/aws/..."
        )
    patch.setenv("TF_PLUGIN_DIR", plugin_dir)  # the toolkit's terraform calls in this process use it too
    if not list(Path(plugin_dir).glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
        pytest.fail(f"TF_PLUGIN_DIR={plugin_dir} holds no hashicorp/aws provider")
    if not os.environ.get("TF_PLUGIN_CACHE_DIR"):
        patch.setenv("TF_PLUGIN_CACHE_DIR", str(provider_cache_linking(Path(plugin_dir))))


def provider_cache_linking(plugin_dir: Path, cache: Path = REPO_ROOT / ".local" / "terraform-plugin-cache") -> Path:
    """A Terraform plugin cache whose entries link to the mirror's providers. `terraform init -plugin-dir` copies the
    ~700 MB AWS provider into every tree it initializes (a dozen per suite, each deleted later); from a cache that
    already holds the provider it links instead. Nothing is ever written to the cache, so workers share it safely."""
    for platform in plugin_dir.glob("*/*/*/*/*_*"):  # host/namespace/type/version/os_arch
        link = cache / platform.relative_to(plugin_dir)
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            try:
                link.symlink_to(platform.resolve(), target_is_directory=True)
            except FileExistsError:
                pass  # another worker linked it first
    return cache


def copy_infrastructure(destination: Path) -> Path:
    """The Terraform tree with the env and config files it reads, so runs never touch the working copy's state."""
    for part in ("terraform", "env", "config"):
        shutil.copytree(
            REPO_ROOT / part,
            destination / part,
            ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "backend.hcl"),
        )
    return destination


def test_terraform_files_are_formatted():
    assert terraform.fmt_check(printer=lambda _: None) == 0


@pytest.mark.slow
@pytest.mark.parametrize("env_name", ["local", "dev"])
def test_environment_configuration_is_valid(env_name, tmp_path, monkeypatch):
    require_terraform_provider(monkeypatch)
    lines: list[str] = []

    code = terraform.validate(env_name, lines.append, repo_root=copy_infrastructure(tmp_path))

    assert code == 0, "\n".join(lines)


@pytest.mark.slow
def test_security_scan_has_no_failed_checks():
    lines: list[str] = []

    try:
        code = checkov.security_scan(lines.append)
    except terraform.TerraformError as exc:
        pytest.fail(str(exc))

    assert code == 0, "\n".join(lines)


def test_emulator_environment_points_terraform_at_the_emulator_with_test_keys():
    env = load_env("local")
    base = {"AWS_PROFILE": "prod", "AWS_ENDPOINT_URL_S3": "https://elsewhere.invalid", "PATH": "/bin"}

    process_env = terraform.terraform_env(env, endpoint_url="http://127.0.0.1:1234", base=base)

    assert process_env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1234"
    assert process_env["AWS_ACCESS_KEY_ID"] == "testing"
    assert process_env["AWS_REGION"] == env.aws_region
    assert "AWS_PROFILE" not in process_env
    assert "AWS_ENDPOINT_URL_S3" not in process_env


def test_emulator_environment_defaults_to_the_env_file_port():
    env = load_env("local")

    process_env = terraform.terraform_env(env, base={})

    assert process_env["AWS_ENDPOINT_URL"] == env.emulator_url()


def test_aws_environment_keeps_the_callers_credentials_and_endpoints():
    env = load_env("dev")
    base = {"AWS_PROFILE": "vectora-dev", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}

    process_env = terraform.terraform_env(env, base=base)

    assert process_env["AWS_PROFILE"] == "vectora-dev"
    assert process_env["AWS_ACCESS_KEY_ID"] == "AKIAEXAMPLE"
    assert "AWS_ENDPOINT_URL" not in process_env
    assert process_env["AWS_REGION"] == env.aws_region


def test_a_missing_cli_config_file_is_dropped(tmp_path):
    process_env = terraform.terraform_env(load_env("dev"), base={"TF_CLI_CONFIG_FILE": str(tmp_path / "none.tfrc")})

    assert "TF_CLI_CONFIG_FILE" not in process_env


def test_an_existing_cli_config_file_is_kept(tmp_path):
    cli_config = tmp_path / "mirror.tfrc"
    cli_config.write_text("provider_installation {\n  direct {}\n}\n")

    process_env = terraform.terraform_env(load_env("dev"), base={"TF_CLI_CONFIG_FILE": str(cli_config)})

    assert process_env["TF_CLI_CONFIG_FILE"] == str(cli_config)


def test_plugin_dir_comes_from_tf_plugin_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TF_PLUGIN_DIR", str(tmp_path))

    assert terraform.plugin_dir_args() == [f"-plugin-dir={tmp_path}"]


def test_a_missing_plugin_dir_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("TF_PLUGIN_DIR", str(tmp_path / "absent"))

    with pytest.raises(terraform.TerraformError, match="TF_PLUGIN_DIR"):
        terraform.plugin_dir_args()


def test_shared_environment_needs_its_backend_file(tmp_path):
    root = copy_infrastructure(tmp_path)

    ws = terraform.workspace("dev", repo_root=root)

    assert ws.backend == "s3"
    with pytest.raises(terraform.TerraformError, match="backend.hcl"):
        terraform._init(ws, lambda _: None, backend=True)


def test_local_environment_keeps_local_state(tmp_path):
    assert terraform.workspace("local", repo_root=copy_infrastructure(tmp_path)).backend == "local"


def test_unknown_environment_has_no_root_module(tmp_path):
    root = copy_infrastructure(tmp_path)
    (root / "env" / "staging.json").write_text((root / "env" / "dev.json").read_text().replace('"dev"', '"staging"'))

    with pytest.raises(terraform.TerraformError, match="terraform/envs/staging"):
        terraform.workspace("staging", repo_root=root)


def test_env_file_and_root_module_agree_on_the_environment_name():
    for env_dir in (REPO_ROOT / "terraform" / "envs").iterdir():
        main_tf = (env_dir / "main.tf").read_text()
        assert f"env/{env_dir.name}.json" in main_tf
        assert load_env(env_dir.name).name == env_dir.name


def test_provider_mirror_is_discovered_in_a_common_location(tmp_path):
    from toolkit.terraform import discover_plugin_dir

    provider = tmp_path / "tf-mirror" / "registry.terraform.io" / "hashicorp" / "aws"
    provider.mkdir(parents=True)
    assert discover_plugin_dir((str(tmp_path / "*" / "registry.terraform.io" / "hashicorp" / "aws"),)) == str(
        tmp_path / "tf-mirror"
    )


def test_no_mirror_means_the_registry(tmp_path):
    from toolkit.terraform import discover_plugin_dir

    assert discover_plugin_dir((str(tmp_path / "*" / "registry.terraform.io" / "hashicorp" / "aws"),)) is None


LOCKED_ROOTS = ("terraform/bootstrap", "terraform/envs/dev", "terraform/envs/local")


@pytest.mark.parametrize("root", LOCKED_ROOTS)
def test_every_root_commits_its_provider_lock_file_with_hashes_for_every_platform(root):
    # Without a committed lock file, a provider released between CI's plan job and its apply job makes the apply
    # job's `terraform init` pick it, and Terraform refuses the saved plan.
    import re
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", f"{root}/.terraform.lock.hcl"], cwd=REPO_ROOT, capture_output=True
    )
    assert tracked.returncode == 0, f"{root}/.terraform.lock.hcl is not committed"
    text = (REPO_ROOT / root / ".terraform.lock.hcl").read_text()
    [block] = re.findall(r'provider "registry.terraform.io/hashicorp/aws" \{(.*?)\n\}', text, re.S)
    assert re.search(r'version\s+=\s+"5\.\d+\.\d+"', block)
    assert len(re.findall(r'"zh:[0-9a-f]{64}"', block)) >= 14  # the registry's package sums, one per platform
    assert re.search(r'"h1:[A-Za-z0-9+/=]{44}"', block)


@pytest.mark.slow
def test_the_local_provider_mirror_holds_exactly_the_locked_provider(tmp_path, monkeypatch):
    import subprocess

    require_terraform_provider(monkeypatch)
    mirror = os.environ.get("TF_PLUGIN_DIR") or terraform.discover_plugin_dir()
    if not mirror:
        pytest.skip("no filesystem mirror here: the registry serves the locked provider (its zh: sums apply)")
    root = copy_infrastructure(tmp_path) / "terraform" / "envs" / "local"
    before = (root / ".terraform.lock.hcl").read_text()
    initialised = subprocess.run(
        ["terraform", "init", "-input=false", "-backend=false", f"-plugin-dir={mirror}"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert initialised.returncode == 0, initialised.stderr  # init accepts the mirror's package against the lock
    assert (root / ".terraform.lock.hcl").read_text() == before
    done = subprocess.run(
        ["terraform", "providers", "lock", f"-fs-mirror={mirror}", "-platform=linux_amd64"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (root / ".terraform.lock.hcl").read_text() == before  # the mirror's package hashes as locked


# --- a repeated `terraform init` is skipped while nothing it reads changed ----------------------------------------


@pytest.fixture
def init_runs(tmp_path, monkeypatch):
    """`terraform init` recorded instead of run: it leaves what a real init leaves (providers and a lock file)."""
    runs: list[list[str]] = []

    def fake_run(ws, args, printer, label, **kwargs):
        runs.append(list(args))
        (ws.directory / ".terraform" / "providers").mkdir(parents=True, exist_ok=True)
        (ws.directory / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/hashicorp/aws" {}\n')
        return 0

    monkeypatch.setattr(terraform, "_run", fake_run)
    monkeypatch.setattr(terraform, "plugin_dir_args", lambda: [])
    monkeypatch.setattr(terraform, "terraform_binary", lambda: str(Path(os.__file__)))
    return terraform.workspace("local", repo_root=copy_infrastructure(tmp_path)), runs


def test_a_second_init_with_nothing_changed_is_skipped(init_runs):
    ws, runs = init_runs

    terraform._init(ws, lambda _: None, backend=True)
    terraform._init(ws, lambda _: None, backend=True)

    assert len(runs) == 1


def test_init_runs_again_when_a_terraform_file_changes(init_runs):
    ws, runs = init_runs
    terraform._init(ws, lambda _: None, backend=True)

    module = ws.repo_root / "terraform" / "modules" / "engine_function" / "main.tf"
    module.write_text(module.read_text() + "\n# a change\n")
    terraform._init(ws, lambda _: None, backend=True)

    assert len(runs) == 2


def test_init_runs_again_with_other_arguments_or_without_its_working_directory(init_runs):
    ws, runs = init_runs
    terraform._init(ws, lambda _: None, backend=True)

    terraform._init(ws, lambda _: None, backend=False)  # validate's init, without the backend
    shutil.rmtree(ws.directory / ".terraform")
    terraform._init(ws, lambda _: None, backend=False)

    assert [("-backend=false" in args) for args in runs] == [False, True, True]


def test_the_provider_cache_links_each_platform_of_the_mirror(tmp_path):
    mirror = tmp_path / "mirror"
    platform = mirror / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64"
    platform.mkdir(parents=True)
    (platform / "terraform-provider-aws_v5.100.0_x5").write_bytes(b"\x7fELF")

    cache = provider_cache_linking(mirror, tmp_path / "cache")
    provider_cache_linking(mirror, tmp_path / "cache")  # a second worker finds the link there

    link = cache / platform.relative_to(mirror)
    assert link.is_symlink() and link.resolve() == platform.resolve()
    assert (link / "terraform-provider-aws_v5.100.0_x5").read_bytes() == b"\x7fELF"


PLAN_OUTPUT = """\
module.engine.data.aws_partition.current: Reading...
module.engine.data.aws_partition.current: Read complete after 0s [id=aws]
module.engine.aws_cloudwatch_log_group.this: Refreshing state... [id=/aws/lambda/vectora-inbox-engine-local]
module.engine.aws_lambda_function.this: Still reading... [10s elapsed]

No changes. Your infrastructure matches the configuration.
"""


def test_a_streamed_plan_shows_the_plan_and_keeps_the_progress_lines_in_the_log(tmp_path, monkeypatch):
    fake = tmp_path / "recorded-plan"  # prints a plan's output; not Terraform, so the fast subset may run it
    fake.write_text(f"#!/bin/sh\ncat <<'OUT'\n{PLAN_OUTPUT}OUT\n")
    fake.chmod(0o755)
    monkeypatch.setattr(terraform, "terraform_binary", lambda: str(fake))
    ws = terraform.workspace("local", repo_root=copy_infrastructure(tmp_path / "repo"))
    printed: list[str] = []

    terraform._run(ws, ["plan"], printed.append, "plan", stream=True)

    assert printed[1:-1] == ["  No changes. Your infrastructure matches the configuration."]
    assert printed[-1].endswith("(4 progress lines in .local/logs/terraform-local-plan.log)")
    assert "Refreshing state..." in terraform.log_file(ws, "plan").read_text()


@pytest.mark.parametrize(
    "line",
    [
        'module.a.aws_s3_bucket.b["x"]: Creation complete after 2s [id=vectora-inbox-data-local]',
        "aws_sqs_queue.runs: Still creating... [20s elapsed]",
        "aws_lambda_alias.live: Modifying... [id=live]",
    ],
)
def test_per_resource_progress_is_told_apart(line):
    assert terraform.is_progress_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "  # aws_lambda_alias.live will be updated in-place",
        "Plan: 0 to add, 1 to change, 0 to destroy.",
        "Error: reading S3 Bucket (vectora-inbox-data-local): Reading... failed",
    ],
)
def test_the_plan_itself_and_errors_are_not_progress(line):
    assert not terraform.is_progress_line(line)
