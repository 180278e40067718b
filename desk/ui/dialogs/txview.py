"""A plan's transactions with live states, a progress bar, and the result for each wallet afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QProgressBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from desk.ui.theme import DOWN, MUTED, UP, WARN, mono_font, set_role

if TYPE_CHECKING:
    from desk.engine.txrun import TxProgress

_STATE_TEXT = {"planned": "Planned", "sent": "Sent…", "confirmed": "Confirmed", "failed": "Failed",
               "expired": "Expired", "unknown": "Unknown"}
_STATE_COLOR = {"planned": MUTED, "sent": WARN, "confirmed": UP}


@dataclass(frozen=True, slots=True)
class TxLine:
    """One planned transaction as a row.

    Attributes:
        what: "SOL sweep", "Token sweep", "Transfer".
        wallets: Which wallets move, in a few words.
        amount: What it moves.
        fee: Its network fee.
        payer: Who pays the fee.
    """

    what: str
    wallets: str
    amount: str
    fee: str
    payer: str


@dataclass(frozen=True, slots=True)
class WalletResult:
    """How one wallet fared in a run.

    Attributes:
        wallet: Its label.
        moved: What it sent or received.
        ok: Whether every transaction it was part of confirmed.
        reason: Why not, in plain words.
    """

    wallet: str
    moved: str
    ok: bool
    reason: str = ""


def _tree(columns: Sequence[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setColumnCount(len(columns))
    tree.setHeaderLabels(list(columns))
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.header().setStretchLastSection(True)
    tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
    return tree


class TxTable(QWidget):
    """Show a plan's transactions, follow them as they settle, then list the result per wallet.

    Attributes:
        tree: One row per transaction.
        bar: Transactions settled out of the total.
        results: One row per wallet after a run.
        states: The last state of each transaction, by index.
    """

    TX_COLUMNS = ("#", "What", "Wallets", "Amount", "Fee", "Paid by", "State")
    STATE = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = _tree(self.TX_COLUMNS)
        header = self.tree.header()
        for column in range(self.STATE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.progress_label = QLabel("")
        set_role(self.progress_label, "muted")
        self.results_title = QLabel("Result per wallet")
        set_role(self.results_title, "heading")
        self.results = _tree(("Wallet", "Moved", "Result"))
        self.results.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.results.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.states: dict[int, str] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.bar)
        layout.addWidget(self.results_title)
        layout.addWidget(self.results, 1)
        self.set_lines([])

    def set_lines(self, lines: Sequence[TxLine]) -> None:
        """Show a new plan's transactions, all "Planned"; clear earlier results."""
        self.tree.clear()
        self.states = {}
        mono = mono_font()
        items = []
        for i, line in enumerate(lines):
            item = QTreeWidgetItem([str(i + 1), line.what, line.wallets, line.amount, line.fee, line.payer, ""])
            for column in (3, 4):
                item.setFont(column, mono)
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        self.tree.addTopLevelItems(items)
        for i in range(len(lines)):
            self._set_state(i, "planned", "")
        self.bar.setRange(0, max(1, len(lines)))
        self.bar.setValue(0)
        self.bar.setVisible(False)
        self.progress_label.setVisible(False)
        self.set_results([])

    @Slot(object)
    def on_progress(self, progress: TxProgress) -> None:
        """Show one transaction's new state and move the bar."""
        item = self.tree.topLevelItem(progress.index)
        if item is not None:
            self._set_state(progress.index, progress.state, progress.reason)
            item.setToolTip(self.STATE, f"{progress.signature}\n{progress.reason}".strip())
        settled = sum(1 for s in self.states.values() if s not in ("planned", "sent"))
        self.bar.setVisible(True)
        self.bar.setValue(settled)
        self.progress_label.setVisible(True)
        self.progress_label.setText(f"{settled} of {self.tree.topLevelItemCount()} transaction(s) settled")

    def _set_state(self, index: int, state: str, reason: str) -> None:
        self.states[index] = state
        item = self.tree.topLevelItem(index)
        if item is None:
            return
        text = _STATE_TEXT.get(state, state)
        item.setText(self.STATE, f"{text}: {reason}" if reason else text)
        item.setForeground(self.STATE, QBrush(QColor(_STATE_COLOR.get(state, DOWN))))

    def set_results(self, results: Sequence[WalletResult]) -> None:
        """List how each wallet fared (hidden while empty)."""
        self.results.clear()
        items = []
        for r in results:
            item = QTreeWidgetItem([r.wallet, r.moved, "Done" if r.ok else f"Failed: {r.reason or 'unknown'}"])
            item.setForeground(2, QBrush(QColor(UP if r.ok else DOWN)))
            item.setFont(1, mono_font())
            items.append(item)
        self.results.addTopLevelItems(items)
        self.results.setVisible(bool(results))
        self.results_title.setVisible(bool(results))

    def result_texts(self) -> list[tuple[str, str]]:
        """Return (wallet, result) for each result row, for tests and logs."""
        items = (self.results.topLevelItem(i) for i in range(self.results.topLevelItemCount()))
        return [(item.text(0), item.text(2)) for item in items if item is not None]
