"""The database guard, migrations and the append-only activity log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desk.core.errors import NotSQLCipherError
from desk.vault.db import ensure_sqlcipher
from desk.vault.lifecycle import create_vault
from desk.vault.migrations import LATEST_VERSION, MIGRATIONS
from tests.factories import FAST_KDF, PASSWORD

DESIGN_TABLES = {
    "settings", "wallets", "wallet_groups", "group_members", "tokens", "market_trades", "orders",
    "order_legs", "fills", "instruments", "external_accounts", "signals", "signal_executions", "launches",
    "activity", "sync_state",
}


def test_plain_sqlite_module_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "plain.db")
    with pytest.raises(NotSQLCipherError, match="plaintext"):
        ensure_sqlcipher(conn)
    conn.close()


def test_migrations_are_numbered_without_gaps() -> None:
    assert sorted(MIGRATIONS) == list(range(1, LATEST_VERSION + 1))


async def test_schema_has_every_table_of_the_design(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    tables = await vault.db.run(
        lambda conn: {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    )
    version = await vault.db.run(lambda conn: conn.execute("PRAGMA user_version").fetchone()[0])
    await vault.lock()
    assert tables >= DESIGN_TABLES
    assert version == LATEST_VERSION


async def test_activity_rows_cannot_be_updated_or_deleted(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    for statement in ("UPDATE activity SET kind = 'x'", "DELETE FROM activity"):
        with pytest.raises(Exception, match="append-only"):
            await vault.db.run(lambda conn, s=statement: conn.execute(s))
    assert await vault.activity.verify_chain() is None
    await vault.lock()


async def test_activity_chain_detects_a_rewritten_entry(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    await vault.activity.append("note", {"n": 1})
    await vault.activity.append("note", {"n": 2})

    def tamper(conn: object) -> None:
        conn.execute("DROP TRIGGER activity_no_update")
        conn.execute("UPDATE activity SET detail = '{\"n\": 9}' WHERE seq = 2")

    await vault.db.run(tamper)
    assert await vault.activity.verify_chain() == 2
    await vault.lock()
