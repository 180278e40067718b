"""Take-profit, stop-loss and trailing-stop exits: rules on live prices, each firing one sell exactly once.

An exit is bound to a position (a token and the wallets that bought it) and carries its entry price,
the average price the buy paid. Its lifecycle is a table (:data:`EXIT_TRANSITIONS`): armed → triggered
→ done | failed, or armed → cancelled. The runner moves an exit to *triggered* in memory before its
first ``await`` and stores that before the sell is placed, so a price arriving twice, a second poll or a
restart never sells twice: an exit found *triggered* at start-up is marked failed ("interrupted") for
the user to check, and never sent again.

Exits are stored in the vault's settings under ``exits.<network>`` (open ones and the latest finished
ones), so no schema change is needed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from desk.core.clock import now_ms
from desk.core.errors import DeskError, ValidationError
from desk.core.market import Side
from desk.core.positions import TradeFill
from desk.core.wallets import Wallet
from desk.engine.prices import Price
from desk.engine.trading import OrderRequest

if TYPE_CHECKING:
    from desk.engine.orders import OrderResult

SETTINGS_PREFIX = "exits."
KEEP_FINISHED = 100
POLL_SECONDS = 2.0


class ExitState(StrEnum):
    """Where an exit stands."""

    ARMED = "armed"
    TRIGGERED = "triggered"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


EXIT_TRANSITIONS: dict[ExitState, frozenset[ExitState]] = {
    ExitState.ARMED: frozenset({ExitState.TRIGGERED, ExitState.CANCELLED}),
    ExitState.TRIGGERED: frozenset({ExitState.DONE, ExitState.FAILED}),
    ExitState.DONE: frozenset(),
    ExitState.FAILED: frozenset(),
    ExitState.CANCELLED: frozenset(),
}


class ExitTrigger(StrEnum):
    """Which part of a rule fired."""

    TAKE_PROFIT = "take profit"
    STOP_LOSS = "stop loss"
    TRAILING = "trailing stop"


def _share(pct: Decimal) -> Fraction:
    return Fraction(pct) / 100


@dataclass(frozen=True, slots=True)
class ExitRule:
    """When to sell, relative to the entry price.

    Attributes:
        take_profit_pct: Sell once the price is this many percent above entry (50 = 1.5× entry).
        stop_loss_pct: Sell once the price is this many percent below entry (below 100).
        trailing_pct: Sell once the price falls this many percent from its highest since arming.
        trailing_from_pct: The trailing stop counts only once the high is this many percent above entry
            (None: from the start).
        sell_percent: Share of each wallet's holding the exit sells (1-100).
    """

    take_profit_pct: Decimal | None = None
    stop_loss_pct: Decimal | None = None
    trailing_pct: Decimal | None = None
    trailing_from_pct: Decimal | None = None
    sell_percent: int = 100

    def check(self) -> None:
        """Raise ValidationError unless the rule can fire and every number is sane."""
        if self.take_profit_pct is None and self.stop_loss_pct is None and self.trailing_pct is None:
            raise ValidationError("An exit needs a take-profit, a stop-loss or a trailing stop.")
        named = (("take-profit", self.take_profit_pct), ("stop-loss", self.stop_loss_pct),
                 ("trailing stop", self.trailing_pct), ("trailing start", self.trailing_from_pct))
        for name, value in named:
            if value is not None and (not value.is_finite() or value <= 0):
                raise ValidationError(f"The {name} must be a positive percentage.")
        if self.stop_loss_pct is not None and self.stop_loss_pct >= 100:
            raise ValidationError("A stop-loss must be below 100 %.")
        if self.trailing_pct is not None and self.trailing_pct >= 100:
            raise ValidationError("A trailing stop must be below 100 %.")
        if self.trailing_from_pct is not None and self.trailing_pct is None:
            raise ValidationError("A trailing start needs a trailing stop.")
        if not 1 <= self.sell_percent <= 100:
            raise ValidationError("An exit sells between 1 and 100 % of the holding.")

    def take_profit_price(self, entry: Price) -> Price | None:
        """The price at or above which the take-profit fires."""
        return None if self.take_profit_pct is None else entry * (1 + _share(self.take_profit_pct))

    def stop_loss_price(self, entry: Price) -> Price | None:
        """The price at or below which the stop-loss fires."""
        return None if self.stop_loss_pct is None else entry * (1 - _share(self.stop_loss_pct))

    def trailing_price(self, entry: Price, high: Price) -> Price | None:
        """The price at or below which the trailing stop fires, given the high (None while it is not active)."""
        if self.trailing_pct is None:
            return None
        if self.trailing_from_pct is not None and high < entry * (1 + _share(self.trailing_from_pct)):
            return None
        return high * (1 - _share(self.trailing_pct))

    def describe(self) -> str:
        """Return the rule in a few words ("TP +50% · SL −20% · trail 15% · sell 100%")."""
        parts = []
        if self.take_profit_pct is not None:
            parts.append(f"TP +{self.take_profit_pct:g}%")
        if self.stop_loss_pct is not None:
            parts.append(f"SL −{self.stop_loss_pct:g}%")
        if self.trailing_pct is not None:
            start = f" from +{self.trailing_from_pct:g}%" if self.trailing_from_pct is not None else ""
            parts.append(f"trail {self.trailing_pct:g}%{start}")
        parts.append(f"sell {self.sell_percent}%")
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class ArmedExit:
    """One exit bound to a position.

    Attributes:
        id: Exit id.
        network: Network of the position.
        mint: Token.
        wallet_ids: Wallets whose holdings it sells.
        rule: When to sell.
        entry: Entry price (lamports per atomic unit).
        high: Highest price seen since arming (starts at the entry).
        state: Lifecycle state.
        trigger: What fired, once triggered.
        last: Latest price seen.
        trigger_price: The price that fired it.
        order_id: The sell order, once placed.
        reason: How it ended, in plain words.
        slippage_bps: The sell's slippage.
        priority_fee: The sell's priority fee (lamports).
        tip: The sell's Jito tip (lamports).
        venue: The sell's venue.
        created_ms: When it was armed.
        updated_ms: Last change.
    """

    id: str
    network: str
    mint: str
    wallet_ids: tuple[str, ...]
    rule: ExitRule
    entry: Price
    high: Price
    state: ExitState = ExitState.ARMED
    trigger: ExitTrigger | None = None
    last: Price | None = None
    trigger_price: Price | None = None
    order_id: str | None = None
    reason: str = ""
    slippage_bps: int = 1000
    priority_fee: int = 0
    tip: int = 0
    venue: str = "auto"
    created_ms: int = 0
    updated_ms: int = 0

    @property
    def is_open(self) -> bool:
        """Armed, or selling now."""
        return self.state in (ExitState.ARMED, ExitState.TRIGGERED)

    def sell_request(self) -> OrderRequest:
        """Return the sell this exit places when it fires."""
        return OrderRequest(Side.SELL, self.mint, percent=self.rule.sell_percent, slippage_bps=self.slippage_bps,
                            priority_fee=self.priority_fee, tip=self.tip, venue=self.venue)


def evaluate(exit_: ArmedExit, price: Price) -> tuple[ArmedExit, ExitTrigger | None]:
    """Mark an armed exit to ``price``; return it (high and last updated) and what fires, if anything.

    Every threshold fires when the price reaches it exactly. The high is raised before the trailing
    stop is checked, so the stop follows the price up. Stop-loss wins over take-profit over trailing.
    """
    if exit_.state is not ExitState.ARMED or price <= 0:
        return exit_, None
    updated = replace(exit_, high=max(exit_.high, price), last=price)
    rule, entry = exit_.rule, exit_.entry
    stop = rule.stop_loss_price(entry)
    if stop is not None and price <= stop:
        return updated, ExitTrigger.STOP_LOSS
    target = rule.take_profit_price(entry)
    if target is not None and price >= target:
        return updated, ExitTrigger.TAKE_PROFIT
    trail = rule.trailing_price(entry, updated.high)
    if trail is not None and price <= trail:
        return updated, ExitTrigger.TRAILING
    return updated, None


def move(exit_: ArmedExit, state: ExitState, **changes: Any) -> ArmedExit:
    """Return ``exit_`` in ``state`` (with ``changes``), along :data:`EXIT_TRANSITIONS`.

    Raises:
        DeskError: the transition is not allowed.
    """
    if state not in EXIT_TRANSITIONS[exit_.state]:
        raise DeskError(f"An exit cannot go from {exit_.state} to {state}.")
    return replace(exit_, state=state, updated_ms=now_ms(), **changes)


def entry_price(fills: Sequence[TradeFill]) -> Price | None:
    """Return the average price the buy fills paid (lamports per atomic unit, before fees), or None."""
    buys = [f for f in fills if f.side is Side.BUY]
    tokens = sum(f.tokens for f in buys)
    return Fraction(sum(f.sol for f in buys), tokens) if tokens else None


# -- storage -----------------------------------------------------------------------------------------


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as e:
        raise ValidationError(f"{value!r} is not a percentage.") from e


def _frac(value: object) -> Fraction | None:
    return None if value is None else Fraction(str(value))


def exit_doc(exit_: ArmedExit) -> dict[str, Any]:
    """Return an exit as a JSON-safe setting value."""
    rule = exit_.rule
    return {
        "id": exit_.id, "network": exit_.network, "mint": exit_.mint, "wallet_ids": list(exit_.wallet_ids),
        "rule": {"tp": _dec(rule.take_profit_pct), "sl": _dec(rule.stop_loss_pct), "trail": _dec(rule.trailing_pct),
                 "trail_from": _dec(rule.trailing_from_pct), "sell_percent": rule.sell_percent},
        "entry": str(exit_.entry), "high": str(exit_.high), "state": exit_.state.value,
        "trigger": exit_.trigger.value if exit_.trigger else None,
        "last": None if exit_.last is None else str(exit_.last),
        "trigger_price": None if exit_.trigger_price is None else str(exit_.trigger_price),
        "order_id": exit_.order_id, "reason": exit_.reason, "slippage_bps": exit_.slippage_bps,
        "priority_fee": exit_.priority_fee, "tip": exit_.tip, "venue": exit_.venue,
        "created_ms": exit_.created_ms, "updated_ms": exit_.updated_ms,
    }


def exit_from_doc(doc: Mapping[str, Any]) -> ArmedExit:
    """Return the exit stored by :func:`exit_doc`.

    Raises:
        ValidationError: the value is not a stored exit.
    """
    try:
        rule = doc["rule"]
        return ArmedExit(
            str(doc["id"]), str(doc["network"]), str(doc["mint"]), tuple(str(w) for w in doc["wallet_ids"]),
            ExitRule(_undec(rule.get("tp")), _undec(rule.get("sl")), _undec(rule.get("trail")),
                     _undec(rule.get("trail_from")), int(rule.get("sell_percent", 100))),
            Fraction(str(doc["entry"])), Fraction(str(doc["high"])), ExitState(doc["state"]),
            ExitTrigger(doc["trigger"]) if doc.get("trigger") else None, _frac(doc.get("last")),
            _frac(doc.get("trigger_price")), doc.get("order_id"), str(doc.get("reason", "")),
            int(doc.get("slippage_bps", 1000)), int(doc.get("priority_fee", 0)), int(doc.get("tip", 0)),
            str(doc.get("venue", "auto")), int(doc.get("created_ms", 0)), int(doc.get("updated_ms", 0)))
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
        raise ValidationError(f"A stored exit is unreadable ({e}).") from e


PlaceFn = Callable[[OrderRequest, Sequence[Wallet]], Awaitable["OrderResult"]]


def sell_summary(result: OrderResult) -> str:
    """Return a sell's outcome in a few words ("sold from 3 of 3 wallets")."""
    done = sum(leg.state.value == "confirmed" for leg in result.legs)
    text = f"sold from {done} of {len(result.legs)} wallet(s)"
    failed = [leg for leg in result.legs if leg.state.value != "confirmed"]
    if failed:
        text += f"; {failed[0].wallet_label}: {failed[0].reason or failed[0].state.value}"
    return text
