"""Client configuration and canonical scopes: YAML in the config bucket, schema-checked.

Errors name the file and the field, e.g. `clients/lai_weekly_v3.yaml: sources[2].url: is required`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from .models import ClientConfig, Entity, EventRule, Scopes, Section, Source, WatchDomain

# libyaml's safe loader when the wheel has it (it does on Lambda): several times faster than pure Python.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SOURCE_KINDS = ("company", "trade_press", "regulator")
COMPANY_CATEGORIES = ("pure_player", "big_pharma")
_ID = re.compile(r"^[a-z0-9_]{1,64}$")


class ConfigError(ValueError):
    """A config file is missing a field or holds a bad value."""


class ClientNotFound(LookupError):
    """No configuration exists for the requested client."""


class _Checker:
    """Collects problems as `field: message` so one error lists them all."""

    def __init__(self, file_key: str):
        self.file_key = file_key
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def get(
        self, data: Any, key: str, path: str, kind: type | tuple[type, ...], required: bool = True, default: Any = None
    ) -> Any:
        if not isinstance(data, dict):
            self.fail(path or "(top)", "must be a mapping")
            return default
        if key not in data or data[key] is None:
            if required:
                self.fail(f"{path}{key}", "is required")
            return default
        value = data[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            self.fail(f"{path}{key}", f"must be {_kind_name(kind)}")
            return default
        if not isinstance(value, kind):
            self.fail(f"{path}{key}", f"must be {_kind_name(kind)}")
            return default
        return value

    def strings(self, data: Any, key: str, path: str, required: bool = False) -> tuple[str, ...]:
        values = self.get(data, key, path, list, required=required, default=[])
        if not all(isinstance(v, str) and v.strip() for v in values):
            self.fail(f"{path}{key}", "must be a list of non-empty strings")
            return ()
        return tuple(values)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(f"{self.file_key}: " + "; ".join(self.problems))


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "a mapping",
        bool: "a boolean",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _load_yaml(text: str, file_key: str) -> Any:
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file_key}: not valid YAML ({str(exc).splitlines()[0]})") from None


def _entities(check: _Checker, data: dict, key: str, categories: tuple[str, ...] | None) -> tuple[Entity, ...]:
    entries = check.get(data, key, "", list, default=[])
    result = []
    for i, entry in enumerate(entries):
        path = f"{key}[{i}]."
        name = check.get(entry, "name", path, str)
        aliases = check.strings(entry, "aliases", path)
        category = check.get(entry, "category", path, str, required=False, default="")
        if categories is not None and category not in categories:
            check.fail(f"{path}category", f"must be one of {', '.join(categories)}")
        if name:
            result.append(Entity(name=name, aliases=tuple(dict.fromkeys((name, *aliases))), category=category or ""))
    return tuple(result)


def parse_scopes(text: str, file_key: str) -> Scopes:
    data = _load_yaml(text, file_key)
    check = _Checker(file_key)
    if not isinstance(data, dict):
        raise ConfigError(f"{file_key}: must be a mapping")
    version = check.get(data, "version", "", (str, int, float))
    companies = _entities(check, data, "companies", COMPANY_CATEGORIES)
    molecules = _entities(check, data, "molecules", None)
    trademarks = _entities(check, data, "trademarks", None)
    technologies = _entities(check, data, "technologies", None)
    rules = []
    for i, entry in enumerate(check.get(data, "event_types", "", list, default=[])):
        path = f"event_types[{i}]."
        event_type = check.get(entry, "type", path, str)
        weight = check.get(entry, "weight", path, (int, float), default=1.0)
        keywords = check.strings(entry, "keywords", path)
        decisive = check.strings(entry, "decisive", path)
        if event_type:
            rules.append(EventRule(event_type=event_type, keywords=keywords, weight=float(weight), decisive=decisive))
    if rules and "other" not in {r.event_type for r in rules}:
        check.fail("event_types", "must include the fallback type 'other'")
    vocabulary = check.strings(data, "vocabulary", "")
    other_senses = check.strings(data, "other_senses", "")
    field = check.get(data, "field", "", dict, required=False, default={})
    field_name = check.get(field, "name", "field.", str, default="") if field else ""
    field_subject = check.get(field, "subject", "field.", str, default="") if field else ""
    field_not_subject = check.get(field, "not_subject", "field.", str, required=False, default="") if field else ""
    check.raise_if_any()
    return Scopes(
        version=str(version),
        companies=companies,
        molecules=molecules,
        trademarks=trademarks,
        technologies=technologies,
        event_types=tuple(rules),
        vocabulary=vocabulary,
        other_senses=other_senses,
        field_name=field_name.strip(),
        field_subject=field_subject.strip(),
        field_not_subject=field_not_subject.strip(),
        key=file_key,
    )


def parse_client_config(text: str, file_key: str, load_scopes: Callable[[str], Scopes]) -> ClientConfig:
    """Parse a client YAML; `load_scopes(key)` returns the canonical scopes it refers to."""
    data = _load_yaml(text, file_key)
    check = _Checker(file_key)
    if not isinstance(data, dict):
        raise ConfigError(f"{file_key}: must be a mapping")
    client_id = check.get(data, "client_id", "", str)
    if client_id and not _ID.match(client_id):
        check.fail("client_id", "must match [a-z0-9_]{1,64}")
    name = check.get(data, "name", "", str)
    language = check.get(data, "language", "", str, required=False, default="en")
    period = check.get(data, "default_period_days", "", int, default=7)
    if not 1 <= period <= 90:
        check.fail("default_period_days", "must be from 1 to 90")
    min_score = check.get(data, "min_score", "", (int, float), required=False, default=0.0)
    scopes_key = check.get(data, "scopes", "", str)
    schedule = check.get(data, "schedule", "", dict, required=False, default={})
    expression = check.get(schedule, "expression", "schedule.", str, required=False, default="") if schedule else ""

    sources = []
    seen_sources: set[str] = set()
    for i, entry in enumerate(check.get(data, "sources", "", list, default=[])):
        path = f"sources[{i}]."
        source_id = check.get(entry, "id", path, str)
        url = check.get(entry, "url", path, str)
        kind = check.get(entry, "kind", path, str, default="trade_press")
        priority = check.get(entry, "priority", path, (int, float), required=False, default=1.0)
        if source_id and not _ID.match(source_id):
            check.fail(f"{path}id", "must match [a-z0-9_]{1,64}")
        if source_id in seen_sources:
            check.fail(f"{path}id", f"duplicate source id {source_id!r}")
        seen_sources.add(source_id)
        if url and not url.startswith(("http://", "https://")):
            check.fail(f"{path}url", "must be an http(s) URL")
        if kind not in SOURCE_KINDS:
            check.fail(f"{path}kind", f"must be one of {', '.join(SOURCE_KINDS)}")
        if not 0.1 <= float(priority) <= 5:
            check.fail(f"{path}priority", "must be from 0.1 to 5")
        if source_id and url:
            sources.append(
                Source(
                    source_id=source_id,
                    name=check.get(entry, "name", path, str, required=False, default=source_id),
                    url=url,
                    kind=kind,
                    priority=float(priority),
                )
            )
    if not sources and not any(p.startswith("sources") for p in check.problems):
        check.fail("sources", "must list at least one source")

    domains = []
    for i, entry in enumerate(check.get(data, "watch_domains", "", list, default=[])):
        path = f"watch_domains[{i}]."
        domain_id = check.get(entry, "id", path, str)
        domains.append(
            WatchDomain(
                domain_id=domain_id or f"domain_{i}",
                title=check.get(entry, "title", path, str, default=domain_id or ""),
                companies=check.strings(entry, "companies", path),
                molecules=check.strings(entry, "molecules", path),
                trademarks=check.strings(entry, "trademarks", path),
                technologies=check.strings(entry, "technologies", path),
                weight=float(check.get(entry, "weight", path, (int, float), required=False, default=1.0)),
            )
        )

    sections = []
    for i, entry in enumerate(check.get(data, "sections", "", list, default=[])):
        path = f"sections[{i}]."
        max_items = check.get(entry, "max_items", path, int, default=3)
        if not 1 <= max_items <= 20:
            check.fail(f"{path}max_items", "must be from 1 to 20")
        sections.append(
            Section(
                section_id=check.get(entry, "id", path, str, default=f"section_{i}"),
                title=check.get(entry, "title", path, str, default=""),
                event_types=check.strings(entry, "event_types", path),
                max_items=max_items,
            )
        )
    if not sections and not any(p.startswith("sections") for p in check.problems):
        check.fail("sections", "must list at least one section")
    check.raise_if_any()

    scopes = load_scopes(scopes_key)
    _check_against_scopes(file_key, domains, sections, scopes)
    return ClientConfig(
        client_id=client_id,
        name=name,
        language=language,
        default_period_days=period,
        sources=tuple(sources),
        watch_domains=tuple(domains),
        sections=tuple(sections),
        min_score=float(min_score),
        scopes=scopes,
        schedule=expression,
    )


def _check_against_scopes(file_key: str, domains: list[WatchDomain], sections: list[Section], scopes: Scopes) -> None:
    """Every canonical name a client refers to must exist, or matching would silently miss it."""
    known = {
        "companies": {e.name for e in scopes.companies},
        "molecules": {e.name for e in scopes.molecules},
        "trademarks": {e.name for e in scopes.trademarks},
        "technologies": {e.name for e in scopes.technologies},
    }
    check = _Checker(file_key)
    for i, domain in enumerate(domains):
        for kind, names in known.items():
            for name in getattr(domain, kind):
                if name not in names:
                    check.fail(f"watch_domains[{i}].{kind}", f"{name!r} is not in the canonical scopes")
    event_types = {r.event_type for r in scopes.event_types}
    for i, section in enumerate(sections):
        for event_type in section.event_types:
            if event_type not in event_types:
                check.fail(f"sections[{i}].event_types", f"{event_type!r} is not a canonical event type")
    check.raise_if_any()
