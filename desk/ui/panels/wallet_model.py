"""The wallets table model: frozen rows, batched updates, and the group/text filter over it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor

from desk.core.money import LAMPORTS_PER_SOL, format_sol
from desk.core.wallets import Wallet, WalletGroup, WalletKind
from desk.ui.theme import MUTED, WARN, mono_font

AnyIndex = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FLUSH_MS = 250
NO_GROUP = "__none__"
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_CHECK_FLAGS = _FLAGS | Qt.ItemFlag.ItemIsUserCheckable
_EDIT_FLAGS = _FLAGS | Qt.ItemFlag.ItemIsEditable
_KIND_TEXT = {WalletKind.GENERATED: "Generated", WalletKind.IMPORTED: "Imported",
              WalletKind.WATCH_ONLY: "Watch-only", WalletKind.PUMPPORTAL: "PumpPortal"}


@dataclass(frozen=True, slots=True)
class WalletRow:
    """One wallet as the table shows it.

    Attributes:
        wallet: The wallet.
        lamports: Cached SOL balance, or None if never read on this network.
        tokens: How many different tokens it holds.
        group_ids: Groups it belongs to.
        group_names: Their names, in the same order.
    """

    wallet: Wallet
    lamports: int | None = None
    tokens: int = 0
    group_ids: tuple[str, ...] = ()
    group_names: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The wallet id."""
        return self.wallet.id


def sol_text(lamports: int | None) -> str:
    """Return a balance with four decimals for a table cell ("—" when unknown)."""
    if lamports is None:
        return "—"
    return f"{Decimal(lamports) / LAMPORTS_PER_SOL:,.4f}"


def build_rows(wallets: Sequence[Wallet], groups: Sequence[WalletGroup], sol: Mapping[str, int],
               token_counts: Mapping[str, int]) -> list[WalletRow]:
    """Return a row per wallet with its balance and the groups it belongs to."""
    membership: dict[str, list[WalletGroup]] = {}
    for group in groups:
        for wallet_id in group.members:
            membership.setdefault(wallet_id, []).append(group)
    return [WalletRow(w, sol.get(w.id), token_counts.get(w.id, 0),
                      tuple(g.id for g in membership.get(w.id, ())), tuple(g.name for g in membership.get(w.id, ())))
            for w in wallets]


def _ranges(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Return sorted rows as contiguous (first, last) ranges."""
    out: list[tuple[int, int]] = []
    for row in sorted(rows):
        if out and row == out[-1][1] + 1:
            out[-1] = (out[-1][0], row)
        else:
            out.append((row, row))
    return out


class WalletModel(QAbstractTableModel):
    """A table over a plain list of :class:`WalletRow` plus an index by wallet id.

    Reloads that keep the order update in place: changed rows are marked dirty and announced
    together every ``FLUSH_MS`` (``dataChanged`` over contiguous ranges), removed rows go with
    ``beginRemoveRows``, new wallets at the end with ``beginInsertRows``. Only a reordering resets.
    Edits are optimistic: the row changes at once and a signal asks for the write.

    Signals:
        active_edited: The user ticked or unticked a wallet (arguments: wallet id, active).
        label_edited: The user typed a new label (arguments: wallet id, label).
    """

    active_edited = Signal(str, bool)
    label_edited = Signal(str, str)

    COLUMNS = ("Active", "Label", "Kind", "Address", "SOL", "Tokens", "Groups")
    ACTIVE, LABEL, KIND, ADDRESS, SOL, TOKENS, GROUPS = range(7)

    def __init__(self, parent: QObject | None = None, *, flush_ms: int = FLUSH_MS) -> None:
        super().__init__(parent)
        self._rows: list[WalletRow] = []
        self._index: dict[str, int] = {}
        self._dirty: set[int] = set()
        self._mono = mono_font()
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(flush_ms)
        self._flush.timeout.connect(self.flush)

    # -- Qt model interface ------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self.COLUMNS)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        column = index.column()  # flags are asked for every cell of a selection: keep this cheap
        return _CHECK_FLAGS if column == self.ACTIVE else _EDIT_FLAGS if column == self.LABEL else _FLAGS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(row, column, edit=role == Qt.ItemDataRole.EditRole)
        if role == Qt.ItemDataRole.CheckStateRole and column == self.ACTIVE:
            return Qt.CheckState.Checked if row.wallet.active else Qt.CheckState.Unchecked
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.KIND and row.wallet.kind == WalletKind.WATCH_ONLY:
                return QColor(WARN)
            if column in (self.ADDRESS, self.GROUPS) or (column == self.SOL and row.lamports is None) \
                    or not row.wallet.active:
                return QColor(MUTED)
            return None
        if role == Qt.ItemDataRole.FontRole and column in (self.ADDRESS, self.SOL, self.TOKENS):
            return self._mono
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.SOL, self.TOKENS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: WalletRow, column: int, *, edit: bool) -> str | None:
        wallet = row.wallet
        if column == self.LABEL:
            return wallet.label
        if column == self.KIND:
            return _KIND_TEXT.get(wallet.kind, str(wallet.kind))
        if column == self.ADDRESS:
            return wallet.pubkey if edit else wallet.short_address
        if column == self.SOL:
            return sol_text(row.lamports)
        if column == self.TOKENS:
            return str(row.tokens) if row.tokens else ""
        if column == self.GROUPS:
            return ", ".join(row.group_names)
        return None

    def _sort_key(self, row: WalletRow, column: int) -> Any:
        if column == self.ACTIVE:
            return int(row.wallet.active)
        if column == self.SOL:
            return -1 if row.lamports is None else row.lamports
        if column == self.TOKENS:
            return row.tokens
        if column == self.ADDRESS:
            return row.wallet.pubkey
        return (self._text(row, column, edit=False) or "").lower()

    def _tooltip(self, row: WalletRow, column: int) -> str | None:
        wallet = row.wallet
        if column == self.ADDRESS:
            return wallet.pubkey
        if column == self.SOL and row.lamports is not None:
            return f"{format_sol(row.lamports)} SOL ({row.lamports:,} lamports)"
        if column == self.LABEL and wallet.note:
            return wallet.note
        if column == self.ACTIVE:
            return "Active: orders and bulk actions include it" if wallet.active else "Inactive"
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return False
        row = self._rows[index.row()]
        if index.column() == self.ACTIVE and role == Qt.ItemDataRole.CheckStateRole:
            active = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
            if active == row.wallet.active:
                return False
            self._replace(index.row(), _with_wallet(row, active=active))
            self.active_edited.emit(row.id, active)
            return True
        if index.column() == self.LABEL and role == Qt.ItemDataRole.EditRole:
            label = str(value).strip()
            if not label or label == row.wallet.label:
                return False
            self._replace(index.row(), _with_wallet(row, label=label))
            self.label_edited.emit(row.id, label)
            return True
        return False

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if section == self.ACTIVE else self.COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == self.ACTIVE:
            return "Active wallets are the ones orders and bulk actions use"
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (self.SOL, self.TOKENS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- rows --------------------------------------------------------------------------------

    def row_at(self, row: int) -> WalletRow:
        """Return the row shown at position ``row``."""
        return self._rows[row]

    def row_of(self, wallet_id: str) -> int | None:
        """Return the position of a wallet, or None."""
        return self._index.get(wallet_id)

    def rows(self) -> list[WalletRow]:
        """Return a copy of every row."""
        return list(self._rows)

    def set_rows(self, rows: Sequence[WalletRow]) -> None:
        """Show ``rows``: update in place when the order is kept, else reset the model."""
        new_ids = [r.id for r in rows]
        new_set = set(new_ids)
        kept = [r.id for r in self._rows if r.id in new_set]
        added = len(new_ids) - len(kept)
        if not self._rows or len(new_set) != len(new_ids) or new_ids[:len(kept)] != kept:
            self._reset(rows)
            return
        removed = [i for i, r in enumerate(self._rows) if r.id not in new_set]
        for first, last in reversed(_ranges(removed)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
        if removed:
            self._dirty = set()
        for i, row in enumerate(rows[:len(kept)]):
            if row != self._rows[i]:
                self._rows[i] = row
                self._dirty.add(i)
        if added:
            self.beginInsertRows(QModelIndex(), len(kept), len(new_ids) - 1)
            self._rows.extend(rows[len(kept):])
            self.endInsertRows()
        self._index = {r.id: i for i, r in enumerate(self._rows)}
        if self._dirty and not self._flush.isActive():
            self._flush.start()

    def _reset(self, rows: Sequence[WalletRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._index = {r.id: i for i, r in enumerate(self._rows)}
        self._dirty = set()
        self.endResetModel()

    def _replace(self, position: int, row: WalletRow) -> None:
        self._rows[position] = row
        self.dataChanged.emit(self.index(position, 0), self.index(position, len(self.COLUMNS) - 1))

    @property
    def pending(self) -> int:
        """How many changed rows wait for the next flush."""
        return len(self._dirty)

    @Slot()
    def flush(self) -> None:
        """Announce every dirty row now, one ``dataChanged`` per contiguous range."""
        self._flush.stop()
        dirty, self._dirty = self._dirty, set()
        last_column = len(self.COLUMNS) - 1
        for first, last in _ranges(r for r in dirty if r < len(self._rows)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))


def _with_wallet(row: WalletRow, **changes: Any) -> WalletRow:
    return replace(row, wallet=replace(row.wallet, **changes))


class WalletFilter(QSortFilterProxyModel):
    """Show the wallets of one group (or of none) whose label or address contains a text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._group: str | None = None
        self._text = ""
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    @property
    def group(self) -> str | None:
        """The group id shown, ``NO_GROUP`` for wallets in no group, or None for all."""
        return self._group

    def set_group(self, group_id: str | None) -> None:
        """Show only the wallets of ``group_id`` (``NO_GROUP``: in no group; None: every wallet)."""
        if group_id != self._group:
            self.beginFilterChange()
            self._group = group_id
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @Slot(str)
    def set_text(self, text: str) -> None:
        """Show only wallets whose label or address contains ``text`` (any case)."""
        text = text.strip().lower()
        if text != self._text:
            self.beginFilterChange()
            self._text = text
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, WalletModel) or source_parent.isValid():
            return True
        row = model.row_at(source_row)
        if self._group == NO_GROUP:
            if row.group_ids:
                return False
        elif self._group is not None and self._group not in row.group_ids:
            return False
        if self._text:
            wallet = row.wallet
            return self._text in wallet.label.lower() or self._text in wallet.pubkey.lower()
        return True
