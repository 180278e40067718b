"""Wallets with their field-encrypted private keys and API keys."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from desk.core.clock import now_ms
from desk.core.errors import NotFoundError, ValidationError
from desk.core.wallets import Wallet, WalletKind
from desk.vault.db import Connection, Database, transaction
from desk.vault.fieldcrypt import FieldCipher

_COLUMNS = (
    "id, label, kind, pubkey, active, enc_privkey IS NOT NULL, enc_api_key IS NOT NULL, note, "
    "created_ms, updated_ms, archived_ms"
)


@dataclass(frozen=True, slots=True)
class NewWallet:
    """A wallet to be stored, with its secrets (held only until they are sealed).

    Attributes:
        label: User-facing name.
        kind: Origin.
        pubkey: Base58 public key.
        private_key: 64-byte Solana keypair bytes, or None for watch-only.
        api_key: PumpPortal API key, or None.
        active: Initial active flag.
        note: Free text.
    """

    label: str
    kind: WalletKind
    pubkey: str
    private_key: bytes | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    active: bool = True
    note: str = ""


class SecretUpgrade(Protocol):
    """Secrets to attach to a stored wallet (the importer's ``Upgrade`` has this shape)."""

    @property
    def wallet_id(self) -> str: ...
    @property
    def private_key(self) -> bytes | None: ...
    @property
    def api_key(self) -> str | None: ...
    @property
    def kind(self) -> WalletKind: ...


class WalletRepo:
    """Stores wallets; decrypts a secret only when asked to sign or export."""

    def __init__(self, db: Database, cipher: FieldCipher) -> None:
        self._db = db
        self._cipher = cipher

    async def add_many(self, wallets: Sequence[NewWallet]) -> list[Wallet]:
        """Insert all wallets in one transaction (all or none) and return them."""
        rows = self._seal(wallets)

        def _insert(conn: Connection) -> list[Wallet]:
            with transaction(conn):
                _insert_rows(conn, rows)
            return _select(conn, f"WHERE id IN ({','.join('?' * len(rows))})", [r[0] for r in rows])

        return await self._db.run(_insert)

    async def import_batch(self, wallets: Sequence[NewWallet], upgrades: Sequence[SecretUpgrade],
                           groups: Mapping[str, Sequence[str]]) -> int:
        """Apply an import in one transaction: new wallets, secrets for existing ones, group memberships.

        Args:
            wallets: Wallets to add.
            upgrades: Secrets to attach to wallets already stored.
            groups: Group name → public keys to add as sources (groups are created as needed).

        Returns:
            How many wallets were added.
        """
        rows = self._seal(wallets)
        now = now_ms()
        updates = []
        for up in upgrades:
            enc_pk = (self._cipher.encrypt("wallets", up.wallet_id, "enc_privkey", up.private_key)
                      if up.private_key is not None else None)
            enc_api = (self._cipher.encrypt("wallets", up.wallet_id, "enc_api_key", up.api_key.encode())
                       if up.api_key else None)
            updates.append((enc_pk, enc_api, str(up.kind), now, up.wallet_id))

        def _apply(conn: Connection) -> int:
            with transaction(conn):
                _insert_rows(conn, rows)
                conn.executemany(
                    "UPDATE wallets SET enc_privkey = coalesce(?, enc_privkey), "
                    "enc_api_key = coalesce(?, enc_api_key), kind = ?, updated_ms = ? WHERE id = ?", updates)
                for name, pubkeys in groups.items():
                    found = conn.execute("SELECT id FROM wallet_groups WHERE name = ?", (name,)).fetchone()
                    group_id = found[0] if found else str(uuid.uuid4())
                    if not found:
                        conn.execute("INSERT INTO wallet_groups(id, name, created_ms, updated_ms) VALUES (?, ?, ?, ?)",
                                     (group_id, name, now, now))
                    conn.executemany(
                        "INSERT OR IGNORE INTO group_members(group_id, wallet_id, role) "
                        "SELECT ?, id, 'source' FROM wallets WHERE pubkey = ?", [(group_id, k) for k in pubkeys])
            return len(rows)

        return await self._db.run(_apply)

    def _seal(self, wallets: Sequence[NewWallet]) -> builtins.list[tuple[Any, ...]]:
        now = now_ms()
        rows: builtins.list[tuple[Any, ...]] = []
        for new in wallets:
            if not new.label.strip():
                raise ValidationError("A wallet needs a label.")
            wallet_id = str(uuid.uuid4())
            enc_pk = (self._cipher.encrypt("wallets", wallet_id, "enc_privkey", new.private_key)
                      if new.private_key is not None else None)
            enc_api = (self._cipher.encrypt("wallets", wallet_id, "enc_api_key", new.api_key.encode())
                       if new.api_key else None)
            rows.append((wallet_id, new.label.strip(), str(new.kind), new.pubkey, enc_pk, enc_api,
                         int(new.active), new.note, now, now))
        return rows

    async def list(self, *, include_archived: bool = False) -> list[Wallet]:
        """Return wallets ordered by creation."""
        where = "" if include_archived else "WHERE archived_ms IS NULL"
        return await self._db.run(lambda conn: _select(conn, where, []))

    async def get(self, wallet_id: str) -> Wallet:
        """Return one wallet by id."""
        found = await self._db.run(lambda conn: _select(conn, "WHERE id = ?", [wallet_id]))
        if not found:
            raise NotFoundError(f"No wallet with id {wallet_id}.")
        return found[0]

    async def find(self, ref: str) -> Wallet:
        """Return the live wallet whose id, label or public key is ``ref``.

        Raises:
            NotFoundError: no wallet matches, or a label matches several.
        """
        found = await self._db.run(lambda conn: _select(
            conn, "WHERE archived_ms IS NULL AND (id = ? OR label = ? OR pubkey = ?)", [ref, ref, ref]))
        if not found:
            raise NotFoundError(f"No wallet called {ref!r} (give an id, a label or a public key).")
        return found[0]

    async def rename(self, wallet_id: str, label: str) -> None:
        """Give a wallet a new label (unique among live wallets)."""
        if not label.strip():
            raise ValidationError("A wallet needs a label.")
        await self._update(wallet_id, "label = ?", [label.strip()])

    async def set_note(self, wallet_id: str, note: str) -> None:
        """Replace a wallet's note."""
        await self._update(wallet_id, "note = ?", [note])

    async def set_active(self, wallet_ids: Sequence[str], active: bool) -> int:
        """Set the active flag on many wallets at once; return how many changed."""
        ids = list(wallet_ids)

        def _set(conn: Connection) -> int:
            with transaction(conn):
                cur = conn.executemany(
                    "UPDATE wallets SET active = ?, updated_ms = ? WHERE id = ? AND active != ?",
                    [(int(active), now_ms(), i, int(active)) for i in ids])
                return int(cur.rowcount)

        return await self._db.run(_set)

    async def archive(self, wallet_ids: Sequence[str]) -> None:
        """Archive wallets: they leave every list and group but their history stays."""
        ids, now = list(wallet_ids), now_ms()

        def _archive(conn: Connection) -> None:
            with transaction(conn):
                conn.executemany("UPDATE wallets SET archived_ms = ?, active = 0, updated_ms = ? WHERE id = ?",
                                 [(now, now, i) for i in ids])
                conn.executemany("DELETE FROM group_members WHERE wallet_id = ?", [(i,) for i in ids])

        await self._db.run(_archive)

    async def add_secrets(self, wallet_id: str, *, private_key: bytes | None = None, api_key: str | None = None,
                          kind: WalletKind | None = None) -> None:
        """Attach a private key and/or API key to an existing wallet (an import that upgrades it)."""
        sets: list[str] = []
        params: list[Any] = []
        if private_key is not None:
            sets.append("enc_privkey = ?")
            params.append(self._cipher.encrypt("wallets", wallet_id, "enc_privkey", private_key))
        if api_key:
            sets.append("enc_api_key = ?")
            params.append(self._cipher.encrypt("wallets", wallet_id, "enc_api_key", api_key.encode()))
        if kind is not None:
            sets.append("kind = ?")
            params.append(str(kind))
        if sets:
            await self._update(wallet_id, ", ".join(sets), params)

    async def _update(self, wallet_id: str, assignments: str, params: builtins.list[Any]) -> None:
        def _run(conn: Connection) -> None:
            try:
                cur = conn.execute(f"UPDATE wallets SET {assignments}, updated_ms = ? WHERE id = ?",
                                   [*params, now_ms(), wallet_id])
            except Exception as e:  # sqlcipher3.IntegrityError: the unique label index
                if "UNIQUE" in str(e):
                    raise ValidationError("Another wallet already has that label.") from e
                raise
            if cur.rowcount == 0:
                raise NotFoundError(f"No wallet with id {wallet_id}.")

        await self._db.run(_run)

    async def private_key(self, wallet_id: str) -> bytearray:
        """Decrypt and return a wallet's 64-byte keypair; the caller wipes it after use."""
        return await self._secret(wallet_id, "enc_privkey")

    async def api_key(self, wallet_id: str) -> bytearray:
        """Decrypt and return a wallet's API key bytes; the caller wipes it after use."""
        return await self._secret(wallet_id, "enc_api_key")

    async def _secret(self, wallet_id: str, column: str) -> bytearray:
        sealed = await self._db.run(
            lambda conn: conn.execute(f"SELECT {column} FROM wallets WHERE id = ?", (wallet_id,)).fetchone()
        )
        if sealed is None or sealed[0] is None:
            raise NotFoundError("That wallet has no such key stored.")
        return self._cipher.decrypt("wallets", wallet_id, column, sealed[0])


def _insert_rows(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    conn.executemany(
        "INSERT INTO wallets(id, label, kind, pubkey, enc_privkey, enc_api_key, active, note, created_ms, updated_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _select(conn: Connection, where: str, params: list[Any]) -> list[Wallet]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM wallets {where} ORDER BY created_ms, rowid", params).fetchall()
    return [
        Wallet(id=r[0], label=r[1], kind=WalletKind(r[2]), pubkey=r[3], active=bool(r[4]),
               has_private_key=bool(r[5]), has_api_key=bool(r[6]), note=r[7], created_ms=r[8],
               updated_ms=r[9], archived_ms=r[10])
        for r in rows
    ]
