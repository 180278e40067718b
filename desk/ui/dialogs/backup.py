"""Back the vault up to one encrypted file, and restore the vault from such a file."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QVBoxLayout, QWidget

from desk.core.errors import DeskError
from desk.ui.asyncutil import TaskSet
from desk.ui.dialogs.common import BusyDialog, message_label, password_field, text_label
from desk.ui.dialogs.filerow import FileRow
from desk.vault.backup import BackupInfo, create_backup, restore_backup
from desk.vault.session import Vault

BACKUP_SUFFIX = "deskbak"
BACKUP_FILTER = f"Mayhem Desk backups (*.{BACKUP_SUFFIX});;All files (*)"


def default_backup_path(folder: Path | None = None) -> Path:
    """Return a dated backup file name in ``folder`` (default: the home folder)."""
    stamp = time.strftime("%Y%m%d-%H%M")
    return (folder or Path.home()) / f"mayhem-desk-{stamp}.{BACKUP_SUFFIX}"


def _file_row(path: str, *, save: bool) -> FileRow:
    return FileRow(path, save=save, title="Choose the backup file", filters=BACKUP_FILTER,
                   default_suffix=BACKUP_SUFFIX, min_width=360)


class BackupDialog(BusyDialog):
    """Write an encrypted backup of the open vault to a file the user picks.

    Signals:
        backed_up: The backup was written (argument: its :class:`BackupInfo`).
    """

    backed_up = Signal(object)

    def __init__(self, vault: Vault, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Back up the vault — Mayhem Desk")
        self._vault = vault
        self._tasks = TaskSet()
        self.info: BackupInfo | None = None
        self.file = _file_row(str(default_backup_path()), save=True)
        self.message = message_label()
        self.backup_button = QPushButton("Back up")
        buttons = QDialogButtonBox()
        buttons.addButton(self.backup_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label("Back up the vault", "title"))
        layout.addWidget(text_label(
            "The backup is one encrypted file. It opens with the vault's current password; keep it "
            "somewhere other than this computer."))
        layout.addWidget(self.file)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self.backup_button.clicked.connect(self._on_backup_clicked)
        self.set_primary(self.backup_button)
        buttons.rejected.connect(self.reject)

    @Slot()
    def _on_backup_clicked(self) -> None:
        dest = self.file.path()
        if dest is None:
            self.message.setText("Choose where to write the backup.")
            return
        if not self.busy.running:
            self.message.setText("")
            self._set_busy(True)
            self._tasks.spawn(self._backup(dest), name="backup")

    async def _backup(self, dest: Path) -> None:
        try:
            info = await create_backup(self._vault, dest)
        except (DeskError, OSError) as e:
            self.message.setText(str(e))
            return
        finally:
            self._set_busy(False)
        self.info = info
        self.backed_up.emit(info)
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.file, self.backup_button, self.cancel_button):
            widget.setEnabled(not busy)
        if busy:
            self.busy.start("Writing the backup…")
        else:
            self.busy.stop()


class RestoreDialog(BusyDialog):
    """Replace the (locked) vault with a backup file; the replaced vault is kept, never deleted.

    Signals:
        restored: The vault was restored (argument: the :class:`BackupInfo`).
    """

    restored = Signal(object)

    def __init__(self, home: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore a backup — Mayhem Desk")
        self._home = home
        self._tasks = TaskSet()
        self.info: BackupInfo | None = None
        self.file = _file_row("", save=False)
        self.file.field.setPlaceholderText("Backup file")
        self.password = password_field("Password the vault had when the backup was made")
        self.message = message_label()
        self.restore_button = QPushButton("Restore")
        buttons = QDialogButtonBox()
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label("Restore a backup", "title"))
        layout.addWidget(text_label(
            f"The vault in {home} is replaced by the backup. The current files are kept in "
            f"{home / 'replaced'} first, so nothing is lost."))
        layout.addWidget(self.file)
        layout.addWidget(self.password)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self.restore_button.clicked.connect(self._on_restore_clicked)
        self.set_primary(self.restore_button)
        buttons.rejected.connect(self.reject)

    @Slot()
    def _on_restore_clicked(self) -> None:
        src = self.file.path()
        if src is None:
            self.message.setText("Choose the backup file.")
            return
        if not self.password.text():
            self.message.setText("Type the password the vault had when the backup was made.")
            return
        if not self.busy.running:
            self.message.setText("")
            self._set_busy(True)
            self._tasks.spawn(self._restore(src, self.password.text()), name="restore")

    async def _restore(self, src: Path, password: str) -> None:
        try:
            info = await restore_backup(self._home, src, password)
        except DeskError as e:
            self.message.setText(str(e))
            return
        finally:
            self._set_busy(False)
        self.info = info
        self.password.clear()
        self.restored.emit(info)
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.file, self.password, self.restore_button, self.cancel_button):
            widget.setEnabled(not busy)
        if busy:
            self.busy.start("Checking and restoring the backup…")
        else:
            self.busy.stop()
