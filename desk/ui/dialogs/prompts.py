"""Small dialogs the panels share: a text prompt, a choice, a confirmation (optionally typed), an error."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk.ui.dialogs.common import message_label, text_label


def show_error(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """Show ``text`` in a non-blocking warning box that deletes itself when closed."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class _Prompt(QDialog):
    """A titled dialog with a line of text, a body and OK/Cancel buttons."""

    def __init__(self, title: str, text: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{title} — Mayhem Desk")
        self.ok_button = QPushButton(ok_text)
        self.buttons = QDialogButtonBox()
        self.buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        self.message = message_label()
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(20, 18, 20, 16)
        self.body.setSpacing(10)
        self.body.addWidget(text_label(title, "title"))
        if text:
            self.body.addWidget(text_label(text))
        self.setMinimumWidth(420)

    def finish_layout(self) -> None:
        """Add the message line and the buttons below whatever the subclass added."""
        self.body.addWidget(self.message)
        self.body.addWidget(self.buttons)

    @Slot()
    def _on_ok(self) -> None:
        self.accept()


class TextPrompt(_Prompt):
    """Ask for one line (or, with ``multiline``, a short text)."""

    def __init__(self, title: str, text: str, *, value: str = "", ok_text: str = "OK", multiline: bool = False,
                 required: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(title, text, ok_text, parent)
        self._required = required
        self.field: QLineEdit | QPlainTextEdit
        if multiline:
            self.field = QPlainTextEdit(value)
            self.field.setMinimumHeight(90)
            self.field.setTabChangesFocus(True)
        else:
            self.field = QLineEdit(value)
            self.field.selectAll()
        self.body.addWidget(self.field)
        self.finish_layout()
        self.field.setFocus()

    def value(self) -> str:
        """Return the text typed, stripped."""
        text = self.field.toPlainText() if isinstance(self.field, QPlainTextEdit) else self.field.text()
        return text.strip()

    @Slot()
    def _on_ok(self) -> None:
        if self._required and not self.value():
            self.message.setText("This cannot be empty.")
            return
        self.accept()


class ChoicePrompt(_Prompt):
    """Ask the user to pick one item (each a text with a value)."""

    def __init__(self, title: str, text: str, items: Sequence[tuple[str, object]], *, ok_text: str = "OK",
                 parent: QWidget | None = None) -> None:
        super().__init__(title, text, ok_text, parent)
        self.combo = QComboBox()
        for label, value in items:
            self.combo.addItem(label, value)
        self.combo.setMaxVisibleItems(20)
        self.body.addWidget(self.combo)
        self.finish_layout()
        self.ok_button.setEnabled(bool(items))
        self.combo.setFocus()

    def choice(self) -> object:
        """Return the value of the chosen item (None when there was nothing to choose)."""
        return self.combo.currentData()


class ConfirmDialog(_Prompt):
    """Ask before doing something; with ``type_to_confirm`` the user must type that text first."""

    def __init__(self, title: str, text: str, *, ok_text: str, warning: str = "", type_to_confirm: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(title, text, ok_text, parent)
        self.expected = type_to_confirm
        if warning:
            self.body.addWidget(text_label(warning, "error"))
        self.field = QLineEdit()
        self.field.setVisible(bool(type_to_confirm))
        if type_to_confirm:
            self.body.addWidget(text_label(f"Type {type_to_confirm!r} to confirm."))
            self.field.setPlaceholderText(type_to_confirm)
            self.field.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)  # typed, not pasted
            self.field.textChanged.connect(self._on_typed)
            self.body.addWidget(self.field)
            self.field.setFocus()
        self.finish_layout()
        self.ok_button.setEnabled(not type_to_confirm)

    @Slot(str)
    def _on_typed(self, text: str) -> None:
        self.ok_button.setEnabled(text.strip() == self.expected)

    @Slot()
    def _on_ok(self) -> None:
        if self.expected and self.field.text().strip() != self.expected:
            return
        self.accept()
