"""A path field with a Browse button whose file dialog does not block the event loop."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget


class FileRow(QWidget):
    """A path field and a Browse… button.

    Args:
        path: The initial path.
        save: Pick a file to write (else an existing file to read).
        title: The file dialog's title.
        filters: The file dialog's name filters.
        default_suffix: Added to a save name typed without one.
        min_width: The path field's minimum width.

    Signals:
        chosen: A file was picked in the file dialog (argument: its path).
    """

    chosen = Signal(str)

    def __init__(self, path: str, *, save: bool, title: str, filters: str, default_suffix: str = "",
                 min_width: int = 320, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._save = save
        self._title = title
        self._filters = filters
        self._default_suffix = default_suffix
        self.field = QLineEdit(path)
        self.field.setMinimumWidth(min_width)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._on_browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.browse_button)
        self._picker: QFileDialog | None = None

    def path(self) -> Path | None:
        """Return the chosen path, or None when the field is empty."""
        text = self.field.text().strip()
        return Path(text).expanduser() if text else None

    @Slot()
    def _on_browse(self) -> None:
        picker = QFileDialog(self, self._title, self.field.text(), self._filters)
        if self._save:
            picker.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            if self._default_suffix:
                picker.setDefaultSuffix(self._default_suffix)
        else:
            picker.setFileMode(QFileDialog.FileMode.ExistingFile)
        picker.fileSelected.connect(self._on_selected)
        picker.finished.connect(picker.deleteLater)
        self._picker = picker
        picker.open()

    @Slot(str)
    def _on_selected(self, path: str) -> None:
        self.field.setText(path)
        self.chosen.emit(path)
