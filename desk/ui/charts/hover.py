"""The crosshair and the OHLC readout following the mouse over the chart's plots."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Slot
from PySide6.QtWidgets import QLabel

from desk.core.candles import CandleSeries, PriceMode
from desk.ui.charts.overlay import Crosshair, readout_html


class Hover(QObject):
    """Cross the candle under the mouse and show its OHLC and volume; away from the plots, show the newest.

    Attributes:
        crosshair: The lines and their axis tags.
        readout: The legend label over the top-left of the plots.
        index: Index of the candle under the mouse, None when the mouse is elsewhere.
    """

    def __init__(self, view: pg.GraphicsLayoutWidget, price_plot: pg.PlotItem, volume_plot: pg.PlotItem) -> None:
        super().__init__(view)
        self._view, self._price, self._volume = view, price_plot.vb, volume_plot.vb
        self.crosshair = Crosshair(price_plot, volume_plot)
        self.readout = QLabel(view)
        self.readout.setObjectName("chartReadout")
        self.readout.setStyleSheet("background: transparent;")
        self.readout.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.readout.move(10, 6)
        self.index: int | None = None
        self._series: CandleSeries | None = None
        self._label = ""
        view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        view.installEventFilter(self)

    def attach(self, series: CandleSeries | None, label: str) -> None:
        """Read candles from ``series``; call the token ``label`` in the readout."""
        self._series, self._label = series, label
        self.leave()

    def refresh(self) -> None:
        """Show the candle under the mouse again (its values may have changed), or the newest."""
        self._show(self.index if self.index is not None else self._newest())

    def leave(self) -> None:
        """Hide the crosshair and show the newest candle."""
        self.crosshair.hide()
        self.index = None
        self._show(self._newest())

    def _newest(self) -> int | None:
        return len(self._series) - 1 if self._series is not None and len(self._series) else None

    @Slot(object)
    def _on_mouse_moved(self, pos: QPointF) -> None:
        series = self._series
        if series is None or not len(series):
            return
        in_price = self._price.sceneBoundingRect().contains(pos)
        in_volume = self._volume.sceneBoundingRect().contains(pos)
        if not in_price and not in_volume:
            self.leave()
            return
        point = self._price.mapSceneToView(pos)
        k = self._candle_near(series, point.x())
        start = int(series.view().start_ms[k]) / 1000.0
        self.crosshair.show_at(start + series.interval.ms / 2000.0, start, point.y() if in_price else None,
                               self._volume.mapSceneToView(pos).y() if in_volume else None, series.mode)
        self.index = k
        self._show(k)

    @staticmethod
    def _candle_near(series: CandleSeries, x_s: float) -> int:
        """Return the candle whose bucket holds ``x_s``, else the nearer of its neighbours."""
        starts, width, ms = series.view().start_ms, series.interval.ms, x_s * 1000
        k = int(np.searchsorted(starts, ms, "right")) - 1
        if k < 0:
            return 0
        end = starts[k] + width
        if k + 1 < len(starts) and ms >= end and starts[k + 1] - ms < ms - end:
            return k + 1
        return k

    def _show(self, k: int | None) -> None:
        if self._series is None or k is None:
            self.readout.clear()
            return
        mode: PriceMode = self._series.mode
        self.readout.setText(readout_html(self._label, self._series.interval, mode, self._series[k]))
        self.readout.adjustSize()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Hide the crosshair when the mouse leaves the plots."""
        if watched is self._view and event.type() == QEvent.Type.Leave:
            self.leave()
        return bool(super().eventFilter(watched, event))
