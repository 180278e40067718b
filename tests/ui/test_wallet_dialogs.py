"""Import preview, private-key copy and export: nothing changes before Apply, nothing leaks without the password."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot
from solders.keypair import Keypair

from desk.core.activity import ActivityKind
from desk.engine.wallets import create_wallets
from desk.ui.clipboard import SECRET_HINTS, SecretClipboard
from desk.ui.dialogs.import_wallets import ImportDialog
from desk.ui.dialogs.keys import COPY, EXPORT, KeyDialog
from desk.ui.panels.wallets import WalletsPanel
from desk.ui.session import Changes, DeskSession
from desk.vault.session import Vault
from tests.factories import PASSWORD
from tests.ui.qtasync import QtAsync

LEFT = Qt.MouseButton.LeftButton


def test_import_preview_lists_invalid_lines_and_applies_only_on_apply(
        qtbot: QtBot, aio: QtAsync, vault: Vault, tmp_path: Path, make_session: Callable[..., DeskSession]) -> None:
    keys = [Keypair() for _ in range(3)]
    source = tmp_path / "phantom.txt"
    source.write_text("\n".join(["# from Phantom", str(keys[0]), "not a key at all", str(keys[1]), str(keys[0]),
                                 str(keys[2])[:30], str(keys[2])]) + "\n")

    async def scenario() -> None:
        session = make_session()
        await session.publish(Changes(wallets=True, groups=True))
        dialog = ImportDialog(session)
        qtbot.addWidget(dialog)
        dialog.show()
        assert not dialog.apply_button.isEnabled()
        dialog.format.setCurrentIndex(dialog.format.findData("base58"))
        plan = await dialog.preview(source, "base58")
        assert plan is not None
        rows = [[dialog.table.topLevelItem(i).text(c) for c in range(5)]  # type: ignore[union-attr]
                for i in range(dialog.table.topLevelItemCount())]
        assert [(r[0], r[1]) for r in rows] == [("2", "Add"), ("3", "Invalid"), ("4", "Add"), ("5", "Duplicate"),
                                                ("6", "Invalid"), ("7", "Add")]
        assert "more than one word" in rows[1][4] and rows[4][4]
        assert rows[0][3] == str(keys[0].pubkey())
        assert "3 to add, 0 to upgrade, 1 duplicate(s), 2 invalid" in dialog.summary.text()
        assert await vault.wallets.list() == [], "a preview changes nothing"

        dialog.reject()
        assert await vault.wallets.list() == [], "cancelling changes nothing"

        again = ImportDialog(session)
        qtbot.addWidget(again)
        again.show()
        await again.preview(source)
        assert again.apply_button.isEnabled()
        qtbot.mouseClick(again.apply_button, LEFT)
        (summary,) = await aio.signal(again.applied)
        assert (summary.added, summary.invalid) == (3, 2)
        stored = await vault.wallets.list()
        assert sorted(w.pubkey for w in stored) == sorted(str(k.pubkey()) for k in keys)
        assert len(session.wallets) == 3 and again.plan is None

    aio.run(scenario())


def test_import_preview_reports_an_unreadable_file(
        qtbot: QtBot, aio: QtAsync, tmp_path: Path, make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        dialog = ImportDialog(make_session())
        qtbot.addWidget(dialog)
        assert await dialog.preview(tmp_path / "missing.txt") is None
        assert "Cannot read missing.txt" in dialog.message.text()
        assert not dialog.apply_button.isEnabled()

    aio.run(scenario())


def test_secret_clipboard_marks_the_copy_secret_and_clears_it_after_the_timeout(
        qtbot: QtBot, aio: QtAsync) -> None:
    clipboard = SecretClipboard(clear_after_ms=50)

    async def scenario() -> None:
        clipboard.copy_secret("s3cret-key")
        mime = QGuiApplication.clipboard().mimeData()
        assert mime.text() == "s3cret-key"
        assert bytes(mime.data("x-kde-passwordManagerHint").data()) == b"secret"
        assert mime.hasFormat("application/x-nspasteboard-concealed-type")
        assert set(SECRET_HINTS) <= set(mime.formats())
        (held,) = await aio.signal(clipboard.cleared, timeout=2)
        assert held and QGuiApplication.clipboard().text() == ""

        clipboard.copy_secret("another secret")
        QGuiApplication.clipboard().setText("the user's own text")
        (held,) = await aio.signal(clipboard.cleared, timeout=2)
        assert not held and QGuiApplication.clipboard().text() == "the user's own text", "left alone"

    aio.run(scenario())


def test_copying_a_private_key_requires_the_password_and_is_cleared(
        qtbot: QtBot, aio: QtAsync, vault: Vault, make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        [wallet] = await create_wallets(vault, 1, label="Dev")
        session = make_session(clear_after_ms=300)
        panel = WalletsPanel(session)
        qtbot.addWidget(panel)
        panel.show()
        await session.publish(Changes(wallets=True, groups=True))
        QGuiApplication.clipboard().setText("before")
        panel.select_wallets([wallet.id])
        assert panel.wallet_actions.copy_key.isEnabled()
        panel.wallet_actions.copy_key.trigger()
        await aio.until(lambda: isinstance(panel.dialogs.current, KeyDialog))
        dialog = panel.dialogs.current
        assert isinstance(dialog, KeyDialog) and dialog.mode == COPY

        qtbot.mouseClick(dialog.ok_button, LEFT)
        assert dialog.message.text() == "Type the vault password."
        qtbot.keyClicks(dialog.password, "not the password")
        dialog.understood.setChecked(True)
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await aio.until(lambda: "Wrong password" in dialog.message.text(), what="the refusal")
        assert QGuiApplication.clipboard().text() == "before"
        kinds = [e.kind for e in await vault.activity.recent(5)]
        assert ActivityKind.KEY_EXPORTED.value not in kinds

        dialog.password.clear()
        qtbot.keyClicks(dialog.password, PASSWORD)
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await aio.until(lambda: panel.dialogs.current is None, what="the dialog to close")
        secret = QGuiApplication.clipboard().text()
        assert Keypair.from_base58_string(secret).pubkey() == Keypair.from_bytes(
            bytes(await vault.wallets.private_key(wallet.id))).pubkey()
        mime: QMimeData = QGuiApplication.clipboard().mimeData()
        assert mime.hasFormat("x-kde-passwordManagerHint")
        assert (await vault.activity.recent(1))[0].kind == ActivityKind.KEY_EXPORTED.value
        (held,) = await aio.signal(session.clipboard.cleared, timeout=3)
        assert held and QGuiApplication.clipboard().text() == ""

    aio.run(scenario())


def test_exporting_a_key_writes_a_file_only_the_user_can_read(
        qtbot: QtBot, aio: QtAsync, vault: Vault, tmp_path: Path, make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        [wallet] = await create_wallets(vault, 1, label="Treasury")
        session = make_session()
        await session.publish(Changes(wallets=True))
        dialog = KeyDialog(session, wallet, EXPORT)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.format.setCurrentIndex(dialog.format.findData("cli-json"))
        assert dialog.file.field.text().endswith(".json")
        target = tmp_path / "treasury.json"
        dialog.file.field.setText(str(target))
        qtbot.keyClicks(dialog.password, PASSWORD)
        qtbot.mouseClick(dialog.ok_button, LEFT)
        assert "Tick the box" in dialog.message.text() and not target.exists()
        dialog.understood.setChecked(True)
        qtbot.mouseClick(dialog.ok_button, LEFT)
        (path,) = await aio.signal(dialog.exported, timeout=10)
        assert Path(path) == target
        assert bytes(json.loads(target.read_text())) == bytes(await vault.wallets.private_key(wallet.id))
        if os.name == "posix":
            assert stat.S_IMODE(target.stat().st_mode) == 0o600

    aio.run(scenario())
