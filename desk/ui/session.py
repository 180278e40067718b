"""One unlocked vault as the window sees it: wallets, groups and balances, and the calls that change them.

Every change goes through :class:`DeskSession`, which re-reads only what the change touched and
reports it with a signal (``wallets_changed``, ``groups_changed``, ``balances_changed``), so panels
refresh only on reported changes. The chain stack (httpx, solana) loads on first use, never at
start-up.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desk.config import AppConfig
from desk.core.errors import DeskError, ValidationError, VaultLockedError
from desk.core.wallets import MemberRole, Wallet, WalletGroup
from desk.ui.asyncutil import TaskSet
from desk.ui.clipboard import SecretClipboard
from desk.vault.session import Vault

if TYPE_CHECKING:
    from desk.engine.balances import BalanceSheet
    from desk.engine.services import ChainServices
    from desk.engine.txrun import RunContext
    from desk.vault.importers import ImportPlan, ImportSummary

log = logging.getLogger(__name__)
T = TypeVar("T")

REFRESH_KEY = "balances.refresh_seconds"
DEFAULT_REFRESH_SECONDS = 30
AIRDROP_LAMPORTS = 10_000_000_000


@dataclass(frozen=True, slots=True)
class Changes:
    """What a mutation changed, so only the views that show it refresh.

    Attributes:
        wallets: The wallet list (labels, flags, membership shown per wallet).
        groups: Groups and their members.
        balances: Cached balances.
    """

    wallets: bool = False
    groups: bool = False
    balances: bool = False


async def read_refresh_seconds(vault: Vault) -> float:
    """Return the balance auto-refresh interval in seconds (0 = off), falling back to the default."""
    value = await vault.settings.get(REFRESH_KEY, DEFAULT_REFRESH_SECONDS)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return float(DEFAULT_REFRESH_SECONDS)
    return seconds if math.isfinite(seconds) and seconds >= 0 else float(DEFAULT_REFRESH_SECONDS)


class DeskSession(QObject):
    """The open vault's wallets, groups and balances for the current network, and the calls on them.

    Signals:
        wallets_changed: The wallet list changed (labels, active flags, additions, archives).
        groups_changed: Groups or their members changed.
        balances_changed: Cached balances changed.
        status: A short message for the status bar.
        connection_changed: The chain connection state (arguments: text, ok as True/False/None).
        refreshing_changed: A balance refresh started (True) or ended (False).

    Attributes:
        vault: The unlocked vault.
        config: The desk configuration (endpoints, simnet).
        network: Network name of every chain-derived row shown.
        wallets: Live (not archived) wallets, in creation order.
        groups: Every group, by name.
        sheet: Cached balances of ``network``, once loaded.
        clipboard: Where secrets are copied (cleared after a few seconds).
        tasks: Every task the session started.
    """

    wallets_changed = Signal()
    groups_changed = Signal()
    balances_changed = Signal()
    status = Signal(str)
    connection_changed = Signal(str, object)
    refreshing_changed = Signal(bool)

    def __init__(self, vault: Vault, config: AppConfig, *, clipboard: SecretClipboard | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.vault = vault
        self.config = config
        self.network = config.network
        self.wallets: list[Wallet] = []
        self.groups: list[WalletGroup] = []
        self.sheet: BalanceSheet | None = None
        self.clipboard = clipboard or SecretClipboard(parent=self)
        self.tasks = TaskSet()
        self._chain: ChainServices | None = None
        self._refresh: asyncio.Task[bool] | None = None
        self._closed = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_timer)

    # -- reading -----------------------------------------------------------------------------

    @property
    def is_simnet(self) -> bool:
        """Whether the session runs on the simulated network (airdrops allowed)."""
        return self.network == "simnet"

    def wallet(self, wallet_id: str) -> Wallet | None:
        """Return a live wallet by id, or None."""
        return next((w for w in self.wallets if w.id == wallet_id), None)

    def active_total(self) -> int | None:
        """Lamports held by the active wallets, or None before any balance was read."""
        if self.sheet is None or not self.sheet.sol:
            return None
        return self.sheet.total_sol([w for w in self.wallets if w.active])

    async def start(self) -> None:
        """Load everything, arm the auto-refresh from the vault setting and refresh balances once."""
        try:
            await self.publish(Changes(wallets=True, groups=True, balances=True))
            seconds = await read_refresh_seconds(self.vault)
        except VaultLockedError:
            return
        self.set_refresh_seconds(seconds)
        if seconds > 0 and self.wallets:
            self.request_refresh(tokens=False)

    def set_refresh_seconds(self, seconds: float) -> None:
        """Refresh balances every ``seconds`` (0 stops the timer)."""
        if seconds > 0:
            self.timer.start(max(1, round(seconds * 1000)))
        else:
            self.timer.stop()

    async def publish(self, changes: Changes) -> Changes:
        """Re-read what ``changes`` names from the vault and emit the matching signals."""
        if changes.wallets:
            self.wallets = await self.vault.wallets.list()
        if changes.groups:
            self.groups = await self.vault.groups.list()
        if changes.balances:
            from desk.engine.balances import load_sheet

            self.sheet = await load_sheet(self.vault, self.network)
        if changes.wallets:
            self.wallets_changed.emit()
        if changes.groups:
            self.groups_changed.emit()
        if changes.balances:
            self.balances_changed.emit()
        return changes

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
        """Run ``coro`` as a task owned by the session."""
        return self.tasks.spawn(coro, name=name)

    # -- balances ----------------------------------------------------------------------------

    @Slot()
    def _on_timer(self) -> None:
        if self.wallets:
            self.request_refresh(tokens=False)

    def request_refresh(self, *, tokens: bool = True) -> asyncio.Task[bool] | None:
        """Start a balance refresh unless one is running; return its task (None if one was running)."""
        if self._closed or (self._refresh is not None and not self._refresh.done()):
            return None
        self._refresh = self.spawn(self.refresh_balances(tokens=tokens), name="balances-refresh")
        return self._refresh

    async def refresh_balances(self, wallets: Sequence[Wallet] | None = None, *, tokens: bool = False) -> bool:
        """Read balances from the chain; return False (and report it) if the chain could not be reached."""
        from desk.engine.balances import refresh_balances

        targets = list(self.wallets if wallets is None else wallets)
        self.refreshing_changed.emit(True)
        try:
            chain = self.chain()
            if targets:
                self.sheet = await refresh_balances(self.vault, chain.rpc, self.network, targets, tokens=tokens)
            else:
                await chain.rpc.get_block_height()
        except VaultLockedError:
            return False
        except DeskError as e:
            self.connection_changed.emit("Not connected", False)
            self.status.emit(f"Balances not refreshed: {e}")
            log.info("balance refresh failed: %s", e)
            return False
        finally:
            self.refreshing_changed.emit(False)
        self.connection_changed.emit(f"Connected · {self.network}", True)
        if targets:
            self.balances_changed.emit()
        return True

    # -- wallets -----------------------------------------------------------------------------

    async def set_active(self, wallets: Sequence[Wallet], active: bool) -> int:
        """Include or leave out wallets by default; return how many changed."""
        from desk.engine.wallets import set_active

        changed = await set_active(self.vault, wallets, active)
        await self.publish(Changes(wallets=True))
        return changed

    async def rename(self, wallet: Wallet, label: str) -> None:
        """Give a wallet a new label.

        Raises:
            ValidationError: the label is empty or taken.
        """
        try:
            await self.vault.wallets.rename(wallet.id, label)
        finally:
            await self.publish(Changes(wallets=True))

    async def set_note(self, wallet: Wallet, note: str) -> None:
        """Replace a wallet's note."""
        await self.vault.wallets.set_note(wallet.id, note)
        await self.publish(Changes(wallets=True))

    async def archive(self, wallets: Sequence[Wallet]) -> None:
        """Archive wallets (they leave every list and group; their keys stay in the vault)."""
        from desk.engine.wallets import archive_wallets

        await archive_wallets(self.vault, wallets)
        await self.publish(Changes(wallets=True, groups=True))

    async def create_wallets(self, count: int, *, label: str, group: WalletGroup | None = None) -> list[Wallet]:
        """Generate ``count`` wallets, optionally as sources of ``group``."""
        from desk.engine.wallets import create_wallets

        created = await create_wallets(self.vault, count, label=label, group=group.id if group else None)
        await self.publish(Changes(wallets=True, groups=group is not None))
        return created

    async def apply_import(self, plan: ImportPlan) -> ImportSummary:
        """Apply a previewed import in one transaction."""
        from desk.engine.wallets import apply_import

        summary = await apply_import(self.vault, plan)
        await self.publish(Changes(wallets=True, groups=bool(plan.groups)))
        return summary

    async def check_password(self, password: str) -> None:
        """Check the vault password again (Argon2 runs in a worker thread).

        Raises:
            WrongPasswordError: it is not the vault's password.
        """
        from desk.vault.fieldcrypt import wipe
        from desk.vault.keyfile import unwrap

        key = await asyncio.to_thread(unwrap, self.vault.keyfile, password)
        wipe(key)

    async def reveal_key(self, wallet: Wallet, password: str, fmt: str) -> str:
        """Return a wallet's private key as ``fmt`` after re-checking the password (the export is logged).

        Raises:
            WrongPasswordError: the password is wrong.
            ValidationError: the wallet has no key, or the format is unknown.
        """
        from desk.engine.wallets import export_key

        await self.check_password(password)
        return await export_key(self.vault, wallet, fmt)

    async def airdrop(self, wallets: Sequence[Wallet], lamports: int = AIRDROP_LAMPORTS) -> int:
        """Ask the simnet faucet for SOL for each wallet; return how many were funded.

        Raises:
            ValidationError: not on the simulated network.
        """
        if not self.is_simnet:
            raise ValidationError("Airdrops exist only on the simulated network.")
        rpc = self.chain().rpc
        for wallet in wallets:
            await rpc.request_airdrop(wallet.pubkey, lamports)
        await self.refresh_balances(wallets)
        return len(wallets)

    # -- groups ------------------------------------------------------------------------------

    async def create_group(self, name: str) -> WalletGroup:
        """Create an empty group."""
        group = await self.vault.groups.create(name)
        await self.publish(Changes(groups=True, wallets=True))
        return group

    async def add_to_group(self, group: WalletGroup, wallets: Sequence[Wallet],
                           role: MemberRole = MemberRole.SOURCE) -> None:
        """Add wallets to a group as sources (or in ``role``)."""
        await self.vault.groups.add_members(group.id, [w.id for w in wallets], role)
        await self.publish(Changes(groups=True, wallets=True))

    async def remove_from_group(self, group: WalletGroup, wallets: Sequence[Wallet]) -> None:
        """Take wallets out of a group in every role."""
        await self.vault.groups.remove_members(group.id, [w.id for w in wallets])
        await self.publish(Changes(groups=True, wallets=True))

    async def set_receiver(self, group: WalletGroup, wallet: Wallet) -> None:
        """Make ``wallet`` the group's only receiver (it stops being one of its sources)."""
        await self.vault.groups.set_receiver(group.id, wallet.id)
        await self.publish(Changes(groups=True, wallets=True))

    def group(self, group_id: str) -> WalletGroup | None:
        """Return a group by id, or None."""
        return next((g for g in self.groups if g.id == group_id), None)

    # -- chain runs --------------------------------------------------------------------------

    def chain(self) -> ChainServices:
        """Return the session's chain services, built on first use."""
        if self._chain is None:
            from desk.engine.services import ChainServices

            self._chain = ChainServices.from_config(self.config)
        return self._chain

    def run_context(self, purpose: str, ref: str) -> RunContext:
        """Return the context for one run of transactions (consolidate, distribute, ...)."""
        return self.chain().run_context(self.vault, purpose, ref)

    async def after_run(self, wallets: Sequence[Wallet]) -> None:
        """Re-read groups (their status) and the balances of the wallets a run touched."""
        await self.publish(Changes(groups=True))
        await self.refresh_balances([w for w in wallets if self.wallet(w.id) is not None], tokens=True)

    # -- closing -----------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop refreshing, take a secret off the clipboard, cancel tasks and close the connection."""
        self._closed = True
        self.timer.stop()
        self.clipboard.clear_now()
        await self.tasks.cancel_all()
        if self._chain is not None:
            await self._chain.aclose()
            self._chain = None
