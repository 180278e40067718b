"""Multi-wallet orders on simnet through the real venues: fills from chain truth, P&L, refusals, expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from desk.chain.rpc import RpcClient
from desk.chain.sender import Sender
from desk.config import AppConfig, Endpoints
from desk.core.market import Side
from desk.core.wallets import Wallet
from desk.engine.journal import positions
from desk.engine.orders import OrderEngine
from desk.engine.services import build_venues
from desk.engine.trading import Built, Leg, LegState, OrderRequest
from desk.engine.venues import PumpPortalLocalVenue, VenueSet
from desk.engine.wallets import create_wallets
from desk.simnet.events import SimCreate
from desk.simnet.service import Simnet
from desk.simnet.traders import Activity
from desk.vault.lifecycle import create_vault
from desk.vault.session import Vault
from desk.venues.pumpportal.trade_local import TradeLocalClient
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
    assert (unfunded.state is LegState.FAILED and "SOL" in unfunded.reason) or "fee" in unfunded.reason

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


class ExpiringSender(Sender):
    """Expires every blockhash right before the first round is submitted, as a slow network would."""

    def __init__(self, rpc: RpcClient, simnet: Simnet) -> None:
        super().__init__(rpc, poll_interval=0.05)
        self.simnet, self.rounds = simnet, 0

    async def send_all(self, txs, on_outcome=None):  # type: ignore[no-untyped-def]
        self.rounds += 1
        if self.rounds == 1:
            self.simnet.chain.expire_all_blockhashes()
        return await super().send_all(txs, on_outcome)


async def test_blockhash_expiry_mid_order_lands_each_leg_exactly_once(desk: Desk) -> None:
    wallets = await funded(desk, 5)
    sender = ExpiringSender(desk.rpc, desk.simnet)
    engine = OrderEngine(desk.vault, desk.rpc, "simnet", build_venues_for(desk).choose, sender=sender)
    result = await engine.place(OrderRequest(Side.BUY, desk.mint, sol_each=SOL // 10), wallets)
    assert result.status == "filled" and sender.rounds == 2
    legs = await desk.vault.journal.legs(result.order_id)
    assert sorted(leg.state for leg in legs) == ["confirmed"] * 5 + ["expired"] * 5
    for wallet in wallets:
        ours = [f for f in await desk.vault.journal.fills("simnet", wallet_id=wallet.id)]
        assert len(ours) == 1  # one fill: the expired transaction never landed
        accounts = desk.simnet.chain.token_accounts_by_owner(Pubkey.from_string(wallet.pubkey))
        assert sum(int.from_bytes(bytes(a.data)[64:72], "little") for _, a in accounts) == ours[0].tokens


@dataclass
class HostileVenue:
    """A venue that returns whatever transaction the test hands it."""

    make: Callable[[Leg], VersionedTransaction]
    name: str = "hostile"

    async def build(self, leg: Leg, request: OrderRequest) -> Built:
        return Built(tx=self.make(leg), fee_allowance=1000)


def unsigned(payer: Pubkey, *ixs: Instruction) -> VersionedTransaction:
    message = MessageV0.try_compile(payer, list(ixs), [], Hash.default())
    return VersionedTransaction.populate(message, [Signature.default()] * message.header.num_required_signatures)


@pytest.mark.parametrize("case", ["foreign fee payer", "pays an unknown address", "unknown program"])
async def test_hostile_venue_transactions_are_refused_and_nothing_is_signed(desk: Desk, case: str) -> None:
    [wallet] = await funded(desk, 1)
    me, thief = Pubkey.from_string(wallet.pubkey), Keypair().pubkey()

    def make(leg: Leg) -> VersionedTransaction:
        if case == "foreign fee payer":
            return unsigned(thief, transfer(TransferParams(from_pubkey=me, to_pubkey=thief, lamports=1)))
        if case == "pays an unknown address":
            return unsigned(me, transfer(TransferParams(from_pubkey=me, to_pubkey=thief, lamports=SOL)))
        return unsigned(me, Instruction(Keypair().pubkey(), b"\x01", [AccountMeta(me, True, True)]))

    engine = OrderEngine(desk.vault, desk.rpc, "simnet", lambda request, wallet: HostileVenue(make))
    before = desk.balance(wallet)
    result = await engine.place(OrderRequest(Side.BUY, desk.mint, sol_each=SOL // 100), [wallet])
    [leg] = result.legs
    assert leg.state is LegState.FAILED and leg.reason.startswith("Refused") and leg.signature is None
    assert desk.balance(wallet) == before and result.fills == ()


@pytest.mark.parametrize(("status", "ctype", "body"), [
    (400, "application/json", b'{"error": "bad mint"}'), (200, "text/html", b"<html><title>502</title></html>"),
    (200, "application/octet-stream", bytes(range(7)) * 40), (500, "text/plain", b"oops")])
async def test_venue_errors_fail_the_leg_with_a_clear_reason(desk: Desk, status: int, ctype: str,
                                                            body: bytes) -> None:
    [wallet] = await funded(desk, 1)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"content-type": ctype}, content=body)

    venue = PumpPortalLocalVenue(TradeLocalClient("http://venue.test/api", transport=httpx.MockTransport(handler),
                                                  retries=0))
    engine = OrderEngine(desk.vault, desk.rpc, "simnet", lambda request, w: venue)
    result = await engine.place(OrderRequest(Side.BUY, desk.mint, sol_each=SOL // 100), [wallet])
    [leg] = result.legs
    assert leg.state is LegState.FAILED and leg.signature is None and leg.reason
    assert "<html" not in leg.reason


def build_venues_for(desk: Desk) -> VenueSet:
    env = {k: v for k, v in desk.simnet.env().items()}
    config = AppConfig(home=desk.vault.paths.home, endpoints=Endpoints({**Endpoints.from_env().urls, **env}),
                       simnet=True)
    return build_venues(config, desk.vault)
