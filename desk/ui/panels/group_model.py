"""The groups table model: one frozen row per wallet group."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from desk.core.wallets import GroupStatus, Wallet, WalletGroup
from desk.ui.theme import DOWN, MUTED, WARN

AnyIndex = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole
_STATUS_COLOR = {GroupStatus.RUNNING: WARN, GroupStatus.ERROR: DOWN}


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One group as the table shows it.

    Attributes:
        group: The group.
        receiver: Label of its receiver, "" if none, "N receivers" if several.
        receiver_pubkey: The receiver's public key ("" unless exactly one).
        sources: How many live wallets are sources.
    """

    group: WalletGroup
    receiver: str = ""
    receiver_pubkey: str = ""
    sources: int = 0

    @property
    def id(self) -> str:
        """The group id."""
        return self.group.id


def build_group_rows(groups: Sequence[WalletGroup], wallets: Mapping[str, Wallet]) -> list[GroupRow]:
    """Return a row per group, with receiver labels and the number of live sources."""
    rows = []
    for group in groups:
        receivers = [wallets[i] for i in group.receivers if i in wallets]
        if len(receivers) == 1:
            receiver, pubkey = receivers[0].label, receivers[0].pubkey
        else:
            receiver, pubkey = (f"{len(receivers)} receivers" if receivers else ""), ""
        rows.append(GroupRow(group, receiver, pubkey, sum(1 for i in group.sources if i in wallets)))
    return rows


def when_text(ms: int | None) -> str:
    """Return a Unix time in ms as local ``YYYY-MM-DD HH:MM``, or "never"."""
    return "never" if ms is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))


class GroupModel(QAbstractTableModel):
    """A table over a plain list of :class:`GroupRow` plus an index by group id."""

    COLUMNS = ("Name", "Status", "Sources", "Receiver", "Last consolidated")
    NAME, STATUS, SOURCES, RECEIVER, LAST = range(5)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[GroupRow] = []
        self._index: dict[str, int] = {}

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return row.group.name
            if column == self.STATUS:
                return str(row.group.status).capitalize()
            if column == self.SOURCES:
                return str(row.sources)
            if column == self.RECEIVER:
                return row.receiver or "— none —"
            return when_text(row.group.last_consolidated_ms)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.STATUS and row.group.status in _STATUS_COLOR:
                return QColor(_STATUS_COLOR[row.group.status])
            if (column == self.RECEIVER and not row.receiver_pubkey) or column == self.LAST:
                return QColor(MUTED)
            return None
        if role == Qt.ItemDataRole.ToolTipRole and column == self.RECEIVER:
            return row.receiver_pubkey or "Set a receiver before consolidating"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.SOURCES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ROW_ROLE:
            return row
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def row_at(self, row: int) -> GroupRow:
        """Return the row at position ``row``."""
        return self._rows[row]

    def row_of(self, group_id: str) -> int | None:
        """Return the position of a group, or None."""
        return self._index.get(group_id)

    def set_rows(self, rows: Sequence[GroupRow]) -> None:
        """Show ``rows``: changed rows in place when the groups are the same, else a reset."""
        if [r.id for r in rows] != [r.id for r in self._rows]:
            self.beginResetModel()
            self._rows = list(rows)
            self._index = {r.id: i for i, r in enumerate(self._rows)}
            self.endResetModel()
            return
        for i, row in enumerate(rows):
            if row != self._rows[i]:
                self._rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.COLUMNS) - 1))
