"""`invoke client.new`: a new client's config scaffolded from an existing client's, checked before it is kept.

The new file starts as a copy of the template client's (its sources, watch domains, sections, minimum score and
schedule, comments included) with its own id and name, optionally another canonical scopes file (another field)
and schedule. It is checked with the engine's own parser together with the rest of `config/`; a mistake is named
by file and field and the file is not written, so nothing half-made is left in `config/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vectora_core import layout

from .release_config import CONFIG_DIR, ReleaseConfigError, read_config_dir, validate_config

# The engine accepts [a-z0-9_]{1,64}; the client's schedule name and its alarms (Terraform) take 40 characters.
CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")


class OnboardingError(ReleaseConfigError):
    """The new client cannot be scaffolded as asked."""


@dataclass(frozen=True)
class NewClient:
    client_id: str
    path: Path
    template: str


def _replace_line(text: str, key: str, value: str) -> str:
    pattern = re.compile(rf"^{re.escape(key)}:.*$", re.MULTILINE)
    if not pattern.search(text):
        raise OnboardingError(f"the template has no top-level {key}: line to replace")
    return pattern.sub(lambda _m: f"{key}: {value}", text, count=1)


def _yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scaffold_text(
    template_text: str,
    template_id: str,
    client_id: str,
    name: str,
    *,
    scopes: str | None = None,
    schedule: str | None = None,
    timezone: str | None = None,
    today: str | None = None,
) -> str:
    """The new client's YAML: the template's, with the header, id, name (and scopes, schedule) replaced."""
    body = template_text
    while body.startswith("#"):  # the template's own header says what the template client is
        body = body.split("\n", 1)[1] if "\n" in body else ""
    today = today or datetime.now(UTC).date().isoformat()
    header = (
        f"# {name}: scaffolded from {template_id} on {today} by `invoke client.new`.\n"
        "# Review the sources (production feed URLs), the watch domains, the sections and the schedule.\n"
    )
    text = header + body
    text = _replace_line(text, "client_id", client_id)
    text = _replace_line(text, "name", _yaml_string(name))
    if scopes:
        text = _replace_line(text, "scopes", scopes)
    if schedule:
        text = re.sub(
            r"^(\s+expression:).*$",
            lambda m: f"{m.group(1)} {_yaml_string(schedule)}",
            text,
            count=1,
            flags=re.MULTILINE,
        )
    if timezone:
        text = re.sub(r"^(\s+timezone:).*$", lambda m: f"{m.group(1)} {timezone}", text, count=1, flags=re.MULTILINE)
    return text


def new_client(
    client_id: str,
    template: str = "lai_weekly_v3",
    *,
    name: str | None = None,
    scopes: str | None = None,
    schedule: str | None = None,
    timezone: str | None = None,
    config_dir: Path = CONFIG_DIR,
    printer: Callable[[str], None] = print,
    dry_run: bool = False,
) -> NewClient:
    """Write `config/clients/<client_id>.yaml` from the template client's config, once it checks (`dry_run`:
    check it and print the file it would write, writing nothing)."""
    if not CLIENT_ID.match(client_id or ""):
        raise OnboardingError(
            f"client id {client_id!r}: use 1 to 40 lowercase letters, digits or underscores, starting with a letter or digit"
        )
    clients = config_dir / "clients"
    path = clients / f"{client_id}.yaml"
    if path.exists():
        raise OnboardingError(f"config/clients/{client_id}.yaml already exists: pick another id or edit that file")
    template_path = clients / f"{template}.yaml"
    if not template_path.is_file():
        known = ", ".join(sorted(p.stem for p in clients.glob("*.yaml"))) or "none"
        raise OnboardingError(f"no client {template!r} to start from; known clients: {known}")
    text = scaffold_text(
        template_path.read_text(encoding="utf-8"),
        template,
        client_id,
        name or client_id.replace("_", " ").title(),
        scopes=scopes,
        schedule=schedule,
        timezone=timezone,
    )
    texts = read_config_dir(config_dir)
    validate_config({**texts, layout.client_key(client_id): text})  # names file and field; nothing written yet
    if dry_run:
        from .dry_run import new_file_plan

        new_file_plan(f"config/clients/{client_id}.yaml", text, f"from {template} (it checks)", printer)
        return NewClient(client_id, path, template)
    path.write_text(text, encoding="utf-8")
    printer(f"  config/clients/{client_id}.yaml written from {template} (it checks)")
    printer("  next: edit its sources, watch domains and schedule, then `invoke config-sync` and `invoke tf.apply`")
    printer("        (the schedule); `invoke run` with a payload naming it makes a first edition on the emulator")
    return NewClient(client_id, path, template)
