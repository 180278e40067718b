"""The wallets panel: the multi-wallet selector, with balances, filters and bulk actions."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desk.core.wallets import Wallet
from desk.ui.dialogs.host import DialogHost
from desk.ui.panels.wallet_actions import WalletActions
from desk.ui.panels.wallet_model import NO_GROUP, WalletFilter, WalletModel, WalletRow, build_rows
from desk.ui.session import DeskSession
from desk.ui.theme import set_role

EMPTY_TEXT = "No wallets yet — New (Ctrl+N) or Import (Ctrl+I)"
_WIDTHS = {WalletModel.ACTIVE: 30, WalletModel.LABEL: 100, WalletModel.KIND: 90, WalletModel.ADDRESS: 92,
           WalletModel.SOL: 80, WalletModel.TOKENS: 60}


def _bar(title: str) -> QToolBar:
    bar = QToolBar(title)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    set_role(bar, "panel-bar")
    return bar


class WalletsPanel(QWidget):
    """List every wallet with its balance; select wallets and act on the selection.

    Signals:
        selection_changed: The selected wallets changed (argument: the list of :class:`Wallet`).

    Attributes:
        model: The wallet rows.
        proxy: The group and text filter (and sorting) over them.
        view: The table.
        wallet_actions: Every wallet action (also in the window's Wallets menu).
        dialogs: The dialog showing over the panel, if any.
    """

    selection_changed = Signal(object)

    def __init__(self, session: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._stale = True
        self.dialogs = DialogHost(self)
        self.model = WalletModel(self)
        self.proxy = WalletFilter(self)
        self.proxy.setSourceModel(self.model)
        self.wallet_actions = WalletActions(session, self, self)

        self.view = QTableView()
        self.view.setObjectName("walletsTable")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QTableView.EditTrigger.EditKeyPressed | QTableView.EditTrigger.DoubleClicked)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.setHorizontalScrollMode(QTableView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(24)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(72)  # also the least the stretched Groups column takes
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in _WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(WalletModel.ACTIVE, QHeaderView.ResizeMode.Fixed)
        header.setStretchLastSection(True)
        header.setSortIndicatorClearable(True)
        for action in (self.wallet_actions.toggle_active, self.wallet_actions.archive, self.wallet_actions.copy_address,
                       self.wallet_actions.rename):
            self.view.addAction(action)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by label or address")
        self.search.setClearButtonEnabled(True)
        self.group_filter = QComboBox()
        self.group_filter.setMinimumWidth(130)
        self.group_filter.setToolTip("Show the wallets of one group")
        self.count_label = QLabel("")
        set_role(self.count_label, "muted")
        self.select_all = self._local_action("Select all", "Ctrl+A", self.select_all_rows)
        self.select_none = self._local_action("Select none", "Ctrl+Shift+A", self.clear_selection)
        self.invert = self._local_action("Invert selection", "Ctrl+Shift+I", self.invert_selection)
        select_button = QToolButton()
        select_button.setObjectName("selectButton")
        select_button.setText("Select")
        select_button.setToolTip("Select all (Ctrl+A), none (Ctrl+Shift+A) or invert (Ctrl+Shift+I)")
        select_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        select_menu = QMenu(select_button)
        select_menu.addActions([self.select_all, self.select_none, self.invert])
        select_button.setMenu(select_menu)
        a = self.wallet_actions

        self.search.setMinimumWidth(120)
        self.top_bar = _bar("Wallets")
        self.top_bar.addWidget(self.search)
        self.top_bar.addWidget(self.group_filter)
        for action in (a.new, a.import_, a.refresh):
            self.top_bar.addAction(action)
        self.toolbar = _bar("Wallet actions")
        self.toolbar.addWidget(select_button)
        self.toolbar.addSeparator()
        for action in (a.activate, a.deactivate, a.add_to_group, a.archive, a.airdrop):
            self.toolbar.addAction(action)
        self.count_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.count_label.setContentsMargins(10, 2, 8, 4)

        empty = QWidget()
        empty_title = QLabel("Wallets")
        set_role(empty_title, "empty-title")
        self.empty_label = QLabel(EMPTY_TEXT)
        set_role(self.empty_label, "empty-line")
        new_button, import_button = QPushButton("New wallets…"), QPushButton("Import…")
        new_button.clicked.connect(a.new.trigger)
        import_button.clicked.connect(a.import_.trigger)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(new_button)
        buttons.addWidget(import_button)
        buttons.addStretch(1)
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        for label in (empty_title, self.empty_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            empty_layout.addWidget(label)
        empty_layout.addLayout(buttons)
        empty_layout.addStretch(1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.top_bar)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.count_label)
        self.setFocusProxy(self.view)

        self.search.textChanged.connect(self.proxy.set_text)
        self.search.textChanged.connect(self._update_count)
        self.group_filter.currentIndexChanged.connect(self._on_group_filter)
        self._selection_timer = QTimer(self)
        self._selection_timer.setSingleShot(True)
        self._selection_timer.setInterval(0)
        self._selection_timer.timeout.connect(self._on_selection)
        self.view.selectionModel().selectionChanged.connect(self._selection_timer.start)
        self.view.customContextMenuRequested.connect(self._on_context_menu)
        self.model.active_edited.connect(self._on_active_edited)
        self.model.label_edited.connect(self._on_label_edited)
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self.model.rowsRemoved.connect(self._update_count)
        session.wallets_changed.connect(self.refresh)
        session.balances_changed.connect(self.refresh)
        session.groups_changed.connect(self._on_groups_changed)
        self._on_groups_changed()
        self._on_selection()

    def _local_action(self, text: str, shortcut: str, slot: object) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # -- rows --------------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Rebuild the rows from the session (deferred while the panel is hidden)."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        sheet = self._session.sheet
        sol = sheet.sol if sheet else {}
        tokens = {w.id: sheet.token_count(w.id) for w in self._session.wallets} if sheet else {}
        self.model.set_rows(build_rows(self._session.wallets, self._session.groups, sol, tokens))
        self.stack.setCurrentIndex(0 if self._session.wallets else 1)
        self._update_count()
        self._on_selection()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    @Slot()
    def _on_groups_changed(self) -> None:
        current = self.group_filter.currentData()
        self.group_filter.blockSignals(True)
        self.group_filter.clear()
        self.group_filter.addItem("All wallets", None)
        for group in self._session.groups:
            self.group_filter.addItem(group.name, group.id)
        self.group_filter.addItem("In no group", NO_GROUP)
        index = self.group_filter.findData(current)
        self.group_filter.setCurrentIndex(max(0, index))
        self.group_filter.blockSignals(False)
        if index < 0 and current is not None:
            self._on_group_filter()
        self.refresh()

    @Slot()
    def _on_group_filter(self) -> None:
        data = self.group_filter.currentData()
        self.proxy.set_group(None if data is None else str(data))
        self._update_count()

    def set_group_filter(self, group_id: str | None) -> None:
        """Show only the wallets of one group (None: every wallet)."""
        self.group_filter.setCurrentIndex(max(0, self.group_filter.findData(group_id)))

    @Slot()
    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        selected = len(self._selected_view_rows())
        active = sum(1 for w in self._session.wallets if w.active)
        parts = [f"{shown} of {total} shown" if shown != total else f"{total} wallet(s)", f"{active} active"]
        if selected:
            parts.append(f"{selected} selected")
        self.count_label.setText(" · ".join(parts))

    # -- selection ---------------------------------------------------------------------------

    def _selected_view_rows(self) -> list[int]:
        # from the selection's ranges: selectedRows() would ask flags() of every selected cell
        spans = self.view.selectionModel().selection().toList()
        return sorted({r for span in spans for r in range(span.top(), span.bottom() + 1)})

    def selected_rows(self) -> list[WalletRow]:
        """Return the selected rows in view order."""
        proxy, model = self.proxy, self.model
        return [model.row_at(proxy.mapToSource(proxy.index(r, 0)).row()) for r in self._selected_view_rows()]

    def selected_wallets(self) -> list[Wallet]:
        """Return the selected wallets in view order."""
        return [row.wallet for row in self.selected_rows()]

    def select_wallets(self, wallet_ids: list[str]) -> None:
        """Select exactly these wallets (those hidden by the filter are left out)."""
        selection = QItemSelection()
        for wallet_id in wallet_ids:
            row = self.model.row_of(wallet_id)
            if row is not None:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                if index.isValid():
                    selection.select(index, index)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.view.selectionModel().select(selection, flags)
        self._on_selection()

    @Slot()
    def select_all_rows(self) -> None:
        """Select every wallet shown."""
        self.view.selectAll()
        self._on_selection()

    @Slot()
    def clear_selection(self) -> None:
        """Select nothing."""
        self.view.clearSelection()
        self._on_selection()

    @Slot()
    def invert_selection(self) -> None:
        """Select exactly the shown wallets that are not selected."""
        rows = self.proxy.rowCount()
        if rows:
            whole = QItemSelection(self.proxy.index(0, 0), self.proxy.index(rows - 1, 0))
            self.view.selectionModel().select(
                whole, QItemSelectionModel.SelectionFlag.Toggle | QItemSelectionModel.SelectionFlag.Rows)
        self._on_selection()

    @Slot()
    def _on_selection(self) -> None:
        self._selection_timer.stop()
        wallets = self.selected_wallets()
        self.wallet_actions.update_enabled(wallets)
        self._update_count()
        self.selection_changed.emit(wallets)

    def edit_label(self, wallet: Wallet) -> None:
        """Start editing a wallet's label in the table."""
        row = self.model.row_of(wallet.id)
        if row is not None:
            index = self.proxy.mapFromSource(self.model.index(row, WalletModel.LABEL))
            self.view.setCurrentIndex(index)
            self.view.edit(index)

    # -- edits and menus ---------------------------------------------------------------------

    @Slot(str, bool)
    def _on_active_edited(self, wallet_id: str, active: bool) -> None:
        wallet = self._session.wallet(wallet_id)
        if wallet is not None:
            self._session.spawn(self._session.set_active([wallet], active), name="set-active")

    @Slot(str, str)
    def _on_label_edited(self, wallet_id: str, label: str) -> None:
        wallet = self._session.wallet(wallet_id)
        if wallet is not None:
            self._session.spawn(self._rename(wallet, label), name="rename")

    async def _rename(self, wallet: Wallet, label: str) -> None:
        from desk.core.errors import DeskError
        from desk.ui.dialogs.prompts import show_error

        try:
            await self._session.rename(wallet, label)
        except DeskError as e:
            show_error(self, "Rename", str(e))

    @Slot(QPoint)
    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid() and not self.view.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.view.selectionModel().select(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._on_selection()
        menu = self.context_menu()
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """Return the menu for the current selection (deleted when it closes)."""
        a = self.wallet_actions
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addActions([a.copy_address, a.copy_key, a.export_key])
        menu.addSeparator()
        menu.addActions([a.rename, a.note])
        menu.addSeparator()
        menu.addActions([a.activate, a.deactivate, a.add_to_group, a.airdrop])
        menu.addSeparator()
        menu.addAction(a.archive)
        return menu
