"""Crash-safe file primitives: atomic replace and the pending-swap protocol for the vault pair."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DB_NAME = "vault.db"
KEYS_NAME = "vault.keys.json"
PENDING_SUFFIX = ".pending"


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry so a rename inside it survives a power cut (no-op on Windows)."""
    if os.name == "nt":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old or the new content.

    The bytes go to a temporary file in the same directory, are fsynced, then replace the target.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


class VaultPaths:
    """Where a vault's files live inside a data directory.

    Attributes:
        home: The data directory.
        db: The SQLCipher database.
        keys: The key file (KDF parameters and the wrapped data key).
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self.db = home / DB_NAME
        self.keys = home / KEYS_NAME

    @property
    def db_pending(self) -> Path:
        return self.db.with_name(self.db.name + PENDING_SUFFIX)

    @property
    def keys_pending(self) -> Path:
        return self.keys.with_name(self.keys.name + PENDING_SUFFIX)

    def sidecars(self, db: Path | None = None) -> list[Path]:
        """Return the WAL and shared-memory files that belong to a database file."""
        base = db or self.db
        return [base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm")]

    def exists(self) -> bool:
        """Return whether a vault (key file or database) is present, after finishing any pending swap."""
        self.recover_pending_swap()
        return self.keys.exists() or self.db.exists()

    def install_pending(self) -> None:
        """Make the pending pair the live vault: key file first, then the database.

        Both pending files must be fully written and fsynced. A crash at any point leaves a state that
        ``recover_pending_swap`` resolves to either the old vault or the new one, never a mix.
        """
        os.replace(self.keys_pending, self.keys)
        fsync_dir(self.home)
        self._install_pending_db()

    def recover_pending_swap(self) -> None:
        """Resolve a swap interrupted by a crash.

        With the pending key file still present the swap never started: both pending files are dropped.
        With only the pending database left, the key file was already installed: finish with the database.
        """
        if self.keys_pending.exists():
            for path in (self.keys_pending, self.db_pending, *self.sidecars(self.db_pending)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        elif self.db_pending.exists():
            self._install_pending_db()

    def _install_pending_db(self) -> None:
        for sidecar in self.sidecars():
            with contextlib.suppress(FileNotFoundError):
                sidecar.unlink()
        os.replace(self.db_pending, self.db)
        fsync_dir(self.home)
