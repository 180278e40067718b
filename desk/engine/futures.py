"""The external-account journal: reported futures fills in, positions and P&L out.

Positions are never stored: every answer replays the stored trades of the account and symbol in time
order (then arrival) through :class:`desk.core.futures.FuturesPosition`, so a late report lands in
its place and the numbers can always be recomputed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from desk.core.clock import now_ms
from desk.core.errors import ValidationError
from desk.core.futures import (
    ClosedLot,
    Direction,
    ExternalAccount,
    ExternalTrade,
    FuturesPosition,
    Instrument,
    format_usd,
    parse_trade_report,
    plain,
    replay,
)
from desk.core.market import Side
from desk.core.signals import Signal, SignalAction, SignalExecution, utc_day_start
from desk.vault.session import Vault


@dataclass(frozen=True, slots=True)
class TradeOutcome:
    """What journaling one trade did.

    Attributes:
        trade: The stored trade (the earlier one when ``duplicate``).
        duplicate: The account already had a trade with this id; nothing changed.
        closed: Lots this trade closed, with their points and cents.
        position: The account's position in the symbol afterwards.
    """

    trade: ExternalTrade
    duplicate: bool
    closed: tuple[ClosedLot, ...]
    position: FuturesPosition


class ExternalJournal:
    """Journals external-account trades and answers position and history queries.

    Args:
        vault: The unlocked vault.
        clock: Milliseconds now (injected for tests).
    """

    def __init__(self, vault: Vault, *, clock: Callable[[], int] = now_ms) -> None:
        self._vault = vault
        self._clock = clock

    async def instrument(self, symbol: str) -> Instrument | None:
        """Return the instrument for ``symbol`` (any case), or None."""
        return (await self._vault.external.instruments()).get(symbol.strip().upper())

    async def report(self, doc: object) -> TradeOutcome:
        """Journal a reported fill (the JSON body of ``POST /external/trades``); unknown accounts are created.

        Raises:
            ValidationError: malformed report, unknown instrument or a price off the tick grid.
        """
        trade = parse_trade_report(doc, new_id=str(uuid.uuid4()), now=self._clock())
        instrument = await self.instrument(trade.symbol)
        if instrument is None:
            raise ValidationError(f"Unknown instrument {trade.symbol!r}; add it with 'desk signals instrument'.")
        instrument.check_price(trade.price)
        await self._vault.external.add_account(trade.account, exist_ok=True)
        return await self.record(trade)

    async def record(self, trade: ExternalTrade) -> TradeOutcome:
        """Store ``trade`` (idempotent per account and id) and return its effect."""
        inserted = await self._vault.external.add_trade(trade)
        stored = trade if inserted else await self._vault.external.trade(trade.account, trade.id) or trade
        books, history = await self._replay(account=trade.account, symbol=trade.symbol)
        closed = next((c for t, c in history if t.id == stored.id), ())
        return TradeOutcome(stored, not inserted, closed, books[(trade.account, trade.symbol)])

    async def positions(self, symbol: str | None = None) -> list[FuturesPosition]:
        """Return the open positions, by account and symbol, optionally of one symbol."""
        books, _ = await self._replay(symbol=symbol.strip().upper() if symbol else None)
        return [p for key, p in sorted(books.items()) if p.direction is not Direction.FLAT]

    async def history(self, account: str) -> tuple[ExternalAccount, list[tuple[ExternalTrade, tuple[ClosedLot, ...]]],
                                                   list[FuturesPosition]]:
        """Return an account, its trades with the lots each closed, and its per-symbol positions.

        Raises:
            NotFoundError: no such account.
        """
        found = await self._vault.external.find_account(account)
        books, history = await self._replay(account=found.name)
        return found, history, [p for _, p in sorted(books.items())]

    async def symbol_trades(self, symbol: str) -> list[tuple[ExternalTrade, tuple[ClosedLot, ...]]]:
        """Return every account's trades of ``symbol`` with the lots each closed, in time order."""
        _, history = await self._replay(symbol=symbol.strip().upper())
        return history

    async def realized_today(self, source: str) -> int:
        """Return the net realized cents of ``source``'s signal trades closed today (UTC)."""
        since = utc_day_start(self._clock())
        _, history = replay(await self._vault.external.source_trades(source),
                                await self._vault.external.instruments())
        gross = sum(lot.pnl_cents for _, closed in history for lot in closed if lot.ts_ms >= since)
        return gross - sum(t.fee_cents for t, _ in history if t.ts_ms >= since)

    async def execute(self, signal: Signal, instrument: Instrument, accounts: Sequence[ExternalAccount],
                      qty: int, price: Decimal) -> list[SignalExecution]:
        """Journal a futures signal on every account: buy/sell ``qty`` at ``price``, or flatten on close.

        The trade id is derived from the signal id, so running the same signal again changes nothing.
        """
        executions: list[SignalExecution] = []
        for account in accounts:
            side = Side.BUY if signal.action is SignalAction.BUY else Side.SELL
            amount = qty
            if signal.action is SignalAction.CLOSE:
                books, _ = await self._replay(account=account.name, symbol=instrument.symbol)
                held = books[(account.name, instrument.symbol)].qty if books else 0
                if held == 0:
                    executions.append(SignalExecution(signal.id, account.id, "external", account.name, "flat",
                                                      reason="no open position", updated_ms=self._clock()))
                    continue
                side, amount = (Side.SELL, held) if held > 0 else (Side.BUY, -held)
            trade = ExternalTrade(f"signal:{signal.id}", account.name, instrument.symbol, side, amount, price,
                                  self._clock(), signal_id=signal.id)
            outcome = await self.record(trade)
            executions.append(SignalExecution(signal.id, account.id, "external", account.name, "journaled",
                                              trade_id=trade.id, reason=describe(outcome.closed),
                                              updated_ms=self._clock()))
        return executions

    async def _replay(self, *, account: str | None = None, symbol: str | None = None
                      ) -> tuple[dict[tuple[str, str], FuturesPosition],
                                 list[tuple[ExternalTrade, tuple[ClosedLot, ...]]]]:
        trades = await self._vault.external.trades(account=account, symbol=symbol)
        return replay(trades, await self._vault.external.instruments())


def describe(closed: Sequence[ClosedLot]) -> str:
    """Return closed lots in words (``closed 2 long @ 18010.75: 21 points, $420.00``), or ""."""
    if not closed:
        return ""
    qty = sum(c.qty for c in closed)
    points = sum((c.points for c in closed), Decimal(0))
    usd = format_usd(sum(c.pnl_cents for c in closed))
    money = f"-${usd[1:]}" if usd.startswith("-") else f"${usd}"
    return f"closed {qty} {closed[0].direction.value} @ {plain(closed[0].exit_price)}: {plain(points)} points, {money}"
