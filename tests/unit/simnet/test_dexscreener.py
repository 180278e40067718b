"""The simnet DexScreener endpoints: the pair shape, windows, the 30-address limit, migrated tokens."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from solders.pubkey import Pubkey

from desk.simnet.chain import SimChain
from desk.simnet.dexscreener import DexScreenerApi, DexScreenerError, DexScreenerServer, significant
from desk.simnet.market import SimMarket
from desk.simnet.traders import Activity, SimTraders
from tests.unit.simnet.samples import sample, shape

SOL = 1_000_000_000


@pytest.fixture
def traders() -> SimTraders:
    traders = SimTraders(SimMarket(SimChain(), seed=9), Activity(seed=9, traders=5))
    traders.step(creates=2, trades=30)
    return traders


@pytest.fixture
def server(traders: SimTraders) -> Iterator[DexScreenerServer]:
    server = DexScreenerServer(traders.market).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("0.000000100444"), "0.0000001004"), (Decimal("0.0000082015"), "0.000008202"), (Decimal("150"), "150.0"),
    (Decimal("0.02169"), "0.02169"), (Decimal(0), "0"), (Decimal("123456"), "123500"),
])
def test_prices_have_four_significant_digits(value: Decimal, text: str) -> None:
    assert significant(value) == text


def test_curve_pair_has_dexscreener_shape_without_liquidity(traders: SimTraders) -> None:
    token = traders.market.tokens()[0]
    [pair] = DexScreenerApi(traders.market).get(f"/tokens/v1/solana/{token.token.mint}")
    recorded = sample("pair_pumpfun_bonding_curve.json")
    expected = shape({k: v for k, v in recorded.items() if k != "info"})
    got = shape(pair)
    assert set(got) == set(expected) and "liquidity" not in pair
    for key in ("baseToken", "quoteToken", "txns", "volume"):
        assert got[key] == expected[key]
    assert pair["dexId"] == "pumpfun" and pair["pairAddress"] == str(token.token.accounts.bonding_curve)
    trades = traders.market.recent_trades(token.token.mint)
    assert pair["txns"]["h24"] == {"buys": sum(t.is_buy for t in trades), "sells": sum(not t.is_buy for t in trades)}
    price = Decimal(token.state.virtual_sol) * 10**6 / (Decimal(token.state.virtual_token) * SOL)
    assert pair["priceNative"] == significant(price)
    assert pair["priceUsd"] == significant(price * 150)
    assert pair["marketCap"] == pair["fdv"] == round(token.state.market_cap / SOL * 150, 2)
    assert pair["volume"]["h24"] == round(sum(t.sol for t in trades) / SOL * 150, 2)
    assert pair["pairCreatedAt"] == token.token.created_ms


def test_routes_limits_and_unknown_tokens(traders: SimTraders) -> None:
    api = DexScreenerApi(traders.market)
    mints = [str(t.token.mint) for t in traders.market.tokens()]
    assert len(api.get("/tokens/v1/solana/" + ",".join(mints))) == 2
    assert api.get("/tokens/v1/ethereum/" + mints[0]) == []
    assert api.get(f"/token-pairs/v1/solana/{mints[1]}")[0]["baseToken"]["address"] == mints[1]
    latest = api.get("/latest/dex/tokens/" + ",".join(mints))
    assert latest["schemaVersion"] == "1.0.0" and len(latest["pairs"]) == 2
    assert api.get(f"/latest/dex/tokens/{Pubkey.new_unique()}") == {"schemaVersion": "1.0.0", "pairs": None}
    thirty = [str(Pubkey.new_unique()) for _ in range(29)] + [mints[0]]
    assert len(api.get("/tokens/v1/solana/" + ",".join(thirty))) == 1
    with pytest.raises(DexScreenerError) as info:
        api.get("/tokens/v1/solana/" + ",".join([*thirty, str(Pubkey.new_unique())]))
    assert info.value.status == 400
    with pytest.raises(DexScreenerError) as info:
        api.get("/nothing/here")
    assert info.value.status == 404


def test_migrated_token_adds_a_pumpswap_pair_with_liquidity(traders: SimTraders) -> None:
    market = traders.market
    mint = market.tokens()[0].token.mint
    whale = market.new_keypair()
    market.chain.airdrop(whale.pubkey(), 300 * SOL)
    market.buy(whale, mint, 200 * SOL)
    amm, curve_pair = DexScreenerApi(market).get(f"/tokens/v1/solana/{mint}")
    migration = market.token(mint).migration  # type: ignore[union-attr]
    assert migration is not None
    assert amm["dexId"] == "pumpswap" and amm["pairAddress"] == str(migration.pool)
    assert amm["liquidity"]["quote"] == migration.pool_sol / SOL
    assert amm["liquidity"]["base"] == migration.pool_tokens / 10**6
    assert curve_pair["dexId"] == "pumpfun" and "liquidity" not in curve_pair


def test_http_server_answers_json_and_status_codes(server: DexScreenerServer, traders: SimTraders) -> None:
    mint = str(traders.market.tokens()[0].token.mint)
    with httpx.Client(base_url=server.url) as http:
        ok = http.get(f"/tokens/v1/solana/{mint}")
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
        assert ok.json()[0]["baseToken"]["address"] == mint
        many = ",".join(str(Pubkey.new_unique()) for _ in range(31))
        assert http.get(f"/tokens/v1/solana/{many}").status_code == 400
        assert http.get("/latest/dex/tokens/" + many).status_code == 400
        assert http.get("/").status_code == 404
        assert http.post("/tokens/v1/solana/x", content=b"{}").status_code == 405
        assert http.get(f"/latest/dex/tokens/{mint}").json()["pairs"][0]["chainId"] == "solana"


def test_pairs_by_pair_address_and_search(traders: SimTraders) -> None:
    api = DexScreenerApi(traders.market)
    token = traders.market.tokens()[1]
    curve = str(token.token.accounts.bonding_curve)
    found = api.get(f"/latest/dex/pairs/solana/{curve}")
    assert [p["baseToken"]["address"] for p in found["pairs"]] == [str(token.token.mint)]
    assert api.get(f"/latest/dex/pairs/solana/{Pubkey.new_unique()}")["pairs"] is None
    by_symbol = api.get(f"/latest/dex/search?q={token.token.symbol.lower()}")["pairs"]
    assert str(token.token.mint) in {p["baseToken"]["address"] for p in by_symbol}
    assert api.get("/latest/dex/search?q=")["pairs"] == []
