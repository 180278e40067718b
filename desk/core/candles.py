"""OHLCV candles from trades: an incremental series for the live feed and a vectorised bulk path for history.

A trade lands in the bucket ``floor(ts / interval)``. Within a bucket the open is the first trade by
time and the close the last, ties broken by arrival order (for the bulk path: order in the input).
Values are lamports per whole token (price mode) or lamports (market-cap mode); volumes stay integer
lamports and token atomic units. A trade with no price in the chosen mode is not charted.

Candles live in two preallocated numpy blocks (integers and floats, one row per field) so the chart can
read whole columns without copying; numpy is the only dependency beyond the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from desk.core.errors import ValidationError
from desk.core.market import PUMP_TOKEN_UNIT, TOKEN_TOTAL_SUPPLY, Side, Trade

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
_G = TypeVar("_G", bound=np.generic)

WHOLE_TOKEN_SUPPLY = TOKEN_TOTAL_SUPPLY // PUMP_TOKEN_UNIT  # market cap = price × this, for pump.fun tokens

# Rows of the integer block and of the float block.
_START, _FIRST, _LAST, _VSOL, _VTOK, _COUNT, _BUY, _SELL = range(8)
_OPEN, _HIGH, _LOW, _CLOSE = range(4)


class Interval(IntEnum):
    """Candle width; the value is milliseconds."""

    S1 = 1_000
    S5 = 5_000
    S15 = 15_000
    M1 = 60_000
    M5 = 300_000
    M15 = 900_000
    H1 = 3_600_000

    @property
    def ms(self) -> int:
        """Width in milliseconds."""
        return int(self.value)

    @property
    def label(self) -> str:
        """Short label (``1s``, ``5m``, ``1h``)."""
        return _LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Interval:
        """Return the interval labelled ``text``.

        Raises:
            ValidationError: ``text`` names no interval.
        """
        for interval, label in _LABELS.items():
            if label == text.strip().lower():
                return interval
        raise ValidationError(f"Unknown candle interval {text!r}; use one of {', '.join(_LABELS.values())}.")


_LABELS = {Interval.S1: "1s", Interval.S5: "5s", Interval.S15: "15s", Interval.M1: "1m", Interval.M5: "5m",
           Interval.M15: "15m", Interval.H1: "1h"}


class PriceMode(StrEnum):
    """What a candle's open/high/low/close measure."""

    PRICE = "price"  # lamports per whole token
    MARKET_CAP = "mcap"  # lamports


def trade_value(trade: Trade, mode: PriceMode) -> float | None:
    """Return the trade's price (lamports per whole token) or market cap (lamports), or None if unknown.

    The market cap is the trade's own when the feed reported one, else price × the pump.fun supply.
    """
    price = trade.price_lamports_per_token()
    if mode is PriceMode.PRICE:
        return price
    if trade.market_cap is not None:
        return float(trade.market_cap)
    return None if price is None else price * WHOLE_TOKEN_SUPPLY


@dataclass(frozen=True, slots=True)
class Candle:
    """One interval of trading.

    Attributes:
        start_ms: Bucket start (a multiple of the interval).
        open: First trade's value.
        high: Highest value.
        low: Lowest value.
        close: Last trade's value.
        volume_sol: Lamports traded.
        volume_tokens: Tokens traded (atomic units).
        trades: Number of trades.
        buy_sol: Lamports of buys.
        sell_sol: Lamports of sells.
    """

    start_ms: int
    open: float
    high: float
    low: float
    close: float
    volume_sol: int
    volume_tokens: int
    trades: int
    buy_sol: int
    sell_sol: int

    @property
    def is_up(self) -> bool:
        """Closed at or above the open."""
        return self.close >= self.open


@dataclass(frozen=True, slots=True)
class CandleView:
    """Columns of a series, zero-copy, valid until the series next grows.

    Attributes:
        start_ms: Bucket starts, ascending; the other arrays are the ``Candle`` fields of the same name.
    """

    start_ms: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume_sol: IntArray
    volume_tokens: IntArray
    trades: IntArray
    buy_sol: IntArray
    sell_sol: IntArray


class CandleSeries:
    """Candles of one token at one interval, kept sorted by start; trades may arrive late or out of order.

    Attributes:
        interval: Candle width.
        mode: Price or market cap.
    """

    def __init__(self, interval: Interval, mode: PriceMode = PriceMode.PRICE, capacity: int = 256) -> None:
        self.interval = interval
        self.mode = mode
        self._ints: IntArray = np.zeros((8, max(capacity, 1)), dtype=np.int64)
        self._floats: FloatArray = np.zeros((4, max(capacity, 1)), dtype=np.float64)
        self._n = 0
        self._dirty_from: int | None = None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: int) -> Candle:
        if index < 0:
            index += self._n
        if not 0 <= index < self._n:
            raise IndexError("candle index out of range")
        i, f = self._ints[:, index].tolist(), self._floats[:, index].tolist()
        return Candle(i[_START], f[_OPEN], f[_HIGH], f[_LOW], f[_CLOSE], i[_VSOL], i[_VTOK], i[_COUNT], i[_BUY],
                      i[_SELL])

    @property
    def last(self) -> Candle | None:
        """The newest candle, or None when empty."""
        return self[self._n - 1] if self._n else None

    def candles(self) -> list[Candle]:
        """Return every candle as a row (for tests and small series; the chart reads ``view()``)."""
        return [self[k] for k in range(self._n)]

    def view(self) -> CandleView:
        """Return the columns without copying (the live candle's values change in place)."""
        i, f, n = self._ints, self._floats, self._n
        return CandleView(i[_START, :n], f[_OPEN, :n], f[_HIGH, :n], f[_LOW, :n], f[_CLOSE, :n], i[_VSOL, :n],
                          i[_VTOK, :n], i[_COUNT, :n], i[_BUY, :n], i[_SELL, :n])

    def index_at(self, ts_ms: int) -> int | None:
        """Return the index of the candle whose bucket holds ``ts_ms``, or None if there is none."""
        start = ts_ms // self.interval.ms * self.interval.ms
        k = int(np.searchsorted(self._ints[_START, :self._n], start))
        return k if k < self._n and int(self._ints[_START, k]) == start else None

    def consume_changes(self) -> int | None:
        """Return the lowest index changed (or inserted) since the last call, or None, and forget it."""
        dirty, self._dirty_from = self._dirty_from, None
        return dirty

    def add(self, trade: Trade) -> int | None:
        """Fold one trade in; return the index of the candle it changed, or None if it has no value."""
        value = trade_value(trade, self.mode)
        if value is None or math.isnan(value):
            return None
        return self.add_values(trade.received_ms, value, trade.sol_amount or 0, trade.token_amount,
                               trade.side is Side.BUY)

    def extend(self, trades: Iterable[Trade]) -> None:
        """Fold trades in, in the given (arrival) order."""
        for trade in trades:
            self.add(trade)

    def add_values(self, ts_ms: int, value: float, sol: int, tokens: int, is_buy: bool) -> int:
        """Fold one trade given as plain values in; return the index of the candle it changed."""
        width = self.interval.ms
        start = ts_ms // width * width
        n, ints, floats = self._n, self._ints, self._floats
        last_start = int(ints[_START, n - 1]) if n else None
        if last_start is not None and start == last_start:
            k = n - 1
        elif last_start is None or start > last_start:
            k = self._open_slot(n, start, ts_ms, value)
        else:
            k = int(np.searchsorted(ints[_START, :n], start))
            if int(ints[_START, k]) != start:
                k = self._open_slot(k, start, ts_ms, value)
        ints, floats = self._ints, self._floats
        if value > floats[_HIGH, k]:
            floats[_HIGH, k] = value
        if value < floats[_LOW, k]:
            floats[_LOW, k] = value
        if ts_ms < ints[_FIRST, k]:
            ints[_FIRST, k] = ts_ms
            floats[_OPEN, k] = value
        if ts_ms >= ints[_LAST, k]:
            ints[_LAST, k] = ts_ms
            floats[_CLOSE, k] = value
        ints[_VSOL, k] += sol
        ints[_VTOK, k] += tokens
        ints[_COUNT, k] += 1
        ints[_BUY if is_buy else _SELL, k] += sol
        self._touch(k)
        return k

    def _open_slot(self, k: int, start: int, ts_ms: int, value: float) -> int:
        """Insert an empty candle at index ``k`` seeded so the first update sets open/close/high/low."""
        n = self._n
        if n == self._ints.shape[1]:
            self._reserve(2 * n)
        if k < n:
            self._ints[:, k + 1:n + 1] = self._ints[:, k:n]
            self._floats[:, k + 1:n + 1] = self._floats[:, k:n]
        self._ints[:, k] = 0
        self._ints[_START, k] = start
        self._ints[_FIRST, k] = ts_ms + 1
        self._ints[_LAST, k] = ts_ms - 1
        self._floats[:, k] = value
        self._n = n + 1
        return k

    def _reserve(self, capacity: int) -> None:
        ints = np.zeros((8, capacity), dtype=np.int64)
        floats = np.zeros((4, capacity), dtype=np.float64)
        ints[:, :self._n] = self._ints[:, :self._n]
        floats[:, :self._n] = self._floats[:, :self._n]
        self._ints, self._floats = ints, floats

    def _touch(self, k: int) -> None:
        if self._dirty_from is None or k < self._dirty_from:
            self._dirty_from = k

    @classmethod
    def _from_blocks(cls, interval: Interval, mode: PriceMode, ints: IntArray, floats: FloatArray) -> CandleSeries:
        series = cls(interval, mode, capacity=1)
        n = ints.shape[1]
        series._ints, series._floats, series._n = ints, floats, n
        series._reserve(max(2 * n, 256))
        series._dirty_from = 0 if n else None
        return series


class TradeColumns:
    """Trades as growable columns (time, price, market cap, SOL, tokens, side): the bulk path's input."""

    def __init__(self, capacity: int = 1024) -> None:
        cap = max(capacity, 1)
        self._ts: IntArray = np.zeros(cap, dtype=np.int64)
        self._price: FloatArray = np.full(cap, np.nan)
        self._mcap: FloatArray = np.full(cap, np.nan)
        self._sol: IntArray = np.zeros(cap, dtype=np.int64)
        self._tokens: IntArray = np.zeros(cap, dtype=np.int64)
        self._buy: BoolArray = np.zeros(cap, dtype=np.bool_)
        self._n = 0

    @classmethod
    def from_arrays(cls, ts_ms: npt.ArrayLike, price: npt.ArrayLike, sol: npt.ArrayLike, tokens: npt.ArrayLike,
                    is_buy: npt.ArrayLike, market_cap: npt.ArrayLike | None = None) -> TradeColumns:
        """Build from equal-length arrays; NaN marks an unknown value, a missing market cap is price × supply."""
        cols = cls(capacity=1)
        cols._ts = np.array(ts_ms, dtype=np.int64)
        cols._price = np.array(price, dtype=np.float64)
        derived = cols._price * WHOLE_TOKEN_SUPPLY
        if market_cap is None:
            cols._mcap = derived
        else:
            reported = np.array(market_cap, dtype=np.float64)
            cols._mcap = np.where(np.isnan(reported), derived, reported)
        cols._sol = np.array(sol, dtype=np.int64)
        cols._tokens = np.array(tokens, dtype=np.int64)
        cols._buy = np.array(is_buy, dtype=np.bool_)
        cols._n = len(cols._ts)
        if any(len(a) != cols._n for a in (cols._price, cols._mcap, cols._sol, cols._tokens, cols._buy)):
            raise ValidationError("Trade columns must all have the same length.")
        return cols

    @classmethod
    def from_trades(cls, trades: Sequence[Trade]) -> TradeColumns:
        """Build from trade events (one pass per column; about 0.4 µs per trade)."""
        prices = [t.price_lamports_per_token() for t in trades]
        nan, buy = math.nan, Side.BUY  # locals: an enum member lookup per trade costs 0.1 µs
        return cls.from_arrays(
            [t.received_ms for t in trades], [nan if p is None else p for p in prices],
            [t.sol_amount or 0 for t in trades], [t.token_amount for t in trades],
            [t.side is buy for t in trades], [nan if t.market_cap is None else t.market_cap for t in trades])

    def __len__(self) -> int:
        return self._n

    def append(self, trade: Trade) -> None:
        """Add one trade at the end."""
        if self._n == len(self._ts):
            self._grow(2 * self._n)
        k = self._n
        price = trade.price_lamports_per_token()
        self._ts[k] = trade.received_ms
        self._price[k] = math.nan if price is None else price
        mcap = trade_value(trade, PriceMode.MARKET_CAP)
        self._mcap[k] = math.nan if mcap is None else mcap
        self._sol[k] = trade.sol_amount or 0
        self._tokens[k] = trade.token_amount
        self._buy[k] = trade.side is Side.BUY
        self._n = k + 1

    def extend(self, trades: Iterable[Trade]) -> None:
        """Add trades at the end, in order."""
        for trade in trades:
            self.append(trade)

    def _grow(self, capacity: int) -> None:
        n = self._n
        self._ts = _grown(self._ts, n, capacity, 0)
        self._price = _grown(self._price, n, capacity, np.nan)
        self._mcap = _grown(self._mcap, n, capacity, np.nan)
        self._sol = _grown(self._sol, n, capacity, 0)
        self._tokens = _grown(self._tokens, n, capacity, 0)
        self._buy = _grown(self._buy, n, capacity, False)

    def columns(self, mode: PriceMode) -> tuple[IntArray, FloatArray, IntArray, IntArray, BoolArray]:
        """Return (time, value in ``mode``, SOL, tokens, is-buy) views of the stored trades."""
        n = self._n
        value = self._price if mode is PriceMode.PRICE else self._mcap
        return self._ts[:n], value[:n], self._sol[:n], self._tokens[:n], self._buy[:n]


def _grown(old: npt.NDArray[_G], n: int, capacity: int, fill: object) -> npt.NDArray[_G]:
    new = np.full(capacity, fill, dtype=old.dtype)
    new[:n] = old[:n]
    return new


def aggregate(trades: Sequence[Trade] | TradeColumns, interval: Interval,
              mode: PriceMode = PriceMode.PRICE) -> CandleSeries:
    """Bucket a history of trades into candles in one vectorised pass (input order breaks time ties)."""
    cols = trades if isinstance(trades, TradeColumns) else TradeColumns.from_trades(trades)
    ts, value, sol, tokens, is_buy = cols.columns(mode)
    known = ~np.isnan(value)
    if not known.all():
        ts, value, sol, tokens, is_buy = ts[known], value[known], sol[known], tokens[known], is_buy[known]
    if len(ts) > 1 and not bool(np.all(ts[1:] >= ts[:-1])):
        order = np.argsort(ts, kind="stable")
        ts, value, sol, tokens, is_buy = ts[order], value[order], sol[order], tokens[order], is_buy[order]
    n = len(ts)
    if n == 0:
        return CandleSeries(interval, mode)
    bucket = ts // interval.ms
    starts = np.concatenate(([0], np.flatnonzero(bucket[1:] != bucket[:-1]) + 1))
    ends = np.append(starts[1:], n) - 1
    ints = np.empty((8, len(starts)), dtype=np.int64)
    floats = np.empty((4, len(starts)), dtype=np.float64)
    ints[_START] = bucket[starts] * interval.ms
    ints[_FIRST], ints[_LAST] = ts[starts], ts[ends]
    ints[_VSOL] = np.add.reduceat(sol, starts)
    ints[_VTOK] = np.add.reduceat(tokens, starts)
    ints[_COUNT] = ends - starts + 1
    ints[_BUY] = np.add.reduceat(np.where(is_buy, sol, 0), starts)
    ints[_SELL] = ints[_VSOL] - ints[_BUY]
    floats[_OPEN], floats[_CLOSE] = value[starts], value[ends]
    floats[_HIGH] = np.maximum.reduceat(value, starts)
    floats[_LOW] = np.minimum.reduceat(value, starts)
    return CandleSeries._from_blocks(interval, mode, ints, floats)


def can_rebucket(source: Interval, target: Interval) -> bool:
    """Return whether ``target`` candles can be derived from ``source`` candles (a whole multiple)."""
    return target.ms % source.ms == 0


def rebucket(series: CandleSeries, interval: Interval) -> CandleSeries:
    """Derive coarser candles from finer ones, exactly as if the trades had been bucketed directly.

    Raises:
        ValidationError: ``interval`` is not a whole multiple of the series' interval.
    """
    if not can_rebucket(series.interval, interval):
        raise ValidationError(f"{interval.label} candles cannot be built from {series.interval.label} candles.")
    n = len(series)
    if n == 0:
        return CandleSeries(interval, series.mode)
    src_i, src_f = series._ints[:, :n], series._floats[:, :n]
    bucket = src_i[_START] // interval.ms
    starts = np.concatenate(([0], np.flatnonzero(bucket[1:] != bucket[:-1]) + 1))
    ends = np.append(starts[1:], n) - 1
    ints = np.add.reduceat(src_i, starts, axis=1)
    ints[_START] = bucket[starts] * interval.ms
    ints[_FIRST], ints[_LAST] = src_i[_FIRST, starts], src_i[_LAST, ends]
    floats = np.empty((4, len(starts)), dtype=np.float64)
    floats[_OPEN], floats[_CLOSE] = src_f[_OPEN, starts], src_f[_CLOSE, ends]
    floats[_HIGH] = np.maximum.reduceat(src_f[_HIGH], starts)
    floats[_LOW] = np.minimum.reduceat(src_f[_LOW], starts)
    return CandleSeries._from_blocks(interval, series.mode, ints, floats)
