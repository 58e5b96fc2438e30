"""What one invocation returned, in Lambda's shape, whatever the target ran it: AWS or the local target."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InvokeResult:
    status_code: int
    function_error: str | None
    payload: Any  # the decoded JSON response: a dict for the engine, Lambda's error object on failure
    log_text: str  # the invocation's log lines, START to REPORT
    duration_ms: float  # Lambda's billed-work Duration (the handler's run, without init)
    request_id: str
    executed_version: str = ""
    log_stream: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code == 200 and not self.function_error

    def error_summary(self) -> str:
        """`errorType: errorMessage` of a failed invocation, for messages."""
        if isinstance(self.payload, dict) and "errorMessage" in self.payload:
            return f"{self.payload.get('errorType', 'Error')}: {self.payload['errorMessage']}"
        return f"{self.function_error or 'status ' + str(self.status_code)}"


def decode_payload(raw: bytes | str) -> Any:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"raw": text}
