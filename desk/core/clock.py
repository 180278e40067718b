"""Wall-clock helpers kept in one place so tests and sync can reason about time."""

import time


def now_ms() -> int:
    """Return the current Unix time in milliseconds."""
    return time.time_ns() // 1_000_000
