"""The chart's toolbar: token label, interval buttons, price / market-cap toggle and the back-to-live button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton, QWidget

from desk.core.candles import Interval, PriceMode
from desk.ui.theme import ACCENT, BG1, LINE, MUTED, TEXT, set_role

_STYLE = f"""
QWidget#chartToolbar {{ background: {BG1}; border-bottom: 1px solid {LINE}; }}
QWidget#chartToolbar QLabel {{ background: transparent; }}
QWidget#chartToolbar QToolButton {{
    background: transparent; border: 1px solid transparent; border-radius: 3px; padding: 1px 7px; color: {MUTED};
}}
QWidget#chartToolbar QToolButton:hover {{ color: {TEXT}; border-color: {LINE}; }}
QWidget#chartToolbar QToolButton:checked {{ color: {TEXT}; background: #1f2f52; border-color: {ACCENT}; }}
QWidget#chartToolbar QToolButton:disabled {{ color: #3a4250; }}
QWidget#chartToolbar QToolButton#liveButton {{ color: {ACCENT}; border-color: {ACCENT}; }}
"""


class ChartToolbar(QWidget):
    """One row above the chart.

    Signals:
        interval_picked(object): The user picked an ``Interval``.
        mode_picked(object): The user picked a ``PriceMode``.
        live_requested(): The user asked to follow the newest candle again.

    Attributes:
        title: The token's label.
        interval_buttons: One checkable button per interval.
        mode_buttons: Price and market-cap buttons.
        live_button: Shown while the chart is not following the newest candle.
    """

    interval_picked = Signal(object)
    mode_picked = Signal(object)
    live_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chartToolbar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(_STYLE)
        self.title = QLabel("")
        set_role(self.title, "heading")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 8, 3)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addSpacing(12)
        self._intervals = QButtonGroup(self)
        self.interval_buttons: dict[Interval, QToolButton] = {}
        for interval in Interval:
            button = self._button(interval.label, f"{interval.label} candles")
            self._intervals.addButton(button)
            self.interval_buttons[interval] = button
            button.clicked.connect(lambda _=False, i=interval: self.interval_picked.emit(i))
            layout.addWidget(button)
        layout.addSpacing(12)
        self._modes = QButtonGroup(self)
        self.mode_buttons = {PriceMode.PRICE: self._button("Price", "Price per token in SOL"),
                             PriceMode.MARKET_CAP: self._button("MCap", "Market cap in SOL")}
        for mode, button in self.mode_buttons.items():
            self._modes.addButton(button)
            button.clicked.connect(lambda _=False, m=mode: self.mode_picked.emit(m))
            layout.addWidget(button)
        layout.addStretch(1)
        self.live_button = QToolButton()
        self.live_button.setObjectName("liveButton")
        self.live_button.setText("Live ⇥")
        self.live_button.setToolTip("Follow the newest candle again (End)")
        self.live_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.live_button.clicked.connect(self._on_live_clicked)
        self.live_button.hide()
        layout.addWidget(self.live_button)

    @staticmethod
    def _button(text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    @Slot()
    def _on_live_clicked(self) -> None:
        self.live_requested.emit()

    def show_state(self, label: str, interval: Interval, mode: PriceMode, *, finest: Interval | None,
                   modes_enabled: bool) -> None:
        """Reflect the chart's state: label, checked interval and mode, and which choices are possible.

        Args:
            label: Token label.
            interval: Current interval.
            mode: Current mode.
            finest: Intervals must be whole multiples of this one (None: any interval).
            modes_enabled: Whether the mode can be switched.
        """
        self.title.setText(label)
        for each, button in self.interval_buttons.items():
            button.setChecked(each is interval)
            button.setEnabled(finest is None or each.ms % finest.ms == 0)
        for kind, button in self.mode_buttons.items():
            button.setChecked(kind is mode)
            button.setEnabled(modes_enabled)
