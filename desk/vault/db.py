"""The SQLCipher connection and the one thread that owns it.

Every statement runs on the owner thread; callers ``await db.run(fn)`` with a function of the
connection. Opening checks, in order: the module really is SQLCipher, the key reads page 1, every
page's HMAC verifies, and the schema is not newer than this desk. Only then is anything written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlcipher3

from desk.core.errors import DatabaseDamagedError, NewerSchemaError, NotSQLCipherError, VaultLockedError
from desk.vault.migrations import LATEST_VERSION, MIGRATIONS

log = logging.getLogger(__name__)

T = TypeVar("T")
Connection = Any  # sqlcipher3 ships no type information

_DAMAGED = (
    "The vault database is damaged or does not belong to this key file ({detail}). "
    "Nothing was changed; restore a backup with 'desk vault restore'."
)


def connect_keyed(path: Path, dek: bytes | bytearray) -> Connection:
    """Open ``path`` with the raw data key, refusing any sqlite module that does not encrypt."""
    if getattr(sqlcipher3, "sqlite_version", None) is None:  # pragma: no cover - import guard
        raise NotSQLCipherError("The sqlcipher3 module is unusable.")
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=True)
    try:
        ensure_sqlcipher(conn)
        key_reply = conn.execute(f"PRAGMA key = \"x'{bytes(dek).hex()}'\"").fetchall()
        if key_reply != [("ok",)]:
            raise NotSQLCipherError("The database module did not accept an encryption key; refusing to write.")
        conn.execute("PRAGMA cipher_log_level = NONE")
    except BaseException:
        conn.close()
        raise
    return conn


def ensure_sqlcipher(conn: Connection) -> None:
    """Raise NotSQLCipherError unless ``conn`` comes from an encrypting SQLCipher build."""
    try:
        rows = conn.execute("PRAGMA cipher_version").fetchall()
    except Exception as e:
        raise NotSQLCipherError("The sqlite module is not SQLCipher; refusing to write a plaintext file.") from e
    if not rows or not rows[0][0]:
        raise NotSQLCipherError("The sqlite module is not SQLCipher; refusing to write a plaintext file.")


def verify_readable(conn: Connection) -> int:
    """Check the keyed database page by page and return its schema version.

    Raises:
        DatabaseDamagedError: page 1 does not decrypt, or a page fails its HMAC.
        NewerSchemaError: the schema is newer than this desk knows.
    """
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        problems = conn.execute("PRAGMA cipher_integrity_check").fetchall()
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlcipher3.DatabaseError as e:
        raise DatabaseDamagedError(_DAMAGED.format(detail=str(e))) from e
    if problems:
        raise DatabaseDamagedError(_DAMAGED.format(detail=f"{len(problems)} damaged page(s): {problems[0][0]}"))
    if version > LATEST_VERSION:
        raise NewerSchemaError(
            f"This vault was written by a newer Mayhem Desk (schema {version}; this desk knows up to "
            f"{LATEST_VERSION}). Update the desk; the vault was not changed."
        )
    return version


def migrate(conn: Connection, current: int) -> int:
    """Apply every migration above ``current``, each atomically; return the new version."""
    for version in range(current + 1, LATEST_VERSION + 1):
        with transaction(conn):
            for statement in _split(MIGRATIONS[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(version)}")
        log.info("vault schema migrated to version %d", version)
    return LATEST_VERSION


@contextlib.contextmanager
def transaction(conn: Connection) -> Iterator[None]:
    """Run the body in one IMMEDIATE transaction: all of it commits, or none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _split(script: str) -> list[str]:
    """Split a migration script into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlcipher3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _finished(fn: Callable[[Connection], T], conn: Connection) -> T:
    """Run ``fn`` and close a cursor it returned, so no half-stepped statement blocks a later COMMIT."""
    result = fn(conn)
    if isinstance(result, sqlcipher3.Cursor):
        result.close()
    return result


class Database:
    """The vault's connection, owned by one worker thread.

    Use :meth:`open` to create one; all access goes through :meth:`run`.
    """

    def __init__(self, executor: ThreadPoolExecutor, conn: Connection, path: Path) -> None:
        self._executor: ThreadPoolExecutor | None = executor
        self._conn = conn
        self.path = path

    @classmethod
    async def open(cls, path: Path, dek: bytes | bytearray, *, create: bool = False) -> Database:
        """Open (or with ``create``, initialise) the database on a fresh owner thread.

        Raises:
            DatabaseDamagedError: the file is missing, unreadable or fails its integrity check.
            NewerSchemaError: the schema is newer than this desk.
            NotSQLCipherError: the sqlite module does not encrypt.
        """
        if not create and not path.exists():
            raise DatabaseDamagedError(
                "The vault database (vault.db) is missing. Nothing was changed; restore a backup."
            )
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vault-db")
        key = bytes(dek)

        def _open() -> Connection:
            conn = connect_keyed(path, key)
            try:
                version = 0 if create else verify_readable(conn)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = FULL")
                migrate(conn, version)
            except BaseException:
                conn.close()
                raise
            return conn

        try:
            conn = await asyncio.wrap_future(executor.submit(_open))
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, conn, path)

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on the owner thread and return its result."""
        if self._executor is None:
            raise VaultLockedError("The vault is locked.")
        return await asyncio.wrap_future(self._executor.submit(_finished, fn, self._conn))

    async def close(self) -> None:
        """Checkpoint, close the connection and stop the owner thread."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None

        def _close() -> None:
            with contextlib.suppress(sqlcipher3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

        await asyncio.wrap_future(executor.submit(_close))
        executor.shutdown(wait=True)

    @property
    def is_open(self) -> bool:
        """Whether the connection is still usable."""
        return self._executor is not None
