"""The main window: the header, one dock per panel, the menus and the per-vault saved layout."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, Qt, Signal, SignalInstance, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QMessageBox, QWidget

from desk import __version__
from desk.config import AppConfig
from desk.core.errors import VaultLockedError
from desk.ui.header import HeaderBar
from desk.ui.panels.activity import ActivityPanel
from desk.ui.panels.groups import GroupsPanel
from desk.ui.panels.placeholder import PlaceholderPanel
from desk.ui.panels.wallets import WalletsPanel
from desk.ui.session import DeskSession

log = logging.getLogger(__name__)

LAYOUT_KEY = "ui.layout"
LAYOUT_VERSION = 1
DEFAULT_SIZE = (1600, 1000)
Area = Qt.DockWidgetArea


@dataclass(frozen=True, slots=True)
class PanelSpec:
    """One dockable panel.

    Attributes:
        key: Stable id; the dock's objectName is ``dock_<key>`` (saved layouts depend on it).
        title: The dock's title.
        description: What the panel shows (its empty state until the feature lands).
        shortcut: Key that shows and focuses the panel.
    """

    key: str
    title: str
    description: str
    shortcut: str

    @property
    def object_name(self) -> str:
        """The dock's objectName."""
        return f"dock_{self.key}"


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec("token_feed", "Token feed", "New pump.fun tokens and their live trades stream in here.", "Alt+1"),
    PanelSpec("chart", "Chart", "Candles, volume and your own fills for the selected token.", "Alt+2"),
    PanelSpec("order_panel", "Order panel",
              "Buy and sell across the selected wallets, with slippage and priority fee.", "Alt+3"),
    PanelSpec("wallets", "Wallets", "Your wallets and balances; tick the ones an order should use.", "Alt+4"),
    PanelSpec("groups", "Groups", "Wallet groups for fan-out orders, consolidation and distribution.", "Alt+5"),
    PanelSpec("positions", "Positions & P&L",
              "Open positions per wallet and token, with realized and unrealized P&L.", "Alt+6"),
    PanelSpec("trades", "Trades journal", "Every fill by wallet and token, exportable to CSV.", "Alt+7"),
    PanelSpec("order_legs", "Order legs", "Each wallet's leg of an order: sent, confirmed or failed.", "Alt+8"),
    PanelSpec("activity", "Activity log", "The vault's tamper-evident history.", "Alt+9"),
    PanelSpec("signals", "Signals", "Incoming trade signals and how each one was executed.", "Alt+0"),
    PanelSpec("launch", "Launch studio",
              "Create a token: metadata, image, dev buy and disclosed bundled buys.", "Alt+-"),
)


def encode_layout(geometry: QByteArray, state: QByteArray) -> dict[str, object]:
    """Return window geometry and dock state as a JSON-safe setting value."""
    return {
        "v": LAYOUT_VERSION,
        "geometry": base64.b64encode(geometry.data()).decode("ascii"),
        "state": base64.b64encode(state.data()).decode("ascii"),
    }


def decode_layout(value: object) -> tuple[QByteArray, QByteArray] | None:
    """Return (geometry, state) from a stored setting value, or None if it is unusable."""
    if not isinstance(value, Mapping) or value.get("v") != LAYOUT_VERSION:
        return None
    try:
        geometry = base64.b64decode(str(value["geometry"]), validate=True)
        state = base64.b64decode(str(value["state"]), validate=True)
    except (KeyError, ValueError, binascii.Error):
        return None
    return QByteArray(geometry), QByteArray(state)


class MainWindow(QMainWindow):
    """The desk's window: every panel in a dock, a header bar, menus and a status bar.

    Closing the window does not close it at once: it emits ``quit_requested`` so the app can save
    the layout and lock the vault first, then calls :meth:`close_now`.

    Signals:
        lock_requested: The user asked to lock (button, menu or Ctrl+L).
        quit_requested: The user closed the window or chose Quit.
        change_password_requested: Vault > Change password.
        backup_requested: Vault > Back up.
        restore_requested: Vault > Restore.

    Attributes:
        session: The open vault's wallets, groups and balances.
        header: The header bar.
        docks: Dock widgets by panel key.
        panels: Panel widgets by panel key.
        activity_panel: The activity log panel.
        wallets_panel: The wallets panel (the multi-wallet selector).
        groups_panel: The groups panel.
    """

    lock_requested = Signal()
    quit_requested = Signal()
    change_password_requested = Signal()
    backup_requested = Signal()
    restore_requested = Signal()

    def __init__(self, config: AppConfig, session: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self._vault = session.vault
        self.session = session
        self._closing = False
        self._focused_once = False
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"Mayhem Desk — {'simnet' if config.simnet else 'mainnet'}")
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AnimatedDocks)

        self.lock_action = QAction("Lock", self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.setToolTip("Lock the vault (Ctrl+L)")
        self.lock_action.triggered.connect(self.lock_requested)
        self.header = HeaderBar(simnet=config.simnet, lock_action=self.lock_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.header)

        self.activity_panel = ActivityPanel(session.vault.activity)
        self.wallets_panel = WalletsPanel(session)
        self.groups_panel = GroupsPanel(session, self.wallets_panel.selected_wallets)
        built: dict[str, QWidget] = {"activity": self.activity_panel, "wallets": self.wallets_panel,
                                     "groups": self.groups_panel}
        self.panels: dict[str, QWidget] = {}
        self.docks: dict[str, QDockWidget] = {}
        for spec in PANELS:
            widget = built.get(spec.key) or PlaceholderPanel(spec.title, spec.description)
            self.panels[spec.key] = widget
            dock = QDockWidget(spec.title.replace("&", "&&"), self)  # "&" is a mnemonic marker in Qt
            dock.setObjectName(spec.object_name)
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                             | QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self.docks[spec.key] = dock
        self._arrange_default()
        self._build_menus()
        self.status_message = QLabel("")
        self.auto_lock_label = QLabel("")
        self.statusBar().addWidget(self.status_message, 1)
        self.statusBar().addPermanentWidget(self.auto_lock_label)
        self.statusBar().addPermanentWidget(QLabel(f"v{__version__}"))
        self.resize(*DEFAULT_SIZE)

        session.status.connect(self.show_status)
        session.connection_changed.connect(self.header.set_connection)
        session.wallets_changed.connect(self._on_wallets_or_groups)
        session.groups_changed.connect(self._on_wallets_or_groups)
        session.wallets_changed.connect(self._update_total)
        session.balances_changed.connect(self._update_total)
        self._on_wallets_or_groups()

    @Slot()
    def _on_wallets_or_groups(self) -> None:
        self.header.set_wallet_choices(self.session.groups, self.session.wallets)

    @Slot()
    def _update_total(self) -> None:
        self.header.set_total_lamports(self.session.active_total())

    async def close_dialogs(self) -> None:
        """Close the panels' dialogs, letting a transaction run or key check finish first."""
        await self.wallets_panel.dialogs.close()
        await self.groups_panel.dialogs.close()

    # -- layout ------------------------------------------------------------------------------

    def _arrange_default(self) -> None:
        d = self.docks
        for dock in d.values():
            self.removeDockWidget(dock)
        self.addDockWidget(Area.LeftDockWidgetArea, d["token_feed"])
        self.addDockWidget(Area.LeftDockWidgetArea, d["chart"])
        self.addDockWidget(Area.RightDockWidgetArea, d["order_panel"])
        self.splitDockWidget(d["token_feed"], d["chart"], Qt.Orientation.Horizontal)
        self.splitDockWidget(d["chart"], d["positions"], Qt.Orientation.Vertical)
        for key in ("trades", "order_legs", "activity", "signals"):
            self.tabifyDockWidget(d["positions"], d[key])
        self.splitDockWidget(d["order_panel"], d["wallets"], Qt.Orientation.Vertical)
        for key in ("groups", "launch"):
            self.tabifyDockWidget(d["wallets"], d[key])
        for dock in d.values():
            dock.show()
        d["positions"].raise_()
        d["wallets"].raise_()
        self.resizeDocks([d["token_feed"], d["chart"], d["order_panel"]], [300, 740, 560],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([d["chart"], d["positions"]], [600, 320], Qt.Orientation.Vertical)
        self.resizeDocks([d["order_panel"], d["wallets"]], [340, 580], Qt.Orientation.Vertical)

    @Slot()
    def reset_layout(self) -> None:
        """Put every panel back where it starts on a new vault."""
        self._arrange_default()

    def layout_state(self) -> dict[str, object]:
        """Return the window geometry and dock arrangement as a setting value."""
        return encode_layout(self.saveGeometry(), self.saveState(LAYOUT_VERSION))

    def apply_layout(self, value: object) -> bool:
        """Restore a value from :meth:`layout_state`; return False (layout unchanged) if unusable."""
        decoded = decode_layout(value)
        if decoded is None:
            return False
        geometry, state = decoded
        if not self.restoreState(state, LAYOUT_VERSION):
            return False
        self.restoreGeometry(geometry)
        return True

    async def save_layout(self) -> None:
        """Store the layout in this vault's settings (a no-op once the vault is locked)."""
        try:
            await self._vault.settings.set(LAYOUT_KEY, self.layout_state())
        except VaultLockedError:
            log.info("layout not saved: the vault is already locked")

    async def load_layout(self) -> bool:
        """Restore the layout saved in this vault, if any; return whether one was applied."""
        stored = await self._vault.settings.get(LAYOUT_KEY)
        if stored is None:
            return False
        if not self.apply_layout(stored):
            log.info("saved layout unusable; using the default layout")
            return False
        return True

    # -- menus and focus ---------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        vault_menu = bar.addMenu("&Vault")
        self._add_action(vault_menu, "Change password…", self.change_password_requested)
        self._add_action(vault_menu, "Back up…", self.backup_requested)
        self._add_action(vault_menu, "Restore from backup…", self.restore_requested,
                         tip="Lock the vault and replace it with a backup file")
        vault_menu.addSeparator()
        vault_menu.addAction(self.lock_action)
        vault_menu.addSeparator()
        self._add_action(vault_menu, "Quit", self.quit_requested, shortcut=QKeySequence.StandardKey.Quit)

        wallets_menu = bar.addMenu("&Wallets")
        a = self.wallets_panel.wallet_actions
        wallets_menu.addActions([a.new, a.import_, a.refresh])
        wallets_menu.addSeparator()
        wallets_menu.addActions([a.activate, a.deactivate, a.add_to_group, a.airdrop, a.archive])
        wallets_menu.addSeparator()
        wallets_menu.addActions([self.wallets_panel.select_all, self.wallets_panel.select_none,
                                 self.wallets_panel.invert])
        groups_menu = bar.addMenu("&Groups")
        g = self.groups_panel
        groups_menu.addActions([g.new_group, g.set_receiver, g.add_members, g.remove_members])
        groups_menu.addSeparator()
        groups_menu.addActions([g.consolidate, g.distribute])

        view_menu = bar.addMenu("&View")
        self.focus_actions: dict[str, QAction] = {}
        goto = view_menu.addMenu("Go to panel")
        for spec in PANELS:
            action = QAction(spec.title, self)
            action.setShortcut(QKeySequence(spec.shortcut))
            action.triggered.connect(lambda _checked=False, key=spec.key: self.focus_panel(key))
            goto.addAction(action)
            self.addAction(action)
            self.focus_actions[spec.key] = action
        view_menu.addSeparator()
        for spec in PANELS:
            view_menu.addAction(self.docks[spec.key].toggleViewAction())
        view_menu.addSeparator()
        reset = view_menu.addAction("Reset layout")
        reset.triggered.connect(self.reset_layout)

        help_menu = bar.addMenu("&Help")
        about = help_menu.addAction("About Mayhem Desk")
        about.triggered.connect(self._show_about)

    def _add_action(self, menu: QMenu, text: str, signal: SignalInstance, *, tip: str = "",
                    shortcut: QKeySequence | QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        if tip:
            action.setStatusTip(tip)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(signal)
        menu.addAction(action)
        return action

    @Slot(str)
    def focus_panel(self, key: str) -> None:
        """Show, raise and focus one panel by its key."""
        dock = self.docks[key]
        dock.show()
        dock.raise_()
        dock.widget().setFocus(Qt.FocusReason.ShortcutFocusReason)

    @Slot()
    def _show_about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About Mayhem Desk",
                          f"Mayhem Desk {__version__}\nA local-first trading desk for Solana.", parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- status ------------------------------------------------------------------------------

    @Slot(str)
    def show_status(self, text: str) -> None:
        """Show a short message in the status bar."""
        self.status_message.setText(text)

    def set_auto_lock_minutes(self, minutes: float) -> None:
        """Show the idle auto-lock setting in the status bar."""
        self.auto_lock_label.setText(f"Auto-lock {minutes:g} min" if minutes > 0 else "Auto-lock off")

    # -- closing -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._focused_once:
            self._focused_once = True
            self.panels["token_feed"].setFocus(Qt.FocusReason.OtherFocusReason)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing:
            event.accept()
            return
        event.ignore()
        self.quit_requested.emit()

    def close_now(self) -> None:
        """Close the window for real (after the layout is saved)."""
        self._closing = True
        self.close()
