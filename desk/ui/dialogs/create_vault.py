"""The first-run dialog: choose the vault password and create the encrypted vault."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QFormLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desk.core.errors import DeskError
from desk.core.passwords import estimate
from desk.ui.asyncutil import TaskSet
from desk.ui.dialogs.common import BusyDialog, StrengthMeter, message_label, password_field, text_label
from desk.ui.theme import set_property
from desk.vault.keyfile import KdfParams
from desk.vault.lifecycle import create_vault
from desk.vault.session import Vault

log = logging.getLogger(__name__)

MISMATCH = "The two passwords do not match."


def check_new_password(password: str, confirmation: str) -> str | None:
    """Return why a new vault password is refused, or None when it is acceptable."""
    strength = estimate(password)
    if not strength.acceptable:
        return f"That password is too short. {strength.hint}"
    if password != confirmation:
        return MISMATCH
    return None


class CreateVaultDialog(BusyDialog):
    """Ask for a new password (twice), then create the vault with Argon2 off the UI thread.

    On success the dialog is accepted and :attr:`vault` holds the unlocked vault.

    Signals:
        created: The vault was created (argument: the unlocked :class:`Vault`).

    Attributes:
        vault: The new vault, once created.
    """

    created = Signal(object)

    def __init__(self, home: Path, parent: QWidget | None = None, *, kdf: KdfParams | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create your vault — Mayhem Desk")
        self._home = home
        self._kdf = kdf
        self._tasks = TaskSet()
        self.vault: Vault | None = None

        self.password = password_field("New password")
        self.confirm = password_field("Type it again")
        self.show_passwords = QCheckBox("Show passwords")
        self.meter = StrengthMeter(self.password)
        self.message = message_label()
        self.create_button = QPushButton("Create vault")
        buttons = QDialogButtonBox()
        buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        form = QFormLayout()
        form.addRow("Password", self.password)
        form.addRow("", self.meter)
        form.addRow("Confirm", self.confirm)
        form.addRow("", self.show_passwords)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label("Create your vault", "title"))
        layout.addWidget(text_label(
            "Your wallets, keys and trades are kept in one encrypted vault on this computer. "
            "Choose a password to lock it. Nobody can recover a forgotten password, so keep a backup."))
        layout.addWidget(text_label(f"Vault folder: {home}"))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)

        self.create_button.clicked.connect(self._on_create_clicked)
        buttons.rejected.connect(self.reject)
        self.show_passwords.toggled.connect(self._on_show_toggled)
        self.confirm.textChanged.connect(self._on_confirm_changed)
        self.password.textChanged.connect(self._on_confirm_changed)
        self.set_primary(self.create_button)
        self.password.setFocus()

    @Slot()
    def _on_create_clicked(self) -> None:
        if self.busy.running:
            return
        password, confirmation = self.password.text(), self.confirm.text()
        problem = check_new_password(password, confirmation)
        if problem:
            self.message.setText(problem)
            (self.confirm if problem == MISMATCH else self.password).setFocus()
            return
        self.message.setText("")
        self._set_busy(True)
        self._tasks.spawn(self._create(password), name="create-vault")

    async def _create(self, password: str) -> None:
        try:
            vault = await create_vault(self._home, password, self._kdf)
        except DeskError as e:
            self.message.setText(str(e))
            return
        finally:
            self._set_busy(False)
        self.vault = vault
        self.password.clear()
        self.confirm.clear()
        self.created.emit(vault)
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.password, self.confirm, self.create_button, self.cancel_button):
            widget.setEnabled(not busy)
        if busy:
            self.busy.start("Creating the vault and deriving its key…")
        else:
            self.busy.stop()

    @Slot(bool)
    def _on_show_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.password.setEchoMode(mode)
        self.confirm.setEchoMode(mode)

    @Slot()
    def _on_confirm_changed(self) -> None:
        typed = self.confirm.text()
        mismatch = bool(typed) and not self.password.text().startswith(typed)
        set_property(self.confirm, "invalid", mismatch)
        if self.message.text() == MISMATCH and not mismatch:
            self.message.setText("")
