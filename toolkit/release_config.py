"""Client configs, canonical scopes and prices as part of a release.

The engine reads them from the config bucket at every run, so they live outside the function's versions. A
release renders them for its environment (on `local`, each source points at the sample-feed server), checks
them with the engine's own parser before anything is uploaded, uploads only what changed, and records one
digest over them with the smoke verdict of the version they were tested with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from vectora_core.layout import CLIENTS_PREFIX, PRICES_KEY

from . import REPO_ROOT
from .errors import ToolkitError

CONFIG_DIR = REPO_ROOT / "config"
ADDED, CHANGED, UNCHANGED = "added", "changed", "unchanged"


class ReleaseConfigError(ToolkitError, ValueError):
    """A config file is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class ConfigFile:
    key: str  # the object key in the config bucket, the path relative to config/
    body: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class ConfigChange:
    key: str
    status: str  # added | changed | unchanged


@dataclass(frozen=True)
class ReleaseConfig:
    files: tuple[ConfigFile, ...]

    @property
    def digest(self) -> str:
        return config_digest(self.files)

    def file_digests(self) -> dict[str, str]:
        return {f.key: f.sha256 for f in self.files}


# --- pure functions -------------------------------------------------------------------------------------------


def config_digest(files: tuple[ConfigFile, ...] | list[ConfigFile]) -> str:
    """One sha256 over every file's key and bytes, independent of their order."""
    lines = sorted(f"{f.key}\0{f.sha256}" for f in files)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def with_sample_feeds(text: str, feeds_base_url: str) -> str:
    """Point every source of a client config at the sample-feed server (the local environment only)."""
    data = yaml.safe_load(text)
    for source in data.get("sources", []):
        source["url"] = f"{feeds_base_url}/feeds/{source['id']}.xml"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def render_config(texts: dict[str, str], feeds_base_url: str | None = None) -> ReleaseConfig:
    """The files as the config bucket should hold them, validated. `texts` maps keys to file contents."""
    validate_config(texts)
    files = []
    for key, text in sorted(texts.items()):
        if feeds_base_url and key.startswith(CLIENTS_PREFIX):
            text = with_sample_feeds(text, feeds_base_url)
        files.append(ConfigFile(key, text.encode("utf-8")))
    return ReleaseConfig(tuple(files))


def validate_config(texts: dict[str, str]) -> None:
    """Parse every client config with the canonical scopes it names, and the prices, as the engine would.

    Raises ReleaseConfigError naming the file and the field (the engine's own messages).
    """
    parser = _engine_parser()
    clients = sorted(key for key in texts if key.startswith(CLIENTS_PREFIX))
    if not clients:
        raise ReleaseConfigError("config/clients/ holds no client config (clients/<client_id>.yaml)")

    for key in clients:

        def load_scopes(scopes_key: str, client_key: str = key):
            if scopes_key not in texts:
                raise parser.ConfigError(f"{client_key}: scopes: {scopes_key} is not among the config files")
            return parser.parse_scopes(texts[scopes_key], scopes_key)

        try:
            config = parser.parse_client_config(texts[key], key, load_scopes)
        except parser.ConfigError as exc:
            raise ReleaseConfigError(f"config/{exc}") from None  # the engine's message starts with the file
        expected = key.removeprefix(CLIENTS_PREFIX).removesuffix(".yaml")
        if config.client_id != expected:
            raise ReleaseConfigError(
                f"config/{key}: client_id: is {config.client_id!r}, the file name says {expected!r}"
            )
    if PRICES_KEY in texts:
        validate_prices(texts[PRICES_KEY])


def validate_prices(text: str, key: str = PRICES_KEY) -> None:
    """`models: {<model id>: {input_per_million: number, output_per_million: number, ...}}`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReleaseConfigError(f"config/{key}: not valid YAML ({str(exc).splitlines()[0]})") from None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict) or not models:
        raise ReleaseConfigError(f"config/{key}: models: must be a mapping of model ids to prices")
    for model_id, prices in models.items():
        for field in ("input_per_million", "output_per_million"):
            value = prices.get(field) if isinstance(prices, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ReleaseConfigError(f"config/{key}: models.{model_id}.{field}: must be a number of USD, 0 or more")


def diff_config(release: ReleaseConfig, current: dict[str, bytes | None]) -> list[ConfigChange]:
    """What an upload would change, file by file. `current` maps keys to the bucket's bytes (None: absent)."""
    changes = []
    for item in release.files:
        existing = current.get(item.key)
        status = ADDED if existing is None else UNCHANGED if existing == item.body else CHANGED
        changes.append(ConfigChange(item.key, status))
    return changes


def describe_changes(changes: list[ConfigChange]) -> str:
    """`clients/x.yaml changed; canonical/y.yaml unchanged`, changed files first."""
    order = {CHANGED: 0, ADDED: 1, UNCHANGED: 2}
    return "; ".join(f"{c.key} {c.status}" for c in sorted(changes, key=lambda c: (order[c.status], c.key)))


# --- edges ----------------------------------------------------------------------------------------------------


def read_config_dir(config_dir: Path = CONFIG_DIR) -> dict[str, str]:
    """Every YAML file under config/, keyed by its path relative to it."""
    return {
        path.relative_to(config_dir).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(config_dir.rglob("*.yaml"))
        if path.is_file()
    }


def load_release_config(config_dir: Path = CONFIG_DIR, feeds_base_url: str | None = None) -> ReleaseConfig:
    return render_config(read_config_dir(config_dir), feeds_base_url)


def read_current(s3, bucket: str, keys: list[str]) -> dict[str, bytes | None]:
    """The config bucket's bytes for `keys` (None where absent). Raises NoSuchBucket if the bucket is missing."""
    current: dict[str, bytes | None] = {}
    for key in keys:
        try:
            current[key] = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            current[key] = None
    return current


def upload_changes(s3, bucket: str, release: ReleaseConfig, changes: list[ConfigChange]) -> list[str]:
    """Put the added and changed files; returns their keys."""
    changed = {c.key for c in changes if c.status != UNCHANGED}
    for item in release.files:
        if item.key in changed:
            s3.put_object(Bucket=bucket, Key=item.key, Body=item.body, ContentType="application/yaml")
    return sorted(changed)


def restore_config(s3, bucket: str, previous: dict[str, bytes | None], keys: list[str]) -> None:
    """Put back what the bucket held before an upload (deleting files the upload added)."""
    for key in keys:
        before = previous.get(key)
        if before is None:
            s3.delete_object(Bucket=bucket, Key=key)
        else:
            s3.put_object(Bucket=bucket, Key=key, Body=before, ContentType="application/yaml")


def sync(
    s3, bucket: str, release: ReleaseConfig, printer: Callable[[str], None] = lambda _: None
) -> list[ConfigChange]:
    """Upload what changed and print one line per file."""
    changes = diff_config(release, read_current(s3, bucket, [f.key for f in release.files]))
    upload_changes(s3, bucket, release, changes)
    for change in changes:
        printer(f"    {change.key}: {change.status}")
    return changes


def _engine_parser():
    """The engine's config parser (lambda_src/vectora_core/client_config.py), imported on first use."""
    from vectora_core import client_config

    return client_config
