"""Change the vault password: re-wraps the data key, the database is untouched."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QPushButton, QVBoxLayout, QWidget

from desk.core.errors import DeskError
from desk.ui.asyncutil import TaskSet
from desk.ui.dialogs.common import BusyDialog, StrengthMeter, message_label, password_field, text_label
from desk.ui.dialogs.create_vault import check_new_password
from desk.vault.keyfile import KdfParams
from desk.vault.lifecycle import change_password
from desk.vault.session import Vault


class ChangePasswordDialog(BusyDialog):
    """Ask for the current password and a new one (twice), then re-key the vault.

    Signals:
        changed: The password was changed.
    """

    changed = Signal()

    def __init__(self, vault: Vault, parent: QWidget | None = None, *, kdf: KdfParams | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change password — Mayhem Desk")
        self._vault = vault
        self._kdf = kdf
        self._tasks = TaskSet()

        self.current = password_field("Current password")
        self.new = password_field("New password")
        self.confirm = password_field("New password again")
        self.meter = StrengthMeter(self.new)
        self.message = message_label()
        self.change_button = QPushButton("Change password")
        buttons = QDialogButtonBox()
        buttons.addButton(self.change_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        form = QFormLayout()
        form.addRow("Current", self.current)
        form.addRow("New", self.new)
        form.addRow("", self.meter)
        form.addRow("Confirm", self.confirm)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label("Change the vault password", "title"))
        layout.addWidget(text_label(
            "Backups made before the change still open with the old password."))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)

        self.change_button.clicked.connect(self._on_change_clicked)
        buttons.rejected.connect(self.reject)
        self.set_primary(self.change_button)
        self.current.setFocus()

    @Slot()
    def _on_change_clicked(self) -> None:
        if self.busy.running:
            return
        old, new = self.current.text(), self.new.text()
        if not old:
            self.message.setText("Type the current password.")
            self.current.setFocus()
            return
        problem = check_new_password(new, self.confirm.text())
        if problem is None and new == old:
            problem = "The new password is the same as the current one."
        if problem:
            self.message.setText(problem)
            return
        self.message.setText("")
        self._set_busy(True)
        self._tasks.spawn(self._change(old, new), name="change-password")

    async def _change(self, old: str, new: str) -> None:
        try:
            await change_password(self._vault, old, new, self._kdf)
        except DeskError as e:
            self.message.setText(str(e))
            return
        finally:
            self._set_busy(False)
        for field in (self.current, self.new, self.confirm):
            field.clear()
        self.changed.emit()
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.current, self.new, self.confirm, self.change_button, self.cancel_button):
            widget.setEnabled(not busy)
        if busy:
            self.busy.start("Checking and re-wrapping the key…")
        else:
            self.busy.stop()
