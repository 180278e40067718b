"""Signals and their per-account executions; stored once per id, so a repeated signal is ignored."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from desk.core.clock import now_ms
from desk.core.errors import DeskError, NotFoundError
from desk.core.market import Side
from desk.core.positions import TradeFill
from desk.core.signals import (
    SIGNAL_TRANSITIONS,
    Signal,
    SignalExecution,
    SignalRecord,
    SignalStatus,
    parse_signal,
)
from desk.vault.db import Connection, Database, transaction

_SIGNAL_COLUMNS = "id, source, payload, received_ms, status, reason"
_EXEC_COLUMNS = "signal_id, account_ref, status, detail, updated_ms"


class SignalRepo:
    """Stores signals; every read returns :class:`SignalRecord` values with their executions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, signal: Signal) -> bool:
        """Store a new signal as received; return False (storing nothing) if its id is already known."""
        target = json.dumps({"group": signal.group, "accounts": list(signal.accounts)})
        size = "" if signal.size is None else str(signal.payload()["size"])
        row = (signal.id, signal.source, signal.action.value, signal.mint, signal.symbol, size, target,
               SignalStatus.RECEIVED.value, json.dumps(signal.payload()), signal.received_ms, now_ms())

        def _add(conn: Connection) -> bool:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO signals(id, source, action, mint, symbol, size, target, status, payload, "
                "received_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            return bool(cursor.rowcount == 1)

        return await self._db.run(_add)

    async def get(self, signal_id: str) -> SignalRecord | None:
        """Return one signal with its executions, or None."""
        found = await self._db.run(lambda conn: _load(conn, "WHERE id = ?", [signal_id], 1))
        return found[0] if found else None

    async def recent(self, limit: int = 50, *, source: str | None = None) -> list[SignalRecord]:
        """Return the newest signals first, optionally from one source."""
        where, params = ("WHERE source = ?", [source]) if source else ("", [])
        return await self._db.run(lambda conn: _load(conn, where, params, max(1, min(limit, 1000))))

    async def set_status(self, signal_id: str, status: SignalStatus, reason: str = "") -> None:
        """Move a signal to ``status`` along :data:`SIGNAL_TRANSITIONS`.

        Raises:
            NotFoundError: no such signal.
            DeskError: the transition is not allowed.
        """

        def _set(conn: Connection) -> None:
            with transaction(conn):
                row = conn.execute("SELECT status FROM signals WHERE id = ?", (signal_id,)).fetchone()
                if row is None:
                    raise NotFoundError(f"No signal {signal_id!r}.")
                current = SignalStatus(row[0])
                if status is not current and status not in SIGNAL_TRANSITIONS[current]:
                    raise DeskError(f"A signal cannot go from {current} to {status}.")
                conn.execute("UPDATE signals SET status = ?, reason = ?, updated_ms = ? WHERE id = ?",
                             (status.value, reason, now_ms(), signal_id))

        await self._db.run(_set)

    async def save_executions(self, executions: Sequence[SignalExecution]) -> None:
        """Insert or update per-account outcomes."""
        rows = [(e.signal_id, e.account_ref, e.status, json.dumps(_detail(e)), e.updated_ms or now_ms())
                for e in executions]

        def _save(conn: Connection) -> None:
            with transaction(conn):
                conn.executemany(
                    f"INSERT INTO signal_executions({_EXEC_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(signal_id, account_ref) DO UPDATE SET status = excluded.status, "
                    "detail = excluded.detail, updated_ms = excluded.updated_ms", rows)

        await self._db.run(_save)

    async def source_fills(self, network: str, source: str) -> list[TradeFill]:
        """Return the fills of orders that came from ``source``'s signals on ``network``, in time order."""
        rows = await self._db.run(lambda conn: conn.execute(
            "SELECT f.network, f.signature, f.leg_index, f.wallet_id, f.mint, f.side, f.tokens, f.sol_lamports, "
            "f.network_fee, f.priority_fee, f.tip, f.ts_ms FROM fills f JOIN orders o ON o.id = f.order_id "
            "JOIN signals s ON s.id = o.signal_id WHERE s.source = ? AND f.network = ? ORDER BY f.ts_ms, f.rowid",
            (source, network)).fetchall())
        return [TradeFill(r[0], r[1], r[2], r[3], r[4], Side(r[5]), r[6], r[7], r[8], r[9], r[10], r[11])
                for r in rows]

    async def mints_for_symbol(self, network: str, symbol: str) -> list[str]:
        """Return the known token mints whose ticker is ``symbol`` (case-insensitive) on ``network``."""
        rows = await self._db.run(lambda conn: conn.execute(
            "SELECT DISTINCT mint FROM tokens WHERE network = ? AND symbol = ? COLLATE NOCASE ORDER BY mint",
            (network, symbol)).fetchall())
        return [r[0] for r in rows]


def _detail(e: SignalExecution) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": e.kind, "label": e.label}
    for key, value in (("order_id", e.order_id), ("signature", e.signature), ("trade_id", e.trade_id)):
        if value:
            doc[key] = value
    if e.reason:
        doc["reason"] = e.reason
    return doc


def _execution(row: Sequence[Any]) -> SignalExecution:
    try:
        detail = json.loads(row[3]) if row[3] else {}
    except json.JSONDecodeError:
        detail = {"reason": row[3]}
    if not isinstance(detail, dict):
        detail = {}
    return SignalExecution(row[0], row[1], str(detail.get("kind", "wallet")), str(detail.get("label", row[1])),
                           row[2], detail.get("order_id"), detail.get("signature"), detail.get("trade_id"),
                           str(detail.get("reason", "")), row[4])


def _load(conn: Connection, where: str, params: list[Any], limit: int) -> list[SignalRecord]:
    rows = conn.execute(f"SELECT {_SIGNAL_COLUMNS} FROM signals {where} ORDER BY received_ms DESC, rowid DESC "
                        "LIMIT ?", [*params, limit]).fetchall()
    executions: dict[str, list[SignalExecution]] = {r[0]: [] for r in rows}
    if rows:
        marks = ",".join("?" * len(rows))
        for row in conn.execute(f"SELECT {_EXEC_COLUMNS} FROM signal_executions WHERE signal_id IN ({marks}) "
                                "ORDER BY rowid", [r[0] for r in rows]):
            executions[row[0]].append(_execution(row))
    records = []
    for signal_id, source, payload, received_ms, status, reason in rows:
        signal = parse_signal(json.loads(payload), new_id=signal_id, received_ms=received_ms, source=source)
        records.append(SignalRecord(signal, SignalStatus(status), reason, tuple(executions[signal_id])))
    return records
