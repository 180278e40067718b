"""The simnet market end to end: PumpPortal stream, chain balances over JSON-RPC, logs, DexScreener, CLI."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from solders.message import to_bytes_versioned
from solders.transaction import VersionedTransaction
from websockets.asyncio.client import ClientConnection

from desk.core import curve
from desk.core.curve import CurveState
from desk.core.market import TOKEN_TOTAL_SUPPLY, Side
from desk.simnet import pumpwire
from desk.simnet.service import MarketServices, Simnet
from desk.simnet.tokens import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID
from desk.simnet.traders import Activity
from tests.unit.simnet.samples import sample, shape

SOL = 1_000_000_000
DOC_MINT = "91WNez8D22NwBssQbkzjy4s2ipFrzpmn5hfvWVe2aY5p"  # the PumpPortal docs' example key
RESERVED = TOKEN_TOTAL_SUPPLY - curve.INITIAL_REAL_TOKEN_RESERVES
TX_FEE = 10_000  # every curve trade is signed by the trader and the curve vault


@pytest.fixture
def simnet() -> Iterator[Simnet]:
    simnet = Simnet.start(market=True, activity=Activity(seed=21, traders=6), run_traders=False, block_time=None)
    try:
        yield simnet
    finally:
        simnet.stop()


@pytest.fixture
def services(simnet: Simnet) -> MarketServices:
    assert simnet.market is not None
    return simnet.market


@pytest.fixture
async def rpc(simnet: Simnet) -> AsyncIterator[Any]:
    async with httpx.AsyncClient(base_url=simnet.rpc.url) as http:
        async def call(method: str, *params: Any) -> Any:
            reply = await http.post("", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
            return reply.json()["result"]
        yield call


async def recv(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


async def request(ws: ClientConnection, payload: dict[str, Any]) -> dict[str, Any]:
    await ws.send(json.dumps(payload))
    return await recv(ws)


def lamports(sol: float) -> int:
    return round(sol * SOL)


def atomic(tokens: float) -> int:
    return round(tokens * 1_000_000)


def replay(messages: list[dict[str, Any]]) -> dict[str, CurveState]:
    """Re-run every streamed create and trade through desk.core.curve; check each message against it."""
    curves: dict[str, CurveState] = {}
    for m in messages:
        if m["txType"] == "create":
            state = CurveState()
            if m["solAmount"]:
                fill = curve.buy(state, lamports(m["solAmount"]))
                assert fill.tokens == atomic(m["initialBuy"])
                state = fill.state
        elif m["txType"] == "buy":
            fill = curve.buy(curves[m["mint"]], lamports(m["solAmount"]))
            assert fill.tokens == atomic(m["tokenAmount"])
            state = fill.state
        else:
            fill = curve.sell(curves[m["mint"]], atomic(m["tokenAmount"]))
            assert fill.sol == lamports(m["solAmount"])
            state = fill.state
        assert (lamports(m["vSolInBondingCurve"]), atomic(m["vTokensInBondingCurve"])) == (state.virtual_sol,
                                                                                          state.virtual_token)
        curves[m["mint"]] = state
    return curves


async def token_accounts(rpc: Any, owner: str) -> dict[str, tuple[int, int]]:
    """Return ``{mint: (amount, lamports)}`` of ``owner``'s token accounts over both token programs."""
    found = {}
    for program in (TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID):
        result = await rpc("getTokenAccountsByOwner", owner, {"programId": str(program)}, {"encoding": "jsonParsed"})
        for entry in result["value"]:
            info = entry["account"]["data"]["parsed"]["info"]
            found[info["mint"]] = (int(info["tokenAmount"]["amount"]), entry["account"]["lamports"])
    return found


async def test_stream_shapes_and_chain_balances_match_the_curve(simnet: Simnet, services: MarketServices,
                                                                rpc: Any) -> None:
    env = simnet.env()
    wallets = [str(w) for w in services.traders.wallets]
    async with websockets.connect(env["DESK_PUMPPORTAL_WS"] + "?api-key=simnet") as feed, \
            websockets.connect(env["DESK_RPC_WS_URL"]) as logs:
        assert await request(feed, {"method": "subscribeNewToken"}) == sample("01_ack_subscribeNewToken.json")
        ack = await request(feed, {"method": "subscribeAccountTrade", "keys": wallets})
        assert ack == sample("08_ack_subscribe_keys.json")
        services.traders.step(creates=2)
        creates = [await recv(feed) for _ in range(2)]
        first = creates[0]["mint"]
        sub = await request(logs, {"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe",
                                   "params": [{"mentions": [first]}, {"commitment": "confirmed"}]})
        services.traders.step(trades=30)
        trades = [await recv(feed) for _ in range(30)]

        for message in creates:
            assert list(message) == list(sample("04_create_pump_full.json"))
            assert shape(message) == shape(sample("04_create_pump_full.json"))
        for message in trades:
            assert list(message) == list(sample("10_trade_buy_2026-09.json"))
            assert shape(message) == shape(sample("10_trade_buy_2026-09.json"))
            assert message["txType"] in ("buy", "sell") and message["traderPublicKey"] in wallets
        curves = replay(creates + trades)

        # The curves on chain, read over JSON-RPC: vault SOL and tokens, and the bonding-curve accounts.
        rent = await rpc("getMinimumBalanceForRentExemption", 0)
        services.market.poll(force_mirror=True)
        for mint, state in curves.items():
            token = services.market.token(mint)
            assert token is not None and token.state == state
            vault = str(token.token.accounts.vault)
            assert (await rpc("getBalance", vault))["value"] == rent + state.real_sol
            assert (await token_accounts(rpc, vault))[mint][0] == state.real_token + RESERVED
            info = await rpc("getAccountInfo", str(pumpwire.bonding_curve_address(token.token.mint)),
                             {"encoding": "base64"})
            assert pumpwire.decode_bonding_curve(base64.b64decode(info["value"]["data"][0]))[0] == state

        # One trader's wallet, to the lamport: start − buys − fees + sells − token-account rent.
        creators = {m["traderPublicKey"] for m in creates}
        by_trader: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in trades:
            by_trader[message["traderPublicKey"]].append(message)
        trader, mine = max(((k, v) for k, v in by_trader.items() if k not in creators), key=lambda kv: len(kv[1]))
        held = await token_accounts(rpc, trader)
        expected = services.traders.activity.trader_lamports - sum(lamports for _, lamports in held.values())
        for message in mine:
            sol = lamports(message["solAmount"])
            fee, creator_fee = curve.fees_on(sol)
            expected += -(sol + fee + creator_fee) if message["txType"] == "buy" else sol - fee - creator_fee
            expected -= TX_FEE
            assert held[message["mint"]][0] >= 0
        assert (await rpc("getBalance", trader))["value"] == expected
        for mint, (amount, _) in held.items():
            assert amount == atomic([m for m in mine if m["mint"] == mint][-1]["newTokenBalance"])

        # logsSubscribe on the first mint: one notification per trade, whose TradeEvent is that trade.
        on_first = [m for m in trades if m["mint"] == first]
        for message in on_first:
            note = await recv(logs)
            value = note["params"]["result"]["value"]
            assert note["params"]["subscription"] == sub["result"] and value["signature"] == message["signature"]
            assert f"Program {pumpwire.PUMP_PROGRAM_ID} invoke [1]" in value["logs"]
            assert value["logs"][-1] == f"Program {pumpwire.PUMP_PROGRAM_ID} success"
            [data] = [line for line in value["logs"] if line.startswith("Program data: ")]
            raw = base64.b64decode(data.removeprefix("Program data: "))
            assert raw[:8].hex() == "bddb7fd34ee661ee"
            event = pumpwire.decode_trade_event(raw)
            assert event["mint"] == first and event["user"] == message["traderPublicKey"]
            assert event["is_buy"] == (message["txType"] == "buy")
            assert event["sol_amount"] == lamports(message["solAmount"])
            assert event["token_amount"] == atomic(message["tokenAmount"])
            assert event["virtual_sol_reserves"] == lamports(message["vSolInBondingCurve"])


async def test_trade_streams_need_an_api_key(simnet: Simnet) -> None:
    async with websockets.connect(simnet.env()["DESK_PUMPPORTAL_WS"]) as feed:
        reply = await request(feed, {"method": "subscribeTokenTrade", "keys": [DOC_MINT]})
        assert reply == sample("03_error_trade_sub_without_funded_key.json")
        assert await request(feed, {"method": "subscribeMigration"}) == sample("02_ack_subscribeMigration.json")


async def test_dexscreener_endpoint(simnet: Simnet, services: MarketServices) -> None:
    services.traders.step(creates=3, trades=20)
    mints = [str(t.token.mint) for t in services.market.tokens()]
    async with httpx.AsyncClient(base_url=simnet.env()["DESK_DEXSCREENER_API"]) as http:
        pairs = (await http.get("/tokens/v1/solana/" + ",".join(mints))).json()
        assert [p["baseToken"]["address"] for p in pairs] == mints
        recorded = sample("pair_pumpfun_bonding_curve.json")
        for pair in pairs:
            assert pair["dexId"] == "pumpfun" and "liquidity" not in pair
            assert set(pair) == set(recorded) - {"info"}
            assert isinstance(pair["priceNative"], str) and isinstance(pair["priceUsd"], str)
        latest = (await http.get("/latest/dex/tokens/" + ",".join(mints))).json()
        assert latest["schemaVersion"] == "1.0.0" and len(latest["pairs"]) == 3
        too_many = ",".join(mints * 11)  # 33 addresses (duplicates count once: 3)
        assert (await http.get("/tokens/v1/solana/" + too_many)).status_code == 200
        distinct = ",".join(mints + [str(services.market.new_keypair().pubkey()) for _ in range(28)])
        assert (await http.get("/tokens/v1/solana/" + distinct)).status_code == 400


async def test_trade_local_style_trade_settles_and_streams_under_its_own_signature(
        simnet: Simnet, services: MarketServices, rpc: Any) -> None:
    [created] = services.traders.step(creates=1)
    me = services.market.new_keypair()
    await rpc("requestAirdrop", str(me.pubkey()), 5 * SOL)
    env = simnet.env()
    async with websockets.connect(env["DESK_PUMPPORTAL_WS"] + "?api-key=k") as feed, \
            websockets.connect(env["DESK_RPC_WS_URL"]) as ws:
        await request(feed, {"method": "subscribeAccountTrade", "keys": [str(me.pubkey())]})
        prepared = services.market.prepare_external(me.pubkey(), created.mint, Side.BUY, SOL)
        tx = prepared.transaction
        mine = me.sign_message(to_bytes_versioned(tx.message))
        signed = VersionedTransaction.populate(tx.message, [mine, *tx.signatures[1:]])
        signature = await rpc("sendTransaction", base64.b64encode(bytes(signed)).decode(), {"encoding": "base64"})
        note_ack = await request(ws, {"jsonrpc": "2.0", "id": 1, "method": "signatureSubscribe",
                                      "params": [signature, {"commitment": "confirmed"}]})
        note = await recv(ws)
        assert note["params"] == {"result": {"context": {"slot": note["params"]["result"]["context"]["slot"]},
                                             "value": {"err": None}}, "subscription": note_ack["result"]}
        assert services.market.poll() == 1
        message = await recv(feed)
        assert message["signature"] == signature and message["txType"] == "buy"
        assert atomic(message["tokenAmount"]) == prepared.fill.tokens


def test_cli_prints_the_market_endpoints(tmp_path: Path) -> None:
    env = {**os.environ, "DESK_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "desk", "--json", "simnet", "--market", "--seed", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not lines or lines[-1].rstrip() != "}":
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "no output"
            lines.append(line)
        printed = json.loads("".join(lines))
        assert {"DESK_RPC_URL", "DESK_RPC_WS_URL", "DESK_PUMPPORTAL_WS", "DESK_DEXSCREENER_API"} <= set(printed)
        assert printed["DESK_PUMPPORTAL_WS"].startswith("ws://127.0.0.1:")
        assert printed["DESK_PUMPPORTAL_WS"].endswith("/api/data")

        async def ack() -> dict[str, Any]:
            async with websockets.connect(printed["DESK_PUMPPORTAL_WS"]) as feed:
                return await request(feed, {"method": "subscribeNewToken"})

        assert asyncio.run(ack()) == sample("01_ack_subscribeNewToken.json")
        assert httpx.get(printed["DESK_DEXSCREENER_API"] + "/tokens/v1/solana/x").json() == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode in (0, -signal.SIGTERM)
