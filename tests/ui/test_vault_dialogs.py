"""The vault dialogs driven like a user: type, click, read the messages."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from desk.ui.dialogs.backup import BackupDialog, RestoreDialog
from desk.ui.dialogs.change_password import ChangePasswordDialog
from desk.ui.dialogs.create_vault import MISMATCH, CreateVaultDialog
from desk.ui.dialogs.unlock import UnlockDialog
from desk.vault.lifecycle import create_vault, unlock_vault
from desk.vault.session import Vault
from tests.factories import PASSWORD
from tests.ui.qtasync import QtAsync

LEFT = Qt.MouseButton.LeftButton


async def _create_through_dialog(qtbot: QtBot, aio: QtAsync, home: Path, password: str) -> Vault:
    dialog = CreateVaultDialog(home)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClicks(dialog.confirm, password)
    qtbot.mouseClick(dialog.create_button, LEFT)
    assert dialog.busy.running, "the busy indicator shows while Argon2 runs"
    assert not dialog.create_button.isEnabled()
    (vault,) = await aio.signal(dialog.created)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.vault is vault
    assert dialog.password.text() == "" and dialog.confirm.text() == ""
    return vault


async def _unlock_through_dialog(qtbot: QtBot, aio: QtAsync, home: Path, password: str) -> Vault:
    dialog = UnlockDialog(home)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter presses the Unlock button
    (vault,) = await aio.signal(dialog.unlocked)
    assert dialog.result() == QDialog.DialogCode.Accepted
    return vault


def test_create_lock_and_unlock_through_the_real_dialogs(qtbot: QtBot, aio: QtAsync, home: Path) -> None:
    async def scenario() -> None:
        vault = await _create_through_dialog(qtbot, aio, home, PASSWORD)
        assert vault.is_unlocked
        await vault.settings.set("probe", 42)
        await vault.lock()
        assert not vault.is_unlocked

        dialog = UnlockDialog(home)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.keyClicks(dialog.password, "not the password")
        qtbot.mouseClick(dialog.unlock_button, LEFT)
        assert dialog.busy.running
        (message,) = await aio.signal(dialog.failed)
        assert "Wrong password" in message
        assert "Wrong password" in dialog.message.text()
        assert dialog.isVisible() and dialog.result() == 0, "a wrong password keeps the dialog open"
        assert not dialog.busy.running and dialog.unlock_button.isEnabled()

        dialog.password.clear()
        qtbot.keyClicks(dialog.password, PASSWORD)
        qtbot.mouseClick(dialog.unlock_button, LEFT)
        (vault,) = await aio.signal(dialog.unlocked)
        assert dialog.result() == QDialog.DialogCode.Accepted
        assert await vault.settings.get("probe") == 42
        await vault.lock()

        vault = await _unlock_through_dialog(qtbot, aio, home, PASSWORD)
        assert vault.is_unlocked
        await vault.lock()

    aio.run(scenario())


def test_create_refuses_mismatch_and_short_password_and_creates_nothing(
        qtbot: QtBot, aio: QtAsync, home: Path) -> None:
    async def scenario() -> None:
        dialog = CreateVaultDialog(home)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.keyClicks(dialog.password, "short")
        qtbot.keyClicks(dialog.confirm, "short")
        qtbot.mouseClick(dialog.create_button, LEFT)
        assert "too short" in dialog.message.text()
        assert dialog.meter.level == "too short"

        dialog.password.clear()
        dialog.confirm.clear()
        qtbot.keyClicks(dialog.password, PASSWORD)
        qtbot.keyClicks(dialog.confirm, PASSWORD + "!")
        assert dialog.confirm.property("invalid") is True
        qtbot.mouseClick(dialog.create_button, LEFT)
        assert dialog.message.text() == MISMATCH
        assert not dialog.busy.running
        assert dialog.isVisible()
        assert not home.exists() or not any(home.iterdir())

    aio.run(scenario())


def test_strength_meter_follows_the_typed_password(qtbot: QtBot, aio: QtAsync, home: Path) -> None:
    async def scenario() -> None:
        dialog = CreateVaultDialog(home)
        qtbot.addWidget(dialog)
        assert dialog.meter.level == "empty"
        qtbot.keyClicks(dialog.password, "password1")
        weak = dialog.meter.bar.value()
        assert dialog.meter.level == "weak"
        dialog.password.clear()
        qtbot.keyClicks(dialog.password, "Velvet-Harbor-Quiet-Mosaic-91")
        assert dialog.meter.level == "strong"
        assert dialog.meter.bar.value() > weak
        assert "password" not in dialog.meter.label.text().lower().replace("passwords", "")

    aio.run(scenario())


def test_unlock_dialog_cannot_be_closed_while_deriving(qtbot: QtBot, aio: QtAsync, home: Path) -> None:
    async def scenario() -> None:
        await (await create_vault(home, PASSWORD)).lock()
        dialog = UnlockDialog(home)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.keyClicks(dialog.password, PASSWORD)
        qtbot.mouseClick(dialog.unlock_button, LEFT)
        dialog.reject()
        assert dialog.isVisible(), "closing mid-derivation would strand an unlocked vault"
        (vault,) = await aio.signal(dialog.unlocked)
        await vault.lock()

    aio.run(scenario())


def test_unlock_with_empty_password_says_so(qtbot: QtBot, aio: QtAsync, home: Path) -> None:
    async def scenario() -> None:
        await (await create_vault(home, PASSWORD)).lock()
        dialog = UnlockDialog(home)
        qtbot.addWidget(dialog)
        qtbot.mouseClick(dialog.unlock_button, LEFT)
        assert dialog.message.text() == "Type the vault password."
        assert not dialog.busy.running

    aio.run(scenario())


def test_change_password_rejects_wrong_current_then_changes_it(
        qtbot: QtBot, aio: QtAsync, home: Path) -> None:
    new_password = "another long passphrase 2026"

    async def scenario() -> None:
        vault = await create_vault(home, PASSWORD)
        dialog = ChangePasswordDialog(vault)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.keyClicks(dialog.current, "wrong current password")
        qtbot.keyClicks(dialog.new, new_password)
        qtbot.keyClicks(dialog.confirm, new_password)
        qtbot.mouseClick(dialog.change_button, LEFT)
        await aio.until(lambda: not dialog.busy.running and dialog.message.text(), what="an error")
        assert "current password is wrong" in dialog.message.text()
        assert dialog.isVisible()

        dialog.current.clear()
        qtbot.keyClicks(dialog.current, PASSWORD)
        qtbot.mouseClick(dialog.change_button, LEFT)
        await aio.signal(dialog.changed)
        assert dialog.result() == QDialog.DialogCode.Accepted
        await vault.lock()
        reopened = await unlock_vault(home, new_password)
        await reopened.lock()

    aio.run(scenario())


def test_change_password_refuses_the_same_password(qtbot: QtBot, aio: QtAsync, home: Path) -> None:
    async def scenario() -> None:
        vault = await create_vault(home, PASSWORD)
        dialog = ChangePasswordDialog(vault)
        qtbot.addWidget(dialog)
        for field in (dialog.current, dialog.new, dialog.confirm):
            qtbot.keyClicks(field, PASSWORD)
        qtbot.mouseClick(dialog.change_button, LEFT)
        assert dialog.message.text() == "The new password is the same as the current one."
        await vault.lock()

    aio.run(scenario())


def test_backup_then_restore_through_the_dialogs(qtbot: QtBot, aio: QtAsync, home: Path, tmp_path: Path) -> None:
    backup_file = tmp_path / "desk.deskbak"

    async def scenario() -> None:
        vault = await create_vault(home, PASSWORD)
        await vault.settings.set("probe", "before")
        backup = BackupDialog(vault)
        qtbot.addWidget(backup)
        backup.file.field.setText(str(backup_file))
        qtbot.mouseClick(backup.backup_button, LEFT)
        (info,) = await aio.signal(backup.backed_up)
        assert info.path == backup_file and backup_file.exists()
        await vault.settings.set("probe", "after")
        await vault.lock()

        restore = RestoreDialog(home)
        qtbot.addWidget(restore)
        restore.file.field.setText(str(backup_file))
        qtbot.keyClicks(restore.password, "not it")
        qtbot.mouseClick(restore.restore_button, LEFT)
        await aio.until(lambda: not restore.busy.running and restore.message.text(), what="an error")
        assert "Wrong password for this backup" in restore.message.text()
        restore.password.clear()
        qtbot.keyClicks(restore.password, PASSWORD)
        qtbot.mouseClick(restore.restore_button, LEFT)
        await aio.signal(restore.restored)
        assert (home / "replaced").is_dir(), "the replaced vault is kept"

        reopened = await unlock_vault(home, PASSWORD)
        assert await reopened.settings.get("probe") == "before"
        await reopened.lock()

    aio.run(scenario())
