"""The simnet PumpPortal websocket: acks and refusals verbatim, payloads in the captured shapes, hostile input."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from desk.simnet.chain import SimChain
from desk.simnet.market import SimMarket
from desk.simnet.pumpportal_ws import PumpPortalServer, create_message, js_number, migrate_message, trade_message
from desk.simnet.traders import Activity, SimTraders
from tests.unit.simnet.samples import sample, shape

DOC_MINT = "91WNez8D22NwBssQbkzjy4s2ipFrzpmn5hfvWVe2aY5p"  # the PumpPortal docs' example key


@pytest.fixture
def traders() -> SimTraders:
    return SimTraders(SimMarket(SimChain(), seed=2), Activity(seed=2, traders=4))


@pytest.fixture
def server(traders: SimTraders) -> Iterator[PumpPortalServer]:
    server = PumpPortalServer(traders.market).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def keyed(server: PumpPortalServer) -> AsyncIterator[ClientConnection]:
    async with websockets.connect(server.url + "?api-key=test-key") as ws:
        yield ws


async def recv(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    frame = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(frame, str)  # text frames, as PumpPortal sends
    message: dict[str, Any] = json.loads(frame)
    return message


async def request(ws: ClientConnection, payload: Any) -> dict[str, Any]:
    await ws.send(json.dumps(payload))
    return await recv(ws)


def test_js_number_prints_integral_values_without_fraction() -> None:
    assert js_number(30.0) == 30 and isinstance(js_number(30.0), int)
    assert js_number(0.0) == 0 and isinstance(js_number(0.0), int)
    assert js_number(34.938271603) == 34.938271603


def test_payloads_have_the_captured_keys_order_and_types(traders: SimTraders) -> None:
    events = traders.step(creates=1)
    traders.step(trades=12)
    trades = traders.market.recent_trades(events[0].mint)
    buy = next(t for t in trades if t.is_buy)
    sell = next(t for t in trades if not t.is_buy)
    create = shape(create_message(events[0]))  # type: ignore[arg-type]
    assert list(create) == list(sample("04_create_pump_full.json"))
    assert create == shape(sample("04_create_pump_full.json"))
    assert shape(trade_message(buy)) == shape(sample("10_trade_buy_2026-09.json"))
    recorded_sell = {k: v for k, v in sample("11_trade_sell_2025-02_with_recorder_fields.json").items()
                     if k not in ("timestamp", "human_readable_time")}
    assert shape(trade_message(sell)) == shape(recorded_sell)
    message = trade_message(buy)
    assert message["vSolInBondingCurve"] == buy.state.virtual_sol / 1e9
    assert message["marketCapSol"] == pytest.approx(buy.state.market_cap / 1e9, rel=1e-9)  # cap is floored
    assert message["tokenAmount"] == buy.tokens / 1e6 and message["solAmount"] == buy.sol / 1e9


def test_migrate_payload_has_exactly_the_four_captured_keys(traders: SimTraders) -> None:
    market = traders.market
    whale = market.new_keypair()
    market.chain.airdrop(whale.pubkey(), 300 * 10**9)
    created = market.create_token(whale, name="A", symbol="A")
    seen: list[Any] = []
    market.subscribe(seen.append)
    market.buy(whale, created.mint, 200 * 10**9)
    message = migrate_message(seen[-1])
    assert list(message) == list(sample("07_migrate_pump_to_pumpamm.json"))
    assert message["pool"] == "pump-amm" and message["txType"] == "migrate"


async def test_acks_are_verbatim(keyed: ClientConnection) -> None:
    assert await request(keyed, {"method": "subscribeNewToken"}) == sample("01_ack_subscribeNewToken.json")
    assert await request(keyed, {"method": "subscribeMigration"}) == sample("02_ack_subscribeMigration.json")
    ack = await request(keyed, {"method": "subscribeTokenTrade", "keys": [DOC_MINT]})
    assert ack == sample("08_ack_subscribe_keys.json")


async def test_trade_streams_without_an_api_key_get_the_real_refusal(server: PumpPortalServer) -> None:
    for url in (server.url, server.url + "?api-key="):
        async with websockets.connect(url) as ws:
            for method in ("subscribeTokenTrade", "subscribeAccountTrade"):
                reply = await request(ws, {"method": method, "keys": [DOC_MINT]})
                assert reply == sample("03_error_trade_sub_without_funded_key.json")
            assert await request(ws, {"method": "subscribeNewToken"}) == sample("01_ack_subscribeNewToken.json")


async def test_streams_creates_and_subscribed_trades_only(keyed: ClientConnection, traders: SimTraders) -> None:
    await request(keyed, {"method": "subscribeNewToken"})
    [created] = traders.step(creates=1)
    message = await recv(keyed)
    assert message["txType"] == "create" and message["mint"] == str(created.mint)
    assert "timestamp" not in message
    other = traders.step(creates=1)[0]
    assert (await recv(keyed))["mint"] == str(other.mint)
    await request(keyed, {"method": "subscribeTokenTrade", "keys": [str(created.mint)]})
    traders.step(trades=15)
    expected = [t.signature for t in traders.market.recent_trades(created.mint) if t.signature != created.signature]
    got = [(await recv(keyed))["signature"] for _ in expected]
    assert got == expected
    with pytest.raises(TimeoutError):
        await recv(keyed, timeout=0.3)  # nothing for the other token


async def test_account_trades_and_unsubscribe(keyed: ClientConnection, traders: SimTraders) -> None:
    wallet = str(traders.wallets[0])
    await request(keyed, {"method": "subscribeAccountTrade", "keys": [wallet]})
    traders.step(creates=1, trades=30)
    mine = [e for e in traders.market.recent_trades(traders.market.tokens()[0].token.mint)
            if str(e.trader) == wallet]
    first = await recv(keyed)
    assert first["traderPublicKey"] == wallet
    for _ in mine[1:]:
        await recv(keyed)
    assert (await request(keyed, {"method": "unsubscribeAccountTrade", "keys": [wallet]}))["message"]
    traders.step(trades=30)
    with pytest.raises(TimeoutError):
        await recv(keyed, timeout=0.3)


async def test_garbage_never_stops_the_server(server: PumpPortalServer, keyed: ClientConnection) -> None:
    for junk in ("not json", "[1,2]", "null", '{"method": 5}', '{"method": "subscribeTokenTrade", "keys": "x"}',
                 '{"method": "nope"}', '{"keys": []}'):
        await keyed.send(junk)
    await keyed.send(b"\x00\xff binary")
    too_many = {"method": "subscribeTokenTrade", "keys": ["1" * 32] * 5001}
    assert "5000" in (await request(keyed, too_many))["message"]
    assert await request(keyed, {"method": "subscribeNewToken"}) == sample("01_ack_subscribeNewToken.json")
    async with websockets.connect(server.url, max_size=None) as big:
        await big.send("x" * (2 << 20))  # over the frame limit: that connection closes, the server lives
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(big.recv(), 5)
    async with websockets.connect(server.url) as again:
        assert await request(again, {"method": "subscribeMigration"}) == sample("02_ack_subscribeMigration.json")


async def test_unknown_path_is_404(server: PumpPortalServer) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(server.base_url + "/api/other"):
            pass
    assert info.value.response.status_code == 404


async def test_many_clients_all_get_each_create(server: PumpPortalServer, traders: SimTraders) -> None:
    clients = [await websockets.connect(server.url) for _ in range(40)]
    try:
        for ws in clients:
            await request(ws, {"method": "subscribeNewToken"})
        [created] = traders.step(creates=1)
        messages = await asyncio.gather(*(recv(ws) for ws in clients))
        assert {m["mint"] for m in messages} == {str(created.mint)}
    finally:
        await asyncio.gather(*(ws.close() for ws in clients))
    assert len(server.clients) <= 40
