"""Jupiter Price API v3: the recorded sample, hostile shapes, the key header, and clean degradation."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from solders.pubkey import Pubkey

from desk.chain.ratelimit import RateLimit
from desk.core.errors import VenueError
from desk.venues.jupiter.price import WSOL_MINT, JupiterPriceClient, PriceStatus, parse_price_v3
from tests.unit.venues.fakevenue import FakeVenue, Reply, sample

BONK = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"


def mock(handler: Callable[[httpx.Request], httpx.Response], key: str | None = "k-123", **kw: Any
         ) -> JupiterPriceClient:
    return JupiterPriceClient("https://jup.test", key, transport=httpx.MockTransport(handler), backoff=0.01, **kw)


def test_sample_parses_to_decimal_prices() -> None:
    prices = parse_price_v3(sample("jupiter", "price_v3.json"))
    assert set(prices) == {BONK, WSOL_MINT}
    sol = prices[WSOL_MINT]
    assert sol.usd_price == Decimal("81.63299710462975") and sol.decimals == 9 and sol.block_id == 430544445
    assert prices[BONK].usd_price == Decimal("0.000004492159735952627")
    assert prices[BONK].price_change_24h_pct == Decimal("3.518387200425376")
    assert sol.created_at == "2024-06-05T08:55:25.527Z"


@pytest.mark.parametrize("payload", [[], None, "x", 3])
def test_non_object_answers_raise(payload: Any) -> None:
    with pytest.raises(VenueError, match="not an object"):
        parse_price_v3(payload)


def test_hostile_entries_are_left_out() -> None:
    good = sample("jupiter", "price_v3.json")[WSOL_MINT]
    payload = {
        WSOL_MINT: {**good, "decimals": 10**30, "blockId": -1, "createdAt": 5, "priceChange24h": "-2.5"},
        BONK: {"usdPrice": None}, "not-a-mint": good, str(Pubkey.new_unique()): "x",
        str(Pubkey.new_unique()): {"usdPrice": "NaN"}, str(Pubkey.new_unique()): {"usdPrice": -1},
    }
    prices = parse_price_v3(payload)
    assert list(prices) == [WSOL_MINT]
    sol = prices[WSOL_MINT]
    assert sol.decimals is None and sol.block_id is None and sol.created_at is None
    assert sol.price_change_24h_pct == Decimal("-2.5")


async def test_key_is_sent_as_x_api_key_and_ids_are_batched_by_50() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        ids = request.url.params["ids"].split(",")
        return httpx.Response(200, json={m: {"usdPrice": 1.5} for m in ids})

    client = mock(handler)
    wanted = [str(Pubkey.new_unique()) for _ in range(120)]
    result = await client.prices(wanted)
    assert result.status is PriceStatus.OK and len(result.prices) == 120
    assert [len(r.url.params["ids"].split(",")) for r in seen] == [50, 50, 20]
    assert all(r.headers["x-api-key"] == "k-123" and r.url.path == "/price/v3" for r in seen)
    assert result.usd(wanted[0]) == Decimal("1.5")
    await client.aclose()


async def test_without_a_key_no_request_is_made_and_the_status_says_so() -> None:
    calls: list[httpx.Request] = []
    client = mock(lambda r: calls.append(r) or httpx.Response(200, json={}), key=None)
    result = await client.prices([WSOL_MINT])
    assert result.status is PriceStatus.NO_KEY and "No Jupiter API key" in result.message
    assert result.prices == {} and await client.sol_usd() is None and calls == []
    assert not client.has_key and not client.enabled
    await client.aclose()


async def test_keyless_can_be_allowed_explicitly_and_sends_no_key_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=sample("jupiter", "price_v3.json"))

    client = mock(handler, key="", allow_keyless=True)
    assert await client.sol_usd() == Decimal("81.63299710462975")
    assert "x-api-key" not in seen[0].headers
    await client.aclose()


@pytest.mark.parametrize(("reply", "status", "text"), [
    (httpx.Response(401, json={"error": "bad key"}), PriceStatus.REFUSED, "API key is missing or not accepted"),
    (httpx.Response(429), PriceStatus.RATE_LIMITED, "HTTP 429"),
    (httpx.Response(500), PriceStatus.UNAVAILABLE, "HTTP 500"),
    (httpx.Response(200, text="<html>"), PriceStatus.UNAVAILABLE, "not JSON"),
    (httpx.Response(200, json=[1, 2]), PriceStatus.UNAVAILABLE, "not an object"),
])
async def test_failures_become_a_status_never_an_exception(reply: httpx.Response, status: PriceStatus,
                                                           text: str) -> None:
    client = mock(lambda r: reply, retries=1)
    result = await client.prices([WSOL_MINT])
    assert result.status is status and text in result.message and result.prices == {}
    await client.aclose()


async def test_malformed_mint_is_unavailable_not_a_crash() -> None:
    client = mock(lambda r: httpx.Response(200, json={}))
    result = await client.prices(["bad mint"])
    assert result.status is PriceStatus.UNAVAILABLE and "not a Solana address" in result.message
    await client.aclose()


async def test_unreachable_host_is_unavailable() -> None:
    client = JupiterPriceClient("http://127.0.0.1:9", "k", timeout=0.5, retries=1, backoff=0.01)
    result = await client.prices([WSOL_MINT])
    assert result.status is PriceStatus.UNAVAILABLE and "connection failed" in result.message
    await client.aclose()


async def test_local_server_recorded_answer_and_key(venue_factory: Callable[..., FakeVenue]) -> None:
    def script(n: int, path: str, headers: dict[str, str]) -> Reply:
        if headers.get("x-api-key") != "secret-key":
            return 401, b'{"message":"Unauthorized"}', {}
        if n == 1:
            return 429, b'{"message":"Too many requests"}', {"retry-after": "0.05"}
        return 200, json.dumps(sample("jupiter", "price_v3.json")).encode(), {}

    venue = venue_factory(script)
    client = JupiterPriceClient(venue.url, "secret-key", rate_limit=RateLimit(10, 1.0), timeout=2.0, backoff=0.01)
    result = await client.prices([WSOL_MINT, BONK])
    assert result.status is PriceStatus.OK and set(result.prices) == {WSOL_MINT, BONK}
    assert venue.requests[-1][0].startswith("/price/v3?ids=So11111111111111111111111111111111111111112")
    wrong = JupiterPriceClient(venue.url, "wrong", timeout=2.0)
    assert (await wrong.prices([WSOL_MINT])).status is PriceStatus.REFUSED
    await client.aclose()
    await wrong.aclose()


@pytest.mark.parametrize("base", ["api.jup.ag", "ftp://x", "http://[::1", ""])
async def test_misconfigured_base_url_is_a_clear_status(base: str) -> None:
    client = JupiterPriceClient(base, "k", retries=3, backoff=5.0)  # no retry: a config error fails at once
    result = await client.prices([WSOL_MINT])
    assert result.status is PriceStatus.UNAVAILABLE and "is not an http(s) URL" in result.message
    await client.aclose()
