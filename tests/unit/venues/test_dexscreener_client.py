"""The DexScreener client: batching, rate limiting, retries and clear errors (MockTransport and a local server)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from solders.pubkey import Pubkey

from desk.chain.ratelimit import RateLimit
from desk.core.errors import VenueError
from desk.venues.dexscreener.client import MAX_ADDRESSES_PER_CALL, DexScreenerClient
from desk.venues.rest import VenueRateLimitedError, VenueRefusedError
from tests.unit.venues.fakevenue import FakeVenue, Reply, sample

CURVE_MINT = "B3cHPmFf6pokbEi1Y5ZyLSUSnXfrLQjMS5kFLEz7pump"


def mints(n: int) -> list[str]:
    return [str(Pubkey.new_unique()) for _ in range(n)]


def mock(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> DexScreenerClient:
    return DexScreenerClient("https://dex.test", transport=httpx.MockTransport(handler), backoff=0.01, **kw)


def echo_pairs(request: httpx.Request) -> httpx.Response:
    """Answer /tokens/v1/solana/{a,b,...} with one curve pair per address, like DexScreener does."""
    addresses = request.url.path.rsplit("/", 1)[1].split(",")
    pairs = []
    for i, address in enumerate(addresses):
        pair = sample("dexscreener", "pair_pumpfun_bonding_curve.json")
        pair["baseToken"]["address"] = address
        pair["pairAddress"] = f"{address[:30]}{i:02d}"
        pairs.append(pair)
    return httpx.Response(200, json=pairs)


async def test_token_pairs_batches_at_most_30_addresses_per_request() -> None:
    seen: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.startswith("/tokens/v1/solana/")
        seen.append(request.url.path.rsplit("/", 1)[1].split(","))
        return echo_pairs(request)

    wanted = mints(65)
    client = mock(handler)
    by_mint = await client.pairs_by_mint(wanted + wanted[:10])  # duplicates are asked once
    assert [len(batch) for batch in seen] == [30, 30, 5]
    assert all(len(batch) <= MAX_ADDRESSES_PER_CALL for batch in seen)
    assert sorted(m for batch in seen for m in batch) == sorted(wanted)
    assert all(len(by_mint[m]) == 1 for m in wanted)
    await client.aclose()


async def test_malformed_addresses_are_refused_before_any_request() -> None:
    calls = []
    client = mock(lambda r: calls.append(r) or httpx.Response(200, json=[]))
    for bad in ["../../etc/passwd", "abc", "0OIl" * 10, "So1111,1111"]:
        with pytest.raises(VenueError, match="not a Solana address"):
            await client.token_pairs([bad])
    assert calls == []
    await client.aclose()


async def test_429_is_retried_honouring_retry_after() -> None:
    count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        if count < 3:
            return httpx.Response(429, text="Too Many Requests", headers={"retry-after": "0.05"})
        return echo_pairs(request)

    client = mock(handler)
    started = time.monotonic()
    pairs = await client.token_pairs([CURVE_MINT])
    assert len(pairs) == 1 and count == 3
    assert time.monotonic() - started >= 0.1
    await client.aclose()


async def test_persistent_429_raises_a_rate_limit_error() -> None:
    client = mock(lambda r: httpx.Response(429), retries=2)
    with pytest.raises(VenueRateLimitedError, match=r"rate-limiting this desk \(HTTP 429\) \(tried 3 times\)"):
        await client.token_pairs([CURVE_MINT])
    await client.aclose()


async def test_5xx_and_garbage_are_retried_then_reported() -> None:
    replies = iter([httpx.Response(502, text="<html>bad gateway</html>"), httpx.Response(200, text="<html>"),
                    httpx.Response(200, json=[sample("dexscreener", "pair_pumpfun_bonding_curve.json")])])
    client = mock(lambda r: next(replies))
    assert [p.base.address for p in await client.token_pairs([CURVE_MINT])] == [CURVE_MINT]
    await client.aclose()
    client = mock(lambda r: httpx.Response(503), retries=1)
    with pytest.raises(VenueError, match="HTTP 503"):
        await client.token_pairs([CURVE_MINT])
    await client.aclose()


async def test_4xx_fails_at_once_with_the_status() -> None:
    calls = []
    client = mock(lambda r: calls.append(r) or httpx.Response(404, text="not found"))
    with pytest.raises(VenueRefusedError, match="HTTP 404") as info:
        await client.token_pairs([CURVE_MINT])
    assert info.value.status == 404 and len(calls) == 1
    await client.aclose()


async def test_transport_errors_give_a_clear_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = mock(handler, retries=1)
    with pytest.raises(VenueError, match=r"connection failed \(ConnectError\)"):
        await client.token_pairs([CURVE_MINT])
    await client.aclose()


async def test_wrong_document_shape_is_a_venue_error() -> None:
    client = mock(lambda r: httpx.Response(200, json={"error": "nope"}))
    with pytest.raises(VenueError, match="not a pair list"):
        await client.token_pairs([CURVE_MINT])
    await client.aclose()


async def test_pair_search_and_feeds_use_their_endpoints() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(str(request.url.raw_path, "ascii"))
        if request.url.path.startswith("/latest/dex/"):
            return httpx.Response(200, json=sample("dexscreener", "latest_dex_tokens_bonk_full.json"))
        return httpx.Response(200, json=sample("dexscreener", "token_boosts_latest_first2.json"))

    client = mock(handler)
    pair = await client.pair("5zpyutJu9ee6jFymDGoK7F6S5Kczqtc9FomP3ueKuyA9")
    assert pair is not None and pair.dex_id == "orca"
    assert len(await client.search("bonk & friends")) > 1
    assert len(await client.latest_boosts()) == 2 and len(await client.latest_profiles()) == 2
    assert paths == ["/latest/dex/pairs/solana/5zpyutJu9ee6jFymDGoK7F6S5Kczqtc9FomP3ueKuyA9",
                     "/latest/dex/search?q=bonk+%26+friends", "/token-boosts/latest/v1", "/token-profiles/latest/v1"]
    await client.aclose()


# --- against a local server speaking the recorded protocol --------------------------------------------


def recorded(n: int, path: str, headers: dict[str, str]) -> Reply:
    if path.startswith("/tokens/v1/solana/"):
        addresses = path.rsplit("/", 1)[1].split(",")
        pairs = [sample("dexscreener", "pair_pumpfun_bonding_curve.json")] if CURVE_MINT in addresses else []
        return 200, json.dumps(pairs).encode(), {}
    return 404, b'{"error":"not found"}', {}


async def test_local_server_rate_limit_spaces_requests(venue_factory: Callable[..., FakeVenue]) -> None:
    venue = venue_factory(recorded)
    client = DexScreenerClient(venue.url, pair_limit=RateLimit(2, 0.3), timeout=2.0)
    for _ in range(3):
        pairs = await client.token_pairs([CURVE_MINT])
        assert pairs[0].base.address == CURVE_MINT and pairs[0].liquidity is None
    assert len(venue.requests) == 3
    assert venue.stamps[2] - venue.stamps[0] >= 0.29
    assert venue.requests[0][1]["accept"] == "application/json"
    await client.aclose()


async def test_local_server_429_then_recorded_answer(venue_factory: Callable[..., FakeVenue]) -> None:
    venue = venue_factory(lambda n, path, h: (429, b"slow down", {"retry-after": "0.05"}) if n == 1
                          else recorded(n, path, h))
    client = DexScreenerClient(venue.url, timeout=2.0, backoff=0.01)
    by_mint = await client.pairs_by_mint([CURVE_MINT, str(Pubkey.new_unique())])
    assert len(by_mint[CURVE_MINT]) == 1 and len(venue.requests) == 2
    await client.aclose()


async def test_local_server_that_stalls_times_out_quickly(venue_factory: Callable[..., FakeVenue]) -> None:
    venue = venue_factory(lambda n, path, h: None)
    client = DexScreenerClient(venue.url, timeout=0.2, retries=1, backoff=0.01)
    with pytest.raises(VenueError, match="did not answer in time"):
        await client.token_pairs([CURVE_MINT])
    await client.aclose()


async def test_oversized_answer_is_refused() -> None:
    client = mock(lambda r: httpx.Response(200, content=b"[" + b" " * 9_000_000 + b"]"))
    with pytest.raises(VenueError, match="too large"):
        await client.token_pairs([CURVE_MINT])
    await client.aclose()
