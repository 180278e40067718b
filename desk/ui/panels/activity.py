"""The activity log panel: the vault's append-only history, newest first."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from desk.core.activity import ActivityEntry, ActivityKind
from desk.core.errors import VaultLockedError
from desk.ui.asyncutil import TaskSet
from desk.ui.theme import DOWN, MUTED, UP, mono_font, set_role

RECENT_LIMIT = 500
_BAD_KINDS = frozenset({ActivityKind.UNLOCK_FAILED.value, ActivityKind.KEY_EXPORTED.value})
_GOOD_KINDS = frozenset({ActivityKind.VAULT_CREATED.value, ActivityKind.VAULT_UNLOCKED.value,
                         ActivityKind.BACKUP_CREATED.value, ActivityKind.BACKUP_RESTORED.value})

AnyIndex = QModelIndex | QPersistentModelIndex


class ActivitySource(Protocol):
    """Where the panel reads entries from (the vault's activity repository)."""

    async def recent(self, limit: int = RECENT_LIMIT) -> list[ActivityEntry]:
        """Return the newest ``limit`` entries, newest first."""
        ...


def kind_label(kind: str) -> str:
    """Return a stored kind (``vault_unlocked``) as words (``Vault unlocked``)."""
    return kind.replace("_", " ").capitalize()


def detail_text(detail: Any) -> str:
    """Return an entry's detail as one compact line (``reason: user, bytes: 4096``)."""
    if not detail:
        return ""
    if not isinstance(detail, dict):
        return str(detail)
    parts = []
    for key, value in detail.items():
        shown = json.dumps(value, sort_keys=True, separators=(",", ":")) if isinstance(value, dict | list) \
            else str(value)
        parts.append(f"{key}: {shown}")
    return ", ".join(parts)


def time_text(ts_ms: int) -> str:
    """Return a Unix time in milliseconds as local ``YYYY-MM-DD HH:MM:SS``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts_ms / 1000))


class ActivityModel(QAbstractTableModel):
    """A table over a plain list of activity entries, newest first.

    Attributes:
        COLUMNS: Column titles, in order.
    """

    COLUMNS = ("Time", "Kind", "Detail")
    TIME, KIND, DETAIL = range(3)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ActivityEntry] = []
        self._seqs: set[int] = set()
        self._mono = mono_font()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.TIME:
                return time_text(entry.ts_ms)
            if column == self.KIND:
                return kind_label(entry.kind)
            return detail_text(entry.detail)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"#{entry.seq} {entry.kind}\n{detail_text(entry.detail)}\nhash {entry.hash[:16]}…"
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.KIND and entry.kind in _BAD_KINDS:
                return QColor(DOWN)
            if column == self.KIND and entry.kind in _GOOD_KINDS:
                return QColor(UP)
            if column == self.TIME:
                return QColor(MUTED)
            return None
        if role == Qt.ItemDataRole.FontRole and column == self.TIME:
            return self._mono
        if role == Qt.ItemDataRole.UserRole:
            return entry
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def entries(self) -> list[ActivityEntry]:
        """Return a copy of the rows, newest first."""
        return list(self._rows)

    def entry(self, row: int) -> ActivityEntry:
        """Return the entry shown in ``row``."""
        return self._rows[row]

    def set_entries(self, entries: Sequence[ActivityEntry]) -> None:
        """Replace every row (a reload: one model reset)."""
        self.beginResetModel()
        self._rows = sorted(entries, key=lambda e: e.seq, reverse=True)
        self._seqs = {e.seq for e in self._rows}
        self.endResetModel()

    def add(self, entry: ActivityEntry) -> bool:
        """Insert a new entry at the top; return False if it is already shown."""
        if entry.seq in self._seqs:
            return False
        row = 0
        while row < len(self._rows) and self._rows[row].seq > entry.seq:
            row += 1
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, entry)
        self._seqs.add(entry.seq)
        self.endInsertRows()
        return True


class ActivityPanel(QWidget):
    """Show the vault's activity log and reload it on request.

    Signals:
        refreshed: The entries were reloaded (argument: how many are shown).
    """

    refreshed = Signal(int)

    def __init__(self, source: ActivitySource, parent: QWidget | None = None, *,
                 limit: int = RECENT_LIMIT) -> None:
        super().__init__(parent)
        self._source = source
        self._limit = limit
        self._tasks = TaskSet()
        self.model = ActivityModel(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(24)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(ActivityModel.TIME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ActivityModel.KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.count_label = QLabel("")
        set_role(self.count_label, "muted")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Reload the activity log from the vault")
        self.refresh_button.clicked.connect(self._on_refresh_clicked)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 8, 2)
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.view)
        self.setFocusProxy(self.view)

    async def refresh(self) -> None:
        """Reload the newest entries from the vault (does nothing once the vault is locked)."""
        try:
            entries = await self._source.recent(self._limit)
        except VaultLockedError:
            return
        self.model.set_entries(entries)
        self.count_label.setText(f"{len(entries)} entries, newest first" if entries else "No activity yet")
        self.refreshed.emit(len(entries))

    @Slot()
    def _on_refresh_clicked(self) -> None:
        self._tasks.spawn(self.refresh(), name="activity-refresh")

    async def close_tasks(self) -> None:
        """Cancel a reload still in flight (before the vault locks)."""
        await self._tasks.cancel_all()
