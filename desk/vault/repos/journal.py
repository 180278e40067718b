"""Fills (insert-only, idempotent by signature and leg) and the orders and legs that produced them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desk.core.clock import now_ms
from desk.core.market import Side
from desk.core.positions import TradeFill
from desk.vault.db import Connection, Database, transaction

_FILL_COLUMNS = ("network, signature, leg_index, wallet_id, mint, side, tokens, sol_lamports, network_fee, "
                 "priority_fee, tip, ts_ms")


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order as stored.

    Attributes:
        id: Order id.
        network: Network.
        side: buy or sell.
        mint: Token.
        venue: Venue used.
        params: The request's parameters (JSON-able).
        status: Summary status.
        signal_id: Signal that triggered it, if any.
        created_ms: Creation time.
    """

    id: str
    network: str
    side: str
    mint: str
    venue: str
    params: dict[str, Any]
    status: str
    signal_id: str | None
    created_ms: int


@dataclass(frozen=True, slots=True)
class LegRecord:
    """One wallet's part of an order, one attempt.

    Attributes:
        id: Leg id.
        order_id: Order.
        wallet_id: Wallet.
        attempt: 1 for the first transaction, 2 after a known-dead first one, ...
        signature: Transaction signature once signed.
        last_valid_block_height: After this height the transaction can never land.
        state: building, signed, sent, confirmed, failed, expired.
        reason: Plain words for a failure.
    """

    id: str
    order_id: str
    wallet_id: str
    attempt: int
    signature: str | None
    last_valid_block_height: int | None
    state: str
    reason: str | None


class JournalRepo:
    """Stores orders, legs and fills. Fills are never updated: a repeated fill is ignored."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_order(self, order: OrderRecord) -> None:
        """Store a new order."""
        await self._db.run(lambda conn: conn.execute(
            "INSERT INTO orders(id, network, side, mint, venue, params, status, signal_id, created_ms, updated_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (order.id, order.network, order.side, order.mint, order.venue, json.dumps(order.params), order.status,
             order.signal_id, order.created_ms, order.created_ms)))

    async def set_order_status(self, order_id: str, status: str) -> None:
        """Update an order's summary status."""
        await self._db.run(lambda conn: conn.execute(
            "UPDATE orders SET status = ?, updated_ms = ? WHERE id = ?", (status, now_ms(), order_id)))

    async def save_legs(self, legs: Sequence[LegRecord]) -> None:
        """Insert or update leg attempts, all in one transaction."""
        now = now_ms()

        def _save(conn: Connection) -> None:
            with transaction(conn):
                conn.executemany(
                    "INSERT INTO order_legs(id, order_id, wallet_id, attempt, signature, last_valid_block_height, "
                    "state, reason, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) "
                    "DO UPDATE SET signature = excluded.signature, "
                    "last_valid_block_height = excluded.last_valid_block_height, state = excluded.state, "
                    "reason = excluded.reason, updated_ms = excluded.updated_ms",
                    [(leg.id, leg.order_id, leg.wallet_id, leg.attempt, leg.signature, leg.last_valid_block_height,
                      leg.state, leg.reason, now, now) for leg in legs])

        await self._db.run(_save)

    async def legs(self, order_id: str) -> list[LegRecord]:
        """Return every leg attempt of an order."""
        rows = await self._db.run(lambda conn: conn.execute(
            "SELECT id, order_id, wallet_id, attempt, signature, last_valid_block_height, state, reason "
            "FROM order_legs WHERE order_id = ? ORDER BY created_ms, attempt", (order_id,)).fetchall())
        return [LegRecord(*r) for r in rows]

    async def orders(self, network: str, limit: int = 200) -> list[OrderRecord]:
        """Return the newest orders on ``network``."""
        rows = await self._db.run(lambda conn: conn.execute(
            "SELECT id, network, side, mint, venue, params, status, signal_id, created_ms FROM orders "
            "WHERE network = ? ORDER BY created_ms DESC LIMIT ?", (network, limit)).fetchall())
        return [OrderRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8]) for r in rows]

    async def add_fills(self, fills: Sequence[TradeFill], *, order_id: str | None = None,
                        source: str = "trade") -> int:
        """Store fills; ones already stored (same network, signature, leg) are ignored. Return how many were new."""

        def _add(conn: Connection) -> int:
            with transaction(conn):
                before = conn.total_changes
                conn.executemany(
                    f"INSERT OR IGNORE INTO fills({_FILL_COLUMNS}, order_id, source) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(f.network, f.signature, f.leg_index, f.wallet_id, f.mint, str(f.side), f.tokens, f.sol,
                      f.network_fee, f.priority_fee, f.tip, f.ts_ms, order_id, source) for f in fills])
                return int(conn.total_changes - before)

        return await self._db.run(_add)

    async def fills(self, network: str, *, wallet_id: str | None = None, mint: str | None = None
                    ) -> list[TradeFill]:
        """Return fills on ``network`` in time order, optionally for one wallet and/or token."""
        where, params = ["network = ?"], [network]
        if wallet_id:
            where.append("wallet_id = ?")
            params.append(wallet_id)
        if mint:
            where.append("mint = ?")
            params.append(mint)
        rows = await self._db.run(lambda conn: conn.execute(
            f"SELECT {_FILL_COLUMNS} FROM fills WHERE {' AND '.join(where)} ORDER BY ts_ms, rowid", params
        ).fetchall())
        return [TradeFill(r[0], r[1], r[2], r[3], r[4], Side(r[5]), r[6], r[7], r[8], r[9], r[10], r[11])
                for r in rows]
