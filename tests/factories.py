"""Factories with sensible defaults for tests."""

from __future__ import annotations

from solders.keypair import Keypair

from desk.core.wallets import WalletKind
from desk.vault.keyfile import KdfParams
from desk.vault.repos.wallets import NewWallet

FAST_KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
PASSWORD = "correct horse battery staple"


def new_wallet(label: str = "w1", *, keypair: Keypair | None = None, api_key: str | None = None,
               kind: WalletKind = WalletKind.IMPORTED) -> NewWallet:
    """Return a NewWallet with a fresh (or given) keypair."""
    kp = keypair or Keypair()
    return NewWallet(label=label, kind=kind, pubkey=str(kp.pubkey()), private_key=bytes(kp), api_key=api_key)
