"""An unlocked vault: the open database, the field cipher and the repositories over them."""

from __future__ import annotations

import logging

from desk.core.activity import ActivityKind
from desk.vault.db import Database
from desk.vault.fieldcrypt import FieldCipher, wipe
from desk.vault.files import VaultPaths
from desk.vault.keyfile import KeyFile
from desk.vault.repos.activity import ActivityRepo
from desk.vault.repos.balances import BalanceRepo
from desk.vault.repos.chain_txs import ChainTxRepo
from desk.vault.repos.external import ExternalRepo
from desk.vault.repos.groups import GroupRepo
from desk.vault.repos.journal import JournalRepo
from desk.vault.repos.settings import SettingsRepo
from desk.vault.repos.signals import SignalRepo
from desk.vault.repos.wallets import WalletRepo

log = logging.getLogger(__name__)


class Vault:
    """The unlocked vault. Lock it to drop every key and close the database.

    Attributes:
        paths: Where the files are.
        keyfile: The key file it was opened with.
        db: The database (owner-thread connection).
        settings: Settings repository.
        activity: Activity log repository.
        wallets: Wallet repository.
        groups: Wallet group repository.
        balances: Cached balances.
        chain_txs: Transactions sent by the desk.
        journal: Orders, legs and fills.
        signals: Signals and their per-account executions.
        external: External (futures) accounts, instruments and their reported trades.
    """

    def __init__(self, paths: VaultPaths, keyfile: KeyFile, db: Database, dek: bytearray) -> None:
        self.paths = paths
        self.keyfile = keyfile
        self.db = db
        self._dek = dek
        self._cipher = FieldCipher(dek)
        self.settings = SettingsRepo(db)
        self.activity = ActivityRepo(db)
        self.wallets = WalletRepo(db, self._cipher)
        self.groups = GroupRepo(db)
        self.balances = BalanceRepo(db)
        self.chain_txs = ChainTxRepo(db)
        self.journal = JournalRepo(db)
        self.signals = SignalRepo(db)
        self.external = ExternalRepo(db)

    @property
    def vault_id(self) -> str:
        """The vault's identity from its key file."""
        return self.keyfile.vault_id

    @property
    def is_unlocked(self) -> bool:
        """Whether the keys are still held."""
        return self.db.is_open

    def data_key(self) -> bytearray:
        """Return the data key (used by backup and password change; never logged)."""
        return self._dek

    async def lock(self, *, reason: str = "user") -> None:
        """Record the lock, close the database and wipe the keys held in memory."""
        if not self.db.is_open:
            return
        try:
            await self.activity.append(ActivityKind.VAULT_LOCKED, {"reason": reason})
        finally:
            await self.db.close()
            self._cipher.forget()
            wipe(self._dek)
            log.info("vault locked (%s)", reason)
