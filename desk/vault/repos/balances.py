"""Cached balances per wallet and network, with the time they were read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desk.core.clock import now_ms
from desk.vault.db import Connection, Database, transaction

SOL = "SOL"


@dataclass(frozen=True, slots=True)
class CachedBalance:
    """One cached balance.

    Attributes:
        wallet_id: Wallet.
        mint: ``"SOL"`` or a token mint.
        amount: Lamports or token atomic units.
        decimals: 9 for SOL, else the mint's.
        token_program: Token program for token balances.
        updated_ms: When it was read from the chain.
    """

    wallet_id: str
    mint: str
    amount: int
    decimals: int
    token_program: str | None
    updated_ms: int


class BalanceRepo:
    """Stores the last balances read from the chain; views show the current network only."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def replace(self, network: str, wallet_ids: Sequence[str], balances: Sequence[CachedBalance], *,
                      tokens_included: bool) -> None:
        """Store fresh balances for ``wallet_ids``; with ``tokens_included`` their old token rows go."""
        ids = list(wallet_ids)

        def _store(conn: Connection) -> None:
            with transaction(conn):
                if tokens_included:
                    conn.executemany("DELETE FROM wallet_balances WHERE network = ? AND wallet_id = ?",
                                     [(network, i) for i in ids])
                conn.executemany(
                    "INSERT INTO wallet_balances(wallet_id, network, mint, amount, decimals, token_program, "
                    "updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(wallet_id, network, mint) DO UPDATE "
                    "SET amount = excluded.amount, decimals = excluded.decimals, updated_ms = excluded.updated_ms",
                    [(b.wallet_id, network, b.mint, b.amount, b.decimals, b.token_program, b.updated_ms or now_ms())
                     for b in balances])

        await self._db.run(_store)

    async def all(self, network: str) -> list[CachedBalance]:
        """Return every cached balance on ``network``."""
        rows = await self._db.run(lambda conn: conn.execute(
            "SELECT b.wallet_id, b.mint, b.amount, b.decimals, b.token_program, b.updated_ms FROM wallet_balances b "
            "JOIN wallets w ON w.id = b.wallet_id WHERE b.network = ? AND w.archived_ms IS NULL", (network,)
        ).fetchall())
        return [CachedBalance(*r) for r in rows]
