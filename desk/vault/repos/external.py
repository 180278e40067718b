"""External accounts, their instruments and reported trades (insert-only, idempotent per account and id)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from desk.core.clock import now_ms
from desk.core.errors import NotFoundError, ValidationError
from desk.core.futures import ExternalAccount, ExternalTrade, Instrument, account_name, plain
from desk.core.market import Side
from desk.vault.db import Connection, Database, transaction

_TRADE_SELECT = ("SELECT t.id, a.name, t.symbol, t.side, t.qty, t.price, t.ts_ms, t.fee_cents, t.signal_id "
                 "FROM external_trades t JOIN external_accounts a ON a.id = t.account_id")


class ExternalRepo:
    """Stores external accounts, instruments and trades; reads return domain objects."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def instruments(self) -> dict[str, Instrument]:
        """Return every instrument by symbol."""
        rows = await self._db.run(lambda conn: conn.execute(
            "SELECT symbol, point_value_cents, tick_size, name FROM instruments ORDER BY symbol").fetchall())
        return {r[0]: Instrument(r[0], r[1], Decimal(r[2]), r[3]) for r in rows}

    async def set_instrument(self, instrument: Instrument) -> None:
        """Add an instrument or change its spec."""
        await self._db.run(lambda conn: conn.execute(
            "INSERT INTO instruments(symbol, name, point_value_cents, tick_size) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(symbol) DO UPDATE SET name = excluded.name, point_value_cents = excluded.point_value_cents, "
            "tick_size = excluded.tick_size",
            (instrument.symbol, instrument.name, instrument.point_value_cents, plain(instrument.tick_size))))

    async def accounts(self, *, active_only: bool = False) -> list[ExternalAccount]:
        """Return the accounts by name."""
        where = "WHERE active = 1" if active_only else ""
        rows = await self._db.run(lambda conn: conn.execute(
            f"SELECT id, name, broker, active, created_ms FROM external_accounts {where} ORDER BY name").fetchall())
        return [ExternalAccount(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows]

    async def find_account(self, ref: str) -> ExternalAccount:
        """Return the account whose id or name is ``ref``.

        Raises:
            NotFoundError: no such account.
        """
        row = await self._db.run(lambda conn: conn.execute(
            "SELECT id, name, broker, active, created_ms FROM external_accounts WHERE id = ? OR name = ?",
            (ref, ref)).fetchone())
        if row is None:
            raise NotFoundError(f"No external account called {ref!r}.")
        return ExternalAccount(row[0], row[1], row[2], bool(row[3]), row[4])

    async def add_account(self, name: str, broker: str = "", *, exist_ok: bool = False) -> ExternalAccount:
        """Create an account (with ``exist_ok``, return the existing one of that name instead of failing)."""
        name = account_name(name)
        new = ExternalAccount(str(uuid.uuid4()), name, broker.strip(), True, now_ms())

        def _add(conn: Connection) -> ExternalAccount:
            with transaction(conn):
                row = conn.execute("SELECT id, name, broker, active, created_ms FROM external_accounts "
                                   "WHERE name = ?", (name,)).fetchone()
                if row is not None:
                    if not exist_ok:
                        raise ValidationError(f"An external account called {name!r} already exists.")
                    return ExternalAccount(row[0], row[1], row[2], bool(row[3]), row[4])
                conn.execute("INSERT INTO external_accounts(id, name, broker, active, created_ms) "
                             "VALUES (?, ?, ?, 1, ?)", (new.id, new.name, new.broker, new.created_ms))
                return new

        return await self._db.run(_add)

    async def set_active(self, account_id: str, active: bool) -> None:
        """Include or leave out an account from signals that name no accounts."""
        await self._db.run(lambda conn: conn.execute(
            "UPDATE external_accounts SET active = ? WHERE id = ?", (int(active), account_id)))

    async def add_trade(self, trade: ExternalTrade) -> bool:
        """Store a trade; return False (storing nothing) if the account already has a trade with its id.

        Raises:
            NotFoundError: the account or instrument does not exist.
        """

        def _add(conn: Connection) -> bool:
            with transaction(conn):
                account = conn.execute("SELECT id FROM external_accounts WHERE name = ?", (trade.account,)).fetchone()
                if account is None:
                    raise NotFoundError(f"No external account called {trade.account!r}.")
                if not conn.execute("SELECT 1 FROM instruments WHERE symbol = ?", (trade.symbol,)).fetchone():
                    raise NotFoundError(f"Unknown instrument {trade.symbol!r}.")
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO external_trades(id, account_id, symbol, side, qty, price, fee_cents, ts_ms, "
                    "signal_id, recorded_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (trade.id, account[0], trade.symbol, trade.side.value, trade.qty, plain(trade.price),
                     trade.fee_cents, trade.ts_ms, trade.signal_id, now_ms()))
                return bool(cursor.rowcount == 1)

        return await self._db.run(_add)

    async def trade(self, account: str, trade_id: str) -> ExternalTrade | None:
        """Return one stored trade of ``account`` (a name), or None."""
        found = await self._db.run(lambda conn: _trades(conn, "WHERE a.name = ? AND t.id = ?", [account, trade_id]))
        return found[0] if found else None

    async def trades(self, *, account: str | None = None, symbol: str | None = None,
                     since_ms: int | None = None) -> list[ExternalTrade]:
        """Return trades in time order (then arrival), optionally of one account name and/or symbol."""
        where: list[str] = []
        params: list[Any] = []
        for clause, value in (("a.name = ?", account), ("t.symbol = ?", symbol), ("t.ts_ms >= ?", since_ms)):
            if value is not None:
                where.append(clause)
                params.append(value)
        text = f"WHERE {' AND '.join(where)}" if where else ""
        return await self._db.run(lambda conn: _trades(conn, text, params))

    async def source_trades(self, source: str) -> list[ExternalTrade]:
        """Return the trades journaled from ``source``'s signals, in time order."""
        return await self._db.run(lambda conn: _trades(
            conn, "JOIN signals s ON s.id = t.signal_id WHERE s.source = ?", [source]))


def _trades(conn: Connection, where: str, params: Sequence[Any]) -> list[ExternalTrade]:
    rows = conn.execute(f"{_TRADE_SELECT} {where} ORDER BY t.ts_ms, t.rowid", list(params)).fetchall()
    return [ExternalTrade(r[0], r[1], r[2], Side(r[3]), r[4], Decimal(r[5]), r[6], r[7], r[8]) for r in rows]
