"""Create, unlock and re-key the vault.

The slow step (Argon2id) runs in a worker thread so the UI loop keeps painting. A failed unlock of
any kind leaves the vault files untouched; only a line in the failures file records it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from desk.core.activity import ActivityKind
from desk.core.errors import VaultError, VaultExistsError, VaultNotFoundError, WrongPasswordError
from desk.vault import failures, keyfile
from desk.vault.db import Database
from desk.vault.fieldcrypt import wipe
from desk.vault.files import VaultPaths
from desk.vault.keyfile import KdfParams
from desk.vault.repos.activity import ActivityRepo
from desk.vault.session import Vault

log = logging.getLogger(__name__)
T = TypeVar("T")


async def run_off_loop(fn: Callable[[], T]) -> T:
    """Run a slow blocking function (Argon2id) in a worker thread."""
    return await asyncio.get_running_loop().run_in_executor(None, fn)


async def create_vault(home: Path, password: str, kdf: KdfParams | None = None) -> Vault:
    """Create a new vault in ``home`` and return it unlocked.

    The database and key file are written under pending names and installed together, so a crash
    during creation leaves no half-made vault behind.

    Raises:
        VaultExistsError: a vault is already there.
        ValidationError: the KDF parameters are unusable.
    """
    params = kdf or KdfParams.from_env()
    params.check()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = VaultPaths(home)
    if paths.exists():
        raise VaultExistsError(f"A vault already exists in {home}.")
    dek = keyfile.new_dek()
    keys = await run_off_loop(lambda: keyfile.wrap(dek, password, params))
    try:
        pending_db = await Database.open(paths.db_pending, dek, create=True)
        try:
            await ActivityRepo(pending_db).append(
                ActivityKind.VAULT_CREATED,
                {"kdf": {"m_kib": params.memory_kib, "t": params.time_cost, "p": params.parallelism}},
            )
        finally:
            await pending_db.close()
        keyfile.write(paths.keys_pending, keys)
        paths.install_pending()
    except BaseException:
        paths.recover_pending_swap()
        raise
    log.info("vault created in %s", home)
    db = await Database.open(paths.db, dek)
    return Vault(paths, keys, db, dek)


async def unlock_vault(home: Path, password: str) -> Vault:
    """Open the vault in ``home`` with ``password``.

    Raises:
        VaultNotFoundError: no vault in ``home``.
        KeyFileError: the key file is missing or damaged.
        WrongPasswordError: the password is wrong.
        DatabaseDamagedError: the database is missing or fails its integrity check.
        NewerSchemaError: the database comes from a newer desk.
    """
    paths = VaultPaths(home)
    if not paths.exists():
        raise VaultNotFoundError(f"No vault in {home}. Create one with 'desk vault init' or the desk.")
    try:
        keys = keyfile.read(paths.keys)
        dek = await run_off_loop(lambda: keyfile.unwrap(keys, password))
    except VaultError as e:
        failures.record(home, type(e).__name__)
        log.warning("unlock failed: %s", e)
        raise
    try:
        db = await Database.open(paths.db, dek)
    except VaultError as e:
        wipe(dek)
        failures.record(home, type(e).__name__)
        log.warning("unlock failed: %s", e)
        raise
    vault = Vault(paths, keys, db, dek)
    for failure in failures.pending(home):
        await vault.activity.append(ActivityKind.UNLOCK_FAILED, {"reason": failure["reason"]},
                                    ts_ms=int(str(failure["ts_ms"])))
    failures.clear(home)
    await vault.activity.append(ActivityKind.VAULT_UNLOCKED, {})
    log.info("vault unlocked")
    return vault


async def change_password(vault: Vault, old_password: str, new_password: str,
                          kdf: KdfParams | None = None) -> None:
    """Re-wrap the data key under ``new_password``; the database is not touched.

    The old password is checked first. KDF parameters never go down: without ``kdf`` the stronger of
    the current and the configured defaults is used.

    Raises:
        WrongPasswordError: ``old_password`` does not open the key file.
    """
    current = vault.keyfile
    try:
        check = await run_off_loop(lambda: keyfile.unwrap(current, old_password))
    except WrongPasswordError as e:
        raise WrongPasswordError("The current password is wrong; the password was not changed.") from e
    wipe(check)
    params = kdf or _stronger(current.kdf, KdfParams.from_env())
    new_keys = await run_off_loop(lambda: keyfile.wrap(vault.data_key(), new_password, params,
                                                    vault_id=current.vault_id, created_ms=current.created_ms))
    keyfile.write(vault.paths.keys, new_keys)
    vault.keyfile = new_keys
    await vault.activity.append(
        ActivityKind.PASSWORD_CHANGED,
        {"kdf": {"m_kib": params.memory_kib, "t": params.time_cost, "p": params.parallelism}},
    )
    log.info("vault password changed")


def _stronger(a: KdfParams, b: KdfParams) -> KdfParams:
    return replace(a, memory_kib=max(a.memory_kib, b.memory_kib), time_cost=max(a.time_cost, b.time_cost),
                   parallelism=max(a.parallelism, b.parallelism))
