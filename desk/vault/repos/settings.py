"""Settings: JSON values by key, some marked syncable for later device sync."""

from __future__ import annotations

import json
from typing import Any

from desk.core.clock import now_ms
from desk.vault.db import Connection, Database


class SettingsRepo:
    """Key/value settings stored in the vault."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str, default: Any = None) -> Any:
        """Return the stored value for ``key`` or ``default``."""

        def _get(conn: Connection) -> Any:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            return default if row is None else json.loads(row[0])

        return await self._db.run(_get)

    async def set(self, key: str, value: Any, *, syncable: bool = False) -> None:
        """Store ``value`` (JSON-serialisable) under ``key``."""
        text = json.dumps(value)

        def _set(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO settings(key, value, syncable, updated_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, syncable = excluded.syncable, "
                "updated_ms = excluded.updated_ms",
                (key, text, int(syncable), now_ms()),
            )

        await self._db.run(_set)
