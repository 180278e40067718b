"""Encrypted single-file backups and restoring from them.

A backup is ``MAGIC``, a 4-byte header length, a JSON header (the key file as it was, the schema
version, the database's SHA-256) and a consistent SQLCipher copy of the database under the same data
key. It opens with the password the vault had when the backup was made. Restoring never destroys the
current vault: its files are moved to ``replaced/<time>/`` first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

from desk.core.activity import ActivityKind
from desk.core.clock import now_ms
from desk.core.errors import BackupError, NewerSchemaError, VaultError, WrongPasswordError
from desk.vault import keyfile
from desk.vault.db import Connection, Database
from desk.vault.fieldcrypt import wipe
from desk.vault.files import VaultPaths, atomic_write, fsync_dir
from desk.vault.keyfile import KeyFile
from desk.vault.lifecycle import run_off_loop
from desk.vault.migrations import LATEST_VERSION
from desk.vault.repos.activity import ActivityRepo
from desk.vault.session import Vault

log = logging.getLogger(__name__)

MAGIC = b"MAYHEM-DESK-BACKUP\n"
MAX_HEADER = 1 << 20


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """What a backup file holds.

    Attributes:
        path: The backup file.
        vault_id: The vault it came from.
        created_ms: When it was made.
        schema: Schema version of the database in it.
        db_bytes: Size of the encrypted database copy.
    """

    path: Path
    vault_id: str
    created_ms: int
    schema: int
    db_bytes: int


async def create_backup(vault: Vault, dest: Path) -> BackupInfo:
    """Write an encrypted backup of ``vault`` to ``dest`` atomically and log it."""
    dest = dest.expanduser().resolve()
    if dest.is_dir():
        raise BackupError(f"{dest} is a folder; give a file name for the backup.")
    tmp = vault.paths.home / f".backup-export-{now_ms()}.db"
    hex_key = bytes(vault.data_key()).hex()

    def _export(conn: Connection) -> int:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute(f"ATTACH DATABASE ? AS backup KEY \"x'{hex_key}'\"", (str(tmp),))
        try:
            conn.execute("SELECT sqlcipher_export('backup')")
            conn.execute(f"PRAGMA backup.user_version = {version}")
        finally:
            conn.execute("DETACH DATABASE backup")
        return version

    try:
        schema = await vault.db.run(_export)
        db_bytes = tmp.read_bytes()
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    created = now_ms()
    header = {
        "v": 1,
        "vault_id": vault.vault_id,
        "created_ms": created,
        "schema": schema,
        "db_sha256": hashlib.sha256(db_bytes).hexdigest(),
        "db_bytes": len(db_bytes),
        "keyfile": json.loads(vault.keyfile.to_json()),
    }
    header_bytes = json.dumps(header, sort_keys=True).encode()
    atomic_write(dest, MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + db_bytes)
    await vault.activity.append(ActivityKind.BACKUP_CREATED, {"file": dest.name, "bytes": len(db_bytes)})
    log.info("backup written (%d bytes)", len(db_bytes))
    return BackupInfo(dest, vault.vault_id, created, schema, len(db_bytes))


def read_backup(src: Path) -> tuple[BackupInfo, KeyFile, bytes]:
    """Parse and verify a backup file without decrypting anything.

    Raises:
        BackupError: the file is missing, not a backup, truncated or damaged.
    """
    try:
        data = src.read_bytes()
    except OSError as e:
        raise BackupError(f"The backup file cannot be read: {e.strerror or e}.") from e
    if not data.startswith(MAGIC):
        raise BackupError("That file is not a Mayhem Desk backup.")
    offset = len(MAGIC)
    if len(data) < offset + 4:
        raise BackupError("The backup file is truncated.")
    (header_len,) = struct.unpack(">I", data[offset:offset + 4])
    if header_len > MAX_HEADER or len(data) < offset + 4 + header_len:
        raise BackupError("The backup file is truncated or damaged.")
    try:
        header = json.loads(data[offset + 4:offset + 4 + header_len])
        keys = KeyFile.from_json(json.dumps(header["keyfile"]).encode())
        info = BackupInfo(src, str(header["vault_id"]), int(header["created_ms"]), int(header["schema"]),
                          int(header["db_bytes"]))
        digest = str(header["db_sha256"])
    except (ValueError, KeyError, TypeError, VaultError) as e:
        raise BackupError("The backup file's header is damaged.") from e
    db_bytes = data[offset + 4 + header_len:]
    if len(db_bytes) != info.db_bytes or hashlib.sha256(db_bytes).hexdigest() != digest:
        raise BackupError("The backup file is damaged (its database does not match its checksum).")
    return info, keys, db_bytes


async def restore_backup(home: Path, src: Path, password: str) -> BackupInfo:
    """Replace the vault in ``home`` with the backup at ``src``.

    The backup is verified, decrypted with ``password`` and integrity-checked before anything in
    ``home`` changes; an existing vault is kept under ``replaced/``. The vault must be locked.

    Raises:
        BackupError: the file is damaged.
        WrongPasswordError: the password does not open the backup.
        NewerSchemaError: the backup comes from a newer desk.
    """
    info, keys, db_bytes = read_backup(src)
    if info.schema > LATEST_VERSION:
        raise NewerSchemaError(f"The backup was made by a newer Mayhem Desk (schema {info.schema}).")
    try:
        dek = await run_off_loop(lambda: keyfile.unwrap(keys, password))
    except WrongPasswordError as e:
        raise WrongPasswordError(
            "Wrong password for this backup. It opens with the password the vault had when it was made."
        ) from e
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = VaultPaths(home)
    paths.recover_pending_swap()
    try:
        atomic_write(paths.db_pending, db_bytes)
        db = await Database.open(paths.db_pending, dek)
        try:
            await ActivityRepo(db).append(
                ActivityKind.BACKUP_RESTORED, {"file": src.name, "backup_created_ms": info.created_ms}
            )
        finally:
            await db.close()
        _keep_current(paths)
        keyfile.write(paths.keys_pending, keys)
        paths.install_pending()
    except BaseException:
        paths.recover_pending_swap()
        with contextlib.suppress(FileNotFoundError):
            paths.db_pending.unlink()
        raise
    finally:
        wipe(dek)
    log.info("vault restored from a backup")
    return info


def _keep_current(paths: VaultPaths) -> None:
    existing = [p for p in (paths.db, paths.keys, *paths.sidecars()) if p.exists()]
    if not existing:
        return
    keep = paths.home / "replaced" / str(now_ms())
    keep.mkdir(parents=True, mode=0o700)
    for path in existing:
        shutil.copy2(path, keep / path.name)
    fsync_dir(keep)
