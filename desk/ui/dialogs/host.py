"""Open a panel's dialogs one at a time without nested event loops, and close them before a lock."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog, QWidget

from desk.ui.asyncutil import run_dialog
from desk.ui.dialogs.common import BusyDialog


class DialogHost:
    """Run dialogs over ``parent`` and remember the one showing.

    Attributes:
        parent: The widget the dialogs belong to.
        current: The dialog showing, or None (tests drive it through this).
    """

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.current: QDialog | None = None

    async def run(self, dialog: QDialog) -> int:
        """Show ``dialog``, wait until it closes, delete it later and return its result code."""
        self.current = dialog
        try:
            return await run_dialog(dialog)
        finally:
            if self.current is dialog:
                self.current = None
            dialog.deleteLater()

    async def close(self) -> None:
        """Let a dialog's slow step finish (a transaction run, a key check), then close it."""
        dialog = self.current
        while isinstance(dialog, BusyDialog) and dialog.busy.running and self.current is dialog:
            await asyncio.sleep(0.05)
        if dialog is not None and self.current is dialog:
            dialog.done(QDialog.DialogCode.Rejected)
