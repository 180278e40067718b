"""The chart: culled cached painting, level of detail, the live candle, crosshair, fills, follow-live, switches."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QPainter, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desk.core.candles import CandleSeries, Interval, PriceMode, TradeColumns, aggregate
from desk.core.errors import ValidationError
from desk.core.market import Side, Trade
from desk.ui.charts import EMPTY_TEXT, ChartWidget
from desk.ui.charts.axes import format_price, format_sol, trim_zeros
from desk.ui.charts.candlestick import FULL, LOD_THRESHOLD, lod_group
from desk.ui.charts.chart import REFRESH_MS
from tests.ui.qtasync import QtAsync

T0 = 1_763_800_020_000
MINUTE = 60_000


def columns(candles: int, per_candle: int = 3, seed: int = 1, interval: int = MINUTE) -> TradeColumns:
    """Trades on a random walk, ``per_candle`` in each of ``candles`` consecutive intervals."""
    rng = np.random.default_rng(seed)
    n = candles * per_candle
    ts = T0 + np.repeat(np.arange(candles) * interval, per_candle) + rng.integers(0, interval, n)
    price = 30.0 * np.exp(np.cumsum(rng.normal(0.0005, 0.01, n)))
    sol = rng.integers(10_000_000, 2_000_000_000, n)
    return TradeColumns.from_arrays(np.sort(ts), price, sol, (sol * 1_000_000 / price).astype(np.int64),
                                    rng.random(n) < 0.5)


def trade(ts: int, price: float, side: Side = Side.BUY, sol: int = 1_000_000_000) -> Trade:
    """A trade of ``sol`` lamports at ``price`` lamports per whole token."""
    return Trade("sig", "mint", "me", side, int(sol * 1_000_000 / price), sol, None, None, None, None, "pump", ts)


def render(chart: ChartWidget) -> QImage:
    """Paint the chart's plots once, as a frame on screen would."""
    image = QImage(chart.view.size(), QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    chart.view.render(painter)
    painter.end()
    return image


def show_last(chart: ChartWidget, count: int) -> None:
    series = chart.series
    assert series is not None
    starts = series.view().start_ms
    chart.price_plot.vb.setXRange(starts[-count] / 1000, (starts[-1] + series.interval.ms) / 1000, padding=0)


@pytest.fixture
def chart(qtbot: QtBot, aio: QtAsync) -> ChartWidget:
    widget = ChartWidget()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    return widget


def test_without_a_token_the_chart_says_what_to_do(chart: ChartWidget) -> None:
    assert chart._stack.currentIndex() == 0 and chart._empty_title.text() == EMPTY_TEXT
    chart.set_series(columns(10), "PEPE")
    assert chart._stack.currentIndex() == 1 and chart.toolbar.title.text() == "PEPE"
    chart.set_series(None)
    assert chart._stack.currentIndex() == 0 and chart._empty_title.text() == EMPTY_TEXT


def test_the_candle_item_records_only_about_three_visible_ranges(chart: ChartWidget) -> None:
    chart.set_series(columns(5_000), "X")
    show_last(chart, 1_000)
    chart.pan(-1.5)  # away from the end, so the cache can extend both ways
    render(chart)
    start, end = chart.candles.cached_range
    assert chart.candles.group == 1  # ~1,000 candles in ~1,100 px: a line each
    assert 2_900 <= end - start <= 3_100 and chart.candles.drawn == end - start
    show_last(chart, 200)
    chart.pan(-2.0)
    render(chart)
    start, end = chart.candles.cached_range
    assert chart.candles.group == FULL and 580 <= end - start <= 620 and chart.candles.drawn == end - start


def test_the_picture_is_regenerated_only_when_the_view_leaves_it(chart: ChartWidget) -> None:
    chart.set_series(columns(3_000), "X")
    show_last(chart, 200)
    chart.pan(-5.0)
    render(chart)
    before = chart.candles.regenerations
    for _ in range(5):
        chart.pan(-0.1)  # half a visible range in all, inside the cached margin
        render(chart)
    assert chart.candles.regenerations == before
    chart.pan(-1.5)
    render(chart)
    assert chart.candles.regenerations == before + 1


def test_level_of_detail_groups_candles_above_the_threshold(chart: ChartWidget) -> None:
    assert lod_group(200, 1_000) == FULL
    assert lod_group(900, 1_000) == 1
    assert lod_group(LOD_THRESHOLD + 1, 10_000) == 2
    assert lod_group(50_000, 1_000) == 64
    chart.set_series(columns(20_000, per_candle=1), "X")
    show_last(chart, 20_000)
    render(chart)
    assert chart.candles.group >= 16
    assert chart.candles.drawn <= 20_000 // chart.candles.group + 1
    assert chart.volume.group == chart.candles.group


def test_a_trade_in_the_live_candle_repaints_it_without_touching_the_cache(chart: ChartWidget,
                                                                           aio: QtAsync) -> None:
    chart.set_series(columns(500), "X")
    render(chart)
    series = chart.series
    assert series is not None
    last = series[-1]
    regenerations, paints = chart.candles.regenerations, chart.live_candle.paints

    async def scenario() -> None:
        chart.add_trades([trade(last.start_ms + 1, last.high * 2)])
        await aio.until(lambda: chart.refreshes > 0)

    aio.run(scenario())
    render(chart)
    assert series[-1].high == pytest.approx(last.high * 2) and len(series) == 500
    assert chart.candles.regenerations == regenerations
    assert chart.live_candle.paints > paints
    assert chart.last_price.line.value() == series[-1].close


def test_a_late_trade_for_an_older_candle_rebuilds_the_cache(chart: ChartWidget, aio: QtAsync) -> None:
    chart.set_series(columns(300), "X")
    render(chart)
    series = chart.series
    assert series is not None
    regenerations = chart.candles.regenerations

    async def scenario() -> None:
        chart.add_trades([trade(series[-20].start_ms + 5, series[-20].low / 2)])
        await aio.until(lambda: chart.refreshes > 0)

    aio.run(scenario())
    render(chart)
    assert chart.candles.regenerations == regenerations + 1


def test_the_readout_shows_the_candle_under_the_cursor(chart: ChartWidget) -> None:
    chart.set_series(columns(300), "BONK")
    render(chart)
    series = chart.series
    assert series is not None
    candle = series[-40]
    vb = chart.price_plot.vb
    scene_pos = vb.mapViewToScene(QPointF(candle.start_ms / 1000 + 20, (candle.high + candle.low) / 2))
    chart.view.scene().sigMouseMoved.emit(scene_pos)
    assert chart.hover_index == len(series) - 40 and chart.crosshair.visible
    text = chart.readout.text()
    for value in (candle.open, candle.high, candle.low, candle.close):
        assert format_price(value) in text
    assert format_sol(candle.volume_sol) in text and f"{candle.trades:,} trade" in text and "BONK" in text
    assert chart.crosshair.vline.value() == pytest.approx((candle.start_ms + MINUTE / 2) / 1000)
    chart.view.scene().sigMouseMoved.emit(QPointF(-50, -50))  # off the plots
    assert chart.hover_index is None and not chart.crosshair.visible
    assert format_price(series[-1].close) in chart.readout.text()


def test_our_fills_show_as_triangles_at_their_time_and_price(chart: ChartWidget) -> None:
    chart.set_series(columns(100), "X")
    chart.set_fills([(T0 + 5 * MINUTE + 10, 31.0, Side.BUY), (T0 + 9 * MINUTE, 29.5, "sell")])
    data = chart.markers.data
    assert list(data["symbol"]) == ["t1", "t"]
    origin = chart.markers.pos().x()
    bucket = (T0 + 5 * MINUTE) // MINUTE * MINUTE
    assert origin + data["x"][0] == pytest.approx((bucket + MINUTE / 2) / 1000)
    assert list(data["y"]) == [31.0, 29.5]
    chart.set_mode(PriceMode.MARKET_CAP)
    assert list(chart.markers.data["y"]) == [31.0e9, 29.5e9]
    assert chart.series is not None and chart.series.mode is PriceMode.MARKET_CAP


def test_follow_live_scrolls_to_new_candles_until_the_user_pans_away(chart: ChartWidget, qtbot: QtBot,
                                                                      aio: QtAsync) -> None:
    chart.set_series(columns(300), "X")
    series = chart.series
    assert series is not None and chart.following
    next_start = series[-1].start_ms + MINUTE

    async def add_candle(start: int) -> None:
        count = len(series)
        chart.add_trades([trade(start + 1, 40.0)])
        await aio.until(lambda: chart.refreshes > 0 and len(series) == count + 1 and not chart._timer.isActive())

    aio.run(add_candle(next_start))
    assert chart.x_range()[1] >= (next_start + MINUTE) / 1000
    for _ in range(15):
        qtbot.keyClick(chart, Qt.Key.Key_Left)
    assert not chart.following and chart.toolbar.live_button.isVisibleTo(chart)
    frozen = chart.x_range()
    aio.run(add_candle(next_start + MINUTE))
    assert chart.x_range() == frozen
    qtbot.mouseClick(chart.toolbar.live_button, Qt.MouseButton.LeftButton)
    assert chart.following and not chart.toolbar.live_button.isVisibleTo(chart)
    assert chart.x_range()[1] >= (next_start + 2 * MINUTE) / 1000


def test_keys_zoom_and_pan(chart: ChartWidget, qtbot: QtBot) -> None:
    chart.set_series(columns(1_000), "X")
    x0, x1 = chart.x_range()
    qtbot.keyClick(chart, Qt.Key.Key_Minus)
    wider = chart.x_range()
    assert wider[1] - wider[0] == pytest.approx((x1 - x0) * 1.25)
    assert wider[1] == pytest.approx(x1) and chart.following  # anchored on the live edge
    qtbot.keyClick(chart, Qt.Key.Key_Plus)
    assert chart.x_range()[1] - chart.x_range()[0] == pytest.approx(x1 - x0)
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    qtbot.keyClick(chart, Qt.Key.Key_End)
    assert chart.following


def test_switching_interval_rebuckets_the_trades(chart: ChartWidget, qtbot: QtBot) -> None:
    cols = columns(600)
    chart.set_series(cols, "X")
    with qtbot.waitSignal(chart.interval_changed) as signal:
        qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.M5], Qt.MouseButton.LeftButton)
    assert signal.args == ["5m"]
    assert chart.series is not None and chart.series.candles() == aggregate(cols, Interval.M5).candles()
    assert chart.toolbar.interval_buttons[Interval.M5].isChecked()
    chart.set_interval(Interval.S15)
    assert chart.series.interval is Interval.S15 and len(chart.series) > 600


def test_given_candles_the_chart_offers_only_coarser_intervals(chart: ChartWidget) -> None:
    seconds = aggregate(columns(600, interval=1_000), Interval.S5)
    chart.set_series(seconds, "X")
    assert not chart.toolbar.interval_buttons[Interval.S1].isEnabled()
    assert chart.toolbar.interval_buttons[Interval.M1].isEnabled()
    assert not chart.toolbar.mode_buttons[PriceMode.MARKET_CAP].isEnabled()
    chart.set_interval(Interval.M1)
    assert chart.series is not None and chart.series.interval is Interval.M1
    with pytest.raises(ValidationError):
        chart.set_interval(Interval.S1)
    with pytest.raises(ValidationError):
        chart.set_mode(PriceMode.MARKET_CAP)
    chart.set_interval(Interval.S5)
    assert chart.series is seconds


def test_streaming_trades_repaint_at_most_ten_times_a_second(chart: ChartWidget, aio: QtAsync) -> None:
    chart.set_series(columns(50), "X")
    series = chart.series
    assert series is not None
    start = series[-1].start_ms

    async def scenario() -> None:
        for k in range(40):
            chart.add_trades([trade(start + k, 30.0 + k)])
            await aio.until(lambda: True)
        await aio.until(lambda: not chart._timer.isActive())

    aio.run(scenario())
    assert 1 <= chart.refreshes <= 40 * 10 // (1000 // REFRESH_MS) + 1
    assert series[-1].high == pytest.approx(69.0)


def test_a_hidden_chart_catches_up_when_shown(chart: ChartWidget, aio: QtAsync) -> None:
    chart.set_series(columns(50), "X")
    chart.hide()
    series = chart.series
    assert series is not None

    async def scenario() -> None:
        chart.add_trades([trade(series[-1].start_ms + MINUTE, 30.0)])
        await aio.until(lambda: chart._pending)
        assert chart.refreshes == 0
        chart.show()
        await aio.until(lambda: chart.refreshes == 1)

    aio.run(scenario())
    assert len(series) == 51 and chart.x_range()[1] > series[-1].start_ms / 1000  # followed the new candle


def test_the_first_trade_of_a_new_token_replaces_the_empty_state(chart: ChartWidget, aio: QtAsync) -> None:
    chart.set_series(CandleSeries(Interval.S1), "NEW")
    assert chart._stack.currentIndex() == 0 and "NEW" in chart._empty_title.text()

    async def scenario() -> None:
        chart.add_trades([trade(T0, 28.0), trade(T0 + 1_500, 29.0)])
        await aio.until(lambda: chart._stack.currentIndex() == 1)

    aio.run(scenario())
    assert chart.series is not None and len(chart.series) == 2
    render(chart)
    assert chart.live_candle.paints >= 1


def test_axis_labels_are_compact() -> None:
    assert format_price(27.959) == "0.0₇2796"
    assert format_price(2.5e9) == "2.5000"
    assert format_sol(27.96e9) == "27.96" and format_sol(1.234e12) == "1.23K" and format_sol(5.5e15) == "5.50M"
    assert trim_zeros("60.00") == "60" and trim_zeros("1.50K") == "1.5K" and trim_zeros("100") == "100"


def test_the_mouse_wheel_zooms_and_counts_as_the_user_moving_the_view(chart: ChartWidget, qtbot: QtBot) -> None:
    chart.set_series(columns(1_000), "X")
    render(chart)
    x0, x1 = chart.x_range()
    where = chart.view.mapFromScene(chart.price_plot.vb.sceneBoundingRect().center())
    event = QWheelEvent(QPointF(where), QPointF(chart.view.mapToGlobal(where)), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(chart.view.viewport(), event)
    new0, new1 = chart.x_range()
    assert new1 - new0 < (x1 - x0) * 0.9  # zoomed in around the middle...
    assert not chart.following  # ...which left the newest candle behind
