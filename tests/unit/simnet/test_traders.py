"""Simulated traders: exact counts by hand, Poisson rates by tick, reproducible with a seed, a thread."""

from __future__ import annotations

import time

from desk.simnet.chain import SimChain
from desk.simnet.events import SimCreate, SimEvent, SimTrade
from desk.simnet.market import SimMarket
from desk.simnet.traders import Activity, SimTraders


def crowd(seed: int = 1, **activity: float) -> SimTraders:
    market = SimMarket(SimChain(), seed=seed)
    return SimTraders(market, Activity(seed=seed, traders=6, **activity))  # type: ignore[arg-type]


def test_step_makes_exactly_the_requested_creates_and_trades() -> None:
    traders = crowd()
    events = traders.step(creates=3, trades=40)
    assert sum(isinstance(e, SimCreate) for e in events) == 3
    assert sum(isinstance(e, SimTrade) for e in events) == 40
    assert {e.side.value for e in events if isinstance(e, SimTrade)} == {"buy", "sell"}
    assert len(traders.market.tokens()) == 3


def test_trades_without_any_token_launch_one_first() -> None:
    events = crowd().step(trades=2)
    assert isinstance(events[0], SimCreate)
    assert sum(isinstance(e, SimTrade) for e in events) == 2


def test_same_seed_same_market() -> None:
    def run(seed: int) -> list[tuple[str, int, int]]:
        events = crowd(seed).step(creates=2, trades=25)
        return [(str(e.mint), e.tokens, e.sol) if isinstance(e, SimTrade) else (str(e.mint), 0, 0) for e in events]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_tick_follows_the_configured_rates() -> None:
    traders = crowd(creates_per_minute=60, trades_per_second=20)
    seen: list[SimEvent] = []
    traders.market.subscribe(seen.append)
    assert traders.tick(0.0) == 0
    made = traders.tick(10.0)
    creates = sum(isinstance(e, SimCreate) for e in seen)
    trades = sum(isinstance(e, SimTrade) for e in seen)
    assert made == creates + trades
    assert 3 <= creates <= 25 and 120 <= trades <= 300  # means 10 and 200


def test_zero_rates_are_quiet() -> None:
    traders = crowd(creates_per_minute=0, trades_per_second=0)
    assert traders.tick(3600.0) == 0


def test_thread_trades_in_real_time_and_stops() -> None:
    traders = crowd(creates_per_minute=600, trades_per_second=50, tick_interval=0.02)
    seen: list[SimEvent] = []
    traders.market.subscribe(seen.append)
    traders.start()
    try:
        deadline = time.monotonic() + 10
        while sum(isinstance(e, SimTrade) for e in seen) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        traders.stop()
    count = len(seen)
    assert sum(isinstance(e, SimTrade) for e in seen) >= 5
    time.sleep(0.1)
    assert len(seen) == count
