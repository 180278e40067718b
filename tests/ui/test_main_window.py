"""The main window: its docks, header, layout persistence and the activity log model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget
from pytestqt.qtbot import QtBot

from desk.app import build_main_window
from desk.config import AppConfig, Endpoints
from desk.core.activity import ActivityEntry, ActivityKind
from desk.ui.header import NO_TOTAL, format_sol
from desk.ui.main_window import LAYOUT_KEY, PANELS, MainWindow, decode_layout
from desk.ui.panels.activity import ActivityModel, detail_text, kind_label
from desk.vault.lifecycle import create_vault
from desk.vault.session import Vault
from tests.factories import FAST_KDF, PASSWORD
from tests.ui.qtasync import QtAsync

EXPECTED_TITLES = [
    "Token feed", "Chart", "Order panel", "Wallets", "Groups", "Positions & P&L", "Trades journal",
    "Order legs", "Activity log", "Signals", "Launch studio",
]


@pytest.fixture
def vault(aio: QtAsync, home: Path) -> Iterator[Vault]:
    """An unlocked vault in a fresh data directory, locked again after the test."""
    opened = aio.run(create_vault(home, PASSWORD, FAST_KDF))
    yield opened
    aio.run(opened.lock())


def _config(home: Path, *, simnet: bool = False) -> AppConfig:
    return AppConfig(home=home, endpoints=Endpoints.from_env(), simnet=simnet)


def _window(qtbot: QtBot, vault: Vault, home: Path, *, simnet: bool = False) -> MainWindow:
    window = build_main_window(vault, _config(home, simnet=simnet))
    qtbot.addWidget(window)
    return window


def _entries(count: int) -> list[ActivityEntry]:
    kinds = list(ActivityKind)
    return [ActivityEntry(seq, 1_700_000_000_000 + seq * 1000, kinds[seq % len(kinds)].value,
                          {"reason": "user", "n": seq}, "0" * 64, f"{seq:064x}")
            for seq in range(1, count + 1)]


def test_window_has_every_named_dock(qtbot: QtBot, vault: Vault, home: Path) -> None:
    window = _window(qtbot, vault, home)
    docks = window.findChildren(QDockWidget)
    assert [spec.title for spec in PANELS] == EXPECTED_TITLES
    assert sorted(window.docks) == sorted(spec.key for spec in PANELS)
    names = [dock.objectName() for dock in docks]
    assert all(names) and len(set(names)) == len(names) == len(EXPECTED_TITLES)
    for spec in PANELS:
        dock = window.docks[spec.key]
        assert dock.objectName() == spec.object_name
        assert dock.windowTitle().replace("&&", "&") == spec.title
        assert dock.widget() is window.panels[spec.key]
    assert window.docks["activity"].widget() is window.activity_panel


def test_header_shows_network_total_and_lock(qtbot: QtBot, vault: Vault, home: Path) -> None:
    mainnet = _window(qtbot, vault, home)
    assert mainnet.header.badge.text() == "MAINNET"
    assert mainnet.header.total.text() == NO_TOTAL
    assert mainnet.header.wallet_picker.count() >= 1
    assert mainnet.header.lock_button.defaultAction() is mainnet.lock_action
    assert mainnet.lock_action.shortcut().toString() == "Ctrl+L"
    mainnet.header.set_total_lamports(12_345_678_901)
    assert mainnet.header.total.text() == "12.3457 SOL"
    assert format_sol(0) == "0.0000 SOL"
    with pytest.raises(ValueError, match="negative"):
        format_sol(-1)

    simnet = _window(qtbot, vault, home, simnet=True)
    assert simnet.header.badge.text() == "SIMNET"


def test_lock_button_and_close_ask_the_app_instead_of_acting(qtbot: QtBot, vault: Vault, home: Path) -> None:
    window = _window(qtbot, vault, home)
    window.show()
    with qtbot.waitSignal(window.lock_requested, timeout=1000):
        qtbot.mouseClick(window.header.lock_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.quit_requested, timeout=1000):
        window.close()
    assert window.isVisible(), "closing waits until the app has saved the layout and locked"
    window.close_now()
    assert not window.isVisible()


def test_focus_shortcut_shows_a_hidden_panel(qtbot: QtBot, vault: Vault, home: Path) -> None:
    window = _window(qtbot, vault, home)
    window.show()
    window.docks["signals"].hide()
    window.focus_actions["signals"].trigger()
    assert window.docks["signals"].isVisible()
    assert {a.shortcut().toString() for a in window.focus_actions.values()} >= {"Alt+1", "Alt+9", "Alt+0"}


def test_layout_round_trips_through_the_vault_setting(
        qtbot: QtBot, aio: QtAsync, vault: Vault, home: Path) -> None:
    async def scenario() -> None:
        first = _window(qtbot, vault, home)
        first.show()
        first.resize(700, 500)  # the offscreen screen is 800x600; geometry is clamped to it
        first.docks["signals"].hide()
        first.docks["launch"].hide()
        await first.save_layout()

        stored = await vault.settings.get(LAYOUT_KEY)
        assert isinstance(stored["geometry"], str) and isinstance(stored["state"], str)
        assert decode_layout(stored) is not None

        second = _window(qtbot, vault, home)
        assert await second.load_layout()
        second.show()
        assert second.docks["signals"].isHidden() and second.docks["launch"].isHidden()
        assert not second.docks["chart"].isHidden()
        assert (second.width(), second.height()) == (700, 500)

    aio.run(scenario())


def test_unusable_saved_layout_keeps_the_default(qtbot: QtBot, aio: QtAsync, vault: Vault, home: Path) -> None:
    async def scenario() -> None:
        window = _window(qtbot, vault, home)
        assert not await window.load_layout(), "nothing saved yet"
        for junk in ("text", {"v": 1, "geometry": "!!", "state": "!!"}, {"v": 99}, {"v": 1}):
            await vault.settings.set(LAYOUT_KEY, junk)
            assert not await window.load_layout()
        assert not window.docks["chart"].isHidden()

    aio.run(scenario())


def test_activity_model_passes_the_model_tester(qtmodeltester: object) -> None:
    model = ActivityModel()
    model.set_entries(_entries(25))
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert model.rowCount() == 25
    assert model.entry(0).seq == 25, "newest first"
    assert model.add(_entries(26)[-1])
    assert not model.add(_entries(26)[-1]), "an entry is shown once"
    assert model.entry(0).seq == 26
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.set_entries([])
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_activity_model_shows_time_kind_and_detail() -> None:
    model = ActivityModel()
    model.set_entries(_entries(2))
    row = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert row[0].startswith("2023-") and row[1] == kind_label(model.entry(0).kind)
    assert row[2] == "reason: user, n: 2"
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == ["Time", "Kind", "Detail"]
    assert kind_label("vault_unlocked") == "Vault unlocked"
    assert detail_text({"kdf": {"m": 8, "t": 1}}) == 'kdf: {"m":8,"t":1}'


def test_activity_panel_loads_from_the_vault(qtbot: QtBot, aio: QtAsync, vault: Vault, home: Path) -> None:
    async def scenario() -> None:
        window = _window(qtbot, vault, home)
        panel = window.activity_panel
        await panel.refresh()
        kinds = [e.kind for e in panel.model.entries()]
        assert kinds == [ActivityKind.VAULT_CREATED.value]
        await vault.settings.set("x", 1)
        await vault.activity.append(ActivityKind.BACKUP_CREATED, {"file": "b.deskbak"})
        qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
        await aio.signal(panel.refreshed)
        assert panel.model.entry(0).kind == ActivityKind.BACKUP_CREATED.value
        assert "2 entries" in panel.count_label.text()

    aio.run(scenario())
