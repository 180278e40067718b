"""Run Python's cyclic garbage collector on the GUI thread only.

The vault's database thread and the Argon2 workers run Python code, and an automatic collection
can start on whichever thread happens to allocate. If that collection frees a Qt widget caught in
a reference cycle, its C++ destructor runs on the wrong thread ("Timers cannot be stopped from
another thread", or a crash). This turns automatic collection off and collects from a timer on the
GUI thread instead, with the interpreter's own thresholds (the pyqtgraph ``GarbageCollector`` recipe).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Collect garbage on the GUI thread every ``interval_ms`` while started."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        """Turn automatic collection off and start collecting from the timer."""
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Collect everything once more, then give collection back to the interpreter."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    @Slot()
    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds."""
        count0, count1, count2 = gc.get_count()
        if count0 > self._threshold[0]:
            gc.collect(0)
            if count1 > self._threshold[1]:
                gc.collect(1)
                if count2 > self._threshold[2]:
                    gc.collect(2)
