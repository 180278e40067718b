"""The groups panel: wallet groups, their receiver and members, consolidation and distribution."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal, Slot
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desk.core.errors import DeskError
from desk.core.wallets import Wallet, WalletGroup
from desk.ui.dialogs.consolidate import ConsolidateDialog
from desk.ui.dialogs.distribute import DistributeDialog
from desk.ui.dialogs.host import DialogHost
from desk.ui.dialogs.prompts import ChoicePrompt, TextPrompt, show_error
from desk.ui.panels.group_model import GroupModel, build_group_rows
from desk.ui.session import DeskSession
from desk.ui.theme import set_role


class GroupsPanel(QWidget):
    """List the groups; create them, set receivers, change members and move funds.

    Members come from the wallets panel's selection (``selected_wallets``).

    Signals:
        group_selected: The current group changed (argument: its id, or "").

    Attributes:
        model: The group rows.
        view: The table.
        dialogs: The dialog showing over the panel, if any.
    """

    group_selected = Signal(str)

    def __init__(self, session: DeskSession, selected_wallets: Callable[[], list[Wallet]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._selected_wallets = selected_wallets
        self._stale = True
        self.dialogs = DialogHost(self)
        self.model = GroupModel(self)
        self.view = QTableView()
        self.view.setObjectName("groupsTable")
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(24)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

        self.new_group = self._action("New group…", self._on_new_group, "Create an empty group")
        self.set_receiver = self._action("Set receiver…", self._on_set_receiver,
                                         "Make a wallet the group's receiver (the one wallet selected in Wallets, "
                                         "or pick one)")
        self.add_members = self._action("Add selected", self._on_add_members,
                                        "Add the wallets selected in the Wallets panel as sources")
        self.remove_members = self._action("Remove selected", self._on_remove_members,
                                           "Take the wallets selected in the Wallets panel out of the group")
        self.consolidate = self._action("Consolidate…", self._on_consolidate,
                                        "Sweep every source into the receiver")
        self.distribute = self._action("Distribute…", self._on_distribute, "Send SOL from one wallet to the group")
        self.hint = QLabel("")
        set_role(self.hint, "muted")
        self.toolbar = QToolBar("Group actions")
        self.toolbar.setObjectName("groupsToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        set_role(self.toolbar, "panel-bar")
        for action, short in ((self.consolidate, ""), (self.distribute, ""), (None, ""),
                              (self.new_group, "New…"), (self.set_receiver, "Receiver…"), (self.add_members, "Add"),
                              (self.remove_members, "Remove")):
            if action is None:
                self.toolbar.addSeparator()
                continue
            if short:
                action.setIconText(short)
            self.toolbar.addAction(action)
        self.hint.setWordWrap(True)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.hint)
        self.hint.setContentsMargins(8, 4, 8, 6)
        self.setFocusProxy(self.view)

        self.view.selectionModel().currentRowChanged.connect(self._on_current)
        self.view.doubleClicked.connect(lambda _i: self.consolidate.trigger())
        session.groups_changed.connect(self.refresh)
        session.wallets_changed.connect(self.refresh)
        self._on_current()

    def _action(self, text: str, slot: Callable[[], None], tip: str) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    # -- rows --------------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Rebuild the rows from the session (deferred while hidden)."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        current = self.current_group()
        wallets = {w.id: w for w in self._session.wallets}
        self.model.set_rows(build_group_rows(self._session.groups, wallets))
        if current is not None:
            self.select_group(current.id)
        self._on_current()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def current_group(self) -> WalletGroup | None:
        """Return the group under the cursor (fresh from the session)."""
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self._session.group(self.model.row_at(index.row()).id)

    def select_group(self, group_id: str) -> None:
        """Make a group the current one."""
        row = self.model.row_of(group_id)
        if row is not None:
            self.view.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    @Slot()
    def _on_current(self) -> None:
        group = self.current_group()
        for action in (self.set_receiver, self.add_members, self.remove_members, self.distribute):
            action.setEnabled(group is not None)
        self.consolidate.setEnabled(group is not None and len(group.receivers) == 1 and bool(group.sources))
        if not self._session.groups:
            self.hint.setText("No groups yet. Create one, then select wallets in the Wallets panel and add them.")
        elif group is None:
            self.hint.setText("Select a group.")
        elif len(group.receivers) != 1:
            self.hint.setText(f"{group.name} needs a receiver before it can be consolidated.")
        else:
            self.hint.setText(f"{group.name}: {len(group.sources)} source(s). Select wallets in the Wallets panel "
                              "to add or remove them.")
        self.group_selected.emit(group.id if group else "")

    # -- flows -------------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._session.spawn(self._guard(coro), name=name)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except DeskError as e:
            show_error(self, "Groups", str(e))

    @Slot()
    def _on_new_group(self) -> None:
        self._run(self.create_group(), "new-group")

    async def create_group(self) -> None:
        """Ask for a name and create the group."""
        prompt = TextPrompt("New group", "Name the group (e.g. Snipers, Bundle A).", ok_text="Create", parent=self)
        if await self.dialogs.run(prompt) == QDialog.DialogCode.Accepted:
            group = await self._session.create_group(prompt.value())
            self.refresh()
            self.select_group(group.id)

    @Slot()
    def _on_set_receiver(self) -> None:
        group = self.current_group()
        if group is not None:
            self._run(self.choose_receiver(group), "set-receiver")

    async def choose_receiver(self, group: WalletGroup) -> None:
        """Use the one wallet selected in the wallets panel, or ask which wallet receives."""
        selected = self._selected_wallets()
        wallet = selected[0] if len(selected) == 1 else None
        if wallet is None:
            items = [(f"{w.label}  ·  {w.short_address}", w.id) for w in self._session.wallets]
            prompt = ChoicePrompt(f"Receiver of {group.name}", "Consolidation moves every source's funds here.",
                                  items, ok_text="Set receiver", parent=self)
            if group.receivers:
                prompt.combo.setCurrentIndex(max(0, prompt.combo.findData(group.receivers[0])))
            if await self.dialogs.run(prompt) != QDialog.DialogCode.Accepted:
                return
            wallet = self._session.wallet(str(prompt.choice()))
        if wallet is not None:
            await self._session.set_receiver(group, wallet)
            self._session.status.emit(f"{wallet.label} now receives for {group.name}.")

    @Slot()
    def _on_add_members(self) -> None:
        group, wallets = self.current_group(), self._selected_wallets()
        if group is None:
            return
        if not wallets:
            self._session.status.emit("Select wallets in the Wallets panel first.")
            return
        self._run(self._session.add_to_group(group, wallets), "add-members")
        self._session.status.emit(f"{len(wallets)} wallet(s) added to {group.name}.")

    @Slot()
    def _on_remove_members(self) -> None:
        group, wallets = self.current_group(), self._selected_wallets()
        if group is None:
            return
        members = [w for w in wallets if w.id in group.members]
        if not members:
            self._session.status.emit(f"None of the selected wallets is in {group.name}.")
            return
        self._run(self._session.remove_from_group(group, members), "remove-members")
        self._session.status.emit(f"{len(members)} wallet(s) taken out of {group.name}.")

    @Slot()
    def _on_consolidate(self) -> None:
        group = self.current_group()
        if group is not None:
            self._run(self.open_consolidate(group), "consolidate")

    async def open_consolidate(self, group: WalletGroup) -> None:
        """Show the consolidation dialog for ``group``."""
        await self.dialogs.run(ConsolidateDialog(self._session, group, self))

    @Slot()
    def _on_distribute(self) -> None:
        group = self.current_group()
        if group is not None:
            self._run(self.open_distribute(group), "distribute")

    async def open_distribute(self, group: WalletGroup) -> None:
        """Show the distribution dialog for ``group``."""
        await self.dialogs.run(DistributeDialog(self._session, group, self))
