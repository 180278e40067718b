"""Jupiter Price API v3 (protocols.md §5.5): USD prices by mint, with an ``x-api-key`` when one is set.

``GET {base}/price/v3?ids=<mint>,<mint>`` (at most 50 ids) answers an object keyed by mint; mints
without a reliable price are simply absent. ``usdPrice`` arrives as a JSON number and becomes a
:class:`~decimal.Decimal` at this edge (a display value, never an amount).

Without a key the client makes no request and reports :attr:`PriceStatus.NO_KEY` (keyless access to
``api.jup.ag`` is being phased out and allows 0.5 requests/s); :meth:`JupiterPriceClient.prices`
never raises for venue trouble, it returns a status and a message the UI can show.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import httpx

from desk.chain.ratelimit import RateLimit, SlidingWindowLimiter
from desk.core.errors import VenueError
from desk.venues.rest import RestGetter, VenueRateLimitedError, VenueRefusedError, to_decimal, valid_address

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.jup.ag"
WSOL_MINT = "So11111111111111111111111111111111111111112"
MAX_IDS_PER_CALL = 50
KEYED_LIMIT = RateLimit(60, 60.0)  # the free key's 1 request/s; paid tiers may pass a higher limit
KEYLESS_LIMIT = RateLimit(30, 60.0)


class PriceStatus(StrEnum):
    """How a price request went."""

    OK = "ok"
    NO_KEY = "no-key"
    RATE_LIMITED = "rate-limited"
    REFUSED = "refused"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class JupiterPrice:
    """One mint's price.

    Attributes:
        mint: Mint address.
        usd_price: USD per whole token.
        liquidity_usd: Liquidity Jupiter saw, if given.
        price_change_24h_pct: 24 h change in percent, if given.
        decimals: Mint decimals, if given.
        block_id: Slot the price was computed at, if given.
        created_at: When Jupiter started indexing the mint (ISO text, not the mint's creation).
    """

    mint: str
    usd_price: Decimal
    liquidity_usd: Decimal | None
    price_change_24h_pct: Decimal | None
    decimals: int | None
    block_id: int | None
    created_at: str | None


@dataclass(frozen=True, slots=True)
class PriceResult:
    """The outcome of a price request.

    Attributes:
        status: OK, or why there are no prices.
        prices: Prices by mint (mints Jupiter does not price are absent).
        message: A sentence for the user when the status is not OK.
    """

    status: PriceStatus
    prices: Mapping[str, JupiterPrice] = field(default_factory=dict)
    message: str = ""

    def usd(self, mint: str) -> Decimal | None:
        """Return the USD price of ``mint``, or None."""
        price = self.prices.get(mint)
        return price.usd_price if price else None


def _small_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63 else None


def parse_price_v3(payload: Any) -> dict[str, JupiterPrice]:
    """Parse a Price API v3 answer; entries without a usable ``usdPrice`` are left out.

    Raises:
        VenueError: the document is not a JSON object.
    """
    if not isinstance(payload, dict):
        raise VenueError("Jupiter answered the price request with a document that is not an object.")
    out: dict[str, JupiterPrice] = {}
    for mint, entry in payload.items():
        if not isinstance(entry, dict) or not valid_address(mint):
            continue
        usd = to_decimal(entry.get("usdPrice"))
        if usd is None:
            continue
        created = entry.get("createdAt")
        out[mint] = JupiterPrice(
            mint=mint, usd_price=usd, liquidity_usd=to_decimal(entry.get("liquidity")),
            price_change_24h_pct=to_decimal(entry.get("priceChange24h"), signed=True),
            decimals=d if (d := _small_int(entry.get("decimals"))) is not None and d <= 255 else None,
            block_id=_small_int(entry.get("blockId")),
            created_at=created[:40] if isinstance(created, str) else None,
        )
    return out


class JupiterPriceClient:
    """Read USD prices from Jupiter's Price API v3.

    Args:
        base_url: API base (``DESK_JUPITER_API``).
        api_key: Key from portal.jup.ag, sent as ``x-api-key``; None or "" for none.
        allow_keyless: Ask even without a key (keyless access is deprecated and heavily limited).
        transport: Injected httpx transport.
        rate_limit: Request budget; defaults to the free key's 60/min (30/min keyless).
        timeout: Seconds per attempt.
        retries: Extra attempts after 429, 5xx, timeouts or garbled answers.
        backoff: First backoff in seconds.
    """

    def __init__(self, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None, *,
                 allow_keyless: bool = False, transport: httpx.AsyncBaseTransport | None = None,
                 rate_limit: RateLimit | None = None, timeout: float = 5.0, retries: int = 2,
                 backoff: float = 0.5) -> None:
        self._key = (api_key or "").strip()
        self._allow_keyless = allow_keyless
        headers = {"x-api-key": self._key} if self._key else {}
        self._rest = RestGetter("Jupiter", base_url, transport=transport, headers=headers, timeout=timeout,
                                retries=retries, backoff=backoff)
        limit = rate_limit or (KEYED_LIMIT if self._key else KEYLESS_LIMIT)
        self._limiter = SlidingWindowLimiter(limit)

    @property
    def has_key(self) -> bool:
        """Whether an API key is set."""
        return bool(self._key)

    @property
    def enabled(self) -> bool:
        """Whether :meth:`prices` will make requests at all."""
        return bool(self._key) or self._allow_keyless

    async def aclose(self) -> None:
        """Close the pooled connection."""
        await self._rest.aclose()

    async def fetch(self, mints: Iterable[str]) -> dict[str, JupiterPrice]:
        """Return prices for ``mints``, 50 per request.

        Raises:
            VenueRateLimitedError: 429 after every retry.
            VenueRefusedError: the key was refused or the request was bad.
            VenueError: Jupiter could not be read, or a mint is malformed.
        """
        wanted = list(dict.fromkeys(mints))
        bad = [m for m in wanted if not valid_address(m)]
        if bad:
            raise VenueError(f"{bad[0][:60]!r} is not a Solana address.")
        out: dict[str, JupiterPrice] = {}
        for start in range(0, len(wanted), MAX_IDS_PER_CALL):
            chunk = wanted[start:start + MAX_IDS_PER_CALL]
            payload = await self._rest.get_json("/price/v3", params={"ids": ",".join(chunk)}, limiter=self._limiter)
            out.update({m: p for m, p in parse_price_v3(payload).items() if m in chunk})
        return out

    async def prices(self, mints: Iterable[str]) -> PriceResult:
        """Return prices for ``mints`` with a status; never raises for venue trouble."""
        if not self.enabled:
            return PriceResult(PriceStatus.NO_KEY, message="No Jupiter API key is set; Jupiter prices are off.")
        try:
            return PriceResult(PriceStatus.OK, await self.fetch(mints))
        except VenueRateLimitedError as e:
            return PriceResult(PriceStatus.RATE_LIMITED, message=str(e))
        except VenueRefusedError as e:
            log.info("Jupiter refused a price request: HTTP %d", e.status)
            return PriceResult(PriceStatus.REFUSED, message=str(e))
        except VenueError as e:
            return PriceResult(PriceStatus.UNAVAILABLE, message=str(e))

    async def sol_usd(self) -> Decimal | None:
        """Return the USD price of SOL (wSOL), or None when unavailable."""
        return (await self.prices([WSOL_MINT])).usd(WSOL_MINT)
