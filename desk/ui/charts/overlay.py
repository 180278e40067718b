"""What the chart draws over its data: the crosshair with its axis tags, the last-price line, the OHLC readout."""

from __future__ import annotations

import html
import time

import pyqtgraph as pg
from PySide6.QtCore import Qt

from desk.core.candles import Candle, Interval, PriceMode
from desk.ui.charts.axes import AxisTag, TimeAxis, ValueAxis, format_sol, format_value
from desk.ui.theme import DOWN, MUTED, TEXT, UP, mono_font

CROSS = "cross"
LAST = "last"
_TAG_FILL = "#363c4e"


def _line(angle: int) -> pg.InfiniteLine:
    line = pg.InfiniteLine(angle=angle, pen=pg.mkPen(MUTED, width=1, style=Qt.PenStyle.DashLine), movable=False)
    line.setZValue(100)
    line.hide()
    return line


class Crosshair:
    """Dashed lines through the candle under the cursor, tagged on the value axes and the time axis.

    Attributes:
        vline: Vertical line in the price plot.
        vline_volume: Vertical line in the volume plot.
        hline: Horizontal line in the price plot.
        hline_volume: Horizontal line in the volume plot.
    """

    def __init__(self, price_plot: pg.PlotItem, volume_plot: pg.PlotItem) -> None:
        self.vline, self.vline_volume, self.hline, self.hline_volume = _line(90), _line(90), _line(0), _line(0)
        for plot, lines in ((price_plot, (self.vline, self.hline)), (volume_plot, (self.vline_volume,
                                                                                    self.hline_volume))):
            for line in lines:
                plot.addItem(line, ignoreBounds=True)
        self._price_axis: ValueAxis = price_plot.getAxis("right")
        self._volume_axis: ValueAxis = volume_plot.getAxis("right")
        self._time_axis: TimeAxis = volume_plot.getAxis("bottom")

    def show_at(self, x: float, start_s: float, price: float | None, volume: float | None,
                mode: PriceMode) -> None:
        """Cross at ``x`` (candle start ``start_s``) and at ``price`` or ``volume``, whichever plot holds the cursor."""
        for line in (self.vline, self.vline_volume):
            line.setPos(x)
            line.show()
        self._time_axis.tagged.tags[CROSS] = AxisTag(x, time.strftime("%a %d %b %H:%M:%S", time.localtime(start_s)),
                                                     _TAG_FILL)
        for line, axis, value, text in ((self.hline, self._price_axis, price,
                                         format_value(price or 0.0, mode)),
                                        (self.hline_volume, self._volume_axis, volume, format_sol(volume or 0.0))):
            if value is None:
                line.hide()
                axis.tagged.tags.pop(CROSS, None)
            else:
                line.setPos(value)
                line.show()
                axis.tagged.tags[CROSS] = AxisTag(value, text, _TAG_FILL)
        self._repaint_axes()

    def hide(self) -> None:
        """Hide the lines and their tags."""
        for line in (self.vline, self.vline_volume, self.hline, self.hline_volume):
            line.hide()
        for axis in (self._price_axis, self._volume_axis, self._time_axis):
            axis.tagged.tags.pop(CROSS, None)
        self._repaint_axes()

    def _repaint_axes(self) -> None:
        for axis in (self._price_axis, self._volume_axis, self._time_axis):
            axis.update()

    @property
    def visible(self) -> bool:
        """Whether the crosshair is showing."""
        return bool(self.vline.isVisible())


class LastPriceLine:
    """A dotted line at the newest close, tagged on the price axis in the candle's colour.

    Attributes:
        line: The pyqtgraph line.
    """

    def __init__(self, axis: ValueAxis) -> None:
        self._axis = axis
        self.line = pg.InfiniteLine(angle=0, movable=False)
        self.line.setZValue(50)
        self.line.hide()

    def show_at(self, value: float, text: str, color: str) -> None:
        """Move the line to ``value``, tagged ``text`` in ``color``."""
        self.line.setPen(pg.mkPen(color, width=1, style=Qt.PenStyle.DotLine))
        self.line.setPos(value)
        self.line.show()
        tags = self._axis.tagged.tags
        cross = tags.pop(CROSS, None)
        tags[LAST] = AxisTag(value, text, color)
        if cross is not None:
            tags[CROSS] = cross  # the crosshair's tag stays on top
        self._axis.update()


def readout_html(label: str, interval: Interval, mode: PriceMode, candle: Candle) -> str:
    """Return the legend line for ``candle``: label, interval, OHLC, change, volume and trade count."""
    color = UP if candle.is_up else DOWN
    change = (candle.close / candle.open - 1) * 100 if candle.open else 0.0
    buy_share = candle.buy_sol * 100 // candle.volume_sol if candle.volume_sol else 0
    trades = "1 trade" if candle.trades == 1 else f"{candle.trades:,} trades"

    def muted(text: str) -> str:
        return f'<span style="color:{MUTED}">{text}</span>'

    def value(text: str) -> str:
        return f'<span style="color:{color}">{text}</span>'

    ohlc = "&nbsp;".join(f"{muted(name)}&nbsp;{value(format_value(v, mode))}" for name, v in (
        ("O", candle.open), ("H", candle.high), ("L", candle.low), ("C", candle.close)))
    unit = "Price (SOL)" if mode is PriceMode.PRICE else "MCap (SOL)"
    title = html.escape(label) or "—"
    family = html.escape(mono_font().family())
    return (f'<span style="font-family:\'{family}\'; font-size:8pt">'
            f'<span style="color:{TEXT}; font-weight:600">{title}</span>&nbsp;{muted("· " + interval.label)}'
            f'&nbsp;{muted("· " + unit)}&nbsp;&nbsp;&nbsp;{ohlc}&nbsp;{value(f"{change:+.2f}%")}'
            f'&nbsp;&nbsp;&nbsp;{muted("Vol")}&nbsp;<span style="color:{TEXT}">{format_sol(candle.volume_sol)}'
            f'</span>&nbsp;{muted(f"· {trades} · {buy_share}% buys")}</span>')
