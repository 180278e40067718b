"""Pieces the vault dialogs share: a password field, the strength meter and the busy indicator."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk.core.passwords import estimate
from desk.ui.theme import set_property, set_role

FULL_BITS = 100.0


def password_field(placeholder: str) -> QLineEdit:
    """Return a masked line edit for a password (no context menu, so no copy to the clipboard)."""
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    field.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    field.setMinimumWidth(320)
    return field


def message_label() -> QLabel:
    """Return an initially empty red label for a dialog's error message."""
    label = QLabel("")
    set_role(label, "error")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def text_label(text: str, role: str = "muted") -> QLabel:
    """Return a word-wrapped label in one of the theme's text roles."""
    label = QLabel(text)
    set_role(label, role)
    label.setWordWrap(True)
    return label


class StrengthMeter(QWidget):
    """A colored bar and a one-line hint that follow a password field as the user types.

    Attributes:
        bar: The meter (its ``level`` property selects the color in the stylesheet).
        label: "Strength: fair. Could be stronger: ..."
    """

    def __init__(self, field: QLineEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.label = text_label("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        field.textChanged.connect(self.update_for)
        self.update_for(field.text())

    @Slot(str)
    def update_for(self, password: str) -> None:
        """Show the estimate for ``password`` (nothing about it is kept)."""
        if not password:
            self.bar.setValue(0)
            set_property(self.bar, "level", "empty")
            self.label.setText("Use four or more random words, or 12+ mixed characters.")
            return
        strength = estimate(password)
        self.bar.setValue(max(8, min(100, int(strength.bits / FULL_BITS * 100))))
        set_property(self.bar, "level", strength.label)
        hint = strength.hint
        if hint.lower().startswith(strength.label):
            hint = hint[len(strength.label):].lstrip(". ")
        self.label.setText(f"Strength: {strength.label}. {hint}".rstrip())

    @property
    def level(self) -> str:
        """The label of the current estimate ("weak", "good", ...), or "empty"."""
        return str(self.bar.property("level"))


class BusyIndicator(QWidget):
    """An indeterminate progress bar with a line saying what is happening, hidden when idle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.label = text_label("")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        self.setVisible(False)

    def start(self, text: str) -> None:
        """Show the indicator with ``text``."""
        self.label.setText(text)
        self.setVisible(True)

    def stop(self) -> None:
        """Hide the indicator."""
        self.setVisible(False)

    @property
    def running(self) -> bool:
        """Whether the indicator is showing."""
        return not self.isHidden()


class BusyDialog(QDialog):
    """A dialog that refuses to close while its slow step runs (closing could strand an open vault)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.busy = BusyIndicator()

    def set_primary(self, button: QPushButton) -> None:
        """Make ``button`` the one Enter presses (and the one drawn as primary), whatever has focus."""
        for other in self.findChildren(QPushButton):
            other.setAutoDefault(False)
            other.setDefault(False)
        button.setDefault(True)

    def reject(self) -> None:
        if self.busy.running:
            return
        super().reject()
