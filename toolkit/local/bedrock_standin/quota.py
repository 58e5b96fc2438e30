"""Bedrock's per-minute quotas, enforced as Bedrock enforces them, so a fleet benchmark meets the real bound.

What the stand-in imitates (Amazon Bedrock User Guide):
- quotas are per model and per Region: a cross-Region inference profile called from us-east-1 and one called
  from eu-west-3 draw on two separate quotas ("Quotas for the bedrock-runtime endpoint",
  https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html: "Cross-Region InvokeModel tokens per
  minute for ${model}", per model, per Region, input and output tokens combined);
- tokens per minute count input tokens plus output tokens times the model's burndown rate: 5 for Anthropic Claude
  3.7 and later ("How tokens are counted in Amazon Bedrock",
  https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-token-burndown.html);
- at the start of a request Bedrock reserves its input tokens plus `max_tokens` and, when the request ends, gives
  back what the answer did not use, so a generous `max_tokens` throttles early even when answers are short (the
  reservation AWS describes for Bedrock quotas; the stand-in counts the reserved output at the burndown rate,
  the stricter reading, since that is what those tokens would cost if the model wrote them);
- a request over the quota is refused at once with HTTP 429 `ThrottlingException` ("Too many tokens, please
  wait before trying again." / "Too many requests, please wait before trying again.").

The minute is modelled as a bucket per quota that holds at most a minute's worth and refills continuously (a
rolling minute, not a reset on the clock's minute), which is how a limit "per minute" behaves seen from clients.
Requests per minute are kept for accounts and older models that still have that quota.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

CLAUDE_OUTPUT_BURNDOWN = 5.0
TOO_MANY_TOKENS = "Too many tokens, please wait before trying again."
TOO_MANY_REQUESTS = "Too many requests, please wait before trying again."


class _Bucket:
    def __init__(self, per_minute: float, now: float):
        self.capacity = float(per_minute)
        self.level = float(per_minute)
        self.updated = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.capacity / 60.0)
        self.updated = now


@dataclass
class Reservation:
    key: tuple[str, str]
    reserved_tokens: float
    input_tokens: int


class Quotas:
    """Requests and tokens per minute per (Region, model id); 0 turns a quota off. `by_region` sets other values
    for some Regions (an account's quotas differ from Region to Region)."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.requests_per_minute = 0
        self.tokens_per_minute = 0
        self.by_region: dict[str, dict[str, int]] = {}
        self.output_burndown = CLAUDE_OUTPUT_BURNDOWN
        self._tokens: dict[tuple[str, str], _Bucket] = {}
        self._requests: dict[tuple[str, str], _Bucket] = {}

    def configure(self, requests_per_minute=None, tokens_per_minute=None, output_burndown=None, by_region=None) -> None:
        with self._lock:
            if requests_per_minute is not None:
                self.requests_per_minute = int(requests_per_minute)
                self._requests.clear()
            if tokens_per_minute is not None:
                self.tokens_per_minute = int(tokens_per_minute)
                self._tokens.clear()
            if by_region is not None:
                self.by_region = {region: dict(values) for region, values in by_region.items()}
                self._requests.clear()
                self._tokens.clear()
            if output_burndown is not None:
                self.output_burndown = float(output_burndown)

    def limits(self, region: str) -> tuple[int, int]:
        """(requests, tokens) per minute in `region`."""
        own = self.by_region.get(region, {})
        return (
            int(own.get("requests_per_minute", self.requests_per_minute)),
            int(own.get("tokens_per_minute", self.tokens_per_minute)),
        )

    def quota_tokens(self, input_tokens: int, output_tokens: int) -> float:
        """What a request draws on the tokens-per-minute quota."""
        return input_tokens + output_tokens * self.output_burndown

    def reserve(self, key: tuple[str, str], input_tokens: int, max_tokens: int) -> Reservation | str:
        """Reserve the request's share of the quotas, or return the ThrottlingException message."""
        with self._lock:
            now = self._clock()
            needed = self.quota_tokens(input_tokens, max_tokens)
            requests_per_minute, tokens_per_minute = self.limits(key[0])
            tokens = requests = None
            if tokens_per_minute:
                tokens = self._tokens.setdefault(key, _Bucket(tokens_per_minute, now))
                tokens.refill(now)
                if tokens.level < needed:
                    return TOO_MANY_TOKENS
            if requests_per_minute:
                requests = self._requests.setdefault(key, _Bucket(requests_per_minute, now))
                requests.refill(now)
                if requests.level < 1:
                    return TOO_MANY_REQUESTS
            if tokens is not None:
                tokens.level -= needed
            if requests is not None:
                requests.level -= 1
            return Reservation(key, needed if tokens is not None else 0.0, input_tokens)

    def settle(self, reservation: Reservation, output_tokens: int) -> float:
        """Give back what the answer did not use; return what the request drew on the tokens quota."""
        used = self.quota_tokens(reservation.input_tokens, output_tokens)
        with self._lock:
            bucket = self._tokens.get(reservation.key)
            if bucket is not None and reservation.reserved_tokens:
                bucket.refill(self._clock())
                bucket.level = min(bucket.capacity, bucket.level + max(0.0, reservation.reserved_tokens - used))
        return used
