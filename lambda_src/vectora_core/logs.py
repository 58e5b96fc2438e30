"""Structured JSON log lines on stdout: one event per line, searchable in CloudWatch."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}
# Module state, not ContextVars: worker threads of the normalization pool must see it too.
_state = {"threshold": 20, "request_id": ""}


def configure(level: str = "INFO", request_id: str = "") -> None:
    _state["threshold"] = _LEVELS.get(level.upper(), 20)
    _state["request_id"] = request_id


def log_event(message: str, level: str = "INFO", **fields: Any) -> None:
    """Write one JSON line. `message` holds the human phrase the smoke tests search for."""
    if _LEVELS.get(level, 20) < _state["threshold"]:
        return
    record = {"level": level, "message": message, "ts": round(time.time(), 3)}
    request_id = _state["request_id"]
    if request_id:
        record["request_id"] = request_id
    record.update(fields)
    sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
