"""Wallet groups and their members (a wallet may be in several groups, as source or receiver)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from desk.core.clock import now_ms
from desk.core.errors import NotFoundError, ValidationError
from desk.core.wallets import GroupStatus, MemberRole, WalletGroup
from desk.vault.db import Connection, Database, transaction


class GroupRepo:
    """Stores groups; every read returns :class:`WalletGroup` values with their members."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, name: str) -> WalletGroup:
        """Create an empty group."""
        name = name.strip()
        if not name:
            raise ValidationError("A group needs a name.")
        group_id, now = str(uuid.uuid4()), now_ms()

        def _create(conn: Connection) -> None:
            if conn.execute("SELECT 1 FROM wallet_groups WHERE name = ?", (name,)).fetchone():
                raise ValidationError(f"A group called {name!r} already exists.")
            conn.execute("INSERT INTO wallet_groups(id, name, created_ms, updated_ms) VALUES (?, ?, ?, ?)",
                         (group_id, name, now, now))

        await self._db.run(_create)
        return WalletGroup(group_id, name)

    async def list(self) -> list[WalletGroup]:
        """Return every group, by name."""
        return await self._db.run(lambda conn: _load(conn, "", []))

    async def find(self, ref: str) -> WalletGroup:
        """Return the group whose id or name is ``ref``."""
        found = await self._db.run(lambda conn: _load(conn, "WHERE id = ? OR name = ?", [ref, ref]))
        if not found:
            raise NotFoundError(f"No group called {ref!r}.")
        return found[0]

    async def add_members(self, group_id: str, wallet_ids: Sequence[str], role: MemberRole) -> None:
        """Add wallets in ``role`` (adding twice is a no-op)."""

        def _add(conn: Connection) -> None:
            with transaction(conn):
                conn.executemany("INSERT OR IGNORE INTO group_members(group_id, wallet_id, role) VALUES (?, ?, ?)",
                                 [(group_id, w, str(role)) for w in wallet_ids])
                conn.execute("UPDATE wallet_groups SET updated_ms = ? WHERE id = ?", (now_ms(), group_id))

        await self._db.run(_add)

    async def set_receiver(self, group_id: str, wallet_id: str) -> None:
        """Make ``wallet_id`` the group's only receiver (it stops being a source), in one transaction."""

        def _set(conn: Connection) -> None:
            with transaction(conn):
                conn.execute("DELETE FROM group_members WHERE group_id = ? AND (role = 'receiver' OR wallet_id = ?)",
                             (group_id, wallet_id))
                conn.execute("INSERT INTO group_members(group_id, wallet_id, role) VALUES (?, ?, 'receiver')",
                             (group_id, wallet_id))
                conn.execute("UPDATE wallet_groups SET updated_ms = ? WHERE id = ?", (now_ms(), group_id))

        await self._db.run(_set)

    async def remove_members(self, group_id: str, wallet_ids: Sequence[str]) -> None:
        """Take wallets out of a group in every role."""

        def _remove(conn: Connection) -> None:
            with transaction(conn):
                conn.executemany("DELETE FROM group_members WHERE group_id = ? AND wallet_id = ?",
                                 [(group_id, w) for w in wallet_ids])

        await self._db.run(_remove)

    async def set_status(self, group_id: str, status: GroupStatus, *, consolidated: bool = False) -> None:
        """Record a run's state; ``consolidated`` also stamps the last consolidation time."""
        now = now_ms()

        def _set(conn: Connection) -> None:
            if consolidated:
                conn.execute("UPDATE wallet_groups SET status = ?, last_consolidated_ms = ?, updated_ms = ? "
                             "WHERE id = ?", (str(status), now, now, group_id))
            else:
                conn.execute("UPDATE wallet_groups SET status = ?, updated_ms = ? WHERE id = ?",
                             (str(status), now, group_id))

        await self._db.run(_set)

    async def set_rules(self, group_id: str, rules_json: str) -> None:
        """Store the group's automation rules (JSON text)."""
        await self._db.run(lambda conn: conn.execute(
            "UPDATE wallet_groups SET rules = ?, updated_ms = ? WHERE id = ?", (rules_json, now_ms(), group_id)))


def _load(conn: Connection, where: str, params: list[Any]) -> list[WalletGroup]:
    rows = conn.execute(
        f"SELECT id, name, status, last_consolidated_ms, rules FROM wallet_groups {where} ORDER BY name", params
    ).fetchall()
    members: dict[str, dict[str, list[str]]] = {r[0]: {"source": [], "receiver": []} for r in rows}
    if rows:
        marks = ",".join("?" * len(rows))
        for group_id, wallet_id, role in conn.execute(
            f"SELECT m.group_id, m.wallet_id, m.role FROM group_members m JOIN wallets w ON w.id = m.wallet_id "
            f"WHERE m.group_id IN ({marks}) AND w.archived_ms IS NULL ORDER BY w.created_ms, w.rowid",
            [r[0] for r in rows],
        ):
            members[group_id][role].append(wallet_id)
    return [WalletGroup(r[0], r[1], GroupStatus(r[2]), r[3], r[4], tuple(members[r[0]]["source"]),
                        tuple(members[r[0]]["receiver"])) for r in rows]
