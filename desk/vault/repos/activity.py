"""The append-only, hash-chained activity log."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from desk.core.activity import GENESIS_HASH, ActivityEntry, ActivityKind, entry_hash, first_broken_link
from desk.core.clock import now_ms
from desk.vault.db import Connection, Database, transaction


def append_in(conn: Connection, kind: ActivityKind | str, detail: Mapping[str, Any], ts_ms: int | None = None
              ) -> ActivityEntry:
    """Append an entry using an open connection (inside or outside a caller's transaction)."""
    row = conn.execute("SELECT seq, hash FROM activity ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (1, GENESIS_HASH) if row is None else (row[0] + 1, row[1])
    ts = now_ms() if ts_ms is None else ts_ms
    clean = json.loads(json.dumps(dict(detail), sort_keys=True))
    digest = entry_hash(prev, seq, ts, str(kind), clean)
    conn.execute(
        "INSERT INTO activity(seq, ts_ms, kind, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
        (seq, ts, str(kind), json.dumps(clean, sort_keys=True), prev, digest),
    )
    return ActivityEntry(seq, ts, str(kind), clean, prev, digest)


class ActivityRepo:
    """Reads and appends the activity log. Rows are never updated or deleted (triggers enforce it)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, kind: ActivityKind | str, detail: Mapping[str, Any] | None = None,
                     ts_ms: int | None = None) -> ActivityEntry:
        """Append one entry and return it."""

        def _append(conn: Connection) -> ActivityEntry:
            with transaction(conn):
                return append_in(conn, kind, detail or {}, ts_ms)

        return await self._db.run(_append)

    async def recent(self, limit: int = 500) -> list[ActivityEntry]:
        """Return the newest ``limit`` entries, newest first."""

        def _recent(conn: Connection) -> list[ActivityEntry]:
            rows = conn.execute(
                "SELECT seq, ts_ms, kind, detail, prev_hash, hash FROM activity ORDER BY seq DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [_entry(row) for row in rows]

        return await self._db.run(_recent)

    async def verify_chain(self) -> int | None:
        """Return the seq of the first tampered entry, or None when the whole chain holds."""

        def _verify(conn: Connection) -> int | None:
            rows = conn.execute(
                "SELECT seq, ts_ms, kind, detail, prev_hash, hash FROM activity ORDER BY seq"
            ).fetchall()
            return first_broken_link(_entry(row) for row in rows)

        return await self._db.run(_verify)


def _entry(row: tuple[Any, ...]) -> ActivityEntry:
    return ActivityEntry(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5])
