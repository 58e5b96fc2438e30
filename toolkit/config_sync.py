"""Upload `config/` to an environment's config bucket (keys are paths relative to `config/`).

The files are checked with the engine's parser first and only the ones that changed are written; see
`toolkit.release_config`, which `invoke deploy` uses the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .release_config import CONFIG_DIR, UNCHANGED, load_release_config, sync, with_sample_feeds  # noqa: F401


def config_files(config_dir: Path = CONFIG_DIR) -> list[Path]:
    return sorted(p for p in config_dir.rglob("*.yaml") if p.is_file())


def sync_config(
    s3,
    bucket: str,
    feeds_base_url: str | None = None,
    config_dir: Path = CONFIG_DIR,
    printer: Callable[[str], None] = lambda _: None,
    *,
    dry_run: bool = False,
) -> list[str]:
    """Validate, then upload the files that differ from the bucket's; returns every key. Raises
    ReleaseConfigError (naming file and field) before writing anything if a file is invalid. `dry_run` prints
    the files it would write and writes none."""
    release = load_release_config(config_dir, feeds_base_url)
    if dry_run:
        from .dry_run import config_plan

        return config_plan(s3, bucket, release, printer)
    changes = sync(s3, bucket, release)
    written = sum(change.status != UNCHANGED for change in changes)
    printer(f"  config: {len(changes)} file(s), {written} written → s3://{bucket}/")
    return [change.key for change in changes]
