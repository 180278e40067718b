"""Transactions the desk has sent, so an interrupted run never sends the same move twice."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from desk.core.clock import now_ms
from desk.vault.db import Connection, Database


@dataclass(frozen=True, slots=True)
class SentTx:
    """A transaction sent by the desk.

    Attributes:
        signature: Its signature.
        network: Network it was sent on.
        purpose: consolidate, distribute, order, ...
        ref: The group or order it belongs to.
        wallets: Wallet public keys it moves funds from.
        last_valid_block_height: After this height it can never land.
        state: sent, confirmed, failed or expired.
        err: The chain's error for a failed one.
        fee_lamports: Fee charged, when known.
    """

    signature: str
    network: str
    purpose: str
    ref: str
    wallets: tuple[str, ...]
    last_valid_block_height: int
    state: str = "sent"
    err: str | None = None
    fee_lamports: int = 0


class ChainTxRepo:
    """Records every transaction before it is sent and its outcome after."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_sent(self, txs: Sequence[SentTx]) -> None:
        """Record transactions as sent (before submitting them)."""
        now = now_ms()
        await self._db.run(lambda conn: conn.executemany(
            "INSERT OR IGNORE INTO chain_txs(signature, network, purpose, ref, wallets, last_valid_block_height, "
            "state, fee_lamports, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, 'sent', ?, ?, ?)",
            [(t.signature, t.network, t.purpose, t.ref, json.dumps(list(t.wallets)), t.last_valid_block_height,
              t.fee_lamports, now, now) for t in txs]))

    async def settle(self, signature: str, state: str, err: str | None = None) -> None:
        """Record a final state: confirmed, failed or expired."""
        await self._db.run(lambda conn: conn.execute(
            "UPDATE chain_txs SET state = ?, err = ?, updated_ms = ? WHERE signature = ?",
            (state, err, now_ms(), signature)))

    async def pending(self, network: str, purpose: str, ref: str) -> list[SentTx]:
        """Return transactions of this run still in flight."""
        return await self._db.run(lambda conn: _select(
            conn, "WHERE network = ? AND purpose = ? AND ref = ? AND state = 'sent'", [network, purpose, ref]))


def _select(conn: Connection, where: str, params: list[str]) -> list[SentTx]:
    rows = conn.execute(
        "SELECT signature, network, purpose, ref, wallets, last_valid_block_height, state, err, fee_lamports "
        f"FROM chain_txs {where} ORDER BY created_ms", params).fetchall()
    return [SentTx(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], r[6], r[7], r[8]) for r in rows]
