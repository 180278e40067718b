"""The JSON shapes of the signals API (and ``desk signals --json``): signals, trades, lots, positions."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from desk.core.futures import ClosedLot, ExternalAccount, ExternalTrade, FuturesPosition, format_usd, plain
from desk.core.signals import SignalExecution, SignalRecord


def signal_doc(record: SignalRecord) -> dict[str, Any]:
    """Return a stored signal with its status and per-account executions."""
    return {**record.signal.payload(), "status": record.status.value, "reason": record.reason,
            "received_ms": record.signal.received_ms,
            "executions": [execution_doc(e) for e in record.executions]}


def execution_doc(execution: SignalExecution) -> dict[str, Any]:
    """Return one account's part of a signal."""
    return {"account": execution.account_ref, "kind": execution.kind, "label": execution.label,
            "status": execution.status, "order_id": execution.order_id, "signature": execution.signature,
            "trade_id": execution.trade_id, "reason": execution.reason, "updated_ms": execution.updated_ms}


def lot_doc(lot: ClosedLot) -> dict[str, Any]:
    """Return one closed lot: points over all its contracts and the P&L in cents and dollars."""
    return {"direction": lot.direction.value, "qty": lot.qty, "entry_price": plain(lot.entry_price),
            "exit_price": plain(lot.exit_price), "points": plain(lot.points), "pnl_cents": lot.pnl_cents,
            "pnl_usd": format_usd(lot.pnl_cents)}


def trade_doc(trade: ExternalTrade, closed: Sequence[ClosedLot] = ()) -> dict[str, Any]:
    """Return a journaled external trade and what it realized."""
    points = sum((lot.points for lot in closed), Decimal(0))
    cents = sum(lot.pnl_cents for lot in closed)
    return {"id": trade.id, "account": trade.account, "symbol": trade.symbol, "side": trade.side.value,
            "qty": trade.qty, "price": plain(trade.price), "time_ms": trade.ts_ms, "fee_cents": trade.fee_cents,
            "fee_usd": format_usd(trade.fee_cents), "signal_id": trade.signal_id,
            "closed": [lot_doc(lot) for lot in closed], "realized_points": plain(points),
            "realized_cents": cents, "realized_usd": format_usd(cents)}


def position_doc(position: FuturesPosition) -> dict[str, Any]:
    """Return one account's position in one instrument, with its realized P&L."""
    avg = position.avg_price
    return {"account": position.account, "symbol": position.instrument.symbol,
            "side": position.direction.value, "qty": abs(position.qty), "signed_qty": position.qty,
            "avg_price": None if avg is None else plain(avg),
            "point_value_usd": format_usd(position.instrument.point_value_cents),
            "realized_points": plain(position.realized_points), "realized_cents": position.realized_cents,
            "realized_usd": format_usd(position.realized_cents), "fees_cents": position.fees_cents,
            "net_cents": position.net_cents, "net_usd": format_usd(position.net_cents), "trades": position.trades}


def account_doc(account: ExternalAccount) -> dict[str, Any]:
    """Return an external account."""
    return {"id": account.id, "name": account.name, "broker": account.broker, "active": account.active,
            "created_ms": account.created_ms}
