"""Signals, risk limits and external (futures) positions: parsing, limits, FIFO P&L in points and cents."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desk.core.errors import ValidationError
from desk.core.futures import (
    Direction,
    ExternalTrade,
    FuturesPosition,
    Instrument,
    format_usd,
    parse_trade_report,
    parse_usd,
    plain,
    replay,
)
from desk.core.market import Side
from desk.core.positions import TradeFill
from desk.core.signals import (
    DAY_MS,
    RiskLimits,
    SignalAction,
    check_futures_risk,
    check_token_risk,
    parse_signal,
    realized_since,
    utc_day_start,
)

NQ = Instrument("NQ", 2000, Decimal("0.25"))
MNQ = Instrument("MNQ", 200, Decimal("0.25"))
MINT = "So11111111111111111111111111111111111111112"
SOL = 1_000_000_000


def trade(tid: str, side: Side, qty: int, price: str, *, symbol: str = "NQ", account: str = "apex-1",
          fee: int = 0, ts: int = 0) -> ExternalTrade:
    return ExternalTrade(tid, account, symbol, side, qty, Decimal(price), ts, fee)


@pytest.mark.parametrize(("instrument", "cents"), [(NQ, 42_000), (MNQ, 4_200)])
def test_long_round_trip_gives_points_and_dollars(instrument: Instrument, cents: int) -> None:
    position = FuturesPosition("apex-1", instrument)
    assert position.apply(trade("1", Side.BUY, 2, "18000.25", symbol=instrument.symbol)) == ()
    assert position.qty == 2 and position.direction is Direction.LONG
    [lot] = position.apply(trade("2", Side.SELL, 2, "18010.75", symbol=instrument.symbol)) or ()
    assert lot.points == Decimal("21") and lot.pnl_cents == cents and lot.direction is Direction.LONG
    assert position.realized_points == Decimal("21") and position.realized_cents == cents
    assert position.qty == 0 and position.direction is Direction.FLAT
    assert format_usd(position.realized_cents) == ("420.00" if instrument is NQ else "42.00")


def test_short_round_trip_profits_when_the_price_falls() -> None:
    position = FuturesPosition("apex-1", MNQ)
    position.apply(trade("1", Side.SELL, 3, "18010.75", symbol="MNQ"))
    assert position.qty == -3 and position.direction is Direction.SHORT
    position.apply(trade("2", Side.BUY, 3, "18000.25", symbol="MNQ"))
    assert position.realized_points == Decimal("31.5") and position.realized_cents == 6_300


def test_losing_trade_is_negative_in_points_and_cents() -> None:
    position = FuturesPosition("apex-1", NQ)
    position.apply(trade("1", Side.BUY, 1, "18000"))
    position.apply(trade("2", Side.SELL, 1, "17990.5"))
    assert position.realized_points == Decimal("-9.5") and position.realized_cents == -19_000
    assert format_usd(position.realized_cents) == "-190.00"


def test_partial_closes_match_the_oldest_lots_first() -> None:
    position = FuturesPosition("apex-1", NQ)
    position.apply(trade("1", Side.BUY, 2, "100"))
    position.apply(trade("2", Side.BUY, 2, "110"))
    first = position.apply(trade("3", Side.SELL, 3, "120")) or ()
    assert [(c.qty, c.entry_price, c.points) for c in first] == [(2, Decimal(100), Decimal(40)),
                                                                  (1, Decimal(110), Decimal(10))]
    assert position.qty == 1 and position.avg_price == Decimal(110)
    position.apply(trade("4", Side.SELL, 1, "105"))
    assert position.realized_points == Decimal(45) and position.realized_cents == 90_000


def test_a_trade_through_zero_closes_and_opens_the_other_side() -> None:
    position = FuturesPosition("apex-1", NQ)
    position.apply(trade("1", Side.BUY, 1, "100"))
    closed = position.apply(trade("2", Side.SELL, 3, "101")) or ()
    assert sum(c.qty for c in closed) == 1 and position.qty == -2 and position.avg_price == Decimal(101)
    points, cents = position.unrealized(Decimal("99.75"))
    assert points == Decimal("2.5") and cents == 5_000


def test_fees_are_kept_apart_from_gross_pnl() -> None:
    position = FuturesPosition("apex-1", NQ)
    position.apply(trade("1", Side.BUY, 1, "100", fee=250))
    position.apply(trade("2", Side.SELL, 1, "101", fee=250))
    assert position.realized_cents == 2_000 and position.fees_cents == 500 and position.net_cents == 1_500


def test_applying_the_same_trade_twice_changes_nothing() -> None:
    position = FuturesPosition("apex-1", NQ)
    assert position.apply(trade("1", Side.BUY, 1, "100")) == ()
    assert position.apply(trade("1", Side.BUY, 1, "100")) is None
    assert position.qty == 1 and position.trades == 1


def test_prices_off_the_tick_grid_are_refused() -> None:
    with pytest.raises(ValidationError, match="tick"):
        FuturesPosition("apex-1", NQ).apply(trade("1", Side.BUY, 1, "100.1"))


def test_an_instrument_tick_must_be_worth_whole_cents() -> None:
    with pytest.raises(ValidationError, match="whole cents"):
        Instrument("XX", 1, Decimal("0.25"))


def test_replay_keeps_accounts_and_symbols_apart() -> None:
    books, history = replay([trade("1", Side.BUY, 1, "100"), trade("1", Side.BUY, 2, "100", account="b"),
                             trade("2", Side.BUY, 1, "100", symbol="MNQ")], {"NQ": NQ, "MNQ": MNQ})
    assert {k: p.qty for k, p in books.items()} == {("apex-1", "NQ"): 1, ("b", "NQ"): 2, ("apex-1", "MNQ"): 1}
    assert len(history) == 3


def test_trade_reports_are_validated() -> None:
    report = parse_trade_report({"account": "apex-1", "symbol": "nq", "side": "buy", "qty": 2,
                                 "price": Decimal("18000.25"), "time": "2026-01-02T03:04:05Z", "fee": "4.5"},
                                new_id="gen", now=7)
    assert (report.id, report.symbol, report.qty, report.fee_cents) == ("gen", "NQ", 2, 450)
    assert report.ts_ms == 1_767_323_045_000
    for bad, match in [({"qty": Decimal("1.5")}, "qty"), ({"side": "hold"}, "side"), ({"price": "x"}, "price"),
                       ({"time": "2026-01-02T03:04:05"}, "time"), ({"fee": "-1"}, "fee"), ({"extra": 1}, "Unknown"),
                       ({"account": ""}, "name")]:
        doc = {"account": "a", "symbol": "NQ", "side": "buy", "qty": 1, "price": "1", **bad}
        with pytest.raises(ValidationError, match=match):
            parse_trade_report(doc, new_id="x", now=0)


def test_money_text_helpers() -> None:
    assert parse_usd("420") == 42_000 and parse_usd(Decimal("0.05")) == 5
    assert format_usd(-5) == "-0.05" and plain(Decimal("21.00")) == "21" and plain(Decimal("1E+1")) == "10"


def test_a_signal_is_parsed_and_validated() -> None:
    signal = parse_signal({"action": "buy", "mint": MINT, "size": "0.5", "group": "snipers", "slippage": 5},
                          new_id="gen", received_ms=9)
    assert (signal.id, signal.source, signal.action, signal.size, signal.slippage_bps) == (
        "gen", "api", SignalAction.BUY, Decimal("0.5"), 500)
    assert parse_signal(signal.payload(), new_id="other", received_ms=9) == signal
    close = parse_signal({"id": "abc-1", "action": "close", "symbol": "NQ", "accounts": "apex-1", "price": 1},
                         new_id="gen", received_ms=0)
    assert close.size is None and close.accounts == ("apex-1",) and close.id == "abc-1"
    assert parse_signal({"action": "sell", "mint": MINT, "size": "50%"}, new_id="x", received_ms=0).size == 50


@pytest.mark.parametrize(("doc", "match"), [
    ({"action": "hold", "mint": MINT, "size": 1}, "action"),
    ({"action": "buy", "size": 1}, "exactly one"),
    ({"action": "buy", "mint": MINT, "symbol": "NQ", "size": 1}, "exactly one"),
    ({"action": "buy", "mint": "not-a-mint", "size": 1}, "mint"),
    ({"action": "buy", "mint": MINT}, "size"),
    ({"action": "buy", "mint": MINT, "size": "-1"}, "positive"),
    ({"action": "buy", "mint": MINT, "size": 1, "group": "g", "accounts": ["a"]}, "not both"),
    ({"action": "buy", "mint": MINT, "size": 1, "id": "has space"}, "id"),
    ({"action": "buy", "mint": MINT, "size": 1, "slippage": 70}, "slippage"),
    ({"action": ["buy"], "mint": MINT, "size": 1}, "action"),
    ({"action": "buy", "mint": MINT, "size": True}, "size"),
    ({"action": "buy", "mint": MINT, "size": 1, "colour": "red"}, "Unknown"),
])
def test_bad_signals_are_refused_with_the_field_named(doc: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        parse_signal(doc, new_id="x", received_ms=0)


def test_token_risk_caps_buys_and_pauses_after_the_daily_loss() -> None:
    limits = RiskLimits(max_sol_per_signal=2 * SOL, daily_loss_sol=SOL)
    assert check_token_risk(limits, SignalAction.BUY, sol_total=2 * SOL, realized_today=0).allowed
    over = check_token_risk(limits, SignalAction.BUY, sol_total=2 * SOL + 1, realized_today=0)
    assert not over.allowed and "limit" in over.reason
    paused = check_token_risk(limits, SignalAction.BUY, sol_total=1, realized_today=-SOL)
    assert not paused.allowed and paused.reason.startswith("paused")
    assert check_token_risk(limits, SignalAction.SELL, sol_total=0, realized_today=-5 * SOL).allowed
    assert check_token_risk(RiskLimits(), SignalAction.BUY, sol_total=10**18, realized_today=-(10**18)).allowed


def test_futures_risk_caps_contracts_and_lets_closes_through() -> None:
    limits = RiskLimits(max_contracts_per_signal=2, daily_loss_cents=50_000)
    assert check_futures_risk(limits, SignalAction.SELL, contracts=2, realized_today_cents=-49_999).allowed
    assert not check_futures_risk(limits, SignalAction.BUY, contracts=3, realized_today_cents=0).allowed
    assert not check_futures_risk(limits, SignalAction.BUY, contracts=1, realized_today_cents=-50_000).allowed
    assert check_futures_risk(limits, SignalAction.CLOSE, contracts=0, realized_today_cents=-10**9).allowed


def test_risk_limits_round_trip_through_json_and_ignore_junk() -> None:
    limits = RiskLimits(max_sol_per_signal=5, daily_loss_cents=7)
    assert RiskLimits.from_json(limits.to_json()) == limits
    assert RiskLimits.from_json({"max_sol_per_signal": "lots", "daily_loss_sol": True}) == RiskLimits()
    assert RiskLimits.from_json(None) == RiskLimits()


def test_realized_since_counts_only_todays_sells_against_fifo_cost() -> None:
    def fill(sig: str, side: Side, sol: int, ts: int) -> TradeFill:
        return TradeFill("simnet", sig, 0, "w1", "M", side, 100, sol, ts_ms=ts)

    fills = [fill("a", Side.BUY, 1_000, 0), fill("b", Side.SELL, 400, 10), fill("c", Side.BUY, 1_000, DAY_MS),
             fill("d", Side.SELL, 300, DAY_MS + 5)]
    assert realized_since(fills, utc_day_start(DAY_MS + 5)) == -700
    assert realized_since(fills, 0) == -1_300
