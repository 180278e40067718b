"""Keypairs decrypted for exactly one signing job, then dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from solders.keypair import Keypair

from desk.core.errors import DeskError
from desk.core.wallets import Wallet
from desk.vault.fieldcrypt import wipe
from desk.vault.session import Vault


@asynccontextmanager
async def keypairs_for(vault: Vault, wallets: Sequence[Wallet]) -> AsyncIterator[dict[str, Keypair]]:
    """Yield keypairs by public key for ``wallets``; the decrypted bytes are wiped at once.

    Raises:
        DeskError: a wallet is watch-only or its stored key does not match its public key.
    """
    keypairs: dict[str, Keypair] = {}
    try:
        for wallet in wallets:
            if not wallet.has_private_key:
                raise DeskError(f"Wallet {wallet.label} is watch-only: the desk holds no key to sign for it.")
            secret = await vault.wallets.private_key(wallet.id)
            try:
                keypair = Keypair.from_bytes(bytes(secret))
            except ValueError as e:
                raise DeskError(f"The stored key of wallet {wallet.label} is not a valid keypair.") from e
            finally:
                wipe(secret)
            if str(keypair.pubkey()) != wallet.pubkey:
                raise DeskError(f"The stored key of wallet {wallet.label} does not match its address.")
            keypairs[wallet.pubkey] = keypair
        yield keypairs
    finally:
        keypairs.clear()
