"""The DexScreener public API client (protocols.md §6): batched token lookups under its rate limits.

Limits are data: pair, token and search endpoints allow 300 requests/min, profiles and boosts 60/min.
The client budgets below both (250 and 50) and backs off on 429. Token lookups take at most 30
addresses per request; longer lists are split.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import httpx

from desk.chain.ratelimit import RateLimit, SlidingWindowLimiter
from desk.core.errors import VenueError
from desk.venues.dexscreener.parse import Pair, TokenProfile, parse_pairs, parse_profiles
from desk.venues.rest import RestGetter, valid_address

DEFAULT_BASE_URL = "https://api.dexscreener.com"
CHAIN = "solana"
MAX_ADDRESSES_PER_CALL = 30
PAIR_LIMIT = RateLimit(250, 60.0)  # documented 300/min for pairs, tokens and search
PROFILE_LIMIT = RateLimit(50, 60.0)  # documented 60/min for profiles and boosts
MAX_QUERY = 100


def chunks(items: Sequence[str], size: int = MAX_ADDRESSES_PER_CALL) -> list[list[str]]:
    """Split ``items`` into lists of at most ``size``."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


class DexScreenerClient:
    """Read pairs and feeds from DexScreener.

    Args:
        base_url: API base (``DESK_DEXSCREENER_API``).
        transport: Injected httpx transport.
        pair_limit: Budget for pair, token and search endpoints.
        profile_limit: Budget for profile and boost feeds.
        timeout: Seconds per attempt.
        retries: Extra attempts after 429, 5xx, timeouts or garbled answers.
        backoff: First backoff in seconds.
    """

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, transport: httpx.AsyncBaseTransport | None = None,
                 pair_limit: RateLimit | None = PAIR_LIMIT, profile_limit: RateLimit | None = PROFILE_LIMIT,
                 timeout: float = 5.0, retries: int = 3, backoff: float = 0.5) -> None:
        self._rest = RestGetter("DexScreener", base_url, transport=transport, timeout=timeout, retries=retries,
                                backoff=backoff)
        self._pairs = SlidingWindowLimiter(pair_limit) if pair_limit else None
        self._profiles = SlidingWindowLimiter(profile_limit) if profile_limit else None

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._rest.requests_made

    async def aclose(self) -> None:
        """Close the pooled connection."""
        await self._rest.aclose()

    async def token_pairs(self, mints: Iterable[str]) -> list[Pair]:
        """Return every Solana pair of the given mints (as base or quote), 30 mints per request.

        Duplicates are asked once; malformed addresses are refused before any request.

        Raises:
            VenueError: an address is malformed, or DexScreener could not be read.
        """
        wanted = list(dict.fromkeys(mints))
        bad = [m for m in wanted if not valid_address(m)]
        if bad:
            raise VenueError(f"{bad[0][:60]!r} is not a Solana address.")
        pairs: list[Pair] = []
        seen: set[str] = set()
        for chunk in chunks(wanted):
            payload = await self._rest.get_json(f"/tokens/v1/{CHAIN}/{','.join(chunk)}", limiter=self._pairs)
            for pair in parse_pairs(payload):
                if pair.pair_address not in seen:
                    seen.add(pair.pair_address)
                    pairs.append(pair)
        return pairs

    async def pairs_by_mint(self, mints: Iterable[str]) -> dict[str, list[Pair]]:
        """Return the pairs where each mint is the base token (an empty list when DexScreener has none)."""
        wanted = list(dict.fromkeys(mints))
        out: dict[str, list[Pair]] = {m: [] for m in wanted}
        for pair in await self.token_pairs(wanted):
            if pair.base.address in out:
                out[pair.base.address].append(pair)
        return out

    async def pair(self, pair_address: str) -> Pair | None:
        """Return one Solana pair by its pool address, or None if DexScreener does not know it.

        Raises:
            VenueError: the address is malformed, or DexScreener could not be read.
        """
        if not valid_address(pair_address):
            raise VenueError(f"{pair_address[:60]!r} is not a Solana address.")
        pairs = parse_pairs(await self._rest.get_json(f"/latest/dex/pairs/{CHAIN}/{pair_address}",
                                                      limiter=self._pairs))
        return next((p for p in pairs if p.pair_address == pair_address), pairs[0] if pairs else None)

    async def search(self, query: str) -> list[Pair]:
        """Return pairs matching free text (about 30 results, all chains).

        Raises:
            VenueError: DexScreener could not be read.
        """
        return parse_pairs(await self._rest.get_json("/latest/dex/search", params={"q": query[:MAX_QUERY]},
                                                     limiter=self._pairs))

    async def latest_profiles(self) -> list[TokenProfile]:
        """Return the latest token profiles (all chains; the feed can repeat items)."""
        return parse_profiles(await self._rest.get_json("/token-profiles/latest/v1", limiter=self._profiles))

    async def latest_boosts(self) -> list[TokenProfile]:
        """Return the latest boosted tokens (all chains)."""
        return parse_profiles(await self._rest.get_json("/token-boosts/latest/v1", limiter=self._profiles))
