"""The simnet websocket RPC: logsSubscribe over market transactions, signatureSubscribe, bad requests."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import websockets
from solders.keypair import Keypair
from websockets.asyncio.client import ClientConnection

from desk.simnet import pumpwire
from desk.simnet.chain import SimChain
from desk.simnet.events import SimTrade
from desk.simnet.market import SimMarket
from desk.simnet.rpc_ws import RpcWsServer
from desk.simnet.traders import Activity, SimTraders
from tests.unit.simnet.samples import sample, shape

SOL = 1_000_000_000


@pytest.fixture
def traders() -> SimTraders:
    return SimTraders(SimMarket(SimChain(), seed=4), Activity(seed=4, traders=4))


@pytest.fixture
def server(traders: SimTraders) -> Iterator[RpcWsServer]:
    server = RpcWsServer(traders.market.chain, traders.market).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def ws(server: RpcWsServer) -> AsyncIterator[ClientConnection]:
    async with websockets.connect(server.url) as conn:
        yield conn


async def recv(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


async def call(ws: ClientConnection, method: str, *params: Any, rid: int = 1) -> dict[str, Any]:
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)}))
    return await recv(ws)


def program_data(logs: list[str]) -> dict[str, Any]:
    [line] = [entry for entry in logs if entry.startswith("Program data: ")]
    return pumpwire.decode_trade_event(base64.b64decode(line.removeprefix("Program data: ")))


async def test_logs_of_a_mint_carry_each_trade_as_a_trade_event(ws: ClientConnection, traders: SimTraders) -> None:
    [created] = traders.step(creates=1)
    ack = await call(ws, "logsSubscribe", {"mentions": [str(created.mint)]}, {"commitment": "confirmed"})
    assert shape(ack) == shape(sample("logsSubscribe_ack.json"))
    traders.step(trades=8)
    trades = [t for t in traders.market.recent_trades(created.mint) if t.signature != created.signature]
    for trade in trades:
        note = await recv(ws)
        assert shape(note) == shape(sample("logsNotification_pump_buy.json"))
        assert list(note["params"]) == ["subscription", "result"] and note["method"] == "logsNotification"
        value = note["params"]["result"]["value"]
        assert note["params"]["subscription"] == ack["result"]
        assert note["params"]["result"]["context"]["slot"] == trade.slot
        assert value["signature"] == trade.signature and value["err"] is None
        assert f"Program {pumpwire.PUMP_PROGRAM_ID} invoke [1]" in value["logs"]
        assert value["logs"][-1] == f"Program {pumpwire.PUMP_PROGRAM_ID} success"
        event = program_data(value["logs"])
        assert (event["mint"], event["user"], event["is_buy"]) == (str(trade.mint), str(trade.trader), trade.is_buy)
        assert (event["sol_amount"], event["token_amount"]) == (trade.sol, trade.tokens)
        assert event["virtual_token_reserves"] == trade.state.virtual_token


async def test_all_logs_and_wallet_mentions(ws: ClientConnection, traders: SimTraders) -> None:
    everything = (await call(ws, "logsSubscribe", "all"))["result"]
    wallet = str(traders.wallets[1])
    mine = (await call(ws, "logsSubscribe", {"mentions": [wallet]}, rid=2))["result"]
    events = traders.step(creates=1, trades=10)
    notes = [await recv(ws) for _ in range(len(events) + sum(
        1 for e in events if isinstance(e, SimTrade) and str(e.trader) == wallet))]
    assert sum(n["params"]["subscription"] == everything for n in notes) == len(events)
    assert all(wallet in program_data(n["params"]["result"]["value"]["logs"])["user"]
               for n in notes if n["params"]["subscription"] == mine)
    assert (await call(ws, "logsUnsubscribe", everything, rid=3))["result"] is True
    assert (await call(ws, "logsUnsubscribe", everything, rid=4))["error"]["code"] == -32602


async def test_signature_notifications_for_landed_and_later_transactions(ws: ClientConnection,
                                                                         traders: SimTraders) -> None:
    chain = traders.market.chain
    landed = chain.airdrop(Keypair().pubkey(), SOL)
    sub = (await call(ws, "signatureSubscribe", str(landed), {"commitment": "confirmed"}))["result"]
    note = await recv(ws)
    assert shape(note) == shape(sample("signatureNotification_doc.json"))
    assert note == {"jsonrpc": "2.0", "method": "signatureNotification", "params": {
        "result": {"context": {"slot": chain.get_transaction(landed).slot}, "value": {"err": None}},  # type: ignore[union-attr]
        "subscription": sub}}
    [created] = traders.step(creates=1)
    trade = traders.step(trades=1)[-1]
    assert isinstance(trade, SimTrade)
    await call(ws, "signatureSubscribe", trade.signature, {"enableReceivedNotification": True}, rid=2)
    values = [(await recv(ws))["params"]["result"]["value"] for _ in range(2)]
    assert values == ["receivedSignature", {"err": None}]
    assert created.signature


async def test_bad_requests_get_json_rpc_errors(ws: ClientConnection) -> None:
    await ws.send("not json")
    assert (await recv(ws))["error"]["code"] == -32700
    await ws.send("[1]")
    assert (await recv(ws))["error"]["code"] == -32600
    assert (await call(ws, "accountSubscribe", "x"))["error"]["code"] == -32601
    two = {"mentions": [str(Keypair().pubkey()), str(Keypair().pubkey())]}
    assert (await call(ws, "logsSubscribe", two))["error"]["message"] == "Invalid Request: Only 1 address supported"
    assert (await call(ws, "logsSubscribe", {"mentions": ["bad"]}))["error"]["code"] == -32602
    assert (await call(ws, "logsSubscribe", 5))["error"]["code"] == -32602
    assert (await call(ws, "signatureSubscribe", "bad"))["error"]["code"] == -32602
    assert (await call(ws, "signatureSubscribe"))["error"]["code"] == -32602
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": 9, "method": "logsSubscribe", "params": {"a": 1}}))
    assert (await recv(ws))["error"]["code"] == -32602
    assert isinstance((await call(ws, "logsSubscribe", "all"))["result"], int)
