"""A sliding-window request limiter shared by every call of one RPC client."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``requests`` calls in any ``per_seconds`` window.

    Attributes:
        requests: Calls allowed per window.
        per_seconds: Window length.
    """

    requests: int
    per_seconds: float

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """Parse ``"100/10"`` (requests per seconds); ``"0"`` or ``"off"`` means unlimited."""
        if text.strip().lower() in {"", "0", "off", "none"}:
            return None
        requests, _, seconds = text.partition("/")
        limit = cls(int(requests), float(seconds or 1))
        if limit.requests <= 0 or limit.per_seconds <= 0:
            raise ValueError("a rate limit needs positive numbers, like 100/10")
        return limit


# The public mainnet endpoint allows 100 requests per 10 s per IP (protocols.md §7.1).
PUBLIC_RPC_LIMIT = RateLimit(100, 10.0)


class SlidingWindowLimiter:
    """Delays callers so that no window holds more than the allowed number of calls."""

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more call fits in the window, then count it."""
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._stamps and now - self._stamps[0] >= self._limit.per_seconds:
                    self._stamps.popleft()
                if len(self._stamps) < self._limit.requests:
                    self._stamps.append(now)
                    return
                await asyncio.sleep(self._limit.per_seconds - (now - self._stamps[0]) + 0.001)
