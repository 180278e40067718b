"""Notice when the user has stopped touching the desk, for the idle auto-lock."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

DEFAULT_MINUTES = 15
_INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
    QEvent.Type.TabletPress,
})


class IdleWatcher(QObject):
    """Watch every input event of the application and report a long enough pause.

    The watcher is an event filter on the QApplication, so it sees input in every window and dialog.
    It emits ``idle`` once per pause: after firing it stays quiet until the user does something.

    Signals:
        idle: No user input for at least the timeout.
    """

    idle = Signal()

    def __init__(self, app: QApplication, timeout_ms: int = DEFAULT_MINUTES * 60_000,
                 parent: QObject | None = None, *, check_ms: int = 5_000) -> None:
        super().__init__(parent)
        self._app = app
        self._timeout_ms = 0
        self._last_input = time.monotonic()
        self._fired = False
        self._check_ms = check_ms
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        self.set_timeout_ms(timeout_ms)
        app.installEventFilter(self)

    @property
    def timeout_ms(self) -> int:
        """The pause that counts as idle, in milliseconds; 0 means never."""
        return self._timeout_ms

    def set_timeout_ms(self, timeout_ms: int) -> None:
        """Change the pause that counts as idle; 0 or less turns the watcher off."""
        self._timeout_ms = max(timeout_ms, 0)
        if self._timeout_ms:
            self._timer.setInterval(min(self._check_ms, self._timeout_ms))
            self._timer.start()
        else:
            self._timer.stop()

    def set_timeout_minutes(self, minutes: float) -> None:
        """Change the pause that counts as idle, in minutes; 0 turns the watcher off."""
        self.set_timeout_ms(int(minutes * 60_000))

    def idle_ms(self) -> int:
        """Return how long ago the last user input was."""
        return int((time.monotonic() - self._last_input) * 1000)

    def reset(self) -> None:
        """Count from now, as if the user had just done something."""
        self._last_input = time.monotonic()
        self._fired = False

    def stop(self) -> None:
        """Stop watching for good (the event filter is removed)."""
        self._timer.stop()
        self._app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self._last_input = time.monotonic()
            self._fired = False
        return False

    @Slot()
    def _check(self) -> None:
        if self._timeout_ms and not self._fired and self.idle_ms() >= self._timeout_ms:
            self._fired = True
            self.idle.emit()
