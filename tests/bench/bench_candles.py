"""Benchmark: 1,000,000 trades into 1m candles (target <= 0.3 s), plus the other paths for context.

Run by hand: ``python tests/bench/bench_candles.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desk.core.candles import CandleSeries, Interval, TradeColumns, aggregate, rebucket
from desk.core.market import Side, Trade

N = 1_000_000
T0 = 1_700_000_000_000


def history(n: int, seed: int = 7) -> TradeColumns:
    """A pump-like history: about 10 trades a second for a day, price drifting up with noise."""
    rng = np.random.default_rng(seed)
    ts = T0 + np.cumsum(rng.integers(0, 200, n))
    price = 28.0 * np.exp(np.cumsum(rng.normal(2e-6, 2e-3, n)))
    sol = rng.integers(10_000_000, 5_000_000_000, n)
    tokens = (sol * 1_000_000 / price).astype(np.int64)
    return TradeColumns.from_arrays(ts, price, sol, tokens, rng.random(n) < 0.55)


def best_of(runs: int, fn: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    cols = history(N)
    best, median = best_of(7, lambda: aggregate(cols, Interval.M1))
    candles = aggregate(cols, Interval.M1)
    print(f"{N:,} trades (columns) -> {len(candles):,} 1m candles: best {best:.3f} s, median {median:.3f} s "
          f"(target <= 0.3 s)")

    ts, price, sol, tokens, is_buy = cols.columns(candles.mode)
    order = np.random.default_rng(1).permutation(N)
    shuffled = TradeColumns.from_arrays(ts[order], price[order], sol[order], tokens[order], is_buy[order])
    best, median = best_of(3, lambda: aggregate(shuffled, Interval.M1))
    print(f"{N:,} trades in random order -> 1m candles: best {best:.3f} s, median {median:.3f} s")

    for interval in (Interval.S1, Interval.H1):
        best, _ = best_of(3, lambda interval=interval: aggregate(cols, interval))
        print(f"{N:,} trades -> {len(aggregate(cols, interval)):,} {interval.label} candles: {best:.3f} s")

    seconds = aggregate(cols, Interval.S1)
    best, _ = best_of(5, lambda: rebucket(seconds, Interval.M1))
    print(f"re-bucket {len(seconds):,} 1s candles -> 1m: {best * 1000:.1f} ms")

    trades = [Trade("sig", "mint", "trader", Side.BUY if b else Side.SELL, int(k), int(s), None, None, None, None,
                    "pump", int(t)) for t, s, k, b in zip(ts.tolist(), sol.tolist(), tokens.tolist(),
                                                          is_buy.tolist(), strict=True)]
    best, _ = best_of(3, lambda: aggregate(trades, Interval.M1))
    print(f"{N:,} Trade objects -> 1m candles (incl. conversion to columns): {best:.3f} s")

    live = CandleSeries(Interval.M1)
    sample = trades[:200_000]
    t0 = time.perf_counter()
    live.extend(sample)
    per_trade = (time.perf_counter() - t0) / len(sample)
    print(f"incremental CandleSeries.add: {per_trade * 1e6:.2f} µs per trade")


if __name__ == "__main__":
    main()
