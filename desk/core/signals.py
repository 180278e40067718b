"""Trading signals: what one asks for, its lifecycle, per-source risk limits and the daily loss measure.

A signal names an action (buy, sell, close), a token (``mint``) or a symbol (a pump token's ticker or
an external instrument such as NQ), a size, and its targets (a wallet group, or named accounts; by
default every active wallet or external account). What ``size`` means depends on what is traded and
is decided when the signal is resolved: SOL per wallet for a token buy, percent of each wallet's
holding for a token sell, contracts for an external instrument. ``close`` needs no size.

Risk limits are per source. Buys (and, for futures, any opening trade) are refused above the per-signal
cap or while the source's realized loss today (UTC) has reached its daily limit; closes are always let
through, because they only reduce exposure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from desk.core.base58 import decode as b58decode
from desk.core.errors import ValidationError
from desk.core.futures import parse_decimal, plain
from desk.core.positions import Position, TradeFill

DAY_MS = 86_400_000
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ :@-]{0,63}")
_SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._$-]{0,31}")
_FIELDS = {"id", "source", "action", "mint", "symbol", "size", "price", "group", "accounts", "slippage",
           "priority_fee"}
MAX_ACCOUNTS = 500


class SignalAction(StrEnum):
    """What the signal asks for."""

    BUY = "buy"
    SELL = "sell"
    CLOSE = "close"


class SignalStatus(StrEnum):
    """Where a signal stands. Values are stored."""

    RECEIVED = "received"
    RUNNING = "running"
    DONE = "done"
    PARTIAL = "partial"
    FAILED = "failed"
    REJECTED = "rejected"


SIGNAL_TRANSITIONS: dict[SignalStatus, frozenset[SignalStatus]] = {
    SignalStatus.RECEIVED: frozenset({SignalStatus.RUNNING, SignalStatus.REJECTED}),
    SignalStatus.RUNNING: frozenset({SignalStatus.DONE, SignalStatus.PARTIAL, SignalStatus.FAILED}),
    SignalStatus.DONE: frozenset(),
    SignalStatus.PARTIAL: frozenset(),
    SignalStatus.FAILED: frozenset(),
    SignalStatus.REJECTED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal as received, validated but not yet resolved against the vault.

    Attributes:
        id: Unique id (the sender's, or a generated uuid); a repeated id is ignored.
        source: Who sent it; risk limits are per source.
        action: buy, sell or close.
        mint: Token mint, or None when ``symbol`` is given.
        symbol: Pump token ticker or external instrument, or None when ``mint`` is given.
        size: SOL per wallet (token buy), percent (token sell) or contracts (futures); None for close.
        price: Fill price for an external instrument (the desk journals, it does not route to the broker).
        group: Wallet group to trade from.
        accounts: Named wallets or external accounts (empty: every active one).
        slippage_bps: Token orders: allowed slippage, or None for the default.
        priority_fee: Token orders: lamports of priority fee, or None for the default.
        received_ms: When it arrived.
    """

    id: str
    source: str
    action: SignalAction
    mint: str | None = None
    symbol: str | None = None
    size: Decimal | None = None
    price: Decimal | None = None
    group: str | None = None
    accounts: tuple[str, ...] = ()
    slippage_bps: int | None = None
    priority_fee: int | None = None
    received_ms: int = 0

    def payload(self) -> dict[str, Any]:
        """Return the canonical JSON form (the shape :func:`parse_signal` reads back)."""
        doc: dict[str, Any] = {"id": self.id, "source": self.source, "action": self.action.value}
        for key, value in (("mint", self.mint), ("symbol", self.symbol), ("group", self.group)):
            if value is not None:
                doc[key] = value
        if self.size is not None:
            doc["size"] = plain(self.size)
        if self.price is not None:
            doc["price"] = plain(self.price)
        if self.accounts:
            doc["accounts"] = list(self.accounts)
        if self.slippage_bps is not None:
            doc["slippage"] = plain(Decimal(self.slippage_bps) / 100)
        if self.priority_fee is not None:
            doc["priority_fee"] = plain(Decimal(self.priority_fee) / 1_000_000_000)
        return doc


def parse_signal(doc: Mapping[str, Any], *, new_id: str, received_ms: int, source: str = "api") -> Signal:
    """Validate a signal document (JSON object) and return the :class:`Signal`.

    Args:
        doc: The decoded JSON body.
        new_id: Id to use when the document has none.
        received_ms: Arrival time.
        source: Source when the document names none.

    Raises:
        ValidationError: with a message naming the offending field.
    """
    if not isinstance(doc, Mapping):
        raise ValidationError("A signal is a JSON object.")
    unknown = sorted(set(doc) - _FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(map(str, unknown))[:200]}.")
    signal_id = _text(doc, "id", _ID, "letters, digits and . _ : @ - (at most 128)") or new_id
    source = _text(doc, "source", _NAME, "letters, digits, spaces and . _ : @ - (at most 64)") or source
    try:
        action = SignalAction(str(doc.get("action")))
    except ValueError as e:
        raise ValidationError("action must be one of buy, sell, close.") from e
    mint = _text(doc, "mint", None, "")
    symbol = _text(doc, "symbol", _SYMBOL, "a ticker of letters and digits (at most 32)")
    if (mint is None) == (symbol is None):
        raise ValidationError("Give exactly one of mint or symbol.")
    if mint is not None:
        _check_mint(mint)
    size = None
    if action is not SignalAction.CLOSE or doc.get("size") is not None:
        if doc.get("size") is None:
            raise ValidationError(f"A {action.value} signal needs a size.")
        size = parse_decimal(_strip_percent(doc["size"]), "size")
        if size <= 0:
            raise ValidationError("size must be positive.")
    price = parse_decimal(doc["price"], "price") if doc.get("price") is not None else None
    group = _text(doc, "group", _NAME, "a group name")
    accounts = _accounts(doc.get("accounts"))
    if group is not None and accounts:
        raise ValidationError("Give a group or accounts, not both.")
    slippage = None
    if doc.get("slippage") is not None:
        percent = parse_decimal(doc["slippage"], "slippage")
        if not 0 <= percent <= 50 or percent * 100 != (percent * 100).to_integral_value():
            raise ValidationError("slippage is a percent from 0 to 50 with at most 2 decimals.")
        slippage = int(percent * 100)
    priority = None
    if doc.get("priority_fee") is not None:
        sol = parse_decimal(doc["priority_fee"], "priority_fee")
        lamports = sol * 1_000_000_000
        if not 0 <= sol <= 1 or lamports != lamports.to_integral_value():
            raise ValidationError("priority_fee is SOL from 0 to 1 with at most 9 decimals.")
        priority = int(lamports)
    return Signal(signal_id, source, action, mint, symbol, size, price, group, accounts, slippage, priority,
                  received_ms)


def _text(doc: Mapping[str, Any], key: str, pattern: re.Pattern[str] | None, rule: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{key} must be a non-empty string.")
    value = value.strip()
    if pattern is not None and not pattern.fullmatch(value):
        raise ValidationError(f"{key} must be {rule}.")
    return value


def _strip_percent(value: Any) -> Any:
    return value.strip().removesuffix("%") if isinstance(value, str) else value


def _check_mint(mint: str) -> None:
    try:
        ok = 32 <= len(mint) <= 44 and len(b58decode(mint, max_chars=44)) == 32
    except ValueError:
        ok = False
    if not ok:
        raise ValidationError("mint must be a base58 token address.")


def _accounts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError("accounts must be a list of names.")
    if len(value) > MAX_ACCOUNTS:
        raise ValidationError(f"At most {MAX_ACCOUNTS} accounts per signal.")
    return tuple(dict.fromkeys(v.strip() for v in value))


@dataclass(frozen=True, slots=True)
class SignalExecution:
    """One account's part of a signal.

    Attributes:
        signal_id: The signal.
        account_ref: Wallet id or external account id.
        kind: ``wallet`` or ``external``.
        label: Wallet label or account name.
        status: pending, then a leg state (confirmed, failed, expired, ...) or journaled / flat.
        order_id: The order that carried it (wallets).
        signature: Transaction signature (wallets).
        trade_id: The journaled trade (external accounts).
        reason: Plain words for a failure or skip.
        updated_ms: Last change.
    """

    signal_id: str
    account_ref: str
    kind: str
    label: str
    status: str
    order_id: str | None = None
    signature: str | None = None
    trade_id: str | None = None
    reason: str = ""
    updated_ms: int = 0


@dataclass(frozen=True, slots=True)
class SignalRecord:
    """A stored signal with its outcome.

    Attributes:
        signal: The signal.
        status: Lifecycle state.
        reason: Why it was rejected or failed.
        executions: Per-account outcomes.
    """

    signal: Signal
    status: SignalStatus
    reason: str = ""
    executions: tuple[SignalExecution, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """One source's limits (None = no limit).

    Attributes:
        max_sol_per_signal: Lamports a buy signal may spend in total, over all its wallets.
        daily_loss_sol: Lamports of realized loss today (UTC) at which the source's buys pause.
        max_contracts_per_signal: Contracts an opening futures signal may trade per account.
        daily_loss_cents: Cents of realized futures loss today at which the source's opening trades pause.
    """

    max_sol_per_signal: int | None = None
    daily_loss_sol: int | None = None
    max_contracts_per_signal: int | None = None
    daily_loss_cents: int | None = None

    @classmethod
    def from_json(cls, doc: Any) -> RiskLimits:
        """Read limits stored by :meth:`to_json` (unknown or malformed values mean no limit)."""
        if not isinstance(doc, Mapping):
            return cls()

        def _int(key: str) -> int | None:
            value = doc.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

        return cls(_int("max_sol_per_signal"), _int("daily_loss_sol"), _int("max_contracts_per_signal"),
                   _int("daily_loss_cents"))

    def to_json(self) -> dict[str, int]:
        """Return the JSON form (limits that are set only)."""
        pairs = (("max_sol_per_signal", self.max_sol_per_signal), ("daily_loss_sol", self.daily_loss_sol),
                 ("max_contracts_per_signal", self.max_contracts_per_signal),
                 ("daily_loss_cents", self.daily_loss_cents))
        return {key: value for key, value in pairs if value is not None}


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The answer of a risk check.

    Attributes:
        allowed: Whether the signal may execute.
        reason: Why not, in plain words.
    """

    allowed: bool
    reason: str = ""


def check_token_risk(limits: RiskLimits, action: SignalAction, *, sol_total: int,
                     realized_today: int) -> RiskDecision:
    """Check a token signal: buys are capped per signal and paused after the daily loss; sells always pass.

    Args:
        limits: The source's limits.
        action: The signal's action.
        sol_total: Lamports the signal would spend over all wallets.
        realized_today: The source's realized P&L today in lamports (negative = loss).
    """
    if action is not SignalAction.BUY:
        return RiskDecision(True)
    if limits.daily_loss_sol is not None and -realized_today >= limits.daily_loss_sol:
        return RiskDecision(False, f"paused: today's realized loss ({-realized_today} lamports) reached the "
                                   f"source's daily limit ({limits.daily_loss_sol} lamports)")
    if limits.max_sol_per_signal is not None and sol_total > limits.max_sol_per_signal:
        return RiskDecision(False, f"the signal would spend {sol_total} lamports, more than the source's "
                                   f"limit of {limits.max_sol_per_signal} per signal")
    return RiskDecision(True)


def check_futures_risk(limits: RiskLimits, action: SignalAction, *, contracts: int,
                       realized_today_cents: int) -> RiskDecision:
    """Check a futures signal: buys and sells are capped and paused; closes always pass."""
    if action is SignalAction.CLOSE:
        return RiskDecision(True)
    if limits.daily_loss_cents is not None and -realized_today_cents >= limits.daily_loss_cents:
        return RiskDecision(False, f"paused: today's realized loss ({-realized_today_cents} cents) reached the "
                                   f"source's daily limit ({limits.daily_loss_cents} cents)")
    if limits.max_contracts_per_signal is not None and contracts > limits.max_contracts_per_signal:
        return RiskDecision(False, f"{contracts} contracts is more than the source's limit of "
                                   f"{limits.max_contracts_per_signal} per signal")
    return RiskDecision(True)


def utc_day_start(ts_ms: int) -> int:
    """Return the start (ms) of the UTC day containing ``ts_ms``; daily limits reset there."""
    return ts_ms - ts_ms % DAY_MS


def realized_since(fills: Iterable[TradeFill], since_ms: int) -> int:
    """Return the realized P&L (lamports) of the sells at or after ``since_ms``.

    Every fill is applied in order per wallet and token (FIFO cost from earlier days counts), but only
    sells from ``since_ms`` on contribute.
    """
    books: dict[tuple[str, str], Position] = {}
    total = 0
    for fill in fills:
        position = books.setdefault((fill.wallet_id, fill.mint), Position(fill.mint))
        before = position.realized
        position.apply(fill)
        if fill.ts_ms >= since_ms:
            total += position.realized - before
    return total
