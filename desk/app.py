"""GUI composition root: the Qt application, the asyncio loop, the vault gate and the main window.

Init order (:func:`run_gui`):

1. Logging to ``<home>/logs`` (:func:`desk.logs.setup_logging`), before anything else can fail.
   With ``--simnet`` the simulated network starts next, in-process (:func:`start_simnet`), and the
   configuration's ``DESK_*`` endpoints point at it; it stops after the loop has closed.
2. The QApplication: name, version, window icon; quitting on the last closed window is off,
   because the window closes on every lock while the desk keeps running.
3. The theme: Fusion, the dark palette and ``resources/theme.qss``.
4. :class:`GuiThreadCollector`: Python's garbage collector runs only on the GUI thread (worker
   threads run Python too, and must never be the ones to destroy a widget).
5. A qasync ``QEventLoop`` on that application, set as the asyncio loop.
6. :class:`ErrorReporter` on ``sys.excepthook`` and on the loop's exception handler: each failure is
   logged and shown in a dialog whose text went through :func:`desk.logs.redact`.
7. :class:`DeskApp` with its :class:`IdleWatcher` (an event filter on the application) and its task
   set (every task the app starts is held there until it ends).
8. ``loop.run_until_complete(desk.run())``, which repeats until the user quits:

   a. the gate: no vault in the data directory → the create-vault dialog, else the unlock dialog
      (Argon2 runs in a worker thread; the dialog shows a busy bar);
   b. the session: :func:`build_main_window` with a :class:`DeskSession` (wallets, groups, cached
      balances; the chain client is built on first use), restore the vault's saved layout, show it,
      load the activity log, start the session (load, then refresh balances every
      ``balances.refresh_seconds``), arm the idle auto-lock from ``auto_lock_minutes`` (default 15);
   c. the session ends on Lock (button, Ctrl+L, idle), Restore or Quit: close the panels' dialogs
      (a transaction run finishes first), close the session (timer, clipboard secret, tasks, chain
      client), save the layout, close the window, lock the vault; Lock and Restore go back to (a),
      Quit goes on to (9).

9. Ordered shutdown: the layout is already saved and the vault locked; remaining tasks are
   cancelled and the idle watcher removed. ``run`` returns, which stops the loop; leaving the
   loop's context closes it (joining its worker threads), and garbage collection goes back to the
   interpreter. The exit code goes back to the CLI.

Nothing heavy (solana, httpx, pyqtgraph, the simnet) is imported here, so the unlock window appears fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import math
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QDockWidget

from desk import __version__
from desk.config import AppConfig, Endpoints, resource_dir
from desk.logs import setup_logging
from desk.ui.asyncutil import TaskSet, run_dialog
from desk.ui.collector import GuiThreadCollector
from desk.ui.dialogs.backup import BackupDialog, RestoreDialog
from desk.ui.dialogs.change_password import ChangePasswordDialog
from desk.ui.dialogs.common import BusyDialog
from desk.ui.dialogs.create_vault import CreateVaultDialog
from desk.ui.dialogs.unlock import UnlockDialog
from desk.ui.errorhook import ErrorReporter
from desk.ui.idle import DEFAULT_MINUTES, IdleWatcher
from desk.ui.main_window import PANELS, MainWindow
from desk.ui.session import Changes, DeskSession
from desk.ui.theme import apply_theme
from desk.vault.files import VaultPaths
from desk.vault.keyfile import KdfParams
from desk.vault.lifecycle import create_vault
from desk.vault.session import Vault

if TYPE_CHECKING:
    from desk.simnet.service import Simnet

log = logging.getLogger(__name__)

APP_NAME = "Mayhem Desk"
AUTO_LOCK_KEY = "auto_lock_minutes"
QUIT, USER, IDLE, RESTORE = "quit", "user", "idle", "restore"
_LOCKED_TEXT = {
    USER: "The vault was locked.",
    IDLE: "The vault was locked after {minutes:g} minutes without activity.",
    RESTORE: "The vault was locked to restore a backup.",
}


def app_icon() -> QIcon:
    """Return the desk's window icon."""
    return QIcon(str(resource_dir() / "icons" / "desk.png"))


def create_application(argv: list[str] | None = None) -> QApplication:
    """Return the QApplication (creating it if needed), named, iconed and themed."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv if argv is None else argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Mayhem")
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    return app


def build_main_window(vault: Vault, config: AppConfig) -> MainWindow:
    """Build the main window with every panel for an unlocked vault (not shown, layout not loaded).

    The window gets a new :class:`DeskSession` for the vault; start it with ``window.session.start()``
    and close it with ``window.session.close()`` before the vault locks.
    """
    return MainWindow(config, DeskSession(vault, config))


def with_simnet_endpoints(config: AppConfig, env: Mapping[str, str]) -> AppConfig:
    """Return ``config`` pointed at a simnet: its ``DESK_*`` endpoint URLs replace the configured ones."""
    urls = {**config.endpoints.urls, **{k: v for k, v in env.items() if k in config.endpoints.urls}}
    return dataclasses.replace(config, endpoints=Endpoints(urls), simnet=True)


def start_simnet(config: AppConfig) -> tuple[AppConfig, Simnet | None]:
    """Start the in-process simnet when ``config.simnet`` asks for it; return the config pointed at it.

    The desk then reaches the simnet over HTTP, through the same code paths as a real network.
    """
    if not config.simnet:
        return config, None
    from desk.simnet.service import Simnet

    simnet = Simnet.start()
    env = simnet.env()
    log.info("simnet started in-process: RPC %s", env.get("DESK_RPC_URL"))
    return with_simnet_endpoints(config, env), simnet


async def self_test_window(home: Path) -> str:
    """Build the main window offscreen on a new temporary vault in ``home`` and check it.

    Every panel must be docked under its objectName, the activity log must load, and the layout
    must round-trip through the vault. Runs on a plain asyncio loop (no Qt event loop needed); the
    caller sets ``QT_QPA_PLATFORM=offscreen``.

    Raises:
        RuntimeError: a check failed.
    """
    create_application([])
    kdf = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
    vault = await create_vault(home, "self-test window password", kdf)
    config = AppConfig(home=home, endpoints=Endpoints.from_env())
    try:
        window = build_main_window(vault, config)
        missing = [spec.title for spec in PANELS
                   if window.findChild(QDockWidget, spec.object_name) is not window.docks.get(spec.key)]
        await window.activity_panel.refresh()
        rows = window.activity_panel.model.rowCount()
        await window.session.publish(Changes(wallets=True, groups=True, balances=True))
        window.docks["signals"].hide()
        await window.save_layout()
        reopened = build_main_window(vault, config)
        restored = await reopened.load_layout() and reopened.docks["signals"].isHidden()
        for built in (window, reopened):
            await built.session.close()
            built.close_now()
            built.deleteLater()
    finally:
        await vault.lock(reason="self-test")
    if missing:
        raise RuntimeError(f"panels missing from the main window: {', '.join(missing)}")
    if rows == 0:
        raise RuntimeError("the activity log panel showed no entries")
    if not restored:
        raise RuntimeError("the window layout did not round-trip through the vault")
    return f"{len(PANELS)} panels built offscreen, activity log loaded, layout saved and restored"


async def read_auto_lock_minutes(vault: Vault) -> float:
    """Return the idle auto-lock setting in minutes (0 = off), falling back to the default."""
    value = await vault.settings.get(AUTO_LOCK_KEY, DEFAULT_MINUTES)
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return float(DEFAULT_MINUTES)
    return minutes if math.isfinite(minutes) and minutes >= 0 else float(DEFAULT_MINUTES)


class DeskApp(QObject):
    """The desk's life cycle: gate (create or unlock), session (main window), lock, quit.

    Drive it with ``await desk.run()``; it returns the exit code when the user quits. Tests can
    watch the signals and act on the dialog or window they carry.

    Signals:
        gate_shown: The create-vault or unlock dialog is showing (argument: the dialog).
        session_started: A vault is open and its main window shown (argument: the MainWindow).
        session_ended: The vault was locked and the window closed (argument: the reason).

    Attributes:
        vault: The open vault during a session, else None.
        window: The main window during a session, else None.
        gate: The create or unlock dialog while it is showing, else None.
        idle: The idle watcher behind the auto-lock.
    """

    gate_shown = Signal(object)
    session_started = Signal(object)
    session_ended = Signal(str)

    def __init__(self, config: AppConfig, app: QApplication, *, kdf: KdfParams | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self._kdf = kdf
        self._tasks = TaskSet()
        self._end: asyncio.Future[str] | None = None
        self._quitting = False
        self._last_reason = ""
        self._children: set[QDialog] = set()
        self.vault: Vault | None = None
        self.window: MainWindow | None = None
        self.gate: QDialog | None = None
        self.idle = IdleWatcher(app, 0, self)
        self.idle.idle.connect(self._on_idle)

    async def run(self) -> int:
        """Run gate and sessions until the user quits; return the exit code."""
        try:
            while not self._quitting:
                vault = await self._open_vault()
                if vault is None:
                    break
                if await self._session(vault) == QUIT:
                    break
        finally:
            await self.shutdown()
        return 0

    @Slot()
    def request_lock(self, reason: str = USER) -> None:
        """End the session by locking the vault (the unlock dialog comes back)."""
        if self._end is not None and not self._end.done():
            self._end.set_result(reason)

    @Slot()
    def request_quit(self) -> None:
        """Save, lock and quit, from whichever state the desk is in."""
        self._quitting = True
        if self._end is not None and not self._end.done():
            self._end.set_result(QUIT)
        elif self.gate is not None:
            self.gate.reject()

    @Slot()
    def request_restore(self) -> None:
        """Lock the vault, then offer to restore a backup."""
        self.request_lock(RESTORE)

    async def shutdown(self) -> None:
        """Lock an open vault, cancel the remaining tasks and stop watching for idleness."""
        if self.vault is not None:
            await self._end_session(QUIT)
        await self._tasks.cancel_all()
        self.idle.stop()

    # -- the gate ----------------------------------------------------------------------------

    async def _open_vault(self) -> Vault | None:
        while not self._quitting:
            home = self._config.home
            dialog: CreateVaultDialog | UnlockDialog
            if VaultPaths(home).exists():
                dialog = UnlockDialog(home, locked_reason=self._locked_text())
            else:
                dialog = CreateVaultDialog(home, kdf=self._kdf)
            self.gate = dialog
            self.gate_shown.emit(dialog)
            # logged on the first loop turn after the dialog opens; tests/bench/bench_startup.py waits for it
            QTimer.singleShot(0, functools.partial(log.info, "%s shown", type(dialog).__name__))
            try:
                code = await run_dialog(dialog)
            finally:
                self.gate = None
                dialog.deleteLater()
            if code == UnlockDialog.RESTORE:
                await self._restore()
                continue
            return dialog.vault if code == QDialog.DialogCode.Accepted else None
        return None

    def _locked_text(self) -> str:
        text = _LOCKED_TEXT.get(self._last_reason, "")
        return text.format(minutes=self.idle.timeout_ms / 60_000) if text else ""

    async def _restore(self) -> None:
        dialog = RestoreDialog(self._config.home)
        self.gate = dialog
        self.gate_shown.emit(dialog)
        try:
            await run_dialog(dialog)
        finally:
            self.gate = None
            dialog.deleteLater()

    # -- the session -------------------------------------------------------------------------

    async def _session(self, vault: Vault) -> str:
        self._end = asyncio.get_running_loop().create_future()
        self.vault = vault
        window = build_main_window(vault, self._config)
        self.window = window
        window.lock_requested.connect(self.request_lock)
        window.quit_requested.connect(self.request_quit)
        window.restore_requested.connect(self.request_restore)
        window.change_password_requested.connect(self._on_change_password)
        window.backup_requested.connect(self._on_backup)
        await window.load_layout()
        minutes = await read_auto_lock_minutes(vault)
        window.set_auto_lock_minutes(minutes)
        window.show_status(f"Vault unlocked · {self._config.home}")
        window.show()
        self.idle.set_timeout_minutes(minutes)
        self.idle.reset()
        self._tasks.spawn(window.activity_panel.refresh(), name="activity-load")
        window.session.spawn(window.session.start(), name="session-start")
        self.session_started.emit(window)
        reason = await self._end
        await self._end_session(reason)
        return reason

    async def _end_session(self, reason: str) -> None:
        vault, window = self.vault, self.window
        self.idle.set_timeout_ms(0)
        try:
            await self._close_children()
            if window is not None:
                await window.close_dialogs()
                await window.session.close()
                await window.activity_panel.close_tasks()
                if vault is not None and vault.is_unlocked:
                    await window.save_layout()
        finally:
            if window is not None:
                window.close_now()
                window.deleteLater()
            if vault is not None:
                await vault.lock(reason=reason)
            self.vault, self.window, self._end = None, None, None
            self._last_reason = reason
            self.session_ended.emit(reason)

    async def _close_children(self) -> None:
        while any(isinstance(d, BusyDialog) and d.busy.running for d in self._children):
            await asyncio.sleep(0.05)  # let a password change or backup finish before the keys go
        for dialog in list(self._children):
            dialog.done(QDialog.DialogCode.Rejected)

    @Slot()
    def _on_idle(self) -> None:
        log.info("idle for %d min: locking", self.idle.timeout_ms // 60_000)
        self.request_lock(IDLE)

    @Slot()
    def _on_change_password(self) -> None:
        if self.vault is not None and self.window is not None:
            dialog = ChangePasswordDialog(self.vault, self.window, kdf=self._kdf)
            self._tasks.spawn(self._run_child(dialog, "Password changed."), name="change-password")

    @Slot()
    def _on_backup(self) -> None:
        if self.vault is not None and self.window is not None:
            dialog = BackupDialog(self.vault, self.window)
            self._tasks.spawn(self._run_child(dialog, "Backup written."), name="backup")

    async def _run_child(self, dialog: QDialog, done_text: str) -> None:
        self._children.add(dialog)
        try:
            code = await run_dialog(dialog)
        finally:
            self._children.discard(dialog)
            dialog.deleteLater()
        window = self.window
        if code == QDialog.DialogCode.Accepted and window is not None:
            window.show_status(done_text)
            await window.activity_panel.refresh()


def _install_interrupt(desk: DeskApp, app: QApplication) -> QTimer:
    """Make Ctrl+C in the terminal quit cleanly (a timer lets Python see the signal)."""
    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGINT, lambda _sig, _frame: desk.request_quit())
    timer = QTimer(app)
    timer.setInterval(500)
    timer.timeout.connect(lambda: None)
    timer.start()
    return timer


def run_gui(config: AppConfig, *, verbose: bool) -> int:
    """Run the desk's window until the user quits and return the exit code."""
    setup_logging(config.log_dir, verbose=verbose)
    log.info("starting the GUI (%s)", "simnet" if config.simnet else "mainnet")
    config, simnet = start_simnet(config)
    try:
        return _run_gui(config)
    finally:
        if simnet is not None:
            simnet.stop()
            log.info("simnet stopped")


def _run_gui(config: AppConfig) -> int:
    app = create_application()
    collector = GuiThreadCollector(app)
    collector.start()
    import qasync  # after PySide6, so qasync binds to it

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    desk = DeskApp(config, app)
    reporter = ErrorReporter(config.log_dir, on_interrupt=desk.request_quit)
    reporter.install(loop)
    interrupt_timer = _install_interrupt(desk, app)
    try:
        with loop:
            code = int(loop.run_until_complete(desk.run()))
    finally:
        interrupt_timer.stop()
        reporter.uninstall(loop)
        asyncio.set_event_loop(None)
        collector.stop()
    log.info("GUI stopped")
    return code
