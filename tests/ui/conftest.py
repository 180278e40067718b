"""UI test fixtures: one qasync loop per test on pytest-qt's QApplication, and async wait helpers.

How async code runs in these tests (the one approach used throughout ``tests/ui``):

* The test functions are plain ``def`` tests, so pytest-asyncio stays out of the way.
* ``qloop`` is a qasync ``QEventLoop`` bound to pytest-qt's ``qapp`` (after the ``loop`` fixture in
  qasync's own tests). A test writes its scenario as a coroutine and runs it with
  ``aio.run(scenario())``. Inside, Qt events and asyncio callbacks share the one Qt event loop
  exactly as in the app, so dialogs that start tasks from slots work, and the synchronous qtbot
  helpers (``keyClicks``, ``mouseClick``, ``keyClick``) can be called directly.
* Inside the coroutine, wait with ``await aio.signal(sig)`` / ``await aio.until(predicate)``, never
  with ``qtbot.waitSignal``/``qtbot.wait``: those spin a nested Qt event loop, which would resume
  other asyncio tasks while the test's own task is still running.
* Exceptions from slots and from tasks started through ``TaskSet`` reach ``sys.excepthook``, which
  pytest-qt captures and turns into a test failure.
* As in the app, Python's garbage collector runs only on the GUI thread while the loop exists
  (``GuiThreadCollector``); teardown deletes the closed widgets and collects once more. Otherwise a
  collection started on the vault's database thread could destroy a widget there.

The offscreen platform warns "This plugin does not support propagateSizeHints()" whenever a
top-level window is shown; that one Qt warning is ignored for every test in this folder (any
other Qt warning still fails the test, per ``qt_log_level_fail``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from desk.app import with_simnet_endpoints
from desk.config import AppConfig, Endpoints
from desk.simnet import RpcServer, SimChain
from desk.ui.clipboard import SecretClipboard
from desk.ui.collector import GuiThreadCollector
from desk.ui.session import DeskSession
from desk.ui.theme import apply_theme
from desk.vault.lifecycle import create_vault
from desk.vault.session import Vault
from tests.factories import FAST_KDF, PASSWORD
from tests.ui.qtasync import QtAsync

OFFSCREEN_WARNING = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(OFFSCREEN_WARNING)


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep Argon2 at 8 MiB (KdfParams.from_env honours it)."""
    monkeypatch.setenv("DESK_KDF_MEMORY_MIB", "8")


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync event loop on pytest-qt's QApplication, closed (and its threads joined) after the test."""
    import qasync

    qapp.setQuitOnLastWindowClosed(False)  # closing a window must not end the Qt loop under the test
    apply_theme(qapp)  # a broken stylesheet logs a Qt warning, which fails the test
    collector = GuiThreadCollector(qapp)  # as in the app: Qt objects die on the GUI thread only
    collector.start()
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()
        finally:
            asyncio.set_event_loop(None)
            QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            collector.stop()
            collector.deleteLater()


@pytest.fixture
def aio(qloop: asyncio.AbstractEventLoop) -> QtAsync:
    """Helpers to run and wait on the test's qasync loop."""
    return QtAsync(qloop)


@pytest.fixture
def vault(aio: QtAsync, home: Path) -> Iterator[Vault]:
    """An unlocked vault in a fresh data directory, locked again after the test."""
    opened = aio.run(create_vault(home, PASSWORD, FAST_KDF))
    yield opened
    aio.run(opened.lock())


@pytest.fixture
def simnet_rpc() -> Iterator[RpcServer]:
    """A simnet JSON-RPC server on an ephemeral 127.0.0.1 port (its chain is ``.chain``)."""
    server = RpcServer(SimChain()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_session(aio: QtAsync, vault: Vault, home: Path) -> Iterator[Callable[..., DeskSession]]:
    """Build DeskSessions on the test vault (``rpc_url=`` points one at a simnet); close them afterwards."""
    made: list[DeskSession] = []

    def build(*, rpc_url: str | None = None, clear_after_ms: int = 10_000) -> DeskSession:
        config = AppConfig(home=home, endpoints=Endpoints.from_env())
        if rpc_url is not None:
            config = with_simnet_endpoints(config, {"DESK_RPC_URL": rpc_url})
        session = DeskSession(vault, config, clipboard=SecretClipboard(clear_after_ms=clear_after_ms))
        made.append(session)
        return session

    yield build
    for session in made:
        aio.run(session.close())
