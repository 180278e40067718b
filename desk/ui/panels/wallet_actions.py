"""What the wallets panel can do: its actions (menus, buttons, shortcuts) and the flows behind them."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDialog, QWidget

from desk.core.errors import DeskError
from desk.core.money import format_sol
from desk.core.wallets import Wallet, WalletGroup
from desk.ui.dialogs.host import DialogHost
from desk.ui.dialogs.import_wallets import ImportDialog
from desk.ui.dialogs.keys import COPY, EXPORT, KeyDialog
from desk.ui.dialogs.new_wallets import NewWalletsDialog
from desk.ui.dialogs.prompts import ChoicePrompt, ConfirmDialog, TextPrompt, show_error
from desk.ui.session import AIRDROP_LAMPORTS, DeskSession


class WalletSelection(Protocol):
    """The part of the wallets panel the actions work on."""

    dialogs: DialogHost

    def selected_wallets(self) -> list[Wallet]:
        """Return the wallets selected in the table."""
        ...

    def edit_label(self, wallet: Wallet) -> None:
        """Start editing a wallet's label in place."""
        ...


def archive_confirmation(wallets: Sequence[Wallet]) -> tuple[str, str, str]:
    """Return (text, warning, text to type) for archiving ``wallets`` (nothing to type without keys)."""
    keyed = [w for w in wallets if w.has_private_key]
    one = len(wallets) == 1
    text = (f"Archive {wallets[0].label}?" if one else f"Archive {len(wallets)} wallets?") + \
        " Archived wallets leave every list and group; their history stays."
    if not keyed:
        return text, "", ""
    warning = ("This wallet holds a private key. Export it first if it may still hold funds: the key stays in "
               "the vault, but the desk will no longer show or use the wallet." if one else
               f"{len(keyed)} of them hold private keys. Export those first if they may still hold funds.")
    return text, warning, wallets[0].label if one else f"archive {len(wallets)}"


class WalletActions(QObject):
    """Every wallet action as a QAction, with the async flow each one starts.

    Attributes:
        new, import_, refresh: Create, import, refresh balances (window-wide shortcuts).
        activate, deactivate, toggle_active, add_to_group, archive, airdrop: Bulk actions on the selection.
        copy_address, copy_key, export_key, rename, note: Actions on the wallet under the cursor.
    """

    def __init__(self, session: DeskSession, host: WalletSelection, widget: QWidget) -> None:
        super().__init__(widget)
        self._session = session
        self._host = host
        self._widget = widget
        self.new = self._action("New wallets…", self._on_new, "Ctrl+N", "Generate new wallets (Ctrl+N)")
        self.import_ = self._action("Import…", self._on_import, "Ctrl+I", "Import wallets from a file (Ctrl+I)")
        self.refresh = self._action("Refresh balances", self._on_refresh, "F5", "Read balances from the chain (F5)")
        self.new.setIconText("New…")
        self.refresh.setIconText("Refresh")
        self.activate = self._action("Activate", lambda: self._bulk_active(True), tip="Include the selected wallets")
        self.deactivate = self._action("Deactivate", lambda: self._bulk_active(False),
                                       tip="Leave the selected wallets out of orders")
        self.toggle_active = self._action("Toggle active", self._on_toggle, "Space", local=True)
        self.add_to_group = self._action("Add to group…", self._on_add_to_group,
                                         tip="Add the selected wallets to a group as sources")
        self.archive = self._action("Archive…", self._on_archive, "Delete", "Archive the selected wallets (Delete)",
                                    local=True)
        self.airdrop = self._action(f"Airdrop {format_sol(AIRDROP_LAMPORTS)} SOL", self._on_airdrop,
                                    tip="Ask the simnet faucet for SOL for each selected wallet (simnet only)")
        self.airdrop.setIconText("Airdrop")
        self.airdrop.setVisible(session.is_simnet)
        self.copy_address = self._action("Copy address", self._on_copy_address, QKeySequence.StandardKey.Copy,
                                         local=True)
        self.copy_key = self._action("Copy private key…", lambda: self._key(COPY))
        self.export_key = self._action("Export private key…", lambda: self._key(EXPORT))
        self.rename = self._action("Rename", self._on_rename, "F2", local=True)
        self.note = self._action("Edit note…", self._on_note)
        self.selection_actions = (self.activate, self.deactivate, self.toggle_active, self.add_to_group,
                                  self.archive, self.airdrop, self.copy_address)
        self.single_actions = (self.copy_key, self.export_key, self.rename, self.note)

    def _action(self, text: str, slot: Callable[[], None], shortcut: str | QKeySequence.StandardKey | None = None,
                tip: str = "", *, local: bool = False) -> QAction:
        action = QAction(text, self._widget)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut if local
                                      else Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def update_enabled(self, selected: Sequence[Wallet]) -> None:
        """Enable what applies to ``selected``."""
        for action in self.selection_actions:
            action.setEnabled(bool(selected))
        one = selected[0] if len(selected) == 1 else None
        self.copy_key.setEnabled(one is not None and one.has_private_key)
        self.export_key.setEnabled(one is not None and one.has_private_key)
        self.rename.setEnabled(one is not None)
        self.note.setEnabled(one is not None)

    def _run(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._session.spawn(self._guard(coro), name=name)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except DeskError as e:
            show_error(self._widget, "Wallets", str(e))

    # -- create and import -------------------------------------------------------------------

    @Slot()
    def _on_new(self) -> None:
        self._run(self.new_wallets(), "new-wallets")

    async def new_wallets(self, group: WalletGroup | None = None) -> None:
        """Show the new-wallets dialog."""
        dialog = NewWalletsDialog(self._session, self._widget, group=group)
        if await self._host.dialogs.run(dialog) == QDialog.DialogCode.Accepted:
            self._session.status.emit(f"{len(dialog.wallets)} wallet(s) created.")

    @Slot()
    def _on_import(self) -> None:
        self._run(self.import_wallets(), "import-wallets")

    async def import_wallets(self) -> None:
        """Show the import dialog."""
        dialog = ImportDialog(self._session, self._widget)
        dialog.applied.connect(lambda s: self._session.status.emit(
            f"Imported: {s.added} added, {s.upgraded} upgraded, {s.duplicates} duplicate(s), {s.invalid} invalid."))
        await self._host.dialogs.run(dialog)

    @Slot()
    def _on_refresh(self) -> None:
        if self._session.request_refresh(tokens=True) is None:
            self._session.status.emit("Balances are already being refreshed.")

    # -- bulk --------------------------------------------------------------------------------

    def _bulk_active(self, active: bool) -> None:
        wallets = self._host.selected_wallets()
        if wallets:
            self._run(self._set_active(wallets, active), "set-active")

    @Slot()
    def _on_toggle(self) -> None:
        wallets = self._host.selected_wallets()
        if wallets:
            self._run(self._set_active(wallets, not all(w.active for w in wallets)), "toggle-active")

    async def _set_active(self, wallets: Sequence[Wallet], active: bool) -> None:
        changed = await self._session.set_active(wallets, active)
        self._session.status.emit(f"{changed} wallet(s) {'activated' if active else 'deactivated'}.")

    @Slot()
    def _on_add_to_group(self) -> None:
        wallets = self._host.selected_wallets()
        if wallets:
            self._run(self.add_wallets_to_group(wallets), "add-to-group")

    async def add_wallets_to_group(self, wallets: Sequence[Wallet]) -> None:
        """Ask which group (or a new one) and add ``wallets`` to it as sources."""
        new_group = object()
        items: list[tuple[str, object]] = [(g.name, g.id) for g in self._session.groups]
        items.append(("New group…", new_group))
        prompt = ChoicePrompt("Add to group", f"Add {len(wallets)} wallet(s) to a group as sources.", items,
                              ok_text="Add", parent=self._widget)
        if await self._host.dialogs.run(prompt) != QDialog.DialogCode.Accepted:
            return
        choice = prompt.choice()
        if choice is new_group:
            ask = TextPrompt("New group", "Name the group.", ok_text="Create", parent=self._widget)
            if await self._host.dialogs.run(ask) != QDialog.DialogCode.Accepted:
                return
            group: WalletGroup | None = await self._session.create_group(ask.value())
        else:
            group = self._session.group(str(choice))
        if group is not None:
            await self._session.add_to_group(group, wallets)
            self._session.status.emit(f"{len(wallets)} wallet(s) added to {group.name}.")

    @Slot()
    def _on_archive(self) -> None:
        wallets = self._host.selected_wallets()
        if wallets:
            self._run(self.archive_wallets(wallets), "archive")

    async def archive_wallets(self, wallets: Sequence[Wallet]) -> None:
        """Confirm (typing the label when keys are involved), then archive ``wallets``."""
        text, warning, typed = archive_confirmation(wallets)
        dialog = ConfirmDialog("Archive wallets", text, ok_text="Archive", warning=warning, type_to_confirm=typed,
                               parent=self._widget)
        if await self._host.dialogs.run(dialog) == QDialog.DialogCode.Accepted:
            await self._session.archive(wallets)
            self._session.status.emit(f"{len(wallets)} wallet(s) archived.")

    @Slot()
    def _on_airdrop(self) -> None:
        wallets = self._host.selected_wallets()
        if wallets and self._session.is_simnet:
            self._run(self._airdrop(wallets), "airdrop")

    async def _airdrop(self, wallets: Sequence[Wallet]) -> None:
        self._session.status.emit(f"Airdropping to {len(wallets)} wallet(s)…")
        count = await self._session.airdrop(wallets)
        self._session.status.emit(f"Airdropped {format_sol(AIRDROP_LAMPORTS)} SOL to {count} wallet(s).")

    # -- one wallet --------------------------------------------------------------------------

    @Slot()
    def _on_copy_address(self) -> None:
        wallets = self._host.selected_wallets()
        if wallets:
            QGuiApplication.clipboard().setText("\n".join(w.pubkey for w in wallets))
            self._session.status.emit("Address copied." if len(wallets) == 1
                                      else f"{len(wallets)} addresses copied.")

    def _single(self) -> Wallet | None:
        wallets = self._host.selected_wallets()
        return wallets[0] if len(wallets) == 1 else None

    def _key(self, mode: str) -> None:
        wallet = self._single()
        if wallet is not None and wallet.has_private_key:
            self._run(self.reveal_key(wallet, mode), f"key-{mode}")

    async def reveal_key(self, wallet: Wallet, mode: str) -> None:
        """Show the password-and-warning dialog that copies or exports ``wallet``'s key."""
        dialog = KeyDialog(self._session, wallet, mode, self._widget)
        seconds = self._session.clipboard.clear_after_ms / 1000
        dialog.copied.connect(lambda: self._session.status.emit(
            f"Private key of {wallet.label} copied; the clipboard is cleared in {seconds:g} s."))
        dialog.exported.connect(lambda path: self._session.status.emit(f"Private key written to {path}."))
        await self._host.dialogs.run(dialog)

    @Slot()
    def _on_rename(self) -> None:
        wallet = self._single()
        if wallet is not None:
            self._host.edit_label(wallet)

    @Slot()
    def _on_note(self) -> None:
        wallet = self._single()
        if wallet is not None:
            self._run(self.edit_note(wallet), "note")

    async def edit_note(self, wallet: Wallet) -> None:
        """Ask for a new note for ``wallet``."""
        prompt = TextPrompt(f"Note for {wallet.label}", "", value=wallet.note, ok_text="Save", multiline=True,
                            required=False, parent=self._widget)
        if await self._host.dialogs.run(prompt) == QDialog.DialogCode.Accepted:
            await self._session.set_note(wallet, prompt.value())
