"""Encrypted backups: round trip, damage detection, the backup's own password, and a safe replace."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.core.activity import ActivityKind
from desk.core.errors import BackupError, WrongPasswordError
from desk.vault.backup import create_backup, read_backup, restore_backup
from desk.vault.files import VaultPaths
from desk.vault.lifecycle import change_password, create_vault, unlock_vault
from tests.factories import FAST_KDF, PASSWORD, new_wallet


async def test_restore_brings_back_the_state_at_backup_time(home: Path, tmp_path: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    kept = await vault.wallets.add_many([new_wallet("kept")])
    backup = tmp_path / "vault.deskbak"
    await create_backup(vault, backup)
    await vault.wallets.add_many([new_wallet("after-backup")])
    await vault.lock()

    info = await restore_backup(home, backup, PASSWORD)
    assert info.vault_id == vault.vault_id
    vault = await unlock_vault(home, PASSWORD)
    assert await vault.wallets.list() == kept
    kinds = [e.kind for e in await vault.activity.recent()]
    assert ActivityKind.BACKUP_RESTORED in kinds
    assert await vault.activity.verify_chain() is None
    await vault.lock()
    replaced = list((home / "replaced").iterdir())
    assert len(replaced) == 1 and (replaced[0] / "vault.db").exists()


async def test_backup_opens_with_the_password_it_was_made_under(home: Path, tmp_path: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    backup = tmp_path / "b.deskbak"
    await create_backup(vault, backup)
    await change_password(vault, PASSWORD, "the newer password")
    await vault.lock()
    with pytest.raises(WrongPasswordError, match="when it was made"):
        await restore_backup(home, backup, "the newer password")
    await restore_backup(home, backup, PASSWORD)
    await (await unlock_vault(home, PASSWORD)).lock()


async def test_restore_into_an_empty_home_creates_the_vault(home: Path, tmp_path: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    await vault.wallets.add_many([new_wallet("moved")])
    backup = tmp_path / "b.deskbak"
    await create_backup(vault, backup)
    await vault.lock()
    other = tmp_path / "other-machine"
    await restore_backup(other, backup, PASSWORD)
    vault = await unlock_vault(other, PASSWORD)
    assert [w.label for w in await vault.wallets.list()] == ["moved"]
    await vault.lock()


@pytest.mark.parametrize("where", ["magic", "header", "database", "truncated"])
async def test_damaged_backup_is_refused_and_vault_untouched(home: Path, tmp_path: Path, where: str) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    backup = tmp_path / "b.deskbak"
    await create_backup(vault, backup)
    await vault.lock()
    data = bytearray(backup.read_bytes())
    if where == "magic":
        data[0] ^= 0xFF
    elif where == "header":
        data[30] ^= 0x01
    elif where == "database":
        data[-100] ^= 0x01
    else:
        data = data[: len(data) // 2]
    backup.write_bytes(bytes(data))
    paths = VaultPaths(home)
    before = (paths.db.read_bytes(), paths.keys.read_bytes())
    with pytest.raises(BackupError):
        await restore_backup(home, backup, PASSWORD)
    assert (paths.db.read_bytes(), paths.keys.read_bytes()) == before
    assert not paths.db_pending.exists() and not paths.keys_pending.exists()


async def test_backup_file_holds_no_plaintext_sqlite_header(home: Path, tmp_path: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    backup = tmp_path / "b.deskbak"
    await create_backup(vault, backup)
    await vault.lock()
    assert b"SQLite format 3" not in backup.read_bytes()
    info, _, db_bytes = read_backup(backup)
    assert info.db_bytes == len(db_bytes) > 0


async def test_backup_to_a_folder_is_refused(home: Path, tmp_path: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    with pytest.raises(BackupError, match="folder"):
        await create_backup(vault, tmp_path)
    await vault.lock()
