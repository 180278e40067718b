"""The chart panel: candles over volume, a crosshair readout, our fills, follow-live, interval and mode switches.

Trades fold into the candle series as they arrive; the picture is refreshed at most every
``REFRESH_MS`` (10 Hz) and not at all while the widget is hidden. The widget owns the series it is
given: feed it further trades through ``add_trades``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QStackedLayout, QVBoxLayout, QWidget

from desk.core.candles import (
    WHOLE_TOKEN_SUPPLY,
    CandleSeries,
    Interval,
    PriceMode,
    TradeColumns,
    aggregate,
    can_rebucket,
    rebucket,
)
from desk.core.errors import ValidationError
from desk.core.market import Side, Trade
from desk.ui.charts.axes import TimeAxis, ValueAxis, format_value
from desk.ui.charts.candlestick import CachedBarsItem, Geometry, LiveBarsItem, draw_candles, draw_volume
from desk.ui.charts.hover import Hover
from desk.ui.charts.navigation import Navigator
from desk.ui.charts.overlay import LastPriceLine
from desk.ui.charts.toolbar import ChartToolbar
from desk.ui.theme import BG0, BG1, DOWN, UP, set_role

REFRESH_MS = 100  # repaint at most 10 times a second while trades stream in
DEFAULT_BARS = 120  # candles shown after loading a series or switching interval
TAIL_LIMIT = 64  # live candles drawn uncached before they join the cached picture
EMPTY_TEXT = "Select a token to see its chart"
EMPTY_LINE = "Candles, volume and your own buys and sells for the token picked in the feed."
NO_TRADES_TEXT = "No trades yet"

Fill = tuple[int, float, Side | str]
ChartSource = Sequence[Trade] | TradeColumns | CandleSeries


class ChartWidget(QWidget):
    """A candlestick chart of one token, with volume below and our wallets' fills as markers.

    Keys: ``+``/``-`` zoom, ``←``/``→`` pan, ``End`` back to live. The mouse wheel zooms and dragging pans.

    Signals:
        interval_changed(str): The candle interval switched (its label).
        mode_changed(str): Price or market-cap mode switched (the ``PriceMode`` value).
        follow_live_changed(bool): Following the newest candle turned on or off.

    Call every method on the GUI thread. A panel embeds it as is: it needs no services.

    Attributes:
        toolbar: Label, interval and mode buttons, back-to-live.
        view: The pyqtgraph layout holding both plots.
        price_plot: Candles, fills, crosshair.
        volume_plot: Volume bars, x-linked to the price plot.
        candles: Cached candle item; live_candle draws the newest.
        volume: Cached volume item; live_volume draws the newest.
        markers: Our fills.
        last_price: Dotted line and axis tag at the newest close.
        hover: Crosshair (``crosshair``) and OHLC readout (``readout``) following the mouse.
        nav: Follow-live, zoom, pan and the fitted y ranges.
        refreshes: Coalesced refreshes run so far.
    """

    interval_changed = Signal(str)
    mode_changed = Signal(str)
    follow_live_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, interval: Interval = Interval.M1,
                 mode: PriceMode = PriceMode.PRICE) -> None:
        super().__init__(parent)
        self._interval, self._mode = interval, mode
        self._columns: TradeColumns | None = None
        self._base: CandleSeries | None = None
        self._series: CandleSeries | None = None
        self._label = ""
        self._fills: list[Fill] = []
        self._pending = False
        self._count = 0
        self._geo = Geometry(0, interval.ms)
        self.refreshes = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.toolbar = ChartToolbar()
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(BG0)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view.ci.setContentsMargins(0, 0, 0, 0)
        self.view.ci.setSpacing(0)
        self.price_plot = self._plot(0, ValueAxis(mode), TimeAxis(labels=False))
        self.volume_plot = self._plot(1, ValueAxis(None), TimeAxis())
        self.volume_plot.setXLink(self.price_plot)
        self.view.ci.layout.setRowStretchFactor(0, 4)
        self.view.ci.layout.setRowStretchFactor(1, 1)
        self.candles, self.live_candle = CachedBarsItem(draw_candles), LiveBarsItem(draw_candles)
        self.volume, self.live_volume = CachedBarsItem(draw_volume), LiveBarsItem(draw_volume)
        self.markers = pg.ScatterPlotItem(pxMode=True, size=13, pen=pg.mkPen("#e6e9ef", width=1))
        self.last_price = LastPriceLine(self.price_plot.getAxis("right"))
        for plot, items in ((self.price_plot, (self.candles, self.live_candle, self.markers)),
                            (self.volume_plot, (self.volume, self.live_volume))):
            for z, item in enumerate(items):
                item.setZValue(z)
                plot.addItem(item)
        self.price_plot.addItem(self.last_price.line, ignoreBounds=True)
        self.hover = Hover(self.view, self.price_plot, self.volume_plot)
        self.crosshair, self.readout = self.hover.crosshair, self.hover.readout
        self.nav = Navigator(self.price_plot, self.volume_plot, self)

        self._empty = QWidget()
        self._empty_title = QLabel(EMPTY_TEXT)
        set_role(self._empty_title, "empty-title")
        self._empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_line = QLabel(EMPTY_LINE)
        set_role(self._empty_line, "empty-line")
        self._empty_line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_layout = QVBoxLayout(self._empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self._empty_title)
        empty_layout.addWidget(self._empty_line)
        empty_layout.addStretch(1)
        self._empty.setStyleSheet(f"background: {BG1};")
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.setSpacing(0)
        page_layout.addWidget(self.toolbar)
        page_layout.addWidget(self.view, 1)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(page)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        self.toolbar.interval_picked.connect(self._on_interval_picked)
        self.toolbar.mode_picked.connect(self._on_mode_picked)
        self.toolbar.live_requested.connect(self.nav.resume_live)
        self.nav.follow_changed.connect(self._on_follow_changed)

    def _plot(self, row: int, right: ValueAxis, bottom: TimeAxis) -> pg.PlotItem:
        plot = self.view.addPlot(row=row, col=0, axisItems={"right": right, "bottom": bottom})
        plot.hideAxis("left")
        plot.showAxis("right")
        plot.showGrid(x=True, y=True, alpha=0.35)
        for axis in (right, bottom):
            axis.setZValue(-1)  # the grid lines it draws go under the candles
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.vb.setMouseEnabled(x=True, y=False)
        plot.vb.disableAutoRange()
        plot.vb.setDefaultPadding(0)
        return plot

    # --- public API ------------------------------------------------------------------------------------

    @property
    def series(self) -> CandleSeries | None:
        """The candles on screen."""
        return self._series

    @property
    def hover_index(self) -> int | None:
        """Index of the candle under the mouse, None when the mouse is elsewhere."""
        return self.hover.index

    @property
    def interval(self) -> Interval:
        """Current candle interval."""
        return self._interval

    @property
    def mode(self) -> PriceMode:
        """Current price or market-cap mode."""
        return self._mode

    def x_range(self) -> tuple[float, float]:
        """Return the visible time span (seconds since the epoch)."""
        return self.nav.x_range()

    @property
    def following(self) -> bool:
        """Whether the view scrolls to each new candle."""
        return self.nav.following

    def set_series(self, source: ChartSource | None, label: str = "") -> None:
        """Chart a token: its trades (any interval and mode) or its candles (coarser intervals only); None clears.

        Args:
            source: Trades, trade columns or a candle series (the widget keeps and updates it).
            label: What the toolbar calls the token (symbol or mint).
        """
        self._label = label
        self._fills = []
        self.nav.set_follow(True)
        if source is None:
            self._columns = self._base = self._series = None
            self.hover.attach(None, "")
            self._empty_title.setText(EMPTY_TEXT)
            self._empty_line.setText(EMPTY_LINE)
            self._stack.setCurrentIndex(0)
            return
        if isinstance(source, CandleSeries):
            self._columns, self._base = None, source
            self._interval, self._mode = source.interval, source.mode
            self._install(source)
        else:
            self._columns = source if isinstance(source, TradeColumns) else TradeColumns.from_trades(source)
            self._base = None
            self._install(aggregate(self._columns, self._interval, self._mode))

    def add_trades(self, trades: Iterable[Trade]) -> None:
        """Fold new trades in (late ones land in their own candle); the chart catches up within ``REFRESH_MS``."""
        series = self._series
        if series is None:
            return
        for trade in trades:
            if self._columns is not None:
                self._columns.append(trade)
            if self._base is not None and self._base is not series:
                self._base.add(trade)
            series.add(trade)
        if not self._timer.isActive():
            self._timer.start()

    def set_fills(self, fills: Iterable[Fill]) -> None:
        """Mark our wallets' fills: ``(ts_ms, price in lamports per token, side)``; buys ▲ green, sells ▼ red."""
        self._fills = list(fills)
        self._update_markers()

    def set_interval(self, interval: Interval) -> None:
        """Switch the candle interval, re-bucketing the trades (or finer candles).

        Raises:
            ValidationError: only candles were given and ``interval`` is not a multiple of theirs.
        """
        if interval is self._interval and self._series is not None:
            return
        if self._columns is not None:
            series = aggregate(self._columns, interval, self._mode)
        elif self._base is not None:
            if not can_rebucket(self._base.interval, interval):
                raise ValidationError(f"This chart has {self._base.interval.label} candles; "
                                      f"{interval.label} cannot be derived from them.")
            series = self._base if interval is self._base.interval else rebucket(self._base, interval)
        else:
            self._interval = interval
            return
        center = sum(self.x_range()) / 2
        self._interval = interval
        self._install(series, center_s=None if self.nav.following else center)
        self.interval_changed.emit(interval.label)

    def set_mode(self, mode: PriceMode) -> None:
        """Switch between price and market cap (needs the trades).

        Raises:
            ValidationError: the chart was given candles, not trades.
        """
        if mode is self._mode:
            return
        if self._columns is None:
            if self._series is not None:
                raise ValidationError("Switching to market cap needs the token's trades, not only its candles.")
            self._mode = mode
            return
        x_range = self.x_range()
        self._mode = mode
        self._install(aggregate(self._columns, self._interval, mode), x_range=(x_range[0], x_range[1]))
        self.mode_changed.emit(mode.value)

    @Slot()
    def resume_live(self) -> None:
        """Follow the newest candle again, keeping the zoom."""
        self.nav.resume_live()

    def zoom(self, factor: float) -> None:
        """Scale the visible time span by ``factor`` (< 1 zooms in), anchored right while following."""
        self.nav.zoom(factor)

    def pan(self, fraction: float) -> None:
        """Move the view by ``fraction`` of its width (negative: back in time)."""
        self.nav.pan(fraction)

    # --- internals -------------------------------------------------------------------------------------

    def _install(self, series: CandleSeries, *, center_s: float | None = None,
                 x_range: tuple[float, float] | None = None) -> None:
        self._series = series
        series.consume_changes()
        n = self._count = len(series)
        view = series.view()
        self._geo = Geometry(int(view.start_ms[0]) if n else 0, series.interval.ms)
        for item in (self.candles, self.volume, self.live_candle, self.live_volume):
            item.setPos(self._geo.origin_ms / 1000.0, 0)
        for cached in (self.candles, self.volume):
            cached.set_series(series, self._geo)
            cached.set_frozen(max(n - 1, 0))
        for live in (self.live_candle, self.live_volume):
            live.set_tail(series, self._geo, max(n - 1, 0))
        self.price_plot.getAxis("right").set_mode(series.mode)
        self.hover.attach(series, self._label)
        self.toolbar.show_state(self._label, series.interval, series.mode,
                                finest=self._base.interval if self._base is not None else None,
                                modes_enabled=self._columns is not None)
        self._empty_title.setText(f"{NO_TRADES_TEXT} — {self._label}" if self._label else NO_TRADES_TEXT)
        self._empty_line.setText("Candles appear with the first trade.")
        self._stack.setCurrentIndex(1 if n else 0)
        self.nav.attach(series, self._geo)
        if n:
            if x_range is not None:
                self.nav.set_x_range(*x_range)
            elif center_s is not None:
                self.nav.show_around(center_s, DEFAULT_BARS)
            else:
                self.nav.show_last(DEFAULT_BARS)
        self._update_markers()
        self._after_change()

    @Slot()
    def _refresh(self) -> None:
        if not self.isVisible():
            self._pending = True
            return
        self.refreshes += 1
        series = self._series
        changed = series.consume_changes() if series is not None else None
        if series is None or changed is None:
            return
        n = len(series)
        if self._stack.currentIndex() == 0:
            self._install(series)
            return
        frozen = self.candles.frozen
        if changed < frozen or n - frozen > TAIL_LIMIT:
            for cached in (self.candles, self.volume):
                cached.set_frozen(n - 1)
                cached.invalidate()
        for live in (self.live_candle, self.live_volume):
            live.set_tail(series, self._geo, self.candles.frozen)
        if n > self._count:
            self._count = n
            self.nav.candles_appended()
        self._after_change()

    def _after_change(self) -> None:
        self.nav.fit_y()
        last = self._series.last if self._series is not None else None
        if last is not None:
            self.last_price.show_at(last.close, format_value(last.close, self._mode), UP if last.is_up else DOWN)
        self.hover.refresh()

    def _update_markers(self) -> None:
        if self._series is None or not self._fills:
            self.markers.setData([])
            return
        width = self._interval.ms
        scale = 1.0 if self._mode is PriceMode.PRICE else float(WHOLE_TOKEN_SUPPLY)
        origin = self._geo.origin_ms
        x = [((ts // width * width) + width / 2 - origin) / 1000.0 for ts, _, _ in self._fills]
        y = [price * scale for _, price, _ in self._fills]
        buys = [Side(side) is Side.BUY for _, _, side in self._fills]
        self.markers.setPos(origin / 1000.0, 0)
        self.markers.setData(x=x, y=y, symbol=["t1" if b else "t" for b in buys],
                             brush=[pg.mkBrush(UP if b else DOWN) for b in buys])

    @Slot(bool)
    def _on_follow_changed(self, follow: bool) -> None:
        self.toolbar.live_button.setVisible(not follow)
        self.follow_live_changed.emit(follow)

    @Slot(object)
    def _on_interval_picked(self, interval: Interval) -> None:
        self.set_interval(interval)

    @Slot(object)
    def _on_mode_picked(self, mode: PriceMode) -> None:
        self.set_mode(mode)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Zoom with +/-, pan with the arrow keys, go back to live with End."""
        key = event.key()
        actions = {Qt.Key.Key_Plus: lambda: self.zoom(0.8), Qt.Key.Key_Equal: lambda: self.zoom(0.8),
                   Qt.Key.Key_Minus: lambda: self.zoom(1.25), Qt.Key.Key_Underscore: lambda: self.zoom(1.25),
                   Qt.Key.Key_Left: lambda: self.pan(-0.1), Qt.Key.Key_Right: lambda: self.pan(0.1),
                   Qt.Key.Key_End: self.nav.resume_live}
        action = actions.get(Qt.Key(key))
        if action is None or self._series is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def showEvent(self, event: QShowEvent) -> None:
        """Catch up on trades that arrived while hidden."""
        super().showEvent(event)
        if self._pending:
            self._pending = False
            self._timer.start()

