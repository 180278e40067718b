"""The session inside the app: loaded on unlock, window shortcuts reach the wallet actions, closed on lock."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desk.app import DeskApp
from desk.config import AppConfig, Endpoints
from desk.engine.wallets import create_wallets
from desk.ui.dialogs.import_wallets import ImportDialog
from desk.ui.dialogs.new_wallets import NewWalletsDialog
from desk.ui.dialogs.unlock import UnlockDialog
from desk.ui.main_window import MainWindow
from desk.ui.session import REFRESH_KEY
from desk.vault.lifecycle import create_vault
from tests.factories import FAST_KDF, PASSWORD
from tests.ui.qtasync import QtAsync

CTRL = Qt.KeyboardModifier.ControlModifier


def test_unlock_loads_wallets_shortcuts_open_dialogs_and_lock_closes_the_session(
        qtbot: QtBot, qapp: QApplication, aio: QtAsync, home: Path) -> None:
    desk = DeskApp(AppConfig(home=home, endpoints=Endpoints.from_env()), qapp, kdf=FAST_KDF)

    async def scenario() -> int:
        vault = await create_vault(home, PASSWORD, FAST_KDF)
        await create_wallets(vault, 3, label="W")
        await vault.settings.set(REFRESH_KEY, 0)  # no chain in this test
        await vault.lock()
        run = asyncio.ensure_future(desk.run())
        await aio.until(lambda: isinstance(desk.gate, UnlockDialog))
        assert isinstance(desk.gate, UnlockDialog)
        qtbot.keyClicks(desk.gate.password, PASSWORD)
        qtbot.mouseClick(desk.gate.unlock_button, Qt.MouseButton.LeftButton)
        (window,) = await aio.signal(desk.session_started)
        assert isinstance(window, MainWindow)
        session = window.session
        window.focus_panel("wallets")
        await aio.until(lambda: window.wallets_panel.model.rowCount() == 3, what="the wallets to load")
        assert not session.timer.isActive(), "auto-refresh is off in this vault"
        assert window.header.wallet_picker.itemText(0) == "All active wallets (3)"

        window.activateWindow()
        await aio.until(lambda: QApplication.activeWindow() is window, what="the window to be active")
        qtbot.keyClick(window.wallets_panel.view, Qt.Key.Key_N, CTRL)
        await aio.until(lambda: isinstance(window.wallets_panel.dialogs.current, NewWalletsDialog))
        new_dialog = window.wallets_panel.dialogs.current
        assert new_dialog is not None
        new_dialog.reject()
        await aio.until(lambda: window.wallets_panel.dialogs.current is None)
        window.activateWindow()
        await aio.until(lambda: QApplication.activeWindow() is window)
        qtbot.keyClick(window.wallets_panel.view, Qt.Key.Key_I, CTRL)
        await aio.until(lambda: isinstance(window.wallets_panel.dialogs.current, ImportDialog))

        window.lock_action.trigger()  # the import dialog is still open: the lock closes it
        (reason,) = await aio.signal(desk.session_ended)
        assert reason == "user" and window.wallets_panel.dialogs.current is None
        assert len(session.tasks) == 0 and not session.timer.isActive()
        await aio.until(lambda: isinstance(desk.gate, UnlockDialog))
        desk.request_quit()
        return await run

    assert aio.run(scenario()) == 0
