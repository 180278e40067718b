"""Prices for exits and P&L: exact curve prices, graduated curves unknown, fresh feed trades before chain reads."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction

from solders.keypair import Keypair

from desk.core.curve import CurveState
from desk.core.market import Side, Trade
from desk.engine.prices import LatestPrices, Price, curve_price, trade_price
from desk.simnet.pumpwire import encode_bonding_curve


def _trade(mint: str, v_sol: int | None, v_tokens: int | None) -> Trade:
    return Trade("sig", mint, "trader", Side.BUY, 1, 1, None, v_sol, v_tokens, None, "pump", 0)


def test_curve_price_is_the_exact_reserve_ratio_and_none_once_graduated_or_malformed() -> None:
    state = CurveState()
    data = encode_bonding_curve(state, Keypair().pubkey())
    assert curve_price(data) == Fraction(state.virtual_sol, state.virtual_token)
    assert curve_price(encode_bonding_curve(replace(state, complete=True), Keypair().pubkey())) is None
    assert curve_price(b"") is None
    assert curve_price(b"\0" * 151) is None


def test_trade_prices_stand_in_while_fresh_then_the_fallback_answers() -> None:
    class Fallback:
        def __init__(self) -> None:
            self.asked: list[list[str]] = []

        async def prices(self, mints: Sequence[str]) -> dict[str, Price | None]:
            self.asked.append(list(mints))
            return {m: Fraction(1) for m in mints}

    now = [100.0]
    fallback = Fallback()
    latest = LatestPrices(fallback, fresh_seconds=5, clock=lambda: now[0])
    assert trade_price(_trade("A", None, 5)) is None
    assert latest.observe([_trade("A", 30, 1000), _trade("B", None, None)]) == {"A": Fraction(3, 100)}

    assert asyncio.run(latest.prices(["A", "B"])) == {"A": Fraction(3, 100), "B": Fraction(1)}
    assert fallback.asked == [["B"]]
    now[0] += 6
    assert asyncio.run(latest.prices(["A"])) == {"A": Fraction(1)}
