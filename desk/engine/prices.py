"""Live token prices for exits and unrealized P&L: the feed's latest trades, else the bonding-curve account.

A price is an exact :class:`~fractions.Fraction` of lamports per atomic token unit (virtual SOL reserve
over virtual token reserve on a pump.fun curve), so thresholds compare without rounding. None means no
price is known: the curve is missing, malformed, or has graduated (AMM prices are not read here).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Protocol

from desk.chain.rpc import RpcClient
from desk.core.errors import DeskError
from desk.core.market import Trade
from desk.venues.pumpfun.curve_account import bonding_curve_address, decode_bonding_curve

Price = Fraction
FRESH_SECONDS = 5.0


class PriceSource(Protocol):
    """Where exits and positions get prices from."""

    async def prices(self, mints: Sequence[str]) -> dict[str, Price | None]:
        """Return the current price of each mint (None when unknown)."""
        ...


def curve_price(data: bytes) -> Price | None:
    """Return the spot price encoded in a BondingCurve account's data, or None (missing, malformed, graduated)."""
    if not data:
        return None
    try:
        account = decode_bonding_curve(data)
    except DeskError:
        return None
    if account.complete or not account.sol_quoted:
        return None
    if account.virtual_token_reserves <= 0 or account.virtual_quote_reserves <= 0:
        return None
    return Fraction(account.virtual_quote_reserves, account.virtual_token_reserves)


def trade_price(trade: Trade) -> Price | None:
    """Return the curve's price after ``trade`` from its reserves, or None when the message had none."""
    if trade.v_sol and trade.v_tokens and trade.v_sol > 0 and trade.v_tokens > 0:
        return Fraction(trade.v_sol, trade.v_tokens)
    return None


class CurvePriceSource:
    """Read prices from the bonding-curve accounts: one ``getMultipleAccounts`` per 100 mints.

    Args:
        rpc: The chain.
    """

    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def prices(self, mints: Sequence[str]) -> dict[str, Price | None]:
        """Return each mint's curve price (None for a bad mint, a missing or a graduated curve)."""
        curves: dict[str, str] = {}
        out: dict[str, Price | None] = {}
        for mint in dict.fromkeys(mints):
            try:
                curves[mint] = str(bonding_curve_address(mint))
            except DeskError:
                out[mint] = None
        if curves:
            accounts = await self._rpc.get_multiple_accounts(list(curves.values()))
            for mint, curve in curves.items():
                account = accounts.get(curve)
                out[mint] = curve_price(account.data) if account is not None else None
        return out


class LatestPrices:
    """Prices from the feed's trades while they are fresh, the fallback source for every other mint.

    Args:
        fallback: Asked for the mints without a trade in the last ``fresh_seconds``.
        fresh_seconds: How long a trade's price stands in for a chain read.
        clock: Monotonic seconds (tests pass a fake).
    """

    def __init__(self, fallback: PriceSource, *, fresh_seconds: float = FRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fallback = fallback
        self._fresh = fresh_seconds
        self._clock = clock
        self._seen: dict[str, tuple[Price, float]] = {}

    def observe(self, trades: Iterable[Trade]) -> dict[str, Price]:
        """Remember the latest price of each traded mint; return the ones these trades set."""
        now = self._clock()
        changed: dict[str, Price] = {}
        for trade in trades:
            price = trade_price(trade)
            if price is not None:
                self._seen[trade.mint] = (price, now)
                changed[trade.mint] = price
        return changed

    async def prices(self, mints: Sequence[str]) -> dict[str, Price | None]:
        """Return fresh trade prices, and the fallback's prices for the rest."""
        now = self._clock()
        out: dict[str, Price | None] = {}
        stale: list[str] = []
        for mint in mints:
            seen = self._seen.get(mint)
            if seen is not None and now - seen[1] <= self._fresh:
                out[mint] = seen[0]
            else:
                stale.append(mint)
        if stale:
            out.update(await self._fallback.prices(stale))
        return out
