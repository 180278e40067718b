"""Multi-wallet orders on simnet through the real venues: fills from chain truth, P&L, refusals, expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from solders.pubkey import Pubkey

from desk.chain.rpc import RpcClient
from desk.config import AppConfig, Endpoints
from desk.core.market import Side
from desk.core.wallets import Wallet
from desk.engine.journal import positions
from desk.engine.orders import OrderEngine
from desk.engine.services import build_venues
from desk.engine.trading import LegState, OrderRequest
from desk.engine.wallets import create_wallets
from desk.simnet.events import SimCreate
from desk.simnet.service import Simnet
from desk.simnet.traders import Activity
from desk.vault.lifecycle import create_vault
from desk.vault.session import Vault
from tests.factories import FAST_KDF, PASSWORD

SOL = 1_000_000_000


@pytest.fixture
def simnet() -> Iterator[Simnet]:
    simnet = Simnet.start(market=True, activity=Activity(seed=7, traders=4), run_traders=False, block_time=None)
    try:
        yield simnet
    finally:
        simnet.stop()


@dataclass
class Desk:
    vault: Vault
    rpc: RpcClient
    engine: OrderEngine
    simnet: Simnet
    mint: str

    def settle_market(self) -> None:
        """Publish landed external trades and rewrite the curve accounts the desk quotes from."""
        assert self.simnet.market is not None
        self.simnet.market.market.poll(force_mirror=True)

    def balance(self, wallet: Wallet) -> int:
        return self.simnet.chain.get_balance(Pubkey.from_string(wallet.pubkey))


@pytest.fixture
async def desk(simnet: Simnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Desk]:
    for key, value in simnet.env().items():
        monkeypatch.setenv(key, value)
    config = AppConfig(home=tmp_path / "home", endpoints=Endpoints.from_env(), simnet=True)
    vault = await create_vault(config.home, PASSWORD, FAST_KDF)
    rpc = RpcClient(simnet.rpc.url)
    venues = build_venues(config, vault)
    assert simnet.market is not None
    [created] = simnet.market.traders.step(creates=1)
    assert isinstance(created, SimCreate)
    engine = OrderEngine(vault, rpc, "simnet", venues.choose)
    try:
        yield Desk(vault, rpc, engine, simnet, str(created.mint))
    finally:
        await rpc.aclose()
        await vault.lock()


async def funded(desk: Desk, count: int, *, unfunded: int = 0) -> list[Wallet]:
    wallets = await create_wallets(desk.vault, count, label="Trader")
    for wallet in wallets[: count - unfunded]:
        desk.simnet.chain.airdrop(Pubkey.from_string(wallet.pubkey), 2 * SOL)
    return wallets


async def test_buy_from_20_wallets_one_unfunded_then_sell_all(desk: Desk) -> None:
    wallets = await funded(desk, 20, unfunded=1)
    before = {w.id: desk.balance(w) for w in wallets}
    buy = await desk.engine.place(OrderRequest(Side.BUY, desk.mint, sol_each=SOL // 10, priority_fee=10_000), wallets)
    states = {leg.wallet_id: leg for leg in buy.legs}
    assert sum(leg.state is LegState.CONFIRMED for leg in buy.legs) == 19 and len(buy.fills) == 19
    unfunded = states[wallets[-1].id]
    assert unfunded.state is LegState.FAILED and "SOL" in unfunded.reason or "fee" in unfunded.reason

    desk.settle_market()  # what the traders' thread does every 0.1 s when it runs
    sell = await desk.engine.place(OrderRequest(Side.SELL, desk.mint, percent=100, priority_fee=10_000), wallets)
    assert sum(leg.state is LegState.CONFIRMED for leg in sell.legs) == 19
    fills = await desk.vault.journal.fills("simnet", mint=desk.mint)
    assert len(fills) == 38
    for row in positions(fills):
        wallet = next(w for w in wallets if w.id == row.wallet_id)
        assert row.tokens == 0
        # realized P&L is exactly the SOL that came back minus the SOL that went in, fees included
        assert row.realized == row.sol_out - row.sol_in
        # the wallet also holds the rent of its (now empty) token account, a deposit outside P&L
        accounts = desk.simnet.chain.token_accounts_by_owner(Pubkey.from_string(wallet.pubkey))
        rent = sum(account.lamports for _, account in accounts)
        assert desk.balance(wallet) == before[wallet.id] + row.realized - rent


async def test_fills_are_idempotent_per_signature(desk: Desk) -> None:
    wallets = await funded(desk, 2)
    result = await desk.engine.place(OrderRequest(Side.BUY, desk.mint, sol_each=SOL // 20), wallets)
    assert await desk.vault.journal.add_fills(list(result.fills)) == 0
