"""The desk's last line of defence: log every unhandled error and show it, redacted, in a dialog."""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from desk.core.errors import DeskError
from desk.logs import redact

log = logging.getLogger(__name__)

TITLE = "Mayhem Desk — error"


class ErrorReporter:
    """Log every unhandled error and show it in a dialog; the desk keeps running.

    Installed on ``sys.excepthook`` (exceptions in slots and in tasks of a :class:`TaskSet`) and as
    the asyncio loop's exception handler. Dialog text passes through :func:`desk.logs.redact`.
    """

    MAX_OPEN = 3

    def __init__(self, log_dir: Path, on_interrupt: Callable[[], None] | None = None) -> None:
        self._log_dir = log_dir
        self._boxes: list[QMessageBox] = []
        self._previous_hook = sys.excepthook
        self.on_interrupt = on_interrupt

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Become ``sys.excepthook`` and ``loop``'s exception handler."""
        self._previous_hook = sys.excepthook
        sys.excepthook = self.excepthook
        loop.set_exception_handler(self.loop_handler)

    def uninstall(self, loop: asyncio.AbstractEventLoop) -> None:
        """Restore the previous hook and the loop's default handler."""
        sys.excepthook = self._previous_hook
        loop.set_exception_handler(None)

    def excepthook(self, exc_type: type[BaseException], exc: BaseException,
                   tb: TracebackType | None) -> None:
        """Log ``exc`` and show it (Ctrl+C asks the desk to quit instead)."""
        if issubclass(exc_type, KeyboardInterrupt) and self.on_interrupt is not None:
            self.on_interrupt()
            return
        log.error("unhandled error", exc_info=(exc_type, exc, tb))
        self.show(exc_type, exc, tb)

    def loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Handle an error the asyncio loop caught outside any awaited task."""
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self.excepthook(type(exc), exc, exc.__traceback__)
            return
        message = redact(str(context.get("message", "unknown asyncio error")))
        log.error("asyncio: %s", message)
        self._open_box(message, "")

    def describe(self, exc: BaseException) -> str:
        """Return the user-facing text for ``exc`` (redacted)."""
        if isinstance(exc, DeskError):
            return redact(str(exc))
        return redact(f"Something went wrong: {type(exc).__name__}: {exc}\n\nThe desk keeps running. "
                      f"Details are in the log in {self._log_dir}.")

    def show(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Open a non-blocking error dialog for ``exc``."""
        details = redact("".join(traceback.format_exception(exc_type, exc, tb)))
        self._open_box(self.describe(exc), details)

    def _open_box(self, text: str, details: str) -> None:
        if QApplication.instance() is None or len(self._boxes) >= self.MAX_OPEN:
            return
        box = QMessageBox(QMessageBox.Icon.Critical, TITLE, text)
        if details:
            box.setDetailedText(details)
        box.setWindowModality(Qt.WindowModality.NonModal)
        self._boxes.append(box)
        box.finished.connect(lambda _result, b=box: self._closed(b))
        box.show()

    def _closed(self, box: QMessageBox) -> None:
        if box in self._boxes:
            self._boxes.remove(box)
        box.deleteLater()
