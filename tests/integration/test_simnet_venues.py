"""The simnet's PumpPortal trading API end to end: create-wallet, trade-local, bundles and Lightning over HTTP."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from desk.chain.policy import Intent
from desk.chain.signer import sign
from desk.core import curve
from desk.core.curve import CurveState
from desk.simnet.events import SimCreate
from desk.simnet.records import b58decode
from desk.simnet.service import MarketServices, Simnet
from desk.simnet.tokens import token_balance
from desk.simnet.traders import Activity
from desk.simnet.venueapi import JITO_TIP_ACCOUNT, PUMPPORTAL_FEE_ACCOUNT

SOL = 1_000_000_000
SIGNATURE_FEE = 5_000


@pytest.fixture
def simnet() -> Iterator[Simnet]:
    simnet = Simnet.start(market=True, activity=Activity(seed=33, traders=4), run_traders=False, block_time=None)
    try:
        yield simnet
    finally:
        simnet.stop()


@pytest.fixture
def services(simnet: Simnet) -> MarketServices:
    assert simnet.market is not None
    return simnet.market


@pytest.fixture
def token(services: MarketServices) -> SimCreate:
    [created] = services.traders.step(creates=1)
    assert isinstance(created, SimCreate)
    return created


@pytest.fixture
async def api(simnet: Simnet) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=simnet.env()["DESK_PUMPPORTAL_API"] + "/", timeout=10) as http:
        yield http


@pytest.fixture
async def rpc(simnet: Simnet) -> AsyncIterator[Any]:
    async with httpx.AsyncClient(base_url=simnet.rpc.url, timeout=10) as http:
        async def call(method: str, *params: Any) -> Any:
            reply = (await http.post("", json={"jsonrpc": "2.0", "id": 1, "method": method,
                                               "params": list(params)})).json()
            assert "error" not in reply, reply
            return reply["result"]
        yield call


async def new_wallet(api: httpx.AsyncClient, rpc: Any, sol: int = 10) -> tuple[Keypair, str]:
    """Create a wallet through create-wallet and fund it through the faucet."""
    reply = await api.get("create-wallet")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    created = reply.json()
    assert set(created) == {"apiKey", "walletPublicKey", "privateKey"}
    keypair = Keypair.from_base58_string(created["privateKey"])
    assert str(keypair.pubkey()) == created["walletPublicKey"]
    await rpc("requestAirdrop", created["walletPublicKey"], sol * SOL)
    return keypair, created["apiKey"]


def trade(wallet: Keypair, mint: Pubkey, action: str, amount: Any, *, in_sol: bool = True,
          priority: str = "0.0001") -> dict[str, Any]:
    return {"publicKey": str(wallet.pubkey()), "action": action, "mint": str(mint), "amount": amount,
            "denominatedInSol": "true" if in_sol else "false", "slippage": 10, "priorityFee": priority,
            "pool": "pump"}


def signed(tx: VersionedTransaction, wallet: Keypair, token: SimCreate, fee_allowance: int,
           tip: int = 0) -> VersionedTransaction:
    """Sign as the desk does: through the pre-sign policy, keeping the vault's signature."""
    me = str(wallet.pubkey())
    accounts = token.token.accounts
    intent = Intent(our_wallets=frozenset({me}),
                    destinations=frozenset(str(k) for k in (accounts.vault, accounts.fee_recipient,
                                                            accounts.creator_vault, accounts.vault_tokens)),
                    fee_allowance=fee_allowance, tip_accounts=frozenset({str(JITO_TIP_ACCOUNT)}), max_tip=tip)
    assert isinstance(tx.message, MessageV0)
    assert tx.signatures[0] == Signature.default() and tx.message.account_keys[0] == wallet.pubkey()
    assert all(s != Signature.default() for s in tx.signatures[1:])  # the curve vault signed already
    return sign(tx.message, {me: wallet}, intent, existing=list(tx.signatures))


async def send_and_confirm(rpc: Any, tx: VersionedTransaction) -> str:
    signature: str = await rpc("sendTransaction", base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"})
    for _ in range(50):
        status = (await rpc("getSignatureStatuses", [signature]))["value"][0]
        if status is not None:
            assert status["err"] is None, status
            return signature
        await asyncio.sleep(0.05)
    raise AssertionError(f"{signature} never confirmed")


async def balance(rpc: Any, wallet: Pubkey) -> int:
    value: int = (await rpc("getBalance", str(wallet)))["value"]
    return value


async def test_trade_local_buy_then_sell_all_settle_exactly_on_the_curve(
        services: MarketServices, token: SimCreate, api: httpx.AsyncClient, rpc: Any) -> None:
    market = services.market
    wallet, _ = await new_wallet(api, rpc)
    me = wallet.pubkey()
    quote = market.quote_buy(token.mint, SOL // 2)
    fee_before = await balance(rpc, PUMPPORTAL_FEE_ACCOUNT)
    reply = await api.post("trade-local", data=trade(wallet, token.mint, "buy", "0.5"))  # form-encoded
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/octet-stream"
    tx = VersionedTransaction.from_bytes(reply.content)
    start = await balance(rpc, me)
    await send_and_confirm(rpc, signed(tx, wallet, token, fee_allowance=SOL // 200))
    assert market.poll() == 1
    assert token_balance(market.chain, me, token.mint) == quote.tokens
    venue_fee = SOL // 2 * 50 // 10_000  # 0.5% of the SOL amount
    assert await balance(rpc, PUMPPORTAL_FEE_ACCOUNT) == fee_before + venue_fee
    rent = market.chain.minimum_balance_for_rent_exemption(165)
    priority = 100_000  # 0.0001 SOL at 100000 compute units
    assert await balance(rpc, me) == start - quote.buyer_pays - venue_fee - rent - 2 * SIGNATURE_FEE - priority
    assert market.curve(token.mint) == quote.state

    sell_quote = market.quote_sell(token.mint, quote.tokens)
    reply = await api.post("trade-local", json=trade(wallet, token.mint, "sell", "100%", in_sol=False))
    assert reply.status_code == 200
    tx = VersionedTransaction.from_bytes(reply.content)
    # The payout comes from the curve vault (its signature is on the tx); the wallet only pays the venue fee.
    vault = token.token.accounts.vault
    assert tx.message.account_keys[1] == vault and tx.message.header.num_required_signatures == 2
    before = await balance(rpc, me)
    await send_and_confirm(rpc, signed(tx, wallet, token, fee_allowance=sell_quote.sol // 200))
    assert market.poll() == 1
    assert token_balance(market.chain, me, token.mint) == 0
    assert await balance(rpc, me) == (before + sell_quote.seller_receives - sell_quote.sol * 50 // 10_000
                                      - 2 * SIGNATURE_FEE - priority)
    assert market.curve(token.mint) == sell_quote.state


async def test_lightning_buy_trades_from_the_key_wallet(
        services: MarketServices, token: SimCreate, api: httpx.AsyncClient, rpc: Any) -> None:
    market = services.market
    wallet, api_key = await new_wallet(api, rpc)
    quote = market.quote_buy(token.mint, SOL // 4)
    fee_before = await balance(rpc, PUMPPORTAL_FEE_ACCOUNT)
    body = {k: v for k, v in trade(wallet, token.mint, "buy", 0.25).items() if k != "publicKey"}
    reply = await api.post("trade", params={"api-key": api_key}, json=body)
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["errors"] == [] and len(b58decode(answer["signature"])) == 64
    status = (await rpc("getSignatureStatuses", [answer["signature"]]))["value"][0]
    assert status is not None and status["err"] is None
    assert token_balance(market.chain, wallet.pubkey(), token.mint) == quote.tokens
    assert await balance(rpc, PUMPPORTAL_FEE_ACCOUNT) == fee_before + SOL // 4 // 100  # 1%
    assert [t.signature for t in market.recent_trades(token.mint)][-1] == answer["signature"]  # published

    bad = await api.post("trade", params={"api-key": "nope"}, json=body)
    assert (bad.status_code, bad.json()) == (401, {"errors": ["Invalid API key"]})
    state = market.curve(token.mint)
    unfunded = (await api.get("create-wallet")).json()["apiKey"]
    reply = await api.post("trade", params={"api-key": unfunded}, json=body)
    assert reply.status_code == 400 and "errors" in reply.json() and "signature" not in reply.json()
    assert market.curve(token.mint) == state  # refused at once: the reservation is released


async def test_bundle_of_three_buys_from_three_wallets(
        services: MarketServices, token: SimCreate, api: httpx.AsyncClient, rpc: Any) -> None:
    market = services.market
    wallets = [(await new_wallet(api, rpc))[0] for _ in range(3)]
    state = market.curve(token.mint)
    assert state is not None
    expected: list[int] = []
    for _ in wallets:
        fill = curve.buy(state, SOL // 10)
        expected.append(fill.tokens)
        state = fill.state
    tip_before = await balance(rpc, JITO_TIP_ACCOUNT)
    body = [trade(w, token.mint, "buy", "0.1", priority="0.00001") for w in wallets]
    reply = await api.post("trade-local", json=body)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    txs = [VersionedTransaction.from_bytes(b58decode(text)) for text in reply.json()]
    assert [tx.message.account_keys[0] for tx in txs] == [w.pubkey() for w in wallets]
    for index, (tx, wallet) in enumerate(zip(txs, wallets, strict=True)):
        await send_and_confirm(rpc, signed(tx, wallet, token, fee_allowance=SOL // 1000,
                                           tip=10_000 if index == 0 else 0))
    assert market.poll() == 3
    assert [token_balance(market.chain, w.pubkey(), token.mint) for w in wallets] == expected
    assert await balance(rpc, JITO_TIP_ACCOUNT) == tip_before + 10_000  # the first priority fee is the tip
    assert market.curve(token.mint) == state


async def test_errors_come_back_as_json_or_text(
        services: MarketServices, token: SimCreate, api: httpx.AsyncClient, rpc: Any) -> None:
    wallet, _ = await new_wallet(api, rpc)
    unknown = Keypair().pubkey()
    reply = await api.post("trade-local", json=trade(wallet, unknown, "buy", 0.1))
    assert reply.status_code == 400 and reply.headers["content-type"] == "application/json"
    assert "Unknown mint" in reply.json()["error"]

    reply = await api.post("trade-local", json={**trade(wallet, token.mint, "buy", 0.1), "pool": "raydium"})
    assert reply.status_code == 400 and reply.headers["content-type"].startswith("text/plain")
    assert reply.text == "pool not supported on simnet"

    reply = await api.post("trade-local", json=[trade(wallet, token.mint, "buy", 0.1)] * 6)
    assert reply.status_code == 400 and "1 to 5" in reply.text

    reply = await api.post("trade-local", json=trade(wallet, token.mint, "sell", "100%", in_sol=False))
    assert reply.status_code == 400 and "holds no tokens" in reply.json()["error"]

    state = services.market.curve(token.mint)
    reply = await api.post("trade-local", json=[trade(wallet, token.mint, "buy", 0.1),
                                                trade(wallet, unknown, "buy", 0.1)])
    assert reply.status_code == 400 and "Unknown mint" in reply.json()["error"]
    assert services.market.curve(token.mint) == state  # the bundle's first reservation was given back


async def test_an_unsent_trade_local_transaction_is_released_when_it_expires(
        services: MarketServices, token: SimCreate, api: httpx.AsyncClient, rpc: Any) -> None:
    market = services.market
    wallet, _ = await new_wallet(api, rpc)
    before = market.curve(token.mint)
    reply = await api.post("trade-local", json=trade(wallet, token.mint, "buy", 1))
    assert reply.status_code == 200
    reserved = market.curve(token.mint)
    assert reserved != before and isinstance(reserved, CurveState)
    assert market.quote_buy(token.mint, SOL).tokens == curve.buy(reserved, SOL).tokens  # priced after it
    market.chain.expire_all_blockhashes()
    assert market.poll() == 0
    assert market.curve(token.mint) == before
    assert token_balance(market.chain, wallet.pubkey(), token.mint) == 0
