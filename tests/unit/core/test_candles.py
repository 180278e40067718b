"""Candles: the incremental series and the bulk path both equal a straightforward reference computation."""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.core.candles import (
    Candle,
    CandleSeries,
    Interval,
    PriceMode,
    TradeColumns,
    aggregate,
    can_rebucket,
    rebucket,
    trade_value,
)
from desk.core.errors import ValidationError
from desk.core.market import Side, Trade

T0 = 1_700_000_000_000


def trade(ts: int, *, sol: int | None = 1_000_000_000, tokens: int = 35_000_000_000_000, side: Side = Side.BUY,
          v_sol: int | None = None, v_tokens: int | None = None, market_cap: int | None = None) -> Trade:
    return Trade("sig", "mint", "trader", side, tokens, sol, None, v_sol, v_tokens, market_cap, "pump", ts)


def reference(trades: list[Trade], interval: Interval, mode: PriceMode) -> list[Candle]:
    """Group by floor(ts / interval); first/last by (time, arrival order); max/min; sums. No cleverness."""
    groups: dict[int, list[tuple[int, int, float, Trade]]] = defaultdict(list)
    for order, t in enumerate(trades):
        price = t.price_lamports_per_token()
        if mode is PriceMode.PRICE:
            value = price
        else:
            value = float(t.market_cap) if t.market_cap is not None else None if price is None else price * 1e9
        if value is None:
            continue
        groups[t.received_ms // interval.ms].append((t.received_ms, order, value, t))
    out = []
    for bucket in sorted(groups):
        rows = sorted(groups[bucket], key=lambda r: (r[0], r[1]))
        values = [r[2] for r in rows]
        sols = [r[3].sol_amount or 0 for r in rows]
        buys = sum(s for s, r in zip(sols, rows, strict=True) if r[3].side is Side.BUY)
        out.append(Candle(bucket * interval.ms, values[0], max(values), min(values), values[-1], sum(sols),
                          sum(r[3].token_amount for r in rows), len(rows), buys, sum(sols) - buys))
    return out


@st.composite
def trades_strategy(draw: st.DrawFn) -> list[Trade]:
    span = draw(st.sampled_from([5_000, 120_000, 7_200_000]))
    count = draw(st.integers(0, 60))
    out = []
    for _ in range(count):
        ts = T0 + draw(st.integers(-span // 10, span))
        sol = draw(st.one_of(st.none(), st.integers(0, 10**12)))
        tokens = draw(st.integers(0, 10**14))
        curve = draw(st.booleans())
        v_sol = draw(st.integers(1, 10**12)) if curve else None
        v_tokens = draw(st.integers(1, 10**15)) if curve else None
        mcap = draw(st.one_of(st.none(), st.integers(1, 10**12)))
        out.append(trade(ts, sol=sol, tokens=tokens, side=draw(st.sampled_from(Side)), v_sol=v_sol,
                         v_tokens=v_tokens, market_cap=mcap))
    return out


@settings(max_examples=300, deadline=None)
@given(trades_strategy(), st.sampled_from(Interval), st.sampled_from(PriceMode), st.randoms(use_true_random=False))
def test_incremental_with_shuffled_arrival_and_bulk_both_equal_the_reference(
        trades: list[Trade], interval: Interval, mode: PriceMode, rnd: random.Random) -> None:
    arrived = trades[:]
    rnd.shuffle(arrived)
    series = CandleSeries(interval, mode, capacity=1)
    series.extend(arrived)
    assert series.candles() == reference(arrived, interval, mode)
    assert aggregate(trades, interval, mode).candles() == reference(trades, interval, mode)
    assert aggregate(TradeColumns.from_trades(arrived), interval, mode).candles() == series.candles()


@settings(max_examples=100, deadline=None)
@given(trades_strategy(), st.randoms(use_true_random=False))
def test_distinct_timestamps_make_arrival_order_irrelevant(trades: list[Trade], rnd: random.Random) -> None:
    unique = list({t.received_ms: t for t in trades}.values())
    arrived = unique[:]
    rnd.shuffle(arrived)
    series = CandleSeries(Interval.S5)
    series.extend(arrived)
    assert series.candles() == aggregate(unique, Interval.S5).candles()


@settings(max_examples=150, deadline=None)
@given(trades_strategy(), st.sampled_from(Interval), st.sampled_from(Interval))
def test_rebucketing_finer_candles_equals_bucketing_the_trades(
        trades: list[Trade], fine: Interval, coarse: Interval) -> None:
    if not can_rebucket(fine, coarse):
        with pytest.raises(ValidationError):
            rebucket(aggregate(trades, fine), coarse)
        return
    assert rebucket(aggregate(trades, fine), coarse).candles() == reference(trades, coarse, PriceMode.PRICE)


def test_live_candle_updates_in_place_and_new_buckets_append() -> None:
    series = CandleSeries(Interval.S1)
    assert series.add(trade(T0 + 100, sol=1_000, tokens=10_000_000)) == 0  # 100 lamports per token
    assert series.add(trade(T0 + 900, sol=3_000, tokens=10_000_000, side=Side.SELL)) == 0
    assert series.consume_changes() == 0
    assert len(series) == 1
    assert series.last == Candle(T0, 100.0, 300.0, 100.0, 300.0, 4_000, 20_000_000, 2, 1_000, 3_000)
    assert series.add(trade(T0 + 1_000, sol=2_000, tokens=10)) == 1
    assert series.consume_changes() == 1 and series.consume_changes() is None
    assert [c.start_ms for c in series.candles()] == [T0, T0 + 1_000]


def test_a_late_trade_updates_its_own_bucket_or_inserts_one() -> None:
    series = CandleSeries(Interval.S1)
    series.extend([trade(T0 + 100), trade(T0 + 5_000)])
    series.consume_changes()
    assert series.add(trade(T0 + 50, sol=2_000_000_000)) == 0  # earlier than the open: becomes the open
    assert series[0].open == pytest.approx(2 * series[0].close)
    assert series.consume_changes() == 0
    assert series.add(trade(T0 + 2_500)) == 1  # a gap bucket: inserted in order
    assert [c.start_ms for c in series.candles()] == [T0, T0 + 2_000, T0 + 5_000]
    assert series.index_at(T0 + 2_999) == 1 and series.index_at(T0 + 3_000) is None


def test_trades_without_a_value_are_not_charted() -> None:
    series = CandleSeries(Interval.M1, PriceMode.PRICE)
    assert series.add(trade(T0, sol=None)) is None
    mcap = CandleSeries(Interval.M1, PriceMode.MARKET_CAP)
    assert mcap.add(trade(T0, sol=None, market_cap=42_000_000_000)) == 0
    assert mcap.last is not None and mcap.last.close == 42e9 and mcap.last.volume_sol == 0


def test_price_comes_from_curve_reserves_first_and_market_cap_scales_by_supply() -> None:
    t = trade(T0, sol=1, tokens=1, v_sol=30_000_000_000, v_tokens=1_073_000_000_000_000)
    assert trade_value(t, PriceMode.PRICE) == pytest.approx(27.9590, rel=1e-4)
    assert trade_value(t, PriceMode.MARKET_CAP) == pytest.approx(27.959e9, rel=1e-4)


def test_view_columns_track_the_series_without_copies() -> None:
    series = aggregate([trade(T0 + k * 60_000) for k in range(5)], Interval.M1)
    view = series.view()
    assert view.start_ms.tolist() == [T0 // 60_000 * 60_000 + k * 60_000 for k in range(5)]
    series.add(trade(T0 + 4 * 60_000 + 1, sol=9_000_000_000))
    assert view.high[-1] == series[-1].high and view.trades[-1] == 2


def test_growth_beyond_capacity_keeps_every_candle() -> None:
    series = CandleSeries(Interval.S1, capacity=1)
    series.extend(trade(T0 + k * 1_000) for k in range(1_000))
    assert len(series) == 1_000 and series[999].start_ms == T0 + 999_000
    cols = TradeColumns(capacity=1)
    cols.extend(trade(T0 + k) for k in range(100))
    assert len(cols) == 100 and cols.columns(PriceMode.PRICE)[0][-1] == T0 + 99


def test_columns_from_arrays_match_trades_and_reject_ragged_input() -> None:
    trades = [trade(T0 + k * 777, sol=1_000 + k, tokens=10, side=Side.SELL if k % 3 else Side.BUY) for k in range(50)]
    prices = [t.price_lamports_per_token() for t in trades]
    cols = TradeColumns.from_arrays([t.received_ms for t in trades], prices, [t.sol_amount for t in trades],
                                    [10] * 50, [t.side is Side.BUY for t in trades])
    assert aggregate(cols, Interval.S5).candles() == aggregate(trades, Interval.S5).candles()
    with pytest.raises(ValidationError):
        TradeColumns.from_arrays([1, 2], [1.0], [1], [1], [True])
    assert np.isnan(TradeColumns.from_arrays([1], [np.nan], [1], [1], [True]).columns(PriceMode.MARKET_CAP)[1][0])


def test_interval_labels_round_trip() -> None:
    assert [i.label for i in Interval] == ["1s", "5s", "15s", "1m", "5m", "15m", "1h"]
    assert all(Interval.parse(i.label) is i for i in Interval)
    with pytest.raises(ValidationError):
        Interval.parse("2m")


def test_empty_inputs_give_empty_series() -> None:
    assert len(aggregate([], Interval.M1)) == 0
    assert len(rebucket(CandleSeries(Interval.S1), Interval.M1)) == 0
    assert CandleSeries(Interval.M1).last is None
    with pytest.raises(IndexError):
        CandleSeries(Interval.M1)[0]
