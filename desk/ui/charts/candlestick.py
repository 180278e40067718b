"""Candle and volume items for pyqtgraph: a culled, cached picture with level of detail, plus a live tail.

The cached item draws candles ``[0, frozen)``; it records about three visible ranges into a QPicture
and replays it on every paint, regenerating only when the view leaves that range, the zoom changes
the level of detail, or older candles change. Levels of detail (``lod_group``): full candles while
they are at least ``THIN_PX`` pixels wide; one high-low line per candle when thinner; above
``LOD_THRESHOLD`` visible candles (or more candles than pixels) one high-low line per group of
``2^k`` candles, about one per pixel, which is what overlapping candles would show anyway. The live item draws the tail
``[frozen, n)`` directly, so a streaming trade repaints one candle without touching the cache
(finplot's ``FinPlotItem``, pyqtgraph's ``customGraphicsItem.py``).

Items sit at ``x = origin`` seconds (``setPos``); their local x is seconds since the series' first
candle, which keeps recorded coordinates small.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen, QPicture
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from desk.core.candles import CandleSeries, CandleView, FloatArray, IntArray
from desk.ui.theme import BG0, DOWN, UP

LOD_THRESHOLD = 3_000  # visible candles above which groups are drawn instead of candles
THIN_PX = 3.0  # narrower candles are drawn as high-low lines (bodies would be invisible anyway)
FULL = 0  # the ``group`` value that means full candles (bodies and wicks)
CACHE_FACTOR = 3  # the picture covers this many visible ranges
BODY_FRACTION = 0.7  # body width as a fraction of the interval


def blend(color: str, background: str, amount: float) -> QColor:
    """Return ``color`` laid over ``background`` at ``amount`` opacity, as an opaque colour."""
    top, bottom = QColor(color), QColor(background)
    return QColor.fromRgbF(top.redF() * amount + bottom.redF() * (1 - amount),
                           top.greenF() * amount + bottom.greenF() * (1 - amount),
                           top.blueF() * amount + bottom.blueF() * (1 - amount))


class Geometry:
    """Where a series' candles go in item coordinates: origin, width and the candle count per pixel group.

    Attributes:
        origin_ms: Time at item x = 0.
        width_ms: Candle interval.
    """

    def __init__(self, origin_ms: int, width_ms: int) -> None:
        self.origin_ms = origin_ms
        self.width_ms = width_ms

    def centers(self, view: CandleView, i0: int, i1: int) -> FloatArray:
        """Return candle centres (item x, seconds) of ``[i0, i1)``."""
        starts = view.start_ms[i0:i1].astype(np.float64)
        return (starts - (self.origin_ms - self.width_ms / 2)) / 1000.0

    def index_range(self, start_ms: IntArray, x0: float, x1: float) -> tuple[int, int]:
        """Return the index range of the candles (by ascending ``start_ms``) overlapping item x ``[x0, x1]``."""
        lo = self.origin_ms + x0 * 1000 - self.width_ms
        hi = self.origin_ms + x1 * 1000
        return int(np.searchsorted(start_ms, lo, "right")), int(np.searchsorted(start_ms, hi, "right"))


DrawFn = Callable[[QPainter, CandleView, Geometry, int, int, int], int]


def _pen(color: QColor) -> QPen:
    pen = QPen(color)
    pen.setCosmetic(True)
    pen.setWidth(1)
    return pen


def draw_candles(painter: QPainter, view: CandleView, geo: Geometry, i0: int, i1: int, group: int) -> int:
    """Draw candles ``[i0, i1)`` (``FULL``) or a high-low line per ``group`` candles; return the shapes drawn."""
    if i1 <= i0:
        return 0
    if group != FULL:
        return _draw_groups(painter, view, geo, i0, i1, group, volume=False)
    x = geo.centers(view, i0, i1).tolist()
    o, c = view.open[i0:i1], view.close[i0:i1]
    up = (c >= o).tolist()
    top, bottom = np.maximum(o, c).tolist(), np.minimum(o, c).tolist()
    high, low = view.high[i0:i1].tolist(), view.low[i0:i1].tolist()
    half = geo.width_ms * BODY_FRACTION / 2000.0
    for color, want in ((QColor(UP), True), (QColor(DOWN), False)):
        idx = [k for k, u in enumerate(up) if u is want]
        painter.setPen(_pen(color))
        painter.setBrush(color)
        painter.drawLines([QLineF(x[k], low[k], x[k], high[k]) for k in idx])
        painter.drawRects([QRectF(x[k] - half, bottom[k], 2 * half, top[k] - bottom[k]) for k in idx])
    return i1 - i0


def draw_volume(painter: QPainter, view: CandleView, geo: Geometry, i0: int, i1: int, group: int) -> int:
    """Draw volume bars of ``[i0, i1)`` (``FULL``) or the tallest per ``group`` as a line; return the shapes drawn."""
    if i1 <= i0:
        return 0
    if group != FULL:
        return _draw_groups(painter, view, geo, i0, i1, group, volume=True)
    x = geo.centers(view, i0, i1).tolist()
    vol = view.volume_sol[i0:i1].tolist()
    up = (view.close[i0:i1] >= view.open[i0:i1]).tolist()
    half = geo.width_ms * BODY_FRACTION / 2000.0
    for color, want in ((blend(UP, BG0, 0.45), True), (blend(DOWN, BG0, 0.45), False)):
        painter.setPen(_pen(color))
        painter.setBrush(color)
        painter.drawRects([QRectF(x[k] - half, 0.0, 2 * half, vol[k]) for k, u in enumerate(up) if u is want])
    return i1 - i0


def _draw_groups(painter: QPainter, view: CandleView, geo: Geometry, i0: int, i1: int, group: int, *,
                 volume: bool) -> int:
    bounds = np.arange(i0, i1, group)
    ends = np.append(bounds[1:], i1) - 1
    starts = view.start_ms
    x = ((starts[bounds] + starts[ends] + geo.width_ms - 2 * geo.origin_ms) / 2000.0).tolist()
    up = (view.close[ends] >= view.open[bounds]).tolist()
    if volume:
        top = np.maximum.reduceat(view.volume_sol[i0:i1], bounds - i0).tolist()
        bottom = [0.0] * len(top)
        colors = (blend(UP, BG0, 0.45), blend(DOWN, BG0, 0.45))
    else:
        top = np.maximum.reduceat(view.high[i0:i1], bounds - i0).tolist()
        bottom = np.minimum.reduceat(view.low[i0:i1], bounds - i0).tolist()
        colors = (QColor(UP), QColor(DOWN))
    for color, want in zip(colors, (True, False), strict=True):
        painter.setPen(_pen(color))
        painter.drawLines([QLineF(x[k], bottom[k], x[k], top[k]) for k, u in enumerate(up) if u is want])
    return len(x)


def lod_group(visible: int, pixels: float) -> int:
    """Return the level of detail for ``visible`` candles across ``pixels``: ``FULL`` or candles per line.

    Above ``LOD_THRESHOLD`` candles, or with more candles than pixels, the power of two ≥ candles per
    pixel (at least 2), so no more lines are drawn than there are pixel columns; otherwise ``FULL``
    while candles are at least ``THIN_PX`` wide and 1 (a line per candle) when thinner.
    """
    pixels = max(pixels, 1.0)
    if visible > LOD_THRESHOLD or visible > pixels:
        return max(2, 1 << math.ceil(math.log2(max(visible / pixels, 1.0))))
    return FULL if pixels / max(visible, 1) >= THIN_PX else 1


class CachedBarsItem(pg.GraphicsObject):  # type: ignore[misc]  # pyqtgraph is untyped
    """Candles (or volume bars) ``[0, frozen)`` of a series, painted from a cached picture of the visible area.

    Attributes:
        regenerations: Times the picture was rebuilt (tests and benchmarks read it).
        cached_range: Index range ``[start, end)`` recorded in the picture.
        group: Level of detail of the picture (``FULL``, or candles per line).
        drawn: Shapes recorded in the picture.
    """

    def __init__(self, draw: DrawFn) -> None:
        super().__init__()
        self._draw = draw
        self._series: CandleSeries | None = None
        self._geo = Geometry(0, 1)
        self._frozen = 0
        self._picture: QPicture | None = None
        self._bounds = QRectF()
        self.regenerations = 0
        self.cached_range = (0, 0)
        self.group = FULL
        self.drawn = 0

    def set_series(self, series: CandleSeries | None, geo: Geometry) -> None:
        """Show ``series`` (None clears) placed by ``geo``."""
        self._series, self._geo = series, geo
        self._frozen = 0
        self.invalidate()

    def set_frozen(self, count: int) -> None:
        """Draw candles ``[0, count)``; the live item draws the rest."""
        if count != self._frozen:
            self._frozen = count
            self.invalidate()

    @property
    def frozen(self) -> int:
        """Number of candles this item draws."""
        return self._frozen

    def invalidate(self) -> None:
        """Forget the picture (older candles changed) and recompute the bounds."""
        self._picture = None
        self.prepareGeometryChange()
        self._bounds = self._compute_bounds()
        self.update()

    def _compute_bounds(self) -> QRectF:
        series, n = self._series, self._frozen
        if series is None or n == 0:
            return QRectF()
        view = series.view()
        x1 = (int(view.start_ms[n - 1]) + self._geo.width_ms - self._geo.origin_ms) / 1000.0
        lo, hi = (0.0, float(view.volume_sol[:n].max())) if self._draw is draw_volume else \
            (float(view.low[:n].min()), float(view.high[:n].max()))
        x0 = (int(view.start_ms[0]) - self._geo.origin_ms) / 1000.0
        return QRectF(x0, lo, max(x1 - x0, 1e-9), max(hi - lo, 1e-9))

    def boundingRect(self) -> QRectF:
        """Return the extent of every frozen candle (item coordinates)."""
        return QRectF(self._bounds)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """Replay the cached picture, regenerating it first if the view left the cached range."""
        series = self._series
        rect = self.viewRect()
        if series is None or self._frozen == 0 or rect is None or rect.width() <= 0:
            return
        view = series.view()
        i0, i1 = self._geo.index_range(view.start_ms[:self._frozen], rect.left(), rect.right())
        visible = max(i1 - i0, 1)
        group = lod_group(visible, rect.width() * abs(painter.transform().m11()))
        c0, c1 = self.cached_range
        stale = (self._picture is None or group != self.group
                 or (i0 < c0) or (i1 > c1)
                 or (c1 - c0) > 2 * CACHE_FACTOR * visible + 64)  # zoomed far in: cull harder
        if stale:
            self._regenerate(view, i0, i1, visible, group)
        if self._picture is not None:
            painter.drawPicture(QPointF(0, 0), self._picture)

    def _regenerate(self, view: CandleView, i0: int, i1: int, visible: int, group: int) -> None:
        margin = visible * (CACHE_FACTOR - 1) // 2
        step = max(group, 1)
        c0 = max(0, i0 - margin) // step * step
        c1 = min(self._frozen, i1 + margin)
        picture = QPicture()
        recorder = QPainter(picture)
        try:
            self.drawn = self._draw(recorder, view, self._geo, c0, c1, group)
        finally:
            recorder.end()
        self._picture, self.cached_range, self.group = picture, (c0, c1), group
        self.regenerations += 1


class LiveBarsItem(pg.GraphicsObject):  # type: ignore[misc]  # pyqtgraph is untyped
    """The tail ``[frozen, n)`` of a series (usually the one live candle), painted directly each time.

    Attributes:
        paints: Times the item was painted (tests read it).
    """

    def __init__(self, draw: DrawFn) -> None:
        super().__init__()
        self._draw = draw
        self._series: CandleSeries | None = None
        self._geo = Geometry(0, 1)
        self._start = 0
        self._bounds = QRectF()
        self.paints = 0

    def set_tail(self, series: CandleSeries | None, geo: Geometry, start: int) -> None:
        """Draw candles ``[start, n)`` of ``series`` placed by ``geo``."""
        self._series, self._geo, self._start = series, geo, start
        self.refresh()

    def refresh(self) -> None:
        """Pick up changed values of the tail candles."""
        self.prepareGeometryChange()
        self._bounds = QRectF()
        series = self._series
        if series is not None and len(series) > self._start:
            view, s = series.view(), self._start
            x0 = (int(view.start_ms[s]) - self._geo.origin_ms) / 1000.0
            x1 = (int(view.start_ms[-1]) + self._geo.width_ms - self._geo.origin_ms) / 1000.0
            lo, hi = (0.0, float(view.volume_sol[s:].max())) if self._draw is draw_volume else \
                (float(view.low[s:].min()), float(view.high[s:].max()))
            self._bounds = QRectF(x0, lo, max(x1 - x0, 1e-9), max(hi - lo, 1e-9))
        self.update()

    def boundingRect(self) -> QRectF:
        """Return the extent of the tail candles (item coordinates)."""
        return QRectF(self._bounds)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """Draw the tail candles."""
        series = self._series
        if series is None or len(series) <= self._start:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self._draw(painter, series.view(), self._geo, self._start, len(series), FULL)
        self.paints += 1
