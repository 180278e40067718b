"""Chart axes and number formats: SOL prices with subscript zeros, compact SOL amounts, local time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from desk.core.candles import PriceMode
from desk.ui.theme import LINE, MUTED, mono_font

LAMPORTS_PER_SOL = 1_000_000_000
AXIS_WIDTH = 84  # price and volume axes share it, so the two plots line up
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def format_price(lamports_per_token: float) -> str:
    """Return a price in SOL per token with four significant digits; long zero runs are subscripted.

    ``27.96`` lamports per token is 0.00000002796 SOL, written ``0.0₇2796`` as DexScreener does.
    """
    sol = lamports_per_token / LAMPORTS_PER_SOL
    if not math.isfinite(sol):
        return "—"
    if sol == 0:
        return "0"
    sign, sol = ("-" if sol < 0 else ""), abs(sol)
    if sol >= 1:
        return f"{sign}{sol:,.4f}" if sol < 1_000 else f"{sign}{sol:,.2f}"
    zeros = -math.floor(math.log10(sol)) - 1  # zeros between the point and the first significant digit
    digits = round(sol * 10 ** (zeros + 4))
    if digits >= 10_000:  # rounding carried into the next digit
        zeros, digits = zeros - 1, digits // 10
    if zeros >= 4:
        return f"{sign}0.0{str(zeros).translate(_SUBSCRIPT)}{digits}"
    return f"{sign}{sol:.{zeros + 4}f}"


def format_sol(lamports: float) -> str:
    """Return lamports as a compact SOL amount: ``0.0123``, ``12.34``, ``1.23K``, ``4.5M``."""
    sol = lamports / LAMPORTS_PER_SOL
    if not math.isfinite(sol):
        return "—"
    size = abs(sol)
    if size >= 1e6:
        return f"{sol / 1e6:.2f}M"
    if size >= 1e4:
        return f"{sol / 1e3:.1f}K"
    if size >= 1e3:
        return f"{sol / 1e3:.2f}K"
    if size >= 100:
        return f"{sol:.1f}"
    if size >= 1 or size == 0:
        return f"{sol:.2f}"
    return f"{sol:.3g}"


def format_value(value: float, mode: PriceMode) -> str:
    """Return a candle value for display: a price or a market cap (both given in lamports)."""
    return format_price(value) if mode is PriceMode.PRICE else format_sol(value)


def trim_zeros(text: str) -> str:
    """Drop a decimal part made only of zeros and trailing zeros after the point (``60.00`` → ``60``)."""
    digits = len(text) - len(text.rstrip("KM"))
    body, suffix = (text[:-digits], text[-digits:]) if digits else (text, "")
    if "." in body:
        body = body.rstrip("0").rstrip(".")
    return body + suffix


@dataclass(frozen=True, slots=True)
class AxisTag:
    """A label pinned to an axis at a value: the last price, or where the crosshair is.

    Attributes:
        value: Where (view coordinates of the linked view).
        text: What it says.
        fill: Background colour.
        color: Text colour.
    """

    value: float
    text: str
    fill: str
    color: str = "#ffffff"


class _Tagged:
    """Tags painted over an axis, in insertion order (later ones on top)."""

    def __init__(self) -> None:
        self.tags: dict[str, AxisTag] = {}

    def paint_tags(self, axis: pg.AxisItem, painter: QPainter, vertical: bool) -> None:
        view = axis.linkedView()
        if view is None or not self.tags:
            return
        font = mono_font(8)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        bounds = axis.rect()
        for tag in self.tags.values():
            point = view.mapViewToScene(QPointF(0, tag.value) if vertical else QPointF(tag.value, 0))
            local = axis.mapFromScene(point)
            width, height = metrics.horizontalAdvance(tag.text) + 10, metrics.height() + 4
            if vertical:
                if not bounds.top() <= local.y() <= bounds.bottom():
                    continue
                box = QRectF(bounds.left(), local.y() - height / 2, bounds.width(), height)
            else:
                if not bounds.left() <= local.x() <= bounds.right():
                    continue
                box = QRectF(local.x() - width / 2, bounds.top(), width, height)
            painter.fillRect(box, QColor(tag.fill))
            painter.setPen(QColor(tag.color))
            painter.drawText(box.adjusted(4, 0, 0, 0) if vertical else box,
                             Qt.AlignmentFlag.AlignVCenter | (Qt.AlignmentFlag.AlignLeft if vertical
                                                              else Qt.AlignmentFlag.AlignHCenter), tag.text)


def style_axis(axis: pg.AxisItem) -> None:
    """Give an axis the terminal look: hairline in the border colour, muted monospace labels."""
    axis.setPen(pg.mkPen(LINE))
    axis.setTextPen(pg.mkPen(MUTED))
    axis.setStyle(tickFont=mono_font(8), tickLength=-4, tickTextOffset=4, autoExpandTextSpace=False)
    axis.enableAutoSIPrefix(False)  # values are lamports; the formatters pick units


class ValueAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph is untyped
    """A right-hand axis of prices, market caps or volumes (values in lamports).

    Attributes:
        mode: Price or market cap; None formats volumes (compact SOL).
    """

    def __init__(self, mode: PriceMode | None) -> None:
        super().__init__("right")
        self.mode = mode
        self.tagged = _Tagged()
        style_axis(self)
        self.setWidth(AXIS_WIDTH)

    def set_mode(self, mode: PriceMode) -> None:
        """Format ticks as prices or market caps from now on."""
        self.mode = mode
        self.picture = None
        self.update()

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        """Return a label per tick value."""
        if self.mode is PriceMode.PRICE:
            return [format_price(v) for v in values]
        return [trim_zeros(format_sol(v)) for v in values]  # volumes and market caps

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """Paint ticks and labels, then the tags."""
        super().paint(painter, option, widget)
        self.tagged.paint_tags(self, painter, vertical=True)


class TimeAxis(pg.DateAxisItem):  # type: ignore[misc]  # pyqtgraph is untyped
    """A bottom axis of local times (x is seconds since the epoch); ``labels=False`` keeps only the grid."""

    def __init__(self, *, labels: bool = True) -> None:
        super().__init__("bottom")
        self.tagged = _Tagged()
        style_axis(self)
        if not labels:
            self.setStyle(showValues=False, tickLength=0)
            self.setHeight(0)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """Paint ticks and labels, then the tags."""
        super().paint(painter, option, widget)
        self.tagged.paint_tags(self, painter, vertical=False)
