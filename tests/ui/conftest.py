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

PySide6 6.12.0 on Python < 3.12 drops references to ``None``, ``True`` and ``False`` (one per call
of a method returning void, per ``property()`` returning None, per bool emitted to a slot, ...);
harmless from 3.12 on, where they are immortal. A few thousand calls free one of them and abort
the interpreter ("none_dealloc" / "bool_dealloc"). Until the dependency pin excludes that release,
``_offset_singleton_leak`` hands the singletons back the references the binding takes (UI tests only).

The offscreen platform warns "This plugin does not support propagateSizeHints()" whenever a
top-level window is shown; that one Qt warning is ignored for every test in this folder (any
other Qt warning still fails the test, per ``qt_log_level_fail``).
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
from collections.abc import Iterator
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from desk.ui.collector import GuiThreadCollector
from desk.ui.theme import apply_theme
from tests.ui.qtasync import QtAsync

OFFSCREEN_WARNING = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
SINGLETON_LEAK = sys.version_info < (3, 12) and PySide6.__version__ == "6.12.0"
SINGLETON_FLOOR = 200_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(OFFSCREEN_WARNING)


@pytest.fixture(autouse=True)
def _offset_singleton_leak() -> None:
    """Keep None, True and False far from a zero reference count under PySide6 6.12.0 on 3.11."""
    if not SINGLETON_LEAK:
        return
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    incref.restype = None
    for singleton in (None, True, False):
        missing = SINGLETON_FLOOR - sys.getrefcount(singleton)
        for _ in range(max(missing, 0)):
            incref(singleton)


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
