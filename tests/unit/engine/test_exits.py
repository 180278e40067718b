"""Exits: thresholds fire exactly at their price, the trailing stop follows the high, an exit never fires twice."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.core.errors import DeskError, ValidationError
from desk.core.market import Side
from desk.core.positions import TradeFill
from desk.core.wallets import Wallet
from desk.engine.exit_runner import ExitRunner
from desk.engine.exits import (
    EXIT_TRANSITIONS,
    ArmedExit,
    ExitRule,
    ExitState,
    ExitTrigger,
    entry_price,
    evaluate,
    exit_doc,
    exit_from_doc,
    move,
)
from desk.engine.orders import LegUpdate, OrderResult
from desk.engine.prices import Price
from desk.engine.trading import LegState, OrderRequest
from desk.engine.wallets import create_wallets
from desk.vault.lifecycle import create_vault
from tests.factories import FAST_KDF, PASSWORD

ENTRY = Fraction(28, 1_000_000)  # lamports per atomic unit: about 28 lamports per whole token


def armed(rule: ExitRule, entry: Price = ENTRY) -> ArmedExit:
    return ArmedExit("x", "simnet", "MINT", ("w1",), rule, entry, entry)


def pct(value: str) -> Decimal:
    return Decimal(value)


# -- thresholds, as a table ----------------------------------------------------------------------------

TABLE = [
    # rule, price as a multiple of entry, what fires
    (ExitRule(take_profit_pct=pct("50")), Fraction(3, 2), ExitTrigger.TAKE_PROFIT),
    (ExitRule(take_profit_pct=pct("50")), Fraction(3, 2) - Fraction(1, 10**12), None),
    (ExitRule(take_profit_pct=pct("12.5")), Fraction(9, 8), ExitTrigger.TAKE_PROFIT),
    (ExitRule(stop_loss_pct=pct("20")), Fraction(4, 5), ExitTrigger.STOP_LOSS),
    (ExitRule(stop_loss_pct=pct("20")), Fraction(4, 5) + Fraction(1, 10**12), None),
    (ExitRule(trailing_pct=pct("10")), Fraction(9, 10), ExitTrigger.TRAILING),
    (ExitRule(trailing_pct=pct("10")), Fraction(9, 10) + Fraction(1, 10**12), None),
    (ExitRule(trailing_pct=pct("10"), trailing_from_pct=pct("20")), Fraction(9, 10), None),
    (ExitRule(take_profit_pct=pct("50"), stop_loss_pct=pct("20")), Fraction(1), None),
    (ExitRule(take_profit_pct=pct("50"), stop_loss_pct=pct("20")), Fraction(1, 2), ExitTrigger.STOP_LOSS),
]


@pytest.mark.parametrize(("rule", "multiple", "fires"), TABLE)
def test_each_threshold_fires_exactly_at_its_price(rule: ExitRule, multiple: Fraction,
                                                   fires: ExitTrigger | None) -> None:
    updated, trigger = evaluate(armed(rule), ENTRY * multiple)
    assert trigger is fires
    assert updated.last == ENTRY * multiple


def test_the_trailing_stop_follows_the_high_and_fires_below_it() -> None:
    exit_ = armed(ExitRule(trailing_pct=pct("10")))
    for multiple in (Fraction(12, 10), Fraction(2), Fraction(19, 10)):
        exit_, trigger = evaluate(exit_, ENTRY * multiple)
        assert trigger is None
    assert exit_.high == ENTRY * 2
    _, trigger = evaluate(exit_, ENTRY * Fraction(18, 10) + Fraction(1, 10**15))
    assert trigger is None
    _, trigger = evaluate(exit_, ENTRY * Fraction(18, 10))  # exactly 10 % below the high of 2×
    assert trigger is ExitTrigger.TRAILING


def test_a_trailing_stop_with_a_start_waits_for_the_high_to_reach_it() -> None:
    exit_ = armed(ExitRule(trailing_pct=pct("10"), trailing_from_pct=pct("50")))
    exit_, trigger = evaluate(exit_, ENTRY * Fraction(14, 10))
    assert trigger is None
    _, trigger = evaluate(exit_, ENTRY * Fraction(12, 10))  # 14 % off the high, but the high never reached 1.5×
    assert trigger is None
    exit_, _ = evaluate(exit_, ENTRY * Fraction(3, 2))
    _, trigger = evaluate(exit_, ENTRY * Fraction(27, 20))
    assert trigger is ExitTrigger.TRAILING


@settings(max_examples=300, deadline=None)
@given(trail=st.integers(1, 99), moves=st.lists(st.fractions(Fraction(1, 100), Fraction(100)), min_size=1,
                                               max_size=40))
def test_trailing_fires_iff_the_price_falls_the_percentage_below_the_running_high(
        trail: int, moves: list[Fraction]) -> None:
    exit_ = armed(ExitRule(trailing_pct=Decimal(trail)))
    high = ENTRY
    for multiple in moves:
        price = ENTRY * multiple
        high = max(high, price)
        exit_, trigger = evaluate(exit_, price)
        expected = price <= high * (1 - Fraction(trail, 100))
        assert (trigger is ExitTrigger.TRAILING) is expected
        assert exit_.high == high
        if trigger is not None:
            break


@settings(max_examples=300, deadline=None)
@given(tp=st.integers(1, 1000), sl=st.integers(1, 99), multiple=st.fractions(Fraction(1, 1000), Fraction(20)))
def test_take_profit_and_stop_loss_fire_on_the_right_side_of_entry(tp: int, sl: int, multiple: Fraction) -> None:
    _, trigger = evaluate(armed(ExitRule(take_profit_pct=Decimal(tp), stop_loss_pct=Decimal(sl))), ENTRY * multiple)
    if multiple <= 1 - Fraction(sl, 100):
        assert trigger is ExitTrigger.STOP_LOSS
    elif multiple >= 1 + Fraction(tp, 100):
        assert trigger is ExitTrigger.TAKE_PROFIT
    else:
        assert trigger is None


def test_only_an_armed_exit_is_evaluated_and_the_lifecycle_is_a_table() -> None:
    exit_ = move(armed(ExitRule(take_profit_pct=pct("1"))), ExitState.TRIGGERED)
    assert evaluate(exit_, ENTRY * 10) == (exit_, None)
    assert EXIT_TRANSITIONS[ExitState.DONE] == frozenset()
    with pytest.raises(DeskError):
        move(exit_, ExitState.ARMED)
    with pytest.raises(DeskError):
        move(move(exit_, ExitState.DONE), ExitState.FAILED)


@pytest.mark.parametrize("rule", [
    ExitRule(), ExitRule(stop_loss_pct=pct("100")), ExitRule(trailing_pct=pct("0")),
    ExitRule(take_profit_pct=pct("-5")), ExitRule(take_profit_pct=pct("NaN")), ExitRule(trailing_from_pct=pct("5")),
    ExitRule(take_profit_pct=pct("5"), sell_percent=0), ExitRule(take_profit_pct=pct("5"), sell_percent=101)])
def test_rules_that_cannot_fire_or_make_no_sense_are_refused(rule: ExitRule) -> None:
    with pytest.raises(ValidationError):
        rule.check()


def test_entry_price_is_the_average_paid_and_an_exit_round_trips_through_its_doc() -> None:
    fills = [TradeFill("simnet", "a", 0, "w1", "MINT", Side.BUY, 3_000_000, 90),
             TradeFill("simnet", "b", 0, "w2", "MINT", Side.BUY, 1_000_000, 30)]
    assert entry_price(fills) == Fraction(120, 4_000_000)
    assert entry_price([]) is None
    rule = ExitRule(pct("50"), pct("20.5"), pct("10"), pct("30"), 50)
    exit_ = move(armed(rule), ExitState.TRIGGERED, trigger=ExitTrigger.TAKE_PROFIT, trigger_price=ENTRY * 2)
    assert exit_from_doc(exit_doc(exit_)) == exit_
    assert rule.describe() == "TP +50% · SL −20.5% · trail 10% from +30% · sell 50%"


# -- the runner --------------------------------------------------------------------------------------


class FakePrices:
    def __init__(self) -> None:
        self.now: dict[str, Price | None] = {}
        self.asked = 0

    async def prices(self, mints: Sequence[str]) -> dict[str, Price | None]:
        self.asked += 1
        return {m: self.now.get(m) for m in mints}


class FakeEngine:
    def __init__(self, *, fail: bool = False, delay: float = 0.0) -> None:
        self.placed: list[tuple[OrderRequest, list[str]]] = []
        self.fail, self.delay = fail, delay

    async def place(self, request: OrderRequest, wallets: Sequence[Wallet]) -> OrderResult:
        self.placed.append((request, [w.id for w in wallets]))
        await asyncio.sleep(self.delay)
        state = LegState.FAILED if self.fail else LegState.CONFIRMED
        legs = tuple(LegUpdate("order-1", f"leg-{w.id}", w.id, w.label, 1, state, reason="no" if self.fail else "")
                     for w in wallets)
        return OrderResult("order-1", legs)


async def test_the_runner_fires_one_sell_per_exit_even_when_prices_repeat_and_restarts(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    try:
        wallets = await create_wallets(vault, 3, label="T")
        prices, engine = FakePrices(), FakeEngine(delay=0.05)
        changes: list[ArmedExit] = []
        runner = ExitRunner(vault, "simnet", engine.place, prices, on_change=changes.append)
        exit_ = await runner.arm("MINT", wallets[:2], ExitRule(take_profit_pct=pct("100"), sell_percent=50), ENTRY,
                                 slippage_bps=300, priority_fee=7)
        prices.now["MINT"] = ENTRY * 3 / 2
        assert await runner.poll_once() == []
        prices.now["MINT"] = ENTRY * 2
        fired = await runner.poll_once()
        assert [e.id for e in fired] == [exit_.id]
        assert runner.observe("MINT", ENTRY * 5) == []  # already triggered: the feed's price cannot fire it again
        assert await runner.poll_once() == []
        await runner.drain()
        assert len(engine.placed) == 1
        request, wallet_ids = engine.placed[0]
        assert (request.side, request.percent, request.slippage_bps, request.priority_fee) == (Side.SELL, 50, 300, 7)
        assert wallet_ids == [w.id for w in wallets[:2]]
        [done] = runner.exits()
        assert done.state is ExitState.DONE and done.order_id == "order-1" and "2 of 2" in done.reason
        assert [c.state for c in changes if c.state is not ExitState.ARMED] == [ExitState.TRIGGERED, ExitState.DONE]

        reloaded = ExitRunner(vault, "simnet", engine.place, prices)
        assert [e.state for e in await reloaded.load()] == [ExitState.DONE]
        assert await reloaded.poll_once() == [] and len(engine.placed) == 1
    finally:
        await vault.lock()


async def test_an_exit_left_triggered_by_a_crash_is_failed_not_fired_and_cancel_disarms(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    try:
        wallets = await create_wallets(vault, 1, label="T")
        prices, engine = FakePrices(), FakeEngine(fail=True)
        runner = ExitRunner(vault, "simnet", engine.place, prices)
        crashed = await runner.arm("MINT", wallets, ExitRule(stop_loss_pct=pct("10")), ENTRY)
        kept = await runner.arm("OTHER", wallets, ExitRule(stop_loss_pct=pct("10")), ENTRY)
        stored = await vault.settings.get(runner.key)
        stored[[d["id"] for d in stored].index(crashed.id)]["state"] = "triggered"  # as if the app died mid-sell
        await vault.settings.set(runner.key, stored)

        after = ExitRunner(vault, "simnet", engine.place, prices)
        states = {e.id: e for e in await after.load()}
        assert states[crashed.id].state is ExitState.FAILED and "interrupted" in states[crashed.id].reason
        prices.now = {"MINT": ENTRY / 2, "OTHER": ENTRY}
        assert await after.poll_once() == [] and engine.placed == []
        await after.cancel(kept.id)
        prices.now["OTHER"] = ENTRY / 2
        assert await after.poll_once() == [] and after.armed() == []
        with pytest.raises(DeskError):
            await after.cancel(kept.id)

        failing = await after.arm("THIRD", wallets, ExitRule(stop_loss_pct=pct("10")), ENTRY)
        assert [e.id for e in after.observe("THIRD", ENTRY * 9 / 10)] == [failing.id]
        await after.drain()
        assert {e.id: e for e in after.exits()}[failing.id].state is ExitState.FAILED
        assert prices.asked == 1, "a poll with nothing armed reads no prices"
    finally:
        await vault.lock()
