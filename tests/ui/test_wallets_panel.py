"""The wallets panel on a real vault: edits write through, keyboard actions, dialogs, header, empty state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from desk.app import build_main_window
from desk.config import AppConfig, Endpoints
from desk.core.wallets import MemberRole, WalletKind
from desk.engine.wallets import MAX_CREATE, create_wallets
from desk.ui.dialogs.new_wallets import MAX_CREATE as DIALOG_MAX_CREATE
from desk.ui.dialogs.new_wallets import NewWalletsDialog
from desk.ui.dialogs.prompts import ChoicePrompt, ConfirmDialog
from desk.ui.panels.wallet_model import WalletModel
from desk.ui.panels.wallets import EMPTY_TEXT, WalletsPanel
from desk.ui.session import Changes, DeskSession
from desk.vault.repos.wallets import NewWallet
from desk.vault.session import Vault
from tests.ui.qtasync import QtAsync

LEFT = Qt.MouseButton.LeftButton


async def _panel(qtbot: QtBot, session: DeskSession) -> WalletsPanel:
    panel = WalletsPanel(session)
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    await session.publish(Changes(wallets=True, groups=True, balances=True))
    return panel


def test_empty_state_says_how_to_add_wallets(
        qtbot: QtBot, aio: QtAsync, make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        panel = await _panel(qtbot, make_session())
        assert panel.stack.currentIndex() == 1
        assert panel.empty_label.text() == EMPTY_TEXT
        assert not panel.wallet_actions.archive.isEnabled(), "nothing selected"

    aio.run(scenario())


def test_toggling_active_through_the_model_writes_to_the_vault(
        qtbot: QtBot, aio: QtAsync, vault: Vault, make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        wallets = await create_wallets(vault, 3, label="Sniper")
        session = make_session()
        panel = await _panel(qtbot, session)
        assert panel.stack.currentIndex() == 0 and panel.model.rowCount() == 3
        index = panel.proxy.index(1, WalletModel.ACTIVE)
        assert panel.proxy.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
        await aio.signal(session.wallets_changed)
        assert [w.active for w in await vault.wallets.list()] == [True, False, True]
        assert panel.model.row_at(1).wallet.active is False

        label = panel.proxy.index(2, WalletModel.LABEL)
        assert panel.proxy.setData(label, "Sniper 1")  # taken: refused by the vault, the row comes back
        await aio.until(lambda: panel.dialogs.current is None and panel.model.row_at(2).wallet.label == "Sniper 3")
        await aio.until(lambda: any(isinstance(w, QDialog) and w.isVisible() for w in QApplication.topLevelWidgets()),
                        what="the error box")
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.done(0)
        assert panel.proxy.setData(label, "Dev")
        await aio.until(lambda: wallets[2].id in {w.id for w in session.wallets if w.label == "Dev"})

    aio.run(scenario())


def test_space_toggles_the_selection_and_delete_archives_after_typing_the_label(
        qtbot: QtBot, aio: QtAsync, vault: Vault, make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        wallets = await create_wallets(vault, 4, label="Bundle")
        session = make_session()
        panel = await _panel(qtbot, session)
        panel.view.setFocus()
        panel.select_wallets([wallets[0].id, wallets[1].id])
        assert panel.wallet_actions.toggle_active.isEnabled()
        qtbot.keyClick(panel.view, Qt.Key.Key_Space)
        await aio.until(lambda: [w.active for w in session.wallets] == [False, False, True, True])
        qtbot.keyClick(panel.view, Qt.Key.Key_Space)
        await aio.until(lambda: all(w.active for w in session.wallets))

        panel.select_wallets([wallets[3].id])
        qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
        await aio.until(lambda: isinstance(panel.dialogs.current, ConfirmDialog), what="the archive confirmation")
        confirm = panel.dialogs.current
        assert isinstance(confirm, ConfirmDialog)
        assert not confirm.ok_button.isEnabled(), "a wallet holding a key needs its label typed"
        assert any("Export it first" in label.text() for label in confirm.findChildren(type(panel.count_label)))
        qtbot.keyClicks(confirm.field, "Bundle")
        assert not confirm.ok_button.isEnabled()
        qtbot.keyClicks(confirm.field, " 4")
        assert confirm.ok_button.isEnabled()
        qtbot.mouseClick(confirm.ok_button, LEFT)
        await aio.until(lambda: len(session.wallets) == 3)
        assert [w.label for w in await vault.wallets.list()] == ["Bundle 1", "Bundle 2", "Bundle 3"]

    aio.run(scenario())


def test_select_all_none_invert_and_the_filters(
        qtbot: QtBot, aio: QtAsync, vault: Vault, make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        wallets = await create_wallets(vault, 6, label="W")
        group = await vault.groups.create("Snipers")
        await vault.groups.add_members(group.id, [w.id for w in wallets[:2]], MemberRole.SOURCE)
        panel = await _panel(qtbot, make_session())
        panel.view.setFocus()
        qtbot.keyClick(panel.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        assert len(panel.selected_wallets()) == 6
        ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        qtbot.keyClick(panel.view, Qt.Key.Key_A, ctrl_shift)
        assert panel.selected_wallets() == []
        panel.select_wallets([wallets[0].id])
        panel.invert_selection()
        assert [w.label for w in panel.selected_wallets()] == ["W 2", "W 3", "W 4", "W 5", "W 6"]

        panel.set_group_filter(group.id)
        assert panel.proxy.rowCount() == 2
        qtbot.keyClicks(panel.search, "w 2")
        assert panel.proxy.rowCount() == 1 and "1 of 6 shown" in panel.count_label.text()

    aio.run(scenario())


def test_new_wallets_dialog_creates_them_in_a_group(
        qtbot: QtBot, aio: QtAsync, vault: Vault, make_session: Callable[..., DeskSession]) -> None:
    assert DIALOG_MAX_CREATE == MAX_CREATE

    async def scenario() -> None:
        group = await vault.groups.create("Fresh")
        session = make_session()
        panel = await _panel(qtbot, session)
        panel.wallet_actions.new.trigger()
        await aio.until(lambda: isinstance(panel.dialogs.current, NewWalletsDialog))
        dialog = panel.dialogs.current
        assert isinstance(dialog, NewWalletsDialog)
        dialog.count.setValue(5)
        dialog.label.setText("Fresh")
        dialog.group.setCurrentIndex(dialog.group.findData(group.id))
        qtbot.mouseClick(dialog.create_button, LEFT)
        await aio.until(lambda: panel.dialogs.current is None)
        assert [w.label for w in session.wallets] == [f"Fresh {i}" for i in range(1, 6)]
        assert len((await vault.groups.find("Fresh")).sources) == 5
        assert panel.model.rowCount() == 5 and panel.model.index(0, WalletModel.GROUPS).data() == "Fresh"

    aio.run(scenario())


def test_add_to_group_action_asks_which_group(
        qtbot: QtBot, aio: QtAsync, vault: Vault, make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        wallets = await create_wallets(vault, 3, label="W")
        await vault.groups.create("Alpha")
        session = make_session()
        panel = await _panel(qtbot, session)
        panel.select_wallets([w.id for w in wallets[1:]])
        panel.wallet_actions.add_to_group.trigger()
        await aio.until(lambda: isinstance(panel.dialogs.current, ChoicePrompt))
        prompt = panel.dialogs.current
        assert isinstance(prompt, ChoicePrompt)
        assert [prompt.combo.itemText(i) for i in range(prompt.combo.count())] == ["Alpha", "New group…"]
        qtbot.mouseClick(prompt.ok_button, LEFT)
        await aio.until(lambda: bool(session.groups and session.groups[0].sources))
        assert set(session.groups[0].sources) == {wallets[1].id, wallets[2].id}

    aio.run(scenario())


def test_header_shows_active_total_and_offers_groups_and_wallets(
        qtbot: QtBot, aio: QtAsync, vault: Vault, home: Path) -> None:
    async def scenario() -> None:
        wallets = await create_wallets(vault, 3, label="W")
        await vault.wallets.add_many([NewWallet("Watched", WalletKind.WATCH_ONLY, "Watch1111111111111111111111111111")])
        await vault.groups.create("Alpha")
        await vault.wallets.set_active([wallets[2].id], False)
        from desk.vault.repos.balances import SOL, CachedBalance
        await vault.balances.replace("mainnet", [w.id for w in wallets], [
            CachedBalance(w.id, SOL, (i + 1) * 1_000_000_000, 9, None, 1) for i, w in enumerate(wallets)],
            tokens_included=False)
        window = build_main_window(vault, AppConfig(home=home, endpoints=Endpoints.from_env()))
        qtbot.addWidget(window)
        assert window.panels["wallets"] is window.wallets_panel and window.panels["groups"] is window.groups_panel
        actions = window.wallets_panel.wallet_actions
        assert [a.shortcut().toString() for a in (actions.new, actions.import_, actions.refresh)] == \
            ["Ctrl+N", "Ctrl+I", "F5"]
        assert window.wallets_panel.select_none.shortcut().toString() == "Ctrl+Shift+A"
        assert not actions.airdrop.isVisible(), "airdrops exist only on simnet"
        assert window.header.total.text() == "— SOL"
        await window.session.publish(Changes(wallets=True, groups=True, balances=True))
        assert window.header.total.text() == "3.0000 SOL", "the inactive wallet's 3 SOL is left out"
        picker = window.header.wallet_picker
        texts = [picker.itemText(i) for i in range(picker.count()) if picker.itemText(i)]
        assert texts[0] == "All active wallets (3)" and "Group: Alpha (0)" in texts
        assert any(t.startswith("W 1") for t in texts) and not any(t.startswith("W 3") for t in texts)
        picker.setCurrentIndex(picker.findData(f"wallet:{wallets[0].id}"))
        assert window.header.scope() == ("wallet", wallets[0].id)
        await window.session.close()
        window.close_now()

    aio.run(scenario())
