"""`--dry-run`: what a mutating task would change, printed, with nothing changed.

The release functions decide as they always do (the same reads, the same comparisons) and, given `dry_run=True`,
hand their decision to a function here instead of acting on it: no lease is taken, nothing is uploaded, published,
moved, applied, written or stopped. What would change is said as "would …"; every plan ends with
`NOTHING_CHANGED`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Printer = Callable[[str], None]

NOTHING_CHANGED = "dry run: nothing was changed"


def print_deploy_plan(
    env,
    printer: Printer,
    package,
    live_config: dict,
    latest_config: dict,
    code_sha256: str,
    changes,
    release,
    reasons: tuple[str, ...],
    versions: list[dict],
    live_label: str,
) -> None:
    """What `deploy` would do once it holds the lease: the config files it would write, then either the version it
    would publish (when `versions`, the published ones, are given) or the smoke test of live (`live_label`) it would
    run."""
    from vectora_core.layout import artifact_key

    config_bucket = env.lambda_environment["CONFIG_BUCKET"]
    live_version = live_config["Version"]
    written = [change for change in changes if change.status != "unchanged"]
    for change in written:
        printer(f"  would write s3://{config_bucket}/{change.key} ({change.status})")
    if not written:
        printer(f"  config   unchanged in s3://{config_bucket}/ (digest {release.digest[:12]})")
    if versions:
        next_version = next_version_number(versions)
        key = artifact_key(env.function_name, package.sha256)
        if latest_config["CodeSha256"] != code_sha256:
            printer(f"  would upload {Path(package.path).name} to s3://{env.artifacts_bucket}/{key}")
            printer(f"  would update $LATEST's code (sha256 {package.sha256[:12]}…)")
        printer(f"  would publish a new version (next number {next_version}) because of {'; '.join(reasons)}")
        printer(
            f"  would smoke-test version {next_version}, then move {env.alias_name}: {live_version} → {next_version}"
        )
    else:
        printer(f"  would smoke-test {live_label} with the config files, because of {'; '.join(reasons)}")
        printer(f"  {env.alias_name} stays on version {live_version}")
    printer(NOTHING_CHANGED)


def next_version_number(versions: list[dict]) -> str:
    """The number Lambda gives the next published version: one above the highest ever published."""
    numbers = [int(v["Version"]) for v in versions if str(v["Version"]).isdigit()]
    return str(max(numbers, default=0) + 1)


def print_rollback_plan(env, printer: Printer, current: str, target: str, target_label: str, forward: bool) -> None:
    """Where `rollback` would move the alias."""
    verb = "move forward" if forward else "roll back"
    printer(
        f"  would {verb} {env.alias_name}: {current} → {target} ({target_label}), then check it with a basic invocation"
    )
    printer(NOTHING_CHANGED)


def config_plan(s3, bucket: str, release, printer: Printer) -> list[str]:
    """The config files an upload would write to `bucket` (every one when the bucket does not exist yet)."""
    from .release_config import UNCHANGED, diff_config, read_current

    keys = [item.key for item in release.files]
    try:
        changes = diff_config(release, read_current(s3, bucket, keys))
    except s3.exceptions.NoSuchBucket:
        printer(
            f"  s3://{bucket}/ does not exist yet (`invoke tf.apply` creates it): all {len(keys)} file(s) would be written"
        )
        printer(NOTHING_CHANGED)
        return keys
    written = [change for change in changes if change.status != UNCHANGED]
    for change in written:
        printer(f"  would write s3://{bucket}/{change.key} ({change.status})")
    printer(f"  config: {len(changes)} file(s), {len(written)} would be written → s3://{bucket}/")
    printer(NOTHING_CHANGED)
    return keys


def new_file_plan(path: str, text: str, origin: str, printer: Printer) -> None:
    """The file a scaffold would write, in full."""
    printer(f"  would write {path} {origin}:")
    for line in text.splitlines():
        printer(f"    {line}")
    printer(NOTHING_CHANGED)


def stop_plan(services: list[tuple[str, Path]], warm_dir: Path, printer: Printer) -> None:
    """The local services (description, pid file) and warm execution environments `local.down` would stop."""
    running = [(description, pid_file.read_text().strip()) for description, pid_file in services if pid_file.exists()]
    for description, pid in running:
        printer(f"  would stop {description} (pid {pid})")
    warm = [p for p in Path(warm_dir).glob("*.json") if not p.name.endswith(".spec.json")]
    if warm:
        printer(f"  would stop up to {len(warm)} warm execution environment(s) of the local target")
    if not running and not warm:
        printer("  no local service started by the toolkit is running: nothing to stop")
    else:
        printer("  the emulator's state would be lost; the next command applies Terraform afresh")
    printer(NOTHING_CHANGED)


def apply_plan(target, printer: Printer, plan: Callable[..., int], *, plan_file: str | None = None) -> dict:
    """`plan` (terraform's) where `tf.apply` would apply; on a target that brings its stack up on demand (the
    emulator, its services up), then the config files it would upload. `target` is the env's `toolkit.target`."""
    from .errors import ToolkitError

    if plan_file:
        raise ToolkitError(
            f"a saved plan ({plan_file}) is applied exactly as it was planned",
            fix=f"`terraform show {plan_file}` shows it; `invoke tf.apply --dry-run` plans afresh",
        )
    env = target.env
    plan(env.name, printer=printer, endpoint_url=target.terraform_endpoint)
    if not target.stack_on_demand:
        printer(NOTHING_CHANGED + " (terraform plan above: what an apply would do)")
        return {}
    from .release_config import load_release_config

    release = load_release_config(feeds_base_url=target.feeds_base_url)
    config_plan(target.client("s3"), env.lambda_environment["CONFIG_BUCKET"], release, printer)
    return {}


def bootstrap_plan(s3, bucket: str, account: str, backend: Path, text: str, printer: Printer) -> str:
    """What `tf.bootstrap` would create and write."""
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
        printer(
            f"  state bucket s3://{bucket} exists: would (re)apply versioning, encryption and the public access block"
        )
    except Exception as exc:  # the same reading of head_bucket as the bootstrap itself
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
        printer(f"  would create state bucket s3://{bucket} (versioned, encrypted, public access blocked)")
    if backend.is_file() and backend.read_text() != text:
        printer(f"  would keep {backend.name} (it differs; the bucket above is {bucket})")
    elif backend.is_file():
        printer(f"  {backend.name} already says so")
    else:
        printer(f"  would write {backend.name} (use_lockfile = true)")
    printer(NOTHING_CHANGED)
    return bucket
