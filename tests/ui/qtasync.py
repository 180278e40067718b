"""Run a UI test scenario on the qasync loop and wait inside it without nested event loops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import SignalInstance

T = TypeVar("T")


class QtAsync:
    """Run a test scenario on the qasync loop and wait inside it without nested event loops."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``coro`` to completion on the Qt event loop (failing after ``timeout`` seconds)."""
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    @staticmethod
    async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
        """Wait until ``predicate()`` is true, letting Qt and asyncio run meanwhile."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or predicate}")
            await asyncio.sleep(0.01)

    @staticmethod
    async def signal(signal: SignalInstance, timeout: float = 10.0) -> tuple[Any, ...]:
        """Wait for the next emission of ``signal`` and return its arguments."""
        fired: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

        def _on_emit(*args: Any) -> None:
            if not fired.done():
                fired.set_result(args)

        signal.connect(_on_emit)
        try:
            return await asyncio.wait_for(fired, timeout)
        finally:
            signal.disconnect(_on_emit)
