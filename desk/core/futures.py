"""External (futures) accounts: instruments with a point value, reported trades, FIFO positions and P&L.

Prices are exact ``Decimal`` values on the instrument's tick grid; points are ``Decimal``; money is
integer US cents (``points × point_value_cents``). Positions are rebuilt from trades per account and
symbol with FIFO lots, the same rule the token journal uses (a reduction closes the oldest open
contracts first). A position may be long or short; a trade larger than the open position closes it
and opens the rest on the other side. Fees are kept apart from the gross P&L (``net_cents``).

Worked example: buy 2 NQ at 18000.25, sell 2 at 18010.75 → 10.5 points × 2 = 21 points; NQ is
2000 cents a point, so 42,000 cents ($420.00). MNQ (200 cents a point) gives $42.00.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from desk.core.errors import ValidationError
from desk.core.market import Side

MAX_PRICE = Decimal(10) ** 12
MAX_QTY = 1_000_000


class Direction(StrEnum):
    """Which way an open position points."""

    LONG = "long"
    SHORT = "short"
    FLAT = "flat"


def parse_decimal(value: Any, what: str) -> Decimal:
    """Return an exact ``Decimal`` from a JSON number or text (floats through their shortest repr).

    Raises:
        ValidationError: not a finite number.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValidationError(f"{what} must be a number (was {type(value).__name__}).")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation as e:
        raise ValidationError(f"{what} must be a number (was {str(value)[:40]!r}).") from e
    if not number.is_finite():
        raise ValidationError(f"{what} must be a finite number.")
    return number


def plain(number: Decimal) -> str:
    """Return ``number`` as plain text without exponent or trailing zeros (``Decimal("21.00")`` → ``"21"``)."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def format_usd(cents: int) -> str:
    """Return integer cents as dollars text (``42000`` → ``"420.00"``, ``-5`` → ``"-0.05"``)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"


def parse_usd(value: Any, what: str = "The amount") -> int:
    """Return integer cents for a non-negative dollar amount with at most two decimals."""
    number = parse_decimal(value, what)
    cents = number * 100
    if number < 0 or cents != cents.to_integral_value():
        raise ValidationError(f"{what} must be a non-negative dollar amount with at most 2 decimals.")
    return int(cents)


def account_name(text: Any) -> str:
    """Return a valid external account name (trimmed, 1-64 printable characters, no ``/``)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("An account needs a name.")
    name = text.strip()
    if len(name) > 64 or "/" in name or not name.isprintable():
        raise ValidationError("An account name is at most 64 printable characters, without '/'.")
    return name


@dataclass(frozen=True, slots=True)
class Instrument:
    """A futures contract spec.

    Attributes:
        symbol: Root symbol (``NQ``), upper case.
        point_value_cents: US cents per point per contract (NQ 2000, MNQ 200).
        tick_size: Smallest price step; ``tick_size × point_value_cents`` must be whole cents.
        name: Human name.
    """

    symbol: str
    point_value_cents: int
    tick_size: Decimal
    name: str = ""

    def __post_init__(self) -> None:
        if not self.symbol or self.symbol != self.symbol.upper():
            raise ValidationError("An instrument symbol is upper case and not empty.")
        if self.point_value_cents <= 0 or not self.tick_size.is_finite() or self.tick_size <= 0:
            raise ValidationError(f"{self.symbol}: the point value and tick size must be positive.")
        tick_cents = self.tick_size * self.point_value_cents
        if tick_cents != tick_cents.to_integral_value():
            raise ValidationError(f"{self.symbol}: one tick must be worth whole cents.")

    def check_price(self, price: Decimal) -> Decimal:
        """Return ``price`` if it lies on the tick grid, else raise ValidationError."""
        if not price.is_finite() or abs(price) > MAX_PRICE:
            raise ValidationError(f"{price} is not a usable {self.symbol} price.")
        if price % self.tick_size != 0:
            raise ValidationError(f"{plain(price)} is not a multiple of the {self.symbol} tick "
                                  f"({plain(self.tick_size)}).")
        return price

    def cents(self, points: Decimal) -> int:
        """Return the value of ``points`` (summed over contracts) in cents; exact for on-tick prices."""
        return int((points * self.point_value_cents).to_integral_value())


@dataclass(frozen=True, slots=True)
class ExternalAccount:
    """An account at another broker (a prop-firm futures account), journaled from reported trades.

    Attributes:
        id: Stable uuid.
        name: Unique name used by the API and the CLI.
        broker: Free text.
        active: Whether signals without named accounts include it.
        created_ms: Creation time.
    """

    id: str
    name: str
    broker: str = ""
    active: bool = True
    created_ms: int = 0


@dataclass(frozen=True, slots=True)
class ExternalTrade:
    """One fill reported for an external account.

    Attributes:
        id: Reporter's id (or a derived one); a repeated id is ignored.
        account: Account name.
        symbol: Instrument symbol.
        side: Buy or sell.
        qty: Contracts, positive.
        price: Fill price on the tick grid.
        ts_ms: Fill time.
        fee_cents: Commissions and fees in cents.
        signal_id: The signal that produced it, if any.
    """

    id: str
    account: str
    symbol: str
    side: Side
    qty: int
    price: Decimal
    ts_ms: int
    fee_cents: int = 0
    signal_id: str | None = None

    def __post_init__(self) -> None:
        if not 0 < self.qty <= MAX_QTY:
            raise ValidationError(f"The quantity must be a whole number of contracts from 1 to {MAX_QTY}.")
        if self.fee_cents < 0:
            raise ValidationError("Fees cannot be negative.")


@dataclass(frozen=True, slots=True)
class ClosedLot:
    """Contracts closed by one trade against one earlier open lot.

    Attributes:
        trade_id: The closing trade.
        account: Account name.
        symbol: Instrument.
        direction: The closed position's side (long or short).
        qty: Contracts closed.
        entry_price: Price the lot was opened at.
        exit_price: Price it was closed at.
        points: Points gained over all ``qty`` contracts (negative for a loss).
        pnl_cents: ``points × point value`` in cents, before fees.
        ts_ms: When it closed.
    """

    trade_id: str
    account: str
    symbol: str
    direction: Direction
    qty: int
    entry_price: Decimal
    exit_price: Decimal
    points: Decimal
    pnl_cents: int
    ts_ms: int


@dataclass(slots=True)
class _Lot:
    qty: int
    price: Decimal


@dataclass(slots=True)
class FuturesPosition:
    """One account's position in one instrument, changed only by :meth:`apply`.

    Attributes:
        account: Account name.
        instrument: The contract spec.
        direction: Long, short or flat.
        lots: Open lots, oldest first (all on ``direction``'s side).
        realized_points: Points realized so far.
        realized_cents: Gross realized P&L in cents.
        fees_cents: Fees of every applied trade.
        closed: Every closed lot, in order.
        trades: Trades applied.
    """

    account: str
    instrument: Instrument
    direction: Direction = Direction.FLAT
    lots: deque[_Lot] = field(default_factory=deque)
    realized_points: Decimal = Decimal(0)
    realized_cents: int = 0
    fees_cents: int = 0
    closed: list[ClosedLot] = field(default_factory=list)
    trades: int = 0
    _seen: set[str] = field(default_factory=set)

    @property
    def qty(self) -> int:
        """Open contracts, positive for long and negative for short."""
        total = sum(lot.qty for lot in self.lots)
        return -total if self.direction is Direction.SHORT else total

    @property
    def avg_price(self) -> Decimal | None:
        """Average entry price of the open contracts (display only), or None when flat."""
        total = sum(lot.qty for lot in self.lots)
        if not total:
            return None
        cost = sum((lot.price * lot.qty for lot in self.lots), Decimal(0))
        return (cost / total).quantize(self.instrument.tick_size / 100)

    @property
    def net_cents(self) -> int:
        """Realized P&L after fees, in cents."""
        return self.realized_cents - self.fees_cents

    def apply(self, trade: ExternalTrade) -> tuple[ClosedLot, ...] | None:
        """Apply one trade; return the lots it closed, or None (changing nothing) if it was applied before."""
        if trade.symbol != self.instrument.symbol or trade.account != self.account:
            raise ValidationError("A trade of another account or instrument cannot change this position.")
        if trade.id in self._seen:
            return None
        self.instrument.check_price(trade.price)
        self._seen.add(trade.id)
        self.trades += 1
        self.fees_cents += trade.fee_cents
        opening = Direction.LONG if trade.side is Side.BUY else Direction.SHORT
        remaining = trade.qty
        closed: list[ClosedLot] = []
        while remaining and self.lots and self.direction is not opening:
            lot = self.lots[0]
            take = min(remaining, lot.qty)
            move = trade.price - lot.price if self.direction is Direction.LONG else lot.price - trade.price
            points = move * take
            cents = self.instrument.cents(points)
            closed.append(ClosedLot(trade.id, self.account, self.instrument.symbol, self.direction, take, lot.price,
                                    trade.price, points, cents, trade.ts_ms))
            self.realized_points += points
            self.realized_cents += cents
            lot.qty -= take
            remaining -= take
            if lot.qty == 0:
                self.lots.popleft()
        if not self.lots:
            self.direction = Direction.FLAT
        if remaining:
            self.direction = opening
            self.lots.append(_Lot(remaining, trade.price))
        self.closed.extend(closed)
        return tuple(closed)

    def unrealized(self, mark: Decimal) -> tuple[Decimal, int]:
        """Return the open contracts' points and cents marked at ``mark``."""
        sign = -1 if self.direction is Direction.SHORT else 1
        points = sum(((mark - lot.price) * lot.qty * sign for lot in self.lots), Decimal(0))
        return points, self.instrument.cents(points)


def replay(trades: Iterable[ExternalTrade], instruments: Mapping[str, Instrument]
           ) -> tuple[dict[tuple[str, str], FuturesPosition], list[tuple[ExternalTrade, tuple[ClosedLot, ...]]]]:
    """Rebuild every account/symbol position from ``trades`` (in the order given: time, then arrival).

    Returns:
        The positions by (account, symbol) and each applied trade with the lots it closed.

    Raises:
        ValidationError: a trade names an unknown instrument.
    """
    books: dict[tuple[str, str], FuturesPosition] = {}
    history: list[tuple[ExternalTrade, tuple[ClosedLot, ...]]] = []
    for trade in trades:
        instrument = instruments.get(trade.symbol)
        if instrument is None:
            raise ValidationError(f"Unknown instrument {trade.symbol!r}.")
        position = books.setdefault((trade.account, trade.symbol), FuturesPosition(trade.account, instrument))
        closed = position.apply(trade)
        if closed is not None:
            history.append((trade, closed))
    return books, history


def parse_trade_report(doc: Any, *, new_id: str, now: int) -> ExternalTrade:
    """Validate a reported fill (JSON object) and return it as an :class:`ExternalTrade`.

    Fields: ``account``, ``symbol``, ``side`` (buy/sell), ``qty`` (whole contracts), ``price``; optional
    ``id`` (idempotency key per account; ``new_id`` when absent), ``time`` (Unix ms or ISO-8601 with a
    UTC offset; ``now`` when absent), ``fee`` (US dollars). The symbol is upper-cased; whether it is a
    known instrument and the price is on its tick grid is checked against the vault.

    Raises:
        ValidationError: naming the offending field.
    """
    if not isinstance(doc, Mapping):
        raise ValidationError("A trade report is a JSON object.")
    unknown = sorted(set(doc) - {"id", "account", "symbol", "side", "qty", "price", "time", "fee"})
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(map(str, unknown))[:200]}.")
    trade_id = doc.get("id", new_id)
    if isinstance(trade_id, int) and not isinstance(trade_id, bool):
        trade_id = str(trade_id)
    if not isinstance(trade_id, str) or not 0 < len(trade_id.strip()) <= 128 or not trade_id.isprintable():
        raise ValidationError("id must be a string of 1-128 printable characters.")
    symbol = doc.get("symbol")
    if not isinstance(symbol, str) or not symbol.strip() or len(symbol) > 32:
        raise ValidationError("symbol must be an instrument symbol such as NQ.")
    try:
        side = Side(str(doc.get("side")))
    except ValueError as e:
        raise ValidationError("side must be buy or sell.") from e
    qty = parse_decimal(doc.get("qty"), "qty")
    if qty != qty.to_integral_value() or not 0 < qty <= MAX_QTY:
        raise ValidationError(f"qty must be a whole number of contracts from 1 to {MAX_QTY}.")
    price = parse_decimal(doc.get("price"), "price")
    fee = parse_usd(doc["fee"], "fee") if doc.get("fee") is not None else 0
    return ExternalTrade(trade_id.strip(), account_name(doc.get("account")), symbol.strip().upper(), side, int(qty),
                         price, _time_ms(doc.get("time"), now), fee)


def _time_ms(value: Any, now: int) -> int:
    if value is None:
        return now
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**14:
        return value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    raise ValidationError("time must be Unix milliseconds or ISO-8601 text with a UTC offset.")
