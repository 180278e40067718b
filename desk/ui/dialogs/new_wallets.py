"""Create many generated wallets at once, optionally straight into a group."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desk.core.errors import DeskError
from desk.core.wallets import Wallet, WalletGroup
from desk.ui.asyncutil import TaskSet
from desk.ui.dialogs.common import BusyDialog, message_label, text_label
from desk.ui.session import DeskSession

MAX_CREATE = 1000  # desk.engine.wallets.MAX_CREATE (not imported: it loads the signing stack)


class NewWalletsDialog(BusyDialog):
    """Generate N keypairs on this computer and store them encrypted.

    Signals:
        created: Wallets were created (argument: the list of :class:`Wallet`).

    Attributes:
        wallets: The wallets created, once done.
    """

    created = Signal(object)

    def __init__(self, session: DeskSession, parent: QWidget | None = None, *,
                 group: WalletGroup | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New wallets — Mayhem Desk")
        self._session = session
        self._tasks = TaskSet()
        self.wallets: list[Wallet] = []
        self.count = QSpinBox()
        self.count.setRange(1, MAX_CREATE)
        self.count.setValue(1)
        self.count.setAccelerated(True)
        self.label = QLineEdit("Wallet")
        self.label.setPlaceholderText("Label prefix, e.g. Sniper")
        self.group = QComboBox()
        self.group.addItem("No group", None)
        for g in session.groups:
            self.group.addItem(g.name, g.id)
        if group is not None:
            self.group.setCurrentIndex(max(0, self.group.findData(group.id)))
        self.message = message_label()
        self.create_button = QPushButton("Create")
        buttons = QDialogButtonBox()
        buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        form = QFormLayout()
        form.addRow("How many", self.count)
        form.addRow("Label prefix", self.label)
        form.addRow("Add to group", self.group)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label("New wallets", "title"))
        layout.addWidget(text_label("Keys are generated on this computer and stored encrypted in the vault. "
                                    "Labels are numbered on from the highest one in use (Wallet 1, Wallet 2, …)."))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self.create_button.clicked.connect(self._on_create)
        buttons.rejected.connect(self.reject)
        self.set_primary(self.create_button)
        self.count.setFocus()
        self.count.selectAll()

    @Slot()
    def _on_create(self) -> None:
        if self.busy.running:
            return
        label = self.label.text().strip()
        if not label:
            self.message.setText("Give the wallets a label prefix.")
            return
        group_id = self.group.currentData()
        group = self._session.group(str(group_id)) if group_id else None
        self.message.setText("")
        self._set_busy(True)
        self._tasks.spawn(self._create(self.count.value(), label, group), name="create-wallets")

    async def _create(self, count: int, label: str, group: WalletGroup | None) -> None:
        try:
            wallets = await self._session.create_wallets(count, label=label, group=group)
        except DeskError as e:
            self.message.setText(str(e))
            return
        finally:
            self._set_busy(False)
        self.wallets = wallets
        self.created.emit(wallets)
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.count, self.label, self.group, self.create_button, self.cancel_button):
            widget.setEnabled(not busy)
        if busy:
            self.busy.start(f"Generating {self.count.value()} key(s)…")
        else:
            self.busy.stop()
