"""Benchmark the chart: frame time over 50,000 candles at several zooms and while panning (target <= 16 ms).

Run by hand: ``QT_QPA_PLATFORM=offscreen python tests/bench/bench_chart.py [--shot PATH]``. A frame is a
full render of the chart's plots into a QImage. ``--shot`` also saves a screenshot of about 2,000
candles of a simulated pump.fun token with some of our fills (default /tmp/shot_chart.png). Prints
figures; asserts nothing. ``pump_trades`` is shared with the UI tests.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QCoreApplication, QPointF
from PySide6.QtGui import QImage, QPainter, QPicture
from PySide6.QtWidgets import QApplication

from desk.core.candles import Interval, aggregate
from desk.core.curve import CurveState, buy, sell
from desk.core.errors import ValidationError
from desk.core.market import Side, Trade
from desk.ui.charts import ChartWidget
from desk.ui.charts.candlestick import FULL, draw_candles
from desk.ui.theme import apply_theme

T0 = 1_763_800_000_000  # 22 Nov 2025, 08:26 UTC
MINT = "MAYHEMx1n9CnDzwNpBvGwTWpsTsmMxQ5r7W3Tb6pump"
SOL = 1_000_000_000
CANDLES = 50_000


def pump_trades(candles: int, interval_ms: int = 60_000, seed: int = 3, start_ms: int = T0,
                per_candle: float = 12.0) -> list[Trade]:
    """Simulate a pump.fun token on its curve: a climb with swings, dumps, volume bursts and quiet spells.

    Buyers lean towards a target curve progress that rises over the first two thirds of the history;
    a mean-reverting mood adds swings and regimes change how hot trading is. About ``per_candle``
    trades fall in each of the ``candles`` intervals (many more in bursts).
    """
    rng = random.Random(seed)
    state, held, ts = CurveState(), 0, start_ms
    trades: list[Trade] = []
    duration = candles * interval_ms
    mood, heat, lean = 0.0, 1.0, 0.0
    while ts < start_ms + duration:
        if rng.random() < 1 / (per_candle * 40):  # a new regime every ~40 candles
            heat = rng.choice([0.3, 0.6, 1.0, 1.0, 2.0, 5.0])
            lean = rng.choice([-0.12, -0.05, 0.0, 0.0, 0.04, 0.1])
        ts += max(1, int(rng.expovariate(per_candle * heat / interval_ms)))
        progress = 1 - state.real_token / 793_100_000_000_000
        target = 0.75 * min(1.0, (ts - start_ms) / (0.66 * duration)) ** 0.7
        mood = max(-0.25, min(0.25, mood * 0.997 + rng.gauss(0, 0.012)))
        buy_prob = 0.5 + 1.5 * (target - progress) + mood + lean
        size = int(rng.lognormvariate(-1.7, 1.0) * SOL * (1 + heat / 3))
        try:
            if held == 0 or rng.random() < buy_prob:
                fill = buy(state, max(size, 1_000_000))
                side, held = Side.BUY, held + fill.tokens
            else:
                tokens = min(held, max(1, size * state.virtual_token // state.virtual_sol))
                fill = sell(state, tokens)
                side, held = Side.SELL, held - fill.tokens
        except ValidationError:
            continue
        if fill.state.complete:
            continue  # keep the token on its curve for the whole history
        state = fill.state
        trades.append(Trade(f"sig{len(trades)}", MINT, f"trader{rng.randrange(400)}", side, fill.tokens, fill.sol,
                            None, state.virtual_sol, state.virtual_token, state.market_cap, "pump", ts))
    return trades


def our_fills(trades: list[Trade], count: int, seed: int = 5, since_ms: int = 0) -> list[tuple[int, float, Side]]:
    """Pick ``count`` of the trades at or after ``since_ms`` as our own wallets' fills."""
    rng = random.Random(seed)
    pool = [t for t in trades if t.received_ms >= since_ms]
    return [(t.received_ms, t.price_lamports_per_token() or 0.0, t.side)
            for t in sorted(rng.sample(pool, count), key=lambda t: t.received_ms)]


def main() -> None:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_theme(app)
    default_shot = str(Path(tempfile.gettempdir()) / "shot_chart.png")
    shot = sys.argv[sys.argv.index("--shot") + 1] if "--shot" in sys.argv[:-1] else \
        default_shot if "--shot" in sys.argv else None

    t0 = time.perf_counter()
    trades = pump_trades(57_000, per_candle=5)
    cutoff = int(aggregate(trades, Interval.M1).view().start_ms[-CANDLES])
    trades = [t for t in trades if t.received_ms >= cutoff]  # exactly CANDLES candles
    series = aggregate(trades, Interval.M1)
    print(f"simulated {len(trades):,} trades -> {len(series):,} 1m candles in {time.perf_counter() - t0:.1f} s")
    chart = ChartWidget()
    chart.resize(1600, 900)
    chart.show()
    chart.set_series(trades, "MAYHEM")
    QCoreApplication.processEvents()
    view = chart.view
    image = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)

    def frame() -> float:
        started = time.perf_counter()
        painter = QPainter(image)
        view.render(painter)
        painter.end()
        return (time.perf_counter() - started) * 1000

    n = len(chart.series or [])
    starts = chart.series.view().start_ms if chart.series is not None else None
    assert starts is not None
    print("frame = a full render of the chart's plots into a QImage; min / median of the frames")
    for visible in (200, 1_000, 5_000, 20_000, n):
        x0, x1 = starts[n - visible] / 1000, starts[-1] / 1000 + 60
        chart.price_plot.vb.setXRange(x0, x1, padding=0)
        QCoreApplication.processEvents()
        cold = frame()
        warm = [frame() for _ in range(30)]
        pans = []
        for _ in range(100):
            chart.pan(-0.01)
            pans.append(frame())
        print(f"{visible:>6,} visible (LOD group {chart.candles.group}, {chart.candles.drawn:,} shapes cached): "
              f"first {cold:5.1f} ms | steady {min(warm):4.1f} / {statistics.median(warm):4.1f} ms | panning "
              f"{min(pans):4.1f} / {statistics.median(pans):4.1f} ms, p95 {sorted(pans)[94]:4.1f}, "
              f"max {max(pans):4.1f} ms ({chart.candles.regenerations} picture rebuilds so far)")

    picture = QPicture()
    recorder = QPainter(picture)
    draw_candles(recorder, series.view(), chart.candles._geo, 0, len(series), FULL)
    recorder.end()
    painter = QPainter(image)
    started = time.perf_counter()
    painter.drawPicture(QPointF(0, 0), picture)
    painter.end()
    print(f"for comparison, replaying one picture of all {len(series):,} candles: "
          f"{(time.perf_counter() - started) * 1000:.1f} ms")

    if shot:
        save_shots(chart, shot)


def save_shots(chart: ChartWidget, path: str) -> None:
    """Save the chart of a simulated token: the last ~300 of ~2,000 candles with fills and the crosshair at
    ``path``, and every candle at ``path`` with ``_all`` before the suffix."""
    trades = pump_trades(2_000, seed=11, per_candle=25)
    chart.set_series(trades, "MAYHEM")
    series = chart.series
    assert series is not None
    starts = series.view().start_ms
    chart.set_fills(our_fills(trades, 10, since_ms=int(starts[-300])))
    chart.zoom(300 / 120)
    QCoreApplication.processEvents()
    y0, y1 = chart.price_plot.vb.viewRange()[1]
    volumes = series.view().volume_sol
    candle = series[len(series) - 150 + int(volumes[-150:-10].argmax())]  # hover a busy candle
    hover = chart.price_plot.vb.mapViewToScene(QPointF(candle.start_ms / 1000 + 30, y0 + (y1 - y0) * 0.75))
    chart.view.scene().sigMouseMoved.emit(hover)
    QCoreApplication.processEvents()
    chart.grab().save(path)
    chart.hover.leave()
    chart.zoom(50)
    QCoreApplication.processEvents()
    overview = Path(path).with_stem(Path(path).stem + "_all")
    chart.grab().save(str(overview))
    print(f"screenshots: {path} ({len(series):,} candles, ~300 visible, {len(chart._fills)} fills), {overview}")

if __name__ == "__main__":
    main()
