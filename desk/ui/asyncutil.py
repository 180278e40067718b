"""Run coroutines from Qt slots without losing them: strong references and routed failures.

qasync 0.28 keeps no reference to the tasks its async slots start, so a task can be garbage
collected mid-flight. Every task the UI starts goes through a :class:`TaskSet`, which holds it until
it finishes and hands any exception to ``sys.excepthook`` (the desk's error dialog in the app,
pytest-qt's capture in tests), the same route qasync uses for ``asyncSlot``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from PySide6.QtWidgets import QDialog

T = TypeVar("T")


class TaskSet:
    """Own a group of tasks: keep each alive until it ends, report failures, cancel on demand."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Start ``coro`` on the running loop and keep a strong reference until it finishes.

        Raises:
            RuntimeError: no event loop is running (call from a slot under qasync or a coroutine).
        """
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            sys.excepthook(type(error), error, error.__traceback__)

    async def cancel_all(self) -> None:
        """Cancel every running task and wait until all of them have ended."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_all(self) -> None:
        """Wait until every task running now has ended (new ones are not waited for)."""
        tasks = list(self._tasks)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


async def run_dialog(dialog: QDialog) -> int:
    """Show ``dialog`` without a nested event loop and return its result code when it closes.

    ``QDialog.exec`` inside a coroutine would re-enter the asyncio loop from within a task; this
    shows the dialog with ``open`` and awaits its ``finished`` signal instead.
    """
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def _on_finished(result: int) -> None:
        if not done.done():
            done.set_result(result)

    dialog.finished.connect(_on_finished)
    try:
        dialog.open()
        return await done
    finally:
        dialog.finished.disconnect(_on_finished)
