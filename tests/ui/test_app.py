"""The desk's life cycle: first run, lock and unlock again, idle auto-lock, quit; the error hook."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desk.app import DeskApp, read_auto_lock_minutes
from desk.config import AppConfig, Endpoints
from desk.core.activity import ActivityKind
from desk.core.errors import WrongPasswordError
from desk.ui.asyncutil import TaskSet
from desk.ui.dialogs.create_vault import CreateVaultDialog
from desk.ui.dialogs.unlock import UnlockDialog
from desk.ui.errorhook import ErrorReporter
from desk.ui.idle import IdleWatcher
from desk.ui.main_window import LAYOUT_KEY, MainWindow
from desk.vault.lifecycle import create_vault, unlock_vault
from tests.factories import FAST_KDF, PASSWORD
from tests.ui.qtasync import QtAsync

LEFT = Qt.MouseButton.LeftButton


def _desk(qapp: QApplication, home: Path) -> DeskApp:
    return DeskApp(AppConfig(home=home, endpoints=Endpoints.from_env()), qapp, kdf=FAST_KDF)


async def _unlock(qtbot: QtBot, aio: QtAsync, desk: DeskApp) -> MainWindow:
    await aio.until(lambda: isinstance(desk.gate, UnlockDialog), what="the unlock dialog")
    dialog = desk.gate
    assert isinstance(dialog, UnlockDialog)
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.mouseClick(dialog.unlock_button, LEFT)
    (window,) = await aio.signal(desk.session_started)
    assert isinstance(window, MainWindow)
    return window


def test_first_run_creates_then_lock_and_unlock_reopen_the_window(
        qtbot: QtBot, qapp: QApplication, aio: QtAsync, home: Path) -> None:
    desk = _desk(qapp, home)

    async def scenario() -> int:
        run = asyncio.ensure_future(desk.run())
        await aio.until(lambda: desk.gate is not None, what="the first-run dialog")
        create = desk.gate
        assert isinstance(create, CreateVaultDialog)
        qtbot.keyClicks(create.password, PASSWORD)
        qtbot.keyClicks(create.confirm, PASSWORD)
        qtbot.mouseClick(create.create_button, LEFT)
        (window,) = await aio.signal(desk.session_started)
        assert window.isVisible() and desk.vault is not None and desk.vault.is_unlocked
        vault = desk.vault
        window.docks["signals"].hide()

        window.lock_action.trigger()  # what Ctrl+L and the Lock button do
        (reason,) = await aio.signal(desk.session_ended)
        assert reason == "user"
        assert not vault.is_unlocked and desk.window is None
        assert not shiboken6.isValid(window) or not window.isVisible()

        window = await _unlock(qtbot, aio, desk)
        assert window.docks["signals"].isHidden(), "the layout came back with the vault"
        assert desk.vault is not None
        kinds = [e.kind for e in await desk.vault.activity.recent()]
        assert kinds[:2] == [ActivityKind.VAULT_UNLOCKED.value, ActivityKind.VAULT_LOCKED.value]

        window.close()  # the window's close button: save, lock, quit
        return await run

    assert aio.run(scenario()) == 0
    assert desk.vault is None and desk.window is None


def test_idle_auto_lock_uses_the_vault_setting(
        qtbot: QtBot, qapp: QApplication, aio: QtAsync, home: Path) -> None:
    desk = _desk(qapp, home)

    async def scenario() -> None:
        vault = await create_vault(home, PASSWORD, FAST_KDF)
        await vault.settings.set("auto_lock_minutes", 0.003)  # ~0.2 s
        await vault.lock()
        run = asyncio.ensure_future(desk.run())
        window = await _unlock(qtbot, aio, desk)
        assert window.auto_lock_label.text() == "Auto-lock 0.003 min"
        (reason,) = await aio.signal(desk.session_ended, timeout=5)
        assert reason == "idle"
        await aio.until(lambda: isinstance(desk.gate, UnlockDialog))
        assert "without activity" in desk.gate.reason_label.text()  # type: ignore[union-attr]
        desk.request_quit()
        assert await run == 0

    aio.run(scenario())


def test_quitting_at_the_unlock_dialog_ends_the_app(
        qtbot: QtBot, qapp: QApplication, aio: QtAsync, home: Path) -> None:
    desk = _desk(qapp, home)

    async def scenario() -> int:
        await (await create_vault(home, PASSWORD, FAST_KDF)).lock()
        run = asyncio.ensure_future(desk.run())
        await aio.until(lambda: isinstance(desk.gate, UnlockDialog))
        qtbot.mouseClick(desk.gate.quit_button, LEFT)  # type: ignore[union-attr]
        return await run

    assert aio.run(scenario()) == 0


def test_auto_lock_setting_falls_back_to_fifteen_minutes(aio: QtAsync, home: Path) -> None:
    async def scenario() -> list[float]:
        vault = await create_vault(home, PASSWORD, FAST_KDF)
        seen = [await read_auto_lock_minutes(vault)]
        for value in (5, "junk", -3, 0):
            await vault.settings.set("auto_lock_minutes", value)
            seen.append(await read_auto_lock_minutes(vault))
        await vault.lock()
        return seen

    assert aio.run(scenario()) == [15.0, 5.0, 15.0, 15.0, 0.0]


def test_shutdown_saves_the_layout_before_locking(
        qtbot: QtBot, qapp: QApplication, aio: QtAsync, home: Path) -> None:
    desk = _desk(qapp, home)

    async def scenario() -> None:
        await (await create_vault(home, PASSWORD, FAST_KDF)).lock()
        run = asyncio.ensure_future(desk.run())
        window = await _unlock(qtbot, aio, desk)
        window.resize(1234, 777)
        desk.request_quit()
        await run
        vault = await unlock_vault(home, PASSWORD)
        assert await vault.settings.get(LAYOUT_KEY) is not None
        await vault.lock()

    aio.run(scenario())


def test_idle_watcher_fires_once_per_pause(qtbot: QtBot, qapp: QApplication) -> None:
    watcher = IdleWatcher(qapp, 50, check_ms=10)
    try:
        with qtbot.waitSignal(watcher.idle, timeout=2000):
            pass
        with qtbot.assertNotEmitted(watcher.idle, wait=150):
            pass
        watcher.reset()
        with qtbot.waitSignal(watcher.idle, timeout=2000):
            pass
        watcher.set_timeout_ms(0)
        watcher.reset()
        with qtbot.assertNotEmitted(watcher.idle, wait=150):
            pass
    finally:
        watcher.stop()


def test_error_hook_logs_and_shows_a_redacted_dialog(
        qtbot: QtBot, qapp: QApplication, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    reporter = ErrorReporter(tmp_path)
    secret = "ab" * 40
    try:
        raise RuntimeError(f"boom with seed {secret}")
    except RuntimeError as e:
        reporter.excepthook(type(e), e, e.__traceback__)
    reporter.excepthook(WrongPasswordError, WrongPasswordError("Wrong password."), None)
    boxes = [w for w in qapp.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    texts = [b.text() + b.detailedText() for b in boxes]
    assert any("[redacted]" in t and "boom" in t for t in texts)
    assert all(secret not in t for t in texts)
    assert any(b.text() == "Wrong password." for b in boxes), "a desk error shows its own plain words"
    assert all(secret not in r.getMessage() for r in caplog.records)
    for box in boxes:
        box.close()
    caplog.clear()  # the two ERROR records above are expected


def test_task_set_routes_failures_to_the_excepthook(aio: QtAsync, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _t, e, _tb: seen.append(e))
    tasks = TaskSet()

    async def boom() -> None:
        raise ValueError("task failed")

    async def scenario() -> None:
        tasks.spawn(boom())
        slow = tasks.spawn(asyncio.sleep(10))
        assert len(tasks) == 2
        await aio.until(lambda: len(tasks) == 1)
        await tasks.cancel_all()
        assert slow.cancelled() and len(tasks) == 0

    aio.run(scenario())
    assert [str(e) for e in seen] == ["task failed"]


def test_app_logs_nothing_secret_while_unlocking(
        qtbot: QtBot, qapp: QApplication, aio: QtAsync, home: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    desk = _desk(qapp, home)

    async def scenario() -> None:
        await (await create_vault(home, PASSWORD, FAST_KDF)).lock()
        run = asyncio.ensure_future(desk.run())
        await _unlock(qtbot, aio, desk)
        desk.request_quit()
        await run

    aio.run(scenario())
    assert all(PASSWORD not in r.getMessage() for r in caplog.records)
