"""Upload `config/` to an environment's config bucket (keys are paths relative to `config/`)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import yaml

from . import REPO_ROOT

CONFIG_DIR = REPO_ROOT / "config"


def config_files(config_dir: Path = CONFIG_DIR) -> list[Path]:
    return sorted(p for p in config_dir.rglob("*.yaml") if p.is_file())


def with_sample_feeds(text: str, feeds_base_url: str) -> str:
    """Point every source of a client config at the sample-feed server (the local environment only)."""
    data = yaml.safe_load(text)
    for source in data.get("sources", []):
        source["url"] = f"{feeds_base_url}/feeds/{source['id']}.xml"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def sync_config(
    s3,
    bucket: str,
    feeds_base_url: str | None = None,
    config_dir: Path = CONFIG_DIR,
    printer: Callable[[str], None] = lambda _: None,
) -> list[str]:
    keys = []
    for path in config_files(config_dir):
        key = path.relative_to(config_dir).as_posix()
        text = path.read_text(encoding="utf-8")
        if feeds_base_url and key.startswith("clients/"):
            text = with_sample_feeds(text, feeds_base_url)
        s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/yaml")
        keys.append(key)
    printer(f"  config: {len(keys)} file(s) → s3://{bucket}/")
    return keys
