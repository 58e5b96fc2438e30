"""Terraform for an environment: init, plan, apply, outputs, and the static checks CI runs (fmt, validate).

Each environment's root module is `terraform/envs/<env>`; it reads `env/<env>.json` itself, so the toolkit passes
only the package path. Providers come from the registry, or from a local directory named by `TF_PLUGIN_DIR`
(`terraform init -plugin-dir`), or from whatever `TF_CLI_CONFIG_FILE` configures.

`apply` prints one line per command with its time; Terraform's full output goes to `.local/logs/terraform-<env>-
<command>.log` (printed on failure, or streamed with `verbose`, `--verbose` or VECTORA_VERBOSE=1).

Where Terraform's AWS provider goes is the environment's target's business (`toolkit.target`): its endpoint and
credentials, and what must hold before a plan or an apply (on the emulator: the local services up, and a state the
restarted emulator no longer matches dropped). checkov, the security scan of the same modules, is `toolkit.checkov`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import REPO_ROOT, terraform_init
from .envfile import EnvFile, load_env
from .errors import ToolkitError
from .target import open_target

Printer = Callable[[str], None]

LOCK_TIMEOUT = "120s"
# Each environment's root module exposes the stack module's outputs as this one object.
STACK_OUTPUT = "stack"
_BACKEND = re.compile(r'^\s*backend\s+"([a-z0-9_]+)"', re.MULTILINE)
_APPLY_SUMMARY = re.compile(r"Resources: (\d+) added, (\d+) changed, (\d+) destroyed")
LOG_DIR = Path(".local") / "logs"
STATE_FILE = "terraform.tfstate"


def verbose_by_default() -> bool:
    """True when VECTORA_VERBOSE asks for Terraform's full output on the screen."""
    return os.environ.get("VECTORA_VERBOSE", "").strip().lower() not in ("", "0", "false", "no")


class TerraformError(ToolkitError, RuntimeError):
    """Terraform is missing, or one of its commands failed."""


@dataclass(frozen=True)
class Workspace:
    """Where and how Terraform runs for one environment."""

    env: EnvFile
    repo_root: Path
    directory: Path
    process_env: dict[str, str]

    @property
    def backend(self) -> str:
        """Backend type declared by the root module (`local` when none is)."""
        for path in sorted(self.directory.glob("*.tf")):
            match = _BACKEND.search(path.read_text())
            if match:
                return match.group(1)
        return "local"

    @property
    def state_path(self) -> Path:
        """The local state file (read only when the backend is `local`)."""
        return self.directory / STATE_FILE


def terraform_env(env: EnvFile, *, endpoint_url: str | None = None, base: Mapping[str, str] | None = None) -> dict:
    """Process environment for Terraform: the env file's Region, then what the target adds (for the emulator: its
    endpoint, or `endpoint_url`, and fake keys)."""
    process_env = _base_env(base)
    process_env["AWS_REGION"] = process_env["AWS_DEFAULT_REGION"] = env.aws_region
    return open_target(env).terraform_environment(process_env, endpoint_url)


def _base_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    process_env = dict(os.environ if base is None else base)
    process_env.update(TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
    # Terraform and its AWS provider are Go programs that spend about a fifth of a plan's CPU collecting garbage
    # while they load the provider's schema; a laxer target (~50 MB more memory) saves most of it. The user's wins.
    process_env.setdefault("GOGC", "400")
    cli_config = process_env.get("TF_CLI_CONFIG_FILE")
    if cli_config and not Path(cli_config).is_file():
        # Terraform only warns about a missing CLI config, on every command; it configures nothing.
        del process_env["TF_CLI_CONFIG_FILE"]
    return process_env


def workspace(
    env_name: str | None = None, *, repo_root: Path | None = None, endpoint_url: str | None = None
) -> Workspace:
    root = Path(repo_root or REPO_ROOT)
    env = load_env(env_name, env_dir=root / "env")
    directory = root / "terraform" / "envs" / env.name
    if not directory.is_dir():
        raise TerraformError(f"no Terraform root module for {env.name!r} (expected terraform/envs/{env.name})")
    return Workspace(env, root, directory, terraform_env(env, endpoint_url=endpoint_url))


def terraform_binary() -> str:
    binary = shutil.which(os.environ.get("TERRAFORM", "terraform"))
    if not binary:
        raise TerraformError("terraform is not on PATH: install Terraform 1.11 or later (or set TERRAFORM)")
    return binary


# Where machines without registry access commonly keep a provider mirror (Terraform's own implied
# mirror directories need no help: it searches them itself).
MIRROR_GLOBS = ("/opt/*/registry.terraform.io/hashicorp/aws", "/usr/local/*/registry.terraform.io/hashicorp/aws")


def discover_plugin_dir(globs: tuple[str, ...] = MIRROR_GLOBS) -> str | None:
    """A local provider mirror holding hashicorp/aws, for `terraform init -plugin-dir`; None if there is none."""
    import glob

    for pattern in globs:
        for provider in sorted(glob.glob(pattern)):
            return str(Path(provider).parents[2])
    return None


def _cli_config_usable() -> bool:
    path = os.environ.get("TF_CLI_CONFIG_FILE")
    return bool(path) and Path(path).is_file()


def plugin_dir_args() -> list[str]:
    """`-plugin-dir` from TF_PLUGIN_DIR, for machines whose providers sit in a local mirror instead of the registry.

    Without TF_PLUGIN_DIR or a CLI config, a mirror in a common install location is used if there is one.
    """
    plugin_dir = os.environ.get("TF_PLUGIN_DIR")
    if not plugin_dir and not _cli_config_usable():
        plugin_dir = discover_plugin_dir()
    if not plugin_dir:
        return []
    if not Path(plugin_dir).is_dir():
        raise TerraformError(f"TF_PLUGIN_DIR={plugin_dir} is not a directory")
    return [f"-plugin-dir={plugin_dir}"]


# --- commands -----------------------------------------------------------------------------------------------


def init(
    env_name: str | None = None,
    printer: Printer = print,
    *,
    repo_root: Path | None = None,
    endpoint_url: str | None = None,
    backend: bool = True,
) -> Workspace:
    """`terraform init` for the environment (local state, or the S3 backend configured by backend.hcl)."""
    ws = workspace(env_name, repo_root=repo_root, endpoint_url=endpoint_url)
    _init(ws, printer, backend=backend)
    return ws


def plan(
    env_name: str | None = None,
    detailed_exitcode: bool = False,
    printer: Printer = print,
    *,
    repo_root: Path | None = None,
    endpoint_url: str | None = None,
    package_path: Path | None = None,
    out: Path | str | None = None,
    summary: Path | str | None = None,
    verbose: bool = True,
) -> int:
    """`terraform plan`; returns 0, or 2 with `detailed_exitcode` when there are changes. Raises on errors.

    `out` saves the plan for a later `apply(plan_file=...)`; `summary` appends a Markdown account of the plan to
    that file (CI passes the job summary, `$GITHUB_STEP_SUMMARY`). The plan is what the caller asked to see, so
    it is printed unless `verbose` is false.
    """
    ws = _ready(env_name, printer, repo_root, endpoint_url)
    args = ["plan", "-input=false", f"-lock-timeout={LOCK_TIMEOUT}", *_package_var(ws, package_path, printer)]
    if detailed_exitcode:
        args.append("-detailed-exitcode")
    if out or summary:
        out = Path(out).resolve() if out else ws.directory / f"{ws.env.name}.tfplan"
        args.append(f"-out={out}")
    code = _run(ws, args, printer, "plan", ok_codes=(0, 2) if detailed_exitcode else (0,), stream=verbose)
    if detailed_exitcode:
        printer("  no changes" if code == 0 else "  changes pending")
    if summary:
        with open(summary, "a", encoding="utf-8") as stream:
            stream.write(plan_summary_markdown(ws.env.name, _show_json(ws, out), _show_text(ws, out)))
        printer(f"  plan summary appended to {summary}")
    return code


def apply(
    env_name: str | None = None,
    printer: Printer = print,
    *,
    repo_root: Path | None = None,
    endpoint_url: str | None = None,
    package_path: Path | None = None,
    plan_file: Path | str | None = None,
    verbose: bool | None = None,
) -> dict:
    """Build the package, `terraform apply` the environment, and return the stack's outputs.

    With `plan_file` (saved by `plan(out=...)`), apply exactly that plan: Terraform refuses it if the state
    changed since. The package is rebuilt first (reproducibly, so the planned zip is there again, byte for byte).
    One line per command unless `verbose` (default: VECTORA_VERBOSE); the full output is in the log file.
    """
    ws = _ready(env_name, printer, repo_root, endpoint_url)
    if plan_file:
        plan_path = Path(plan_file).resolve()
        if not plan_path.is_file():
            raise TerraformError(
                f"no saved plan at {plan_file}: run `invoke tf.plan --env {ws.env.name} --out {plan_file}`"
            )
        _package_var(ws, package_path, printer)
        args = ["apply", "-input=false", f"-lock-timeout={LOCK_TIMEOUT}", str(plan_path)]
    else:
        args = [
            "apply", "-input=false", "-auto-approve", f"-lock-timeout={LOCK_TIMEOUT}",
            *_package_var(ws, package_path, printer),
        ]  # fmt: skip
    _run(ws, args, printer, "apply", stream=verbose_by_default() if verbose is None else verbose)
    return _outputs(ws)


def outputs(env_name: str | None = None, *, repo_root: Path | None = None, endpoint_url: str | None = None) -> dict:
    """The stack's outputs (function_name, alias_arn, role_name, bucket_names, ...); empty before the first apply."""
    return _outputs(workspace(env_name, repo_root=repo_root, endpoint_url=endpoint_url))


def fmt_check(printer: Printer = print, *, repo_root: Path | None = None) -> int:
    """`terraform fmt -check -recursive`; 0 when every file is formatted, otherwise the offending files are printed."""
    root = Path(repo_root or REPO_ROOT)
    completed = subprocess.run(
        [terraform_binary(), "fmt", "-check", "-recursive", "-no-color", "terraform"],
        cwd=root,
        capture_output=True,
        text=True,
        env=_base_env(),
    )
    for line in completed.stdout.splitlines():
        printer(f"  not formatted: terraform/{line}")
    printer("terraform fmt: " + ("clean" if completed.returncode == 0 else "run `terraform fmt -recursive terraform`"))
    return completed.returncode


def validate(env_name: str | None = None, printer: Printer = print, *, repo_root: Path | None = None) -> int:
    """`terraform validate` of the environment's root module (no backend, no credentials needed)."""
    ws = workspace(env_name, repo_root=repo_root)
    _init(ws, printer, backend=False)
    return _run(ws, ["validate"], printer, "validate", ok_codes=(0, 1))


BOOTSTRAP_DIR = Path("terraform") / "bootstrap"


def validate_bootstrap(printer: Printer = print, *, repo_root: Path | None = None) -> int:
    """`terraform validate` of the one-time CI set-up (terraform/bootstrap: OIDC provider and deploy roles)."""
    root = Path(repo_root or REPO_ROOT)
    ws = Workspace(load_env("dev", env_dir=root / "env"), root, root / BOOTSTRAP_DIR, _base_env())
    _init(ws, printer, backend=False)
    return _run(ws, ["validate"], printer, "validate-bootstrap", ok_codes=(0, 1))


# --- CI: saved plans, their summary, backend settings from variables, a provider mirror ---------------------

# CI has no backend.hcl: the state bucket comes from this variable (a repository variable), the rest is fixed.
STATE_BUCKET_VARIABLE = "TF_STATE_BUCKET"


def backend_settings(ws: Workspace) -> dict[str, str]:
    """The S3 backend settings backend.hcl.example documents, with the bucket from TF_STATE_BUCKET."""
    return {
        "bucket": ws.process_env[STATE_BUCKET_VARIABLE],
        "key": f"vectora-inbox/{ws.env.name}/terraform.tfstate",
        "region": ws.process_env.get("TF_STATE_REGION", ws.env.aws_region),
        "encrypt": "true",
        "use_lockfile": "true",
    }


def plan_summary_markdown(env_name: str, plan_json: dict, plan_text: str, *, max_chars: int = 60_000) -> str:
    """A Markdown account of a saved plan: counts per action, the changed resources, then the full plan folded."""
    changes = [
        (change["address"], "/".join(a for a in change["change"]["actions"]))
        for change in plan_json.get("resource_changes", [])
        if change["change"]["actions"] not in (["no-op"], ["read"])
    ]
    counts = {"create": 0, "update": 0, "delete": 0, "delete/create": 0, "create/delete": 0}
    for _, action in changes:
        counts[action] = counts.get(action, 0) + 1
    replaced = counts.pop("delete/create") + counts.pop("create/delete")
    headline = (
        f"{counts['create']} to add, {counts['update']} to change, {counts['delete']} to destroy, {replaced} to replace"
        if changes
        else "no changes"
    )
    lines = [f"### terraform plan: `{env_name}`", "", f"**{headline}**", ""]
    if changes:
        lines += ["| resource | action |", "|---|---|"]
        lines += [f"| `{address}` | {action} |" for address, action in changes]
        lines.append("")
    if len(plan_text) > max_chars:
        plan_text = plan_text[:max_chars] + "\n... (cut; the whole plan is in the job log)"
    lines += ["<details><summary>full plan</summary>", "", "```", plan_text.rstrip(), "```", "", "</details>", ""]
    return "\n".join(lines)


def mirror_providers(directory: Path | str, printer: Printer = print, *, repo_root: Path | None = None) -> Path:
    """`terraform providers mirror` of the local environment's providers into `directory`, for TF_PLUGIN_DIR.

    Lets the test suite, which never reaches a registry from its Terraform runs, find the provider on a fresh
    CI runner.
    """
    ws = workspace("local", repo_root=repo_root)
    target = Path(directory).resolve()
    target.mkdir(parents=True, exist_ok=True)
    _run(ws, ["providers", "mirror", str(target)], printer, "providers-mirror")
    printer(f"TF_PLUGIN_DIR={target}")
    return target


def _show_json(ws: Workspace, plan_path: Path) -> dict:
    completed = subprocess.run(
        [terraform_binary(), "show", "-json", str(plan_path)],
        cwd=ws.directory,
        env=ws.process_env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise TerraformError(f"terraform show ({ws.env.name}) failed: {completed.stderr.strip()}")
    return json.loads(completed.stdout)


def _show_text(ws: Workspace, plan_path: Path) -> str:
    completed = subprocess.run(
        [terraform_binary(), "show", "-no-color", str(plan_path)],
        cwd=ws.directory,
        env=ws.process_env,
        capture_output=True,
        text=True,
    )
    return completed.stdout


# --- internals ----------------------------------------------------------------------------------------------


def _ready(env_name: str | None, printer: Printer, repo_root: Path | None, endpoint_url: str | None) -> Workspace:
    ws = workspace(env_name, repo_root=repo_root, endpoint_url=endpoint_url)
    # An explicit endpoint points Terraform at an emulator someone else runs: nothing of this env's to start.
    open_target(ws.env).prepare_terraform(ws, printer, start_services=endpoint_url is None)
    _init(ws, printer, backend=True)
    return ws


def _init(ws: Workspace, printer: Printer, *, backend: bool) -> None:
    args = ["init", "-input=false", "-reconfigure", *plugin_dir_args()]
    if not backend:
        args.append("-backend=false")
    elif ws.backend != "local":
        backend_file = ws.directory / "backend.hcl"
        if backend_file.exists():
            args.append(f"-backend-config={backend_file.name}")
        elif ws.process_env.get(STATE_BUCKET_VARIABLE):
            args.extend(f"-backend-config={key}={value}" for key, value in backend_settings(ws).items())
        else:
            raise TerraformError(
                f"terraform/envs/{ws.env.name}/backend.hcl is missing: copy backend.hcl.example and fill in the "
                f"state bucket, or set {STATE_BUCKET_VARIABLE}"
            )

    # Skipped while nothing init reads changed since it last succeeded here (see terraform_init).
    def stamp() -> str:
        cli_config = ws.process_env.get("TF_CLI_CONFIG_FILE")
        return terraform_init.fingerprint(
            ws.directory, ws.repo_root / "terraform", args, terraform_binary(), cli_config
        )

    if terraform_init.is_current(ws.directory, stamp()):
        return
    _run(ws, args, printer, "init")
    terraform_init.record(ws.directory, stamp())


def _package_var(ws: Workspace, package_path: Path | None, printer: Printer) -> list[str]:
    if package_path is None:
        from .packaging import build_package

        package_path = build_package(ws.env.name, env=ws.env, printer=printer).path
    return [f"-var=package_path={Path(package_path).resolve()}"]


def log_file(ws: Workspace, label: str) -> Path:
    return ws.repo_root / LOG_DIR / f"terraform-{ws.env.name}-{label}.log"


# Terraform's per-resource progress ("Reading...", "Refreshing state... [id=...]", "Still creating... [10s
# elapsed]"): one line per resource on every plan, noise beside the plan itself, so they stay in the log only.
_PROGRESS = re.compile(
    r"^\S+: (Reading\.\.\.|Read complete after \S+.*|Refreshing state\.\.\.( \[id=.*\])?|Still \w+\.\.\. \[.*elapsed\]"
    r"|Creating\.\.\.|Creation complete after \S+.*|Modifying\.\.\.( \[id=.*\])?|Modifications complete after \S+.*"
    r"|Destroying\.\.\.( \[id=.*\])?|Destruction complete after \S+)$"
)


def is_progress_line(line: str) -> bool:
    """Whether `line` of Terraform's output only reports progress on one resource."""
    return _PROGRESS.match(line.strip()) is not None


def _run(
    ws: Workspace,
    args: Sequence[str],
    printer: Printer,
    label: str,
    *,
    ok_codes: Sequence[int] = (0,),
    stream: bool = False,
) -> int:
    """Run one terraform command in the environment's directory; its output goes to a log file and, when
    `stream`, to the printer. Prints one line with the time (and the last lines of the log on failure)."""
    started = time.perf_counter()
    log_path = log_file(ws, label)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if stream:
        printer(f"terraform {label} ({ws.env.name}) ...")
    process = subprocess.Popen(
        [terraform_binary(), *args, "-no-color"],
        cwd=ws.directory,
        env=ws.process_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    captured: list[str] = []
    hidden = 0
    assert process.stdout is not None
    with log_path.open("w") as log:
        log.write(f"$ terraform {' '.join(args)}\n")
        for line in process.stdout:
            log.write(line)
            line = line.rstrip()
            captured.append(line)
            if line and stream:
                if is_progress_line(line):
                    hidden += 1
                else:
                    printer(f"  {line}")
    code = process.wait()
    seconds = time.perf_counter() - started
    shown = log_path.relative_to(ws.repo_root)
    if code not in ok_codes:
        if not stream:
            for line in [line for line in captured if line.strip()][-40:]:
                printer(f"  {line}")
        raise TerraformError(
            f"terraform {label} ({ws.env.name}) failed with exit code {code} after {seconds:.1f} s; full output: {shown}"
        )
    summary = _APPLY_SUMMARY.search("\n".join(captured)) if label == "apply" else None
    changes = f": {summary.group(1)} added, {summary.group(2)} changed, {summary.group(3)} destroyed" if summary else ""
    where = f" ({hidden} progress lines in {shown})" if hidden else ""
    printer(
        f"terraform {label} ({ws.env.name}){changes} in {seconds:.1f} s" + (where if stream else f" (log: {shown})")
    )
    return code


def _outputs(ws: Workspace) -> dict:
    # A local state holds the outputs exactly as `terraform output` reads them: reading it saves a Terraform start.
    state = ws.state_path
    if ws.backend == "local" and state.is_file():
        return json.loads(state.read_text() or "{}").get("outputs", {}).get(STACK_OUTPUT, {}).get("value", {})
    completed = subprocess.run(
        [terraform_binary(), "output", "-json", "-no-color"],
        cwd=ws.directory,
        env=ws.process_env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise TerraformError(f"terraform output ({ws.env.name}) failed: {completed.stderr.strip()}")
    values = {name: item["value"] for name, item in json.loads(completed.stdout or "{}").items()}
    return values.get(STACK_OUTPUT, {})
