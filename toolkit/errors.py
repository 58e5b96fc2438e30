"""The toolkit's one base error: what happened and what to run, printed by a task as one line with exit code 1.

Every error a user can act on derives from `ToolkitError` (keeping its own name and, for the code that catches it,
its built-in base such as `RuntimeError`), so `tasks/_guard.py` turns any of them into one line without knowing
their names.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """A failure a user can act on. `message` says what happened; `fix`, when given, says what to run."""

    def __init__(self, message: str = "", *args: object, fix: str | None = None):
        super().__init__(message, *args)
        self.message = str(message)
        self.fix = fix

    def __str__(self) -> str:
        """'what happened — what to run' (just what happened when the message already says what to run)."""
        return f"{self.message} — {self.fix}" if self.fix else self.message
