"""The dark trading-terminal theme: palette constants, the stylesheet and monospace numbers."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from desk.config import resource_dir

log = logging.getLogger(__name__)

BG0 = "#0b0e11"
BG1 = "#12161c"
BG2 = "#1a1f27"
LINE = "#262c36"
TEXT = "#d1d4dc"
MUTED = "#8a919e"
UP = "#26a69a"
DOWN = "#ef5350"
WARN = "#f0b90b"
ACCENT = "#2f6bff"

STYLESHEET_NAME = "theme.qss"
_MONO_FAMILIES = ["JetBrains Mono", "Cascadia Mono", "Consolas", "Menlo", "SF Mono", "DejaVu Sans Mono"]


def stylesheet_path() -> Path:
    """Return where the theme's stylesheet lives."""
    return resource_dir() / STYLESHEET_NAME


def load_stylesheet(path: Path | None = None) -> str:
    """Return the stylesheet text, or an empty string (and a log line) if it cannot be read."""
    target = path or stylesheet_path()
    try:
        return target.read_text(encoding="utf-8")
    except OSError as e:
        log.info("theme stylesheet %s unreadable (%s); using the palette only", target, e.strerror or e)
        return ""


def dark_palette() -> QPalette:
    """Return a palette matching the stylesheet, for widgets the stylesheet does not reach."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: BG0,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BG1,
        QPalette.ColorRole.AlternateBase: "#151a21",
        QPalette.ColorRole.ToolTipBase: BG2,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: "#5d6573",
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: BG2,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT,
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5d6573"))
    return palette


def apply_theme(app: QApplication, stylesheet: Path | None = None) -> None:
    """Give ``app`` the Fusion style, the dark palette and the desk stylesheet."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(load_stylesheet(stylesheet))


def mono_font(point_size: float | None = None) -> QFont:
    """Return a fixed-width font for numbers, prices and addresses."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setFamilies([*_MONO_FAMILIES, font.family()])
    font.setStyleHint(QFont.StyleHint.Monospace)
    if point_size is not None:
        font.setPointSizeF(point_size)
    return font


def set_role(widget: QWidget, role: str) -> None:
    """Switch ``widget`` to a stylesheet variant (``QLabel[role="error"]`` and so on)."""
    set_property(widget, "role", role)


def set_property(widget: QWidget, name: str, value: object) -> None:
    """Set a dynamic property the stylesheet selects on and re-apply the style."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()
