"""Charts: the candlestick chart panel and its pyqtgraph items."""

from desk.ui.charts.chart import EMPTY_TEXT, ChartWidget, Fill

__all__ = ["EMPTY_TEXT", "ChartWidget", "Fill"]
