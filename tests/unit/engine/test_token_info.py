"""TokenInfoService against a scripted RPC (MockTransport) and scripted venues: retries, fallbacks, degradation."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from solders.pubkey import Pubkey

from desk.chain.rpc import RpcClient
from desk.chain.rpctypes import TOKEN_PROGRAM
from desk.core.errors import ValidationError
from desk.core.safety import Level
from desk.engine.token_info import TokenInfoService, sol_usd_from_pairs, sol_usd_from_ratio
from desk.venues.dexscreener import DexScreenerClient, parse_pairs
from desk.venues.jupiter import JupiterPriceClient
from desk.venues.jupiter.price import WSOL_MINT
from desk.venues.pumpfun.curve_account import (
    PUMP_PROGRAM_ID,
    BondingCurveAccount,
    associated_bonding_curve,
    bonding_curve_address,
    encode_bonding_curve,
)
from tests.unit.venues.fakevenue import sample

MINT = "B3cHPmFf6pokbEi1Y5ZyLSUSnXfrLQjMS5kFLEz7pump"  # the recorded DexScreener curve pair's token
CREATOR = str(Pubkey.new_unique())
CURVE = bonding_curve_address(MINT)
CURVE_ATA = associated_bonding_curve(CURVE, MINT, Pubkey.from_string(TOKEN_PROGRAM))
SUPPLY = 10**15
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def account(owner: str, data: bytes) -> dict[str, Any]:
    return {"lamports": 1_000_000, "owner": owner, "executable": False, "rentEpoch": 0,
            "data": [base64.b64encode(data).decode(), "base64"], "space": len(data)}


def mint_data() -> bytes:
    return bytes(36) + struct.pack("<QBB", SUPPLY, 6, 1) + bytes(36)


def token_account(owner: Pubkey, amount: int) -> bytes:
    return bytes(Pubkey.from_string(MINT)) + bytes(owner) + struct.pack("<Q", amount) + bytes(36) + b"\x01" + bytes(56)


HOLDERS = [(str(CURVE_ATA), CURVE, 700 * 10**12)] + [
    (str(Pubkey.new_unique()), Pubkey.new_unique(), (20 - i) * 10**12) for i in range(12)]


class FakeRpc:
    """Answers the methods TokenInfoService uses; ``largest`` scripts getTokenLargestAccounts."""

    def __init__(self, largest: list[dict[str, Any]] | None = None) -> None:
        self.calls: list[str] = []
        self.largest = largest or []
        curve = BondingCurveAccount(1_000_000_000_000_000, 32_190_000_000, 720_000_000_000_000, 2_190_000_000,
                                    SUPPLY, False, CREATOR, False, False, None)
        self.accounts: dict[str, dict[str, Any] | None] = {
            MINT: account(TOKEN_PROGRAM, mint_data()),
            str(CURVE): account(str(PUMP_PROGRAM_ID), encode_bonding_curve(curve)),
            **{addr: account(TOKEN_PROGRAM, token_account(owner, amount)) for addr, owner, amount in HOLDERS},
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        method, params = body["method"], body["params"]
        self.calls.append(method)
        ctx = {"context": {"slot": 1}}
        if method == "getMultipleAccounts":
            result: Any = {**ctx, "value": [self.accounts.get(k) for k in params[0]]}
        elif method == "getTokenLargestAccounts":
            reply = self.largest.pop(0) if self.largest else {"result": {**ctx, "value": [
                {"address": a, "amount": str(n), "decimals": 6} for a, _, n in HOLDERS]}}
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], **reply})
        elif method == "getTokenAccountsByOwner":
            result = {**ctx, "value": [{"pubkey": str(Pubkey.new_unique()), "account": {
                "lamports": 2039280, "owner": TOKEN_PROGRAM, "executable": False, "data": {
                    "program": "spl-token", "parsed": {"type": "account", "info": {
                        "mint": MINT, "owner": CREATOR,
                        "tokenAmount": {"amount": str(30 * 10**12), "decimals": 6}}}}}}]}
        else:
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"],
                                             "error": {"code": -32601, "message": "Method not found"}})
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})


OVERLOADED = sample("solana_rpc", "get_token_largest_accounts.json")  # verbatim -32603 answer


def service(rpc: FakeRpc, dex: Callable[[httpx.Request], httpx.Response] | None = None,
            jup: Callable[[httpx.Request], httpx.Response] | None = None, key: str | None = None) -> TokenInfoService:
    client = RpcClient("http://rpc.test", transport=httpx.MockTransport(rpc), retries=0)
    dexscreener = (DexScreenerClient("https://dex.test", transport=httpx.MockTransport(dex), retries=0)
                   if dex else None)
    jupiter = (JupiterPriceClient("https://jup.test", key, transport=httpx.MockTransport(jup), retries=0)
               if jup else None)
    return TokenInfoService(client, dexscreener, jupiter, retry_delay=0.01, clock=lambda: 1234)


def dex_answer(request: httpx.Request) -> httpx.Response:
    curve_pair = sample("dexscreener", "pair_pumpfun_bonding_curve.json")
    assert curve_pair["pairAddress"] == str(CURVE)  # the real pair address is the PDA derived from the mint
    sol_pair = {"chainId": "solana", "dexId": "raydium", "pairAddress": str(Pubkey.new_unique()),
                "baseToken": {"address": WSOL_MINT, "symbol": "SOL"}, "quoteToken": {"address": USDC, "symbol": "USDC"},
                "priceNative": "150.1", "priceUsd": "150.1", "liquidity": {"usd": 5_000_000}}
    return httpx.Response(200, json=[curve_pair, sol_pair])


async def test_details_from_chain_and_dexscreener() -> None:
    details = await service(FakeRpc(), dex_answer).details(MINT)
    assert details.fetched_ms == 1234 and details.symbol == "SOL" and details.name == "Spirit of Liberty"
    assert details.mint_facts is not None and details.mint_facts.supply == SUPPLY
    curve = details.curve
    assert curve is not None and curve.address == str(CURVE) and curve.token_account == str(CURVE_ATA)
    assert curve.progress_bps == (793_100 - 720_000) * 10_000 // 793_100 and not curve.graduated
    assert curve.price_sol == Decimal("0.00000003219")
    holders = details.holders
    assert [h.account for h in holders.excluded] == [str(CURVE_ATA)]
    assert len(holders.top) == 10 and holders.top10_amount == sum(range(11, 21)) * 10**12
    assert holders.top10_bps == 1550
    assert details.creator is not None and details.creator.amount == 30 * 10**12 and details.creator.bps == 300
    market = details.market
    assert market.sol_usd == Decimal("150.1") and market.sol_usd_source == "dexscreener-sol-pair"
    assert market.pair is not None and market.pair.on_pump_curve and market.pair_count == 1
    assert market.jupiter_status == "off"
    assert details.price_usd == Decimal("0.00000003219") * Decimal("150.1")  # live curve price × SOL
    assert details.market_cap_usd == details.price_usd * Decimal(10**9)
    levels = {b.key: b.level for b in details.badges}
    assert levels["top10"] is Level.OK and levels["mint-authority"] is Level.OK and levels["curve"] is Level.OK
    assert details.notes == ()


async def test_overloaded_largest_accounts_is_retried_then_succeeds() -> None:
    rpc = FakeRpc(largest=[OVERLOADED, OVERLOADED])
    details = await service(rpc).details(MINT)
    assert rpc.calls.count("getTokenLargestAccounts") == 3
    assert details.holders.top10_bps == 1550


async def test_overloaded_largest_accounts_becomes_unknown_after_the_retries() -> None:
    rpc = FakeRpc(largest=[OVERLOADED] * 3)
    details = await service(rpc).details(MINT)
    assert rpc.calls.count("getTokenLargestAccounts") == 3
    assert details.holders.top10_bps is None and "overloaded" in details.holders.reason
    top10 = {b.key: b for b in details.badges}["top10"]
    assert top10.label == "Top 10 holders unknown" and "overloaded" in top10.reason
    assert any("overloaded" in n for n in details.notes)


async def test_jupiter_with_a_key_supplies_sol_usd_and_the_token_price() -> None:
    def jup(request: httpx.Request) -> httpx.Response:
        assert request.headers["x-api-key"] == "k"
        return httpx.Response(200, json={WSOL_MINT: {"usdPrice": 200.5}, MINT: {"usdPrice": 0.00001}})

    details = await service(FakeRpc(), dex_answer, jup, key="k").details(MINT)
    assert details.market.sol_usd == Decimal("200.5") and details.market.sol_usd_source == "jupiter"
    assert details.market.jupiter is not None and details.market.jupiter.usd_price == Decimal("0.00001")
    assert details.market.jupiter_status == "ok"


async def test_no_jupiter_key_and_dexscreener_down_degrade_to_ratio_or_unknown() -> None:
    jupiter_calls: list[httpx.Request] = []

    def jup(request: httpx.Request) -> httpx.Response:
        jupiter_calls.append(request)
        return httpx.Response(500)

    details = await service(FakeRpc(), lambda r: httpx.Response(503), jup).details(MINT)
    assert jupiter_calls == [] and details.market.jupiter_status == "no-key"
    assert details.market.sol_usd is None and details.market.pair is None and details.price_usd is None
    assert details.price_sol is not None  # still known from the curve
    assert any("DexScreener" in n and "HTTP 503" in n for n in details.notes)


async def test_missing_mint_is_a_note_not_an_exception() -> None:
    rpc = FakeRpc()
    rpc.accounts[MINT] = None
    details = await service(rpc).details(MINT)
    assert details.mint_facts is None and details.curve is None
    assert "No mint account" in details.notes[0]


async def test_curve_address_not_owned_by_pump_is_ignored_with_a_note() -> None:
    rpc = FakeRpc()
    rpc.accounts[str(CURVE)] = account("11111111111111111111111111111111", b"")
    details = await service(rpc).details(MINT)
    assert details.curve is None and details.creator is None
    assert any("not owned by the pump.fun program" in n for n in details.notes)


async def test_dexscreener_curve_address_mismatch_is_noted() -> None:
    def dex(request: httpx.Request) -> httpx.Response:
        pair = sample("dexscreener", "pair_pumpfun_bonding_curve.json")
        pair["pairAddress"] = str(Pubkey.new_unique())
        return httpx.Response(200, json=[pair])

    details = await service(FakeRpc(), dex).details(MINT)
    assert any("different bonding-curve address" in n for n in details.notes)
    assert details.market.sol_usd_source == "dexscreener-ratio"
    assert details.market.sol_usd == Decimal("0.000008201") / Decimal("0.0000001004")


async def test_rpc_down_gives_notes_and_unknowns() -> None:
    client = RpcClient("http://127.0.0.1:9", timeout=0.3, retries=0)
    details = await TokenInfoService(client).details(MINT)
    assert details.mint_facts is None and details.holders.top10_bps is None
    assert "could not be read" in details.notes[0]
    await client.aclose()


async def test_malformed_mint_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="not a Solana address"):
        await service(FakeRpc()).details("not a mint")


def test_sol_usd_helpers_ignore_thin_and_foreign_pairs() -> None:
    pairs = parse_pairs(sample("dexscreener", "latest_dex_tokens_bonk_full.json"))
    assert sol_usd_from_pairs(pairs) is None  # no SOL/stablecoin pair among BONK's
    assert sol_usd_from_ratio(None) is None
    assert sol_usd_from_ratio(pairs[0]) is None  # quoted in MET, not SOL
