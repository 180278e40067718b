"""An empty-state panel standing in for a panel that a later part of the desk delivers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desk.ui.theme import set_role


class PlaceholderPanel(QWidget):
    """Say plainly what will appear in this panel.

    Attributes:
        title: The panel's name.
        description: One line about what the panel will show.
    """

    def __init__(self, title: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.description = description
        heading = QLabel(title)
        set_role(heading, "empty-title")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        line = QLabel(description)
        set_role(line, "empty-line")
        line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        line.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addStretch(1)
        layout.addWidget(heading)
        layout.addWidget(line)
        layout.addStretch(1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
