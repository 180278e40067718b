"""The header bar: network badge, total SOL, wallet picker, sync and connection status, Lock."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QToolBar, QToolButton, QWidget

from desk.core.wallets import Wallet, WalletGroup
from desk.ui.theme import mono_font, set_role

LAMPORTS_PER_SOL = 1_000_000_000
NO_TOTAL = "— SOL"
ALL_ACTIVE = "all:"


def format_sol(lamports: int) -> str:
    """Return lamports as SOL with four decimals (display edge only)."""
    if lamports < 0:
        raise ValueError("a balance total cannot be negative")
    sol = Decimal(lamports) / LAMPORTS_PER_SOL
    return f"{sol:,.4f} SOL"


class HeaderBar(QToolBar):
    """The fixed bar across the top of the main window.

    Signals:
        scope_changed: The wallet picker changed (arguments: "all", "group" or "wallet", and the id or "").

    Attributes:
        badge: MAINNET or SIMNET.
        total: Total SOL of the active wallets.
        wallet_picker: Which wallets orders use: all active ones, one group, or one wallet.
        sync_status: Device sync state.
        connection_status: Network connection state.
        lock_button: Locks the vault (shares the window's Lock action).
    """

    scope_changed = Signal(str, str)

    def __init__(self, *, simnet: bool, lock_action: QAction, parent: QWidget | None = None) -> None:
        super().__init__("Header", parent)
        self.setObjectName("header")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)

        brand = QLabel("MAYHEM DESK")
        set_role(brand, "heading")
        self.badge = QLabel("SIMNET" if simnet else "MAINNET")
        set_role(self.badge, "badge-simnet" if simnet else "badge-mainnet")
        self.badge.setToolTip("Simulated network: nothing here is real money" if simnet
                              else "Solana mainnet: orders spend real SOL")
        total_caption = QLabel("Total")
        set_role(total_caption, "muted")
        self.total = QLabel(NO_TOTAL)
        set_role(self.total, "total")
        self.total.setFont(mono_font(11))
        self.total.setToolTip("Total SOL of the active wallets")
        self.wallet_picker = QComboBox()
        self.wallet_picker.setObjectName("walletPicker")
        self.wallet_picker.addItem("All active wallets", ALL_ACTIVE)
        self.wallet_picker.setMinimumWidth(220)
        self.wallet_picker.setMaxVisibleItems(24)
        self.wallet_picker.setToolTip("Which wallets an order uses")
        self.wallet_picker.currentIndexChanged.connect(self._on_picked)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        spacer.setStyleSheet("background: transparent;")
        self.sync_status = QLabel("Sync off")
        set_role(self.sync_status, "status")
        self.connection_status = QLabel("● Not connected")
        set_role(self.connection_status, "status")
        self.lock_button = QToolButton()
        self.lock_button.setObjectName("lockButton")
        self.lock_button.setDefaultAction(lock_action)
        self.lock_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        for group in ((brand, self.badge), (total_caption, self.total, self.wallet_picker),
                      (spacer, self.sync_status, self.connection_status), (self.lock_button,)):
            if group[0] is not brand and group[0] is not spacer:
                self.addSeparator()
            for widget in group:
                self.addWidget(widget)

    def set_total_lamports(self, lamports: int | None) -> None:
        """Show the active wallets' total, or the placeholder when it is not known yet."""
        self.total.setText(NO_TOTAL if lamports is None else format_sol(lamports))

    def set_wallet_choices(self, groups: Sequence[WalletGroup], wallets: Sequence[Wallet]) -> None:
        """Offer all active wallets, each group and each active wallet, keeping the current choice."""
        picker = self.wallet_picker
        current = picker.currentData()
        picker.blockSignals(True)
        picker.clear()
        active = [w for w in wallets if w.active]
        picker.addItem(f"All active wallets ({len(active)})", ALL_ACTIVE)
        if groups:
            picker.insertSeparator(picker.count())
        for group in groups:
            picker.addItem(f"Group: {group.name} ({len(group.members)})", f"group:{group.id}")
        if active:
            picker.insertSeparator(picker.count())
        for wallet in active:
            picker.addItem(f"{wallet.label}  ·  {wallet.short_address}", f"wallet:{wallet.id}")
        index = picker.findData(current)
        picker.setCurrentIndex(max(0, index))
        picker.blockSignals(False)
        if index < 0:
            self.scope_changed.emit(*self.scope())

    def scope(self) -> tuple[str, str]:
        """Return the picker's choice: ("all", ""), ("group", id) or ("wallet", id)."""
        kind, _, ref = str(self.wallet_picker.currentData() or ALL_ACTIVE).partition(":")
        return kind, ref

    @Slot(int)
    def _on_picked(self, _index: int) -> None:
        self.scope_changed.emit(*self.scope())

    @Slot(str, object)
    def set_connection(self, text: str, ok: bool | None = None) -> None:
        """Show the connection state; ``ok`` colors it (None: neutral)."""
        self.connection_status.setText(f"● {text}")
        set_role(self.connection_status, "status" if ok is None else "status-ok" if ok else "status-bad")

    def set_sync(self, text: str, ok: bool | None = None) -> None:
        """Show the sync state; ``ok`` colors it (None: neutral)."""
        self.sync_status.setText(text)
        set_role(self.sync_status, "status" if ok is None else "status-ok" if ok else "status-bad")
