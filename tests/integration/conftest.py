"""Integration fixtures for the simulated network."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from solders.pubkey import Pubkey

from desk.chain.rpc import RpcClient
from desk.core.wallets import MemberRole, Wallet, WalletGroup
from desk.engine.txrun import RunContext
from desk.engine.wallets import create_wallets
from desk.simnet import RpcServer, SimChain
from desk.vault.lifecycle import create_vault
from desk.vault.session import Vault
from tests.factories import FAST_KDF, PASSWORD


@pytest.fixture
def simnet_rpc() -> Iterator[RpcServer]:
    """A started simnet JSON-RPC server on an ephemeral 127.0.0.1 port; its chain is ``.chain``."""
    server = RpcServer(SimChain()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def desk_env(simnet_rpc: RpcServer, tmp_path: Path) -> AsyncIterator[DeskEnv]:
    """An unlocked vault and an RPC client pointed at a fresh simnet."""
    vault = await create_vault(tmp_path / "home", PASSWORD, FAST_KDF)
    rpc = RpcClient(simnet_rpc.url, timeout=5.0)
    try:
        yield DeskEnv(vault, rpc, simnet_rpc.chain)
    finally:
        await rpc.aclose()
        await vault.lock()


class DeskEnv:
    """A vault, a client and the chain behind it, with helpers to set up wallets."""

    def __init__(self, vault: Vault, rpc: RpcClient, chain: SimChain) -> None:
        self.vault, self.rpc, self.chain = vault, rpc, chain

    def run_context(self, purpose: str, ref: str) -> RunContext:
        return RunContext(self.vault, self.rpc, "simnet", purpose, ref)

    async def group_with(self, name: str, sources: int, *, fund: int = 0, receiver_funds: int = 0
                         ) -> tuple[WalletGroup, Wallet, list[Wallet]]:
        """Create a group of ``sources`` funded wallets and one receiver."""
        [receiver] = await create_wallets(self.vault, 1, label=f"{name} receiver")
        wallets = await create_wallets(self.vault, sources, label=f"{name} source")
        group = await self.vault.groups.create(name)
        await self.vault.groups.add_members(group.id, [w.id for w in wallets], MemberRole.SOURCE)
        await self.vault.groups.add_members(group.id, [receiver.id], MemberRole.RECEIVER)
        for wallet in wallets if fund else []:
            self.chain.airdrop(Pubkey.from_string(wallet.pubkey), fund)
        if receiver_funds:
            self.chain.airdrop(Pubkey.from_string(receiver.pubkey), receiver_funds)
        return await self.vault.groups.find(group.id), receiver, wallets

    def balance(self, wallet: Wallet) -> int:
        return self.chain.get_balance(Pubkey.from_string(wallet.pubkey))
