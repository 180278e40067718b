"""Where the chart looks: follow-live, zoom and pan, range limits, and the y ranges fitted to what is visible."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal, Slot

from desk.core.candles import CandleSeries
from desk.ui.charts.candlestick import Geometry

RIGHT_MARGIN_BARS = 4  # empty candles' width right of the newest while following
Y_PADDING = 0.08  # of the visible high-low span, above and below


class Navigator(QObject):
    """Keep the x range where the user wants it and the y ranges around the visible candles and volumes.

    While following, each new candle scrolls the view so the newest stays at the right edge. A user
    move (drag, wheel, keys) keeps following only if the newest candle is still in view.

    Signals:
        follow_changed(bool): Following the newest candle turned on or off.
    """

    follow_changed = Signal(bool)

    def __init__(self, price_plot: pg.PlotItem, volume_plot: pg.PlotItem, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._price = price_plot.vb
        self._volume = volume_plot.vb
        self._series: CandleSeries | None = None
        self._geo = Geometry(0, 1)
        self._follow = True
        self._price.sigXRangeChanged.connect(self._on_x_range_changed)
        for vb in (self._price, self._volume):
            vb.sigRangeChangedManually.connect(self._on_user_range)

    @property
    def following(self) -> bool:
        """Whether new candles scroll into view."""
        return self._follow

    def attach(self, series: CandleSeries | None, geo: Geometry) -> None:
        """Navigate ``series`` placed by ``geo``."""
        self._series, self._geo = series, geo
        self.update_limits()

    def x_range(self) -> tuple[float, float]:
        """Return the visible time span (seconds since the epoch)."""
        x0, x1 = self._price.viewRange()[0]
        return float(x0), float(x1)

    def set_x_range(self, x0: float, x1: float) -> None:
        """Show ``[x0, x1]`` (seconds since the epoch)."""
        self._price.setXRange(x0, x1, padding=0)

    def set_follow(self, follow: bool) -> None:
        """Turn following on or off."""
        if follow != self._follow:
            self._follow = follow
            self.follow_changed.emit(follow)

    def show_last(self, bars: int) -> None:
        """Show the newest ``bars`` candles, the newest at the right edge."""
        series = self._series
        if series is None or not len(series):
            return
        first = int(series.view().start_ms[max(0, len(series) - bars)])
        self.set_x_range(first / 1000.0, self._live_edge())

    def show_around(self, center_s: float, bars: int) -> None:
        """Show ``bars`` candle widths centred on ``center_s``."""
        half = bars * self._geo.width_ms / 2000.0
        self.set_x_range(center_s - half, center_s + half)

    @Slot()
    def resume_live(self) -> None:
        """Follow the newest candle again, keeping the zoom."""
        self.set_follow(True)
        self.scroll_to_live()

    def scroll_to_live(self) -> None:
        """Move the view, keeping its width, so the newest candle is at the right edge."""
        if self._series is None or not len(self._series):
            return
        x0, x1 = self.x_range()
        edge = self._live_edge()
        self.set_x_range(edge - (x1 - x0), edge)

    def candles_appended(self) -> None:
        """Widen the limits for new candles and, while following, scroll to them."""
        self.update_limits()
        if self._follow:
            self.scroll_to_live()

    def zoom(self, factor: float) -> None:
        """Scale the visible span by ``factor`` (< 1 zooms in), anchored right while following, else centred."""
        x0, x1 = self.x_range()
        width = (x1 - x0) * factor
        if self._follow:
            self.set_x_range(x1 - width, x1)
        else:
            middle = (x0 + x1) / 2
            self.set_x_range(middle - width / 2, middle + width / 2)
        self._on_user_range()

    def pan(self, fraction: float) -> None:
        """Move the view by ``fraction`` of its width (negative: back in time)."""
        x0, x1 = self.x_range()
        shift = (x1 - x0) * fraction
        self.set_x_range(x0 + shift, x1 + shift)
        self._on_user_range()

    def update_limits(self) -> None:
        """Bound zoom and pan to the series: at least 8 candles wide, not far past either end."""
        series = self._series
        if series is None or not len(series):
            return
        bar = series.interval.ms / 1000.0
        view = series.view()
        first, last = int(view.start_ms[0]) / 1000.0, int(view.start_ms[-1]) / 1000.0
        self._price.setLimits(xMin=first - 50 * bar, xMax=last + 100 * bar, minXRange=8 * bar,
                              maxXRange=last - first + 150 * bar)

    def fit_y(self) -> None:
        """Fit the price range to the visible highs and lows, and the volume range to the visible volumes."""
        series = self._series
        if series is None or not len(series):
            return
        x0, x1 = self.x_range()
        view = series.view()
        origin = self._geo.origin_ms / 1000.0
        i0, i1 = self._geo.index_range(view.start_ms, x0 - origin, x1 - origin)
        if i1 <= i0:
            return
        lo, hi = float(view.low[i0:i1].min()), float(view.high[i0:i1].max())
        pad = (hi - lo) * Y_PADDING or abs(hi) * 0.05 or 1.0
        self._price.setYRange(lo - pad, hi + pad, padding=0)
        self._volume.setYRange(0, float(view.volume_sol[i0:i1].max()) * 1.15 or 1.0, padding=0)

    def _live_edge(self) -> float:
        last = self._series.last if self._series is not None else None
        if last is None:
            return 0.0
        return (last.start_ms + (1 + RIGHT_MARGIN_BARS) * self._geo.width_ms) / 1000.0

    def _newest_visible(self) -> bool:
        last = self._series.last if self._series is not None else None
        if last is None:
            return True
        x0, x1 = self.x_range()
        return x0 < (last.start_ms + self._geo.width_ms) / 1000.0 and last.start_ms / 1000.0 < x1

    @Slot()
    def _on_user_range(self, *_: object) -> None:
        self.set_follow(self._newest_visible())

    @Slot()
    def _on_x_range_changed(self, *_: object) -> None:
        self.fit_y()
