"""Copy secrets to the clipboard marked as secret, and take them back off after a short time."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from PySide6.QtCore import QMimeData, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QClipboard, QGuiApplication

log = logging.getLogger(__name__)

CLEAR_AFTER_MS = 10_000
#: Clipboard managers that honour these hints neither store nor sync the copied text.
SECRET_HINTS: dict[str, bytes] = {
    "x-kde-passwordManagerHint": b"secret",  # Klipper and other KDE/freedesktop managers
    "application/x-nspasteboard-concealed-type": b"secret",  # macOS (nspasteboard.org)
}
MARKER_FORMAT = "application/x-mayhem-desk-secret"


def secret_mime(text: str, marker: bytes) -> QMimeData:
    """Return clipboard contents holding ``text`` with the secret hints and this desk's marker."""
    mime = QMimeData()
    mime.setText(text)
    for fmt, value in SECRET_HINTS.items():
        mime.setData(fmt, value)
    mime.setData(MARKER_FORMAT, marker)
    return mime


class SecretClipboard(QObject):
    """Put one secret on the clipboard at a time and clear it after ``clear_after_ms``.

    The clipboard is cleared only if it still holds the secret: whatever the user copied since is
    left alone. Only a digest of the secret is kept here, to recognise it.

    Signals:
        copied: A secret was put on the clipboard.
        cleared: The secret was taken off the clipboard (argument: True if it was still there).
    """

    copied = Signal()
    cleared = Signal(bool)

    def __init__(self, clipboard: QClipboard | None = None, *, clear_after_ms: int = CLEAR_AFTER_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clipboard = clipboard
        self.clear_after_ms = clear_after_ms
        self._marker = b""
        self._digest = b""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear_now)

    @property
    def clipboard(self) -> QClipboard:
        """The system clipboard (or the injected one)."""
        return self._clipboard if self._clipboard is not None else QGuiApplication.clipboard()

    @property
    def holding(self) -> bool:
        """Whether a secret copied here may still be on the clipboard."""
        return bool(self._digest)

    def copy_secret(self, text: str) -> None:
        """Put ``text`` on the clipboard, hinted as secret, and schedule its removal."""
        self._marker = secrets.token_hex(16).encode()
        self._digest = hashlib.sha256(text.encode()).digest()
        self.clipboard.setMimeData(secret_mime(text, self._marker))
        self._timer.start(self.clear_after_ms)
        self.copied.emit()

    def still_holds_secret(self) -> bool:
        """Return whether the clipboard still holds the secret copied last."""
        if not self._digest:
            return False
        mime: QMimeData | None = self.clipboard.mimeData()  # null when the clipboard is empty
        if mime is None:
            return False
        if mime.hasFormat(MARKER_FORMAT):
            return hmac.compare_digest(bytes(mime.data(MARKER_FORMAT).data()), self._marker)
        return hmac.compare_digest(hashlib.sha256(mime.text().encode()).digest(), self._digest)

    @Slot()
    def clear_now(self) -> None:
        """Take the secret off the clipboard now, if it is still there."""
        self._timer.stop()
        if not self._digest:
            return
        held = self.still_holds_secret()
        if held:
            self.clipboard.clear()
            log.info("secret cleared from the clipboard")
        self._marker = self._digest = b""
        self.cleared.emit(held)
