"""Creating, unlocking, re-keying and locking the vault, and each way an unlock can fail."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from solders.keypair import Keypair

from desk.core.activity import ActivityKind
from desk.core.errors import (
    DatabaseDamagedError,
    KeyFileError,
    NewerSchemaError,
    VaultExistsError,
    VaultLockedError,
    VaultNotFoundError,
    WrongPasswordError,
)
from desk.vault.files import VaultPaths
from desk.vault.lifecycle import change_password, create_vault, unlock_vault
from desk.vault.migrations import LATEST_VERSION
from tests.factories import FAST_KDF, PASSWORD, new_wallet


def snapshot(home: Path) -> dict[str, str]:
    """Hash every vault file so a test can prove nothing changed."""
    paths = VaultPaths(home)
    files = [paths.db, paths.keys, *paths.sidecars()]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.exists()}


async def make_vault(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    await vault.wallets.add_many([new_wallet("alpha")])
    await vault.lock()


async def test_round_trip_keeps_wallet_and_secret(home: Path) -> None:
    kp = Keypair()
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    [stored] = await vault.wallets.add_many([new_wallet("alpha", keypair=kp, api_key="api-123")])
    await vault.settings.set("auto_lock_minutes", 7)
    await vault.lock()

    vault = await unlock_vault(home, PASSWORD)
    [wallet] = await vault.wallets.list()
    assert wallet == stored
    assert bytes(await vault.wallets.private_key(wallet.id)) == bytes(kp)
    assert bytes(await vault.wallets.api_key(wallet.id)) == b"api-123"
    assert await vault.settings.get("auto_lock_minutes") == 7
    kinds = [e.kind for e in reversed(await vault.activity.recent())]
    assert kinds == ["vault_created", "vault_locked", "vault_unlocked"]
    await vault.lock()


async def test_locked_vault_refuses_queries_and_wipes_data_key(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    dek = vault.data_key()
    await vault.lock()
    assert dek == bytearray(len(dek))
    with pytest.raises(VaultLockedError):
        await vault.wallets.list()


async def test_create_refuses_to_overwrite_existing_vault(home: Path) -> None:
    await make_vault(home)
    before = snapshot(home)
    with pytest.raises(VaultExistsError):
        await create_vault(home, "another password here", FAST_KDF)
    assert snapshot(home) == before


async def test_unlock_without_vault_says_so(home: Path) -> None:
    with pytest.raises(VaultNotFoundError, match="No vault"):
        await unlock_vault(home, PASSWORD)


async def test_wrong_password_is_reported_and_changes_no_vault_file(home: Path) -> None:
    await make_vault(home)
    before = snapshot(home)
    with pytest.raises(WrongPasswordError, match="Wrong password"):
        await unlock_vault(home, "not the password")
    assert snapshot(home) == before


async def test_failed_unlocks_reach_the_activity_log_on_next_unlock(home: Path) -> None:
    await make_vault(home)
    for _ in range(2):
        with pytest.raises(WrongPasswordError):
            await unlock_vault(home, "nope nope nope")
    vault = await unlock_vault(home, PASSWORD)
    kinds = [e.kind for e in await vault.activity.recent(3)]
    assert kinds == [ActivityKind.VAULT_UNLOCKED, ActivityKind.UNLOCK_FAILED, ActivityKind.UNLOCK_FAILED]
    assert await vault.activity.verify_chain() is None
    await vault.lock()
    assert not (home / "unlock-failures.jsonl").exists()


async def test_missing_key_file_is_reported_and_changes_nothing(home: Path) -> None:
    await make_vault(home)
    VaultPaths(home).keys.unlink()
    before = snapshot(home)
    with pytest.raises(KeyFileError, match="missing"):
        await unlock_vault(home, PASSWORD)
    assert snapshot(home) == before


async def test_missing_database_is_reported(home: Path) -> None:
    await make_vault(home)
    VaultPaths(home).db.unlink()
    with pytest.raises(DatabaseDamagedError, match="missing"):
        await unlock_vault(home, PASSWORD)
    assert not VaultPaths(home).db.exists()


@pytest.mark.parametrize("position", [0, 5, 40, 120, 200, -3])
async def test_flipped_byte_in_key_file_is_damage_not_wrong_password(home: Path, position: int) -> None:
    await make_vault(home)
    path = VaultPaths(home).keys
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))
    before = snapshot(home)
    with pytest.raises(KeyFileError, match=r"damaged|not a Mayhem"):
        await unlock_vault(home, PASSWORD)
    assert snapshot(home) == before


async def test_key_file_that_is_not_json_is_reported(home: Path) -> None:
    await make_vault(home)
    VaultPaths(home).keys.write_bytes(b"\x00\xff garbage")
    with pytest.raises(KeyFileError):
        await unlock_vault(home, PASSWORD)


@pytest.mark.parametrize("page", [0, 1, 3])
async def test_flipped_byte_in_database_is_reported_as_damage(home: Path, page: int) -> None:
    await make_vault(home)
    path = VaultPaths(home).db
    data = bytearray(path.read_bytes())
    offset = page * 4096 + 1000
    assert offset < len(data)
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))
    before = snapshot(home)
    with pytest.raises(DatabaseDamagedError, match="damaged"):
        await unlock_vault(home, PASSWORD)
    assert snapshot(home) == before


async def test_database_from_newer_schema_is_refused_untouched(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    await vault.db.run(lambda conn: conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}"))
    await vault.db.close()
    before = snapshot(home)
    with pytest.raises(NewerSchemaError, match="newer Mayhem Desk"):
        await unlock_vault(home, PASSWORD)
    assert snapshot(home) == before


async def test_password_change_keeps_every_row_and_old_password_fails(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    await vault.wallets.add_many([new_wallet(f"w{i}") for i in range(50)])
    db_before = VaultPaths(home).db.stat().st_size
    await change_password(vault, PASSWORD, "a brand new passphrase 42")
    before_rows = await vault.wallets.list()
    await vault.lock()

    with pytest.raises(WrongPasswordError):
        await unlock_vault(home, PASSWORD)
    vault = await unlock_vault(home, "a brand new passphrase 42")
    assert await vault.wallets.list() == before_rows
    assert bytes(await vault.wallets.private_key(before_rows[0].id))
    assert ActivityKind.PASSWORD_CHANGED in [e.kind for e in await vault.activity.recent()]
    assert VaultPaths(home).db.stat().st_size >= db_before
    await vault.lock()


async def test_password_change_with_wrong_current_password_changes_nothing(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    keys_before = VaultPaths(home).keys.read_bytes()
    with pytest.raises(WrongPasswordError, match="current password"):
        await change_password(vault, "wrong wrong wrong", "whatever whatever")
    assert VaultPaths(home).keys.read_bytes() == keys_before
    await vault.lock()


async def test_password_change_never_lowers_kdf_cost(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    await change_password(vault, PASSWORD, "second password here")
    stored = json.loads(VaultPaths(home).keys.read_text())["kdf"]
    assert stored["m"] >= FAST_KDF.memory_kib and stored["t"] >= 3
    await vault.lock()


async def test_interrupted_creation_leaves_no_half_vault(home: Path) -> None:
    paths = VaultPaths(home)
    home.mkdir(parents=True)
    paths.keys_pending.write_text("{}")
    paths.db_pending.write_bytes(b"partial")
    assert not paths.exists()
    assert not paths.keys_pending.exists() and not paths.db_pending.exists()
