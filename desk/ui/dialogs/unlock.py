"""The unlock dialog: the password prompt shown at start and after every lock."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QVBoxLayout, QWidget

from desk.core.errors import VaultError
from desk.ui.asyncutil import TaskSet
from desk.ui.dialogs.common import BusyDialog, message_label, password_field, text_label
from desk.vault.lifecycle import unlock_vault
from desk.vault.session import Vault

log = logging.getLogger(__name__)


class UnlockDialog(BusyDialog):
    """Ask for the vault password and unlock the vault, keeping the dialog open on failure.

    Each failure (wrong password, damaged key file or database, newer schema) is shown in plain
    words in a red label; the user can try again. The dialog finishes with ``Accepted`` and
    :attr:`vault` set on success, ``Rejected`` when the user quits, or :attr:`RESTORE` when the user
    asks to restore a backup instead.

    Signals:
        unlocked: The vault was unlocked (argument: the :class:`Vault`).
        failed: An attempt failed (argument: the message shown).

    Attributes:
        vault: The unlocked vault, once unlocked.
        RESTORE: Result code for "restore a backup instead".
    """

    unlocked = Signal(object)
    failed = Signal(str)

    RESTORE = 2

    def __init__(self, home: Path, parent: QWidget | None = None, *, locked_reason: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Unlock — Mayhem Desk")
        self._home = home
        self._tasks = TaskSet()
        self.vault: Vault | None = None

        self.password = password_field("Vault password")
        self.message = message_label()
        self.unlock_button = QPushButton("Unlock")
        self.restore_button = QPushButton("Restore a backup…")
        self.restore_button.setToolTip("Replace this vault with a backup file (the current vault is kept)")
        self.quit_button = QPushButton("Quit")
        buttons = QDialogButtonBox()
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(self.unlock_button, QDialogButtonBox.ButtonRole.AcceptRole)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label("Unlock your vault", "title"))
        self.reason_label = text_label(locked_reason)
        self.reason_label.setVisible(bool(locked_reason))
        layout.addWidget(self.reason_label)
        layout.addWidget(text_label(f"Vault folder: {home}"))
        layout.addSpacing(4)
        layout.addWidget(self.password)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addSpacing(4)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

        self.unlock_button.clicked.connect(self._on_unlock_clicked)
        self.quit_button.clicked.connect(self.reject)
        self.restore_button.clicked.connect(self._on_restore_clicked)
        self.set_primary(self.unlock_button)
        self.password.setFocus()

    @Slot()
    def _on_unlock_clicked(self) -> None:
        if self.busy.running:
            return
        password = self.password.text()
        if not password:
            self.message.setText("Type the vault password.")
            return
        self.message.setText("")
        self._set_busy(True)
        self._tasks.spawn(self._unlock(password), name="unlock-vault")

    @Slot()
    def _on_restore_clicked(self) -> None:
        if not self.busy.running:
            self.done(self.RESTORE)

    async def _unlock(self, password: str) -> None:
        try:
            try:
                vault = await unlock_vault(self._home, password)
            finally:
                self._set_busy(False)
        except VaultError as e:
            self.message.setText(str(e))
            self.password.selectAll()
            self.password.setFocus()
            self.failed.emit(str(e))
            return
        self.vault = vault
        self.password.clear()
        self.unlocked.emit(vault)
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.password, self.unlock_button, self.restore_button, self.quit_button):
            widget.setEnabled(not busy)
        if busy:
            self.busy.start("Deriving the key…")
        else:
            self.busy.stop()
