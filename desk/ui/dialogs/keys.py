"""Copy or export one wallet's private key, only after a warning and the vault password again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QFormLayout, QPushButton, QVBoxLayout, QWidget

from desk.core.errors import DeskError, WrongPasswordError
from desk.core.wallets import Wallet
from desk.ui.asyncutil import TaskSet
from desk.ui.dialogs.common import BusyDialog, message_label, password_field, text_label
from desk.ui.dialogs.filerow import FileRow
from desk.ui.session import DeskSession

COPY, EXPORT = "copy", "export"
FORMATS = (("base58", "Base58 (Phantom, Solflare)"), ("cli-json", "Solana CLI keypair (JSON array)"))
WARNING = ("Anyone who has this key controls the wallet and everything in it. Never paste it into a "
           "website, a chat or a support form.")


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by this user only, atomically (temp file, fsync, replace)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def default_export_path(wallet: Wallet, fmt: str, folder: Path | None = None) -> Path:
    """Return ``<folder>/<label>-<first 4 of address>.json`` (or ``.txt`` for base58)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in wallet.label).strip("-") or "wallet"
    suffix = "json" if fmt == "cli-json" else "txt"
    return (folder or Path.home()) / f"{safe}-{wallet.pubkey[:4]}.{suffix}"


class KeyDialog(BusyDialog):
    """Reveal a wallet's private key to the clipboard (cleared after a few seconds) or to a file.

    Signals:
        copied: The key is on the clipboard.
        exported: The key was written (argument: the file path as text).

    Attributes:
        mode: ``COPY`` or ``EXPORT``.
    """

    copied = Signal()
    exported = Signal(str)

    def __init__(self, session: DeskSession, wallet: Wallet, mode: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._wallet = wallet
        self._tasks = TaskSet()
        self.mode = mode
        verb = "Copy" if mode == COPY else "Export"
        self.setWindowTitle(f"{verb} private key — Mayhem Desk")
        seconds = session.clipboard.clear_after_ms / 1000
        self.format = QComboBox()
        for value, label in FORMATS:
            self.format.addItem(label, value)
        self.file = FileRow(str(default_export_path(wallet, "base58")), save=True,
                            title="Export the private key to", filters="Key files (*.json *.txt);;All files (*)")
        self.format.currentIndexChanged.connect(self._on_format)
        self.password = password_field("Vault password")
        self.understood = QCheckBox("I understand that anyone with this key can take the funds")
        self.message = message_label()
        self.ok_button = QPushButton("Copy to clipboard" if mode == COPY else "Export")
        buttons = QDialogButtonBox()
        buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label(f"{verb} the private key of {wallet.label}", "title"))
        layout.addWidget(text_label(f"{wallet.pubkey}"))
        layout.addWidget(text_label(WARNING, "error"))
        if mode == COPY:
            layout.addWidget(text_label(f"The key is copied as Base58 and taken off the clipboard after "
                                        f"{seconds:g} seconds. Clipboard managers are asked not to keep it."))
        else:
            form = QFormLayout()
            form.addRow("Format", self.format)
            form.addRow("File", self.file)
            layout.addLayout(form)
            layout.addWidget(text_label("The file is readable by your user only. Store it offline and delete "
                                        "it when you no longer need it."))
        layout.addWidget(text_label("Type the vault password to continue."))
        layout.addWidget(self.password)
        layout.addWidget(self.understood)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.ok_button.clicked.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        self.set_primary(self.ok_button)
        self.password.setFocus()

    @Slot(int)
    def _on_format(self, _index: int) -> None:
        current = self.file.path()
        fmt = str(self.format.currentData())
        self.file.field.setText(str(default_export_path(self._wallet, fmt, current.parent if current else None)))

    @Slot()
    def _on_ok(self) -> None:
        if self.busy.running:
            return
        if not self.password.text():
            self.message.setText("Type the vault password.")
            return
        if not self.understood.isChecked():
            self.message.setText("Tick the box to confirm you understand the risk.")
            return
        dest = self.file.path() if self.mode == EXPORT else None
        if self.mode == EXPORT and dest is None:
            self.message.setText("Choose where to write the key.")
            return
        fmt = str(self.format.currentData()) if self.mode == EXPORT else "base58"
        self.message.setText("")
        self._set_busy(True)
        self._tasks.spawn(self._reveal(self.password.text(), fmt, dest), name="reveal-key")

    async def _reveal(self, password: str, fmt: str, dest: Path | None) -> None:
        try:
            try:
                text = await self._session.reveal_key(self._wallet, password, fmt)
                if dest is not None:
                    await asyncio.to_thread(write_private_file, dest, text)
            finally:
                self._set_busy(False)
        except WrongPasswordError:
            self.message.setText("Wrong password. Nothing was revealed.")
            self.password.selectAll()
            self.password.setFocus()
            return
        except (DeskError, OSError) as e:
            self.message.setText(str(e))
            return
        self.password.clear()
        if dest is None:
            self._session.clipboard.copy_secret(text)
            self.copied.emit()
        else:
            self.exported.emit(str(dest))
        del text
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.password, self.understood, self.ok_button, self.cancel_button, self.format, self.file):
            widget.setEnabled(not busy)
        if busy:
            self.busy.start("Checking the password…")
        else:
            self.busy.stop()
