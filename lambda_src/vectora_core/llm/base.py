"""What the pipeline asks of an LLM backend, and the time budget both backends honour."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from ..models import ClientConfig, Editorial, NormalizedItem, RawItem, Scopes, ScoredItem


@dataclass
class Budget:
    """Time left in this invocation, from the Lambda context; `reserve_ms` is kept for the end of the run."""

    remaining_ms: Callable[[], int]
    reserve_ms: int

    def exhausted(self, need_ms: int = 0) -> bool:
        return self.remaining_ms() - need_ms < self.reserve_ms

    @classmethod
    def unlimited(cls) -> Budget:
        return cls(remaining_ms=lambda: 10**9, reserve_ms=0)

    @classmethod
    def from_deadline(cls, deadline_monotonic: float, reserve_ms: int) -> Budget:
        return cls(lambda: int((deadline_monotonic - time.monotonic()) * 1000), reserve_ms)


@dataclass
class Usage:
    """Tokens and calls of one run, per purpose."""

    calls: dict[str, int] = field(default_factory=dict)
    input_tokens: dict[str, int] = field(default_factory=dict)
    output_tokens: dict[str, int] = field(default_factory=dict)

    def add(self, purpose: str, input_tokens: int, output_tokens: int) -> None:
        self.calls[purpose] = self.calls.get(purpose, 0) + 1
        self.input_tokens[purpose] = self.input_tokens.get(purpose, 0) + input_tokens
        self.output_tokens[purpose] = self.output_tokens.get(purpose, 0) + output_tokens


@dataclass(frozen=True)
class BlockingProblem:
    """A model failure that retrying will not heal (access, validation, unknown model, refusal), with its fix."""

    stage: str  # "editorial" or "normalization"
    error_code: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {"stage": self.stage, "error_code": self.error_code, "message": self.message, "fix": self.fix}


@dataclass(frozen=True)
class EditorialRequest:
    client: ClientConfig
    window_start: date
    window_end: date
    selected: tuple[ScoredItem, ...]


class LLMLayer(Protocol):
    name: str
    usage: Usage
    blocking_problems: list[BlockingProblem]  # filled during a run; empty when every failure was transient

    def normalization_version(self) -> str:
        """Identifies how items were normalized; a change renormalizes stored items."""

    def editorial_identity(self) -> tuple[str, str]:
        """(prompt version, model id): part of the editorial cache key."""

    def normalize(
        self,
        items: Sequence[RawItem],
        scopes: Scopes,
        budget: Budget,
        on_batch: Callable[[list[NormalizedItem]], None] | None = None,
    ) -> list[NormalizedItem]:
        """Normalize items; `on_batch` gets each finished batch, so storing overlaps the model calls."""

    def write_editorial(self, request: EditorialRequest, budget: Budget) -> Editorial: ...
