"""Invocation payload validation: every bad field is named, nothing is guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

CLIENT_ID = re.compile(r"[a-z0-9_]{1,64}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fromisoformat alone also takes week dates
ALLOWED_KEYS = ("client_id", "period_days", "force_regenerate", "target_date", "mode")
PERIOD_RANGE = (1, 90)
# "publish" writes the client's edition; the other modes only check a version (smoke test, rollback drill,
# benchmark): their output goes under its own prefix and never replaces or enters a published edition.
PUBLISH = "publish"
MODES = (PUBLISH, "smoke", "drill", "bench")


class PayloadError(ValueError):
    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("invalid payload: " + "; ".join(f"{k}: {v}" for k, v in sorted(fields.items())))


@dataclass(frozen=True)
class Invocation:
    client_id: str
    period_days: int | None  # None: the client's default
    force_regenerate: bool
    target_date: date | None  # None: today (UTC)
    mode: str = PUBLISH

    @property
    def publishes(self) -> bool:
        """True for a run that writes the client's edition; False for a check run."""
        return self.mode == PUBLISH


def parse_payload(event: Any, today: date | None = None) -> Invocation:
    """Validate a raw event; raise PayloadError naming every bad field.

    `today` (UTC) bounds `target_date`: an edition cannot be dated after it.
    """
    if not isinstance(event, dict):
        raise PayloadError({"payload": f"must be a JSON object, got {type(event).__name__}"})
    errors: dict[str, str] = {}
    for key in event:
        if key not in ALLOWED_KEYS:
            errors[str(key)[:80]] = f"unknown field (allowed: {', '.join(ALLOWED_KEYS)})"

    client_id = event.get("client_id")
    if client_id is None:
        errors["client_id"] = "is required"
    elif not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        errors["client_id"] = "must match [a-z0-9_]{1,64}"

    period_days = event.get("period_days")
    # bool is an int in Python: refuse it explicitly so `true` is not read as 1 day.
    if period_days is not None and (
        isinstance(period_days, bool)
        or not isinstance(period_days, int)
        or not PERIOD_RANGE[0] <= period_days <= PERIOD_RANGE[1]
    ):
        errors["period_days"] = f"must be an integer from {PERIOD_RANGE[0]} to {PERIOD_RANGE[1]}"

    force = event.get("force_regenerate", False)
    if not isinstance(force, bool):
        errors["force_regenerate"] = "must be true or false"

    target_date = None
    raw_date = event.get("target_date")
    if raw_date is not None:
        try:
            if not isinstance(raw_date, str) or not ISO_DATE.fullmatch(raw_date):
                raise ValueError
            target_date = date.fromisoformat(raw_date)
        except ValueError:
            errors["target_date"] = "must be an ISO date YYYY-MM-DD"
        if target_date and today and target_date > today:
            errors["target_date"] = f"must not be after today ({today.isoformat()} UTC)"

    mode = event.get("mode", PUBLISH)
    if mode not in MODES:
        errors["mode"] = f"must be one of {', '.join(MODES)}"

    if errors:
        raise PayloadError(errors)
    return Invocation(
        client_id=client_id, period_days=period_days, force_regenerate=force, target_date=target_date, mode=mode
    )
