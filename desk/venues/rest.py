"""A JSON-over-HTTPS GET helper shared by the REST venues: rate limit, short timeouts, retries, clear errors."""

from __future__ import annotations

import asyncio
import math
import random
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import orjson

from desk.chain.ratelimit import SlidingWindowLimiter
from desk.core.errors import VenueError

MAX_RESPONSE_BYTES = 8_000_000
MAX_RETRY_AFTER = 30.0
MAX_EXPONENT = 40  # |log10| beyond this is garbage, and would overflow Decimal arithmetic later
_ADDRESS = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")


class VenueRateLimitedError(VenueError):
    """The venue kept answering HTTP 429 after every retry."""


class VenueRefusedError(VenueError):
    """The venue answered a 4xx other than 429 (bad request, bad key, unknown path).

    Attributes:
        status: The HTTP status code.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class RestGetter:
    """GET JSON documents from one venue with rate limiting and retries.

    429 (honouring a short ``Retry-After``), 5xx, timeouts, dropped connections and non-JSON bodies
    are retried with exponential backoff and jitter; any other status fails at once.

    Args:
        venue: Human name used in error messages ("DexScreener").
        base_url: Base URL without a trailing path, e.g. ``https://api.dexscreener.com``.
        transport: Injected httpx transport (tests, proxies); default is a pooled connection.
        headers: Headers sent with every request.
        timeout: Seconds per attempt.
        retries: Extra attempts after a retryable failure.
        backoff: First backoff in seconds; doubles each retry.
    """

    def __init__(self, venue: str, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float = 5.0, retries: int = 3,
                 backoff: float = 0.5) -> None:
        self.venue = venue
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            transport=transport, timeout=timeout, follow_redirects=False,
            headers={"accept": "application/json", **(headers or {})},
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
        )
        self._retries = retries
        self._backoff = backoff
        self.requests_made = 0

    async def aclose(self) -> None:
        """Close the pooled connection."""
        await self._http.aclose()

    async def get_json(self, path: str, *, params: Mapping[str, str] | None = None,
                       limiter: SlidingWindowLimiter | None = None) -> Any:
        """GET ``base_url + path`` and return the decoded JSON body.

        Raises:
            VenueRateLimitedError: HTTP 429 after every retry.
            VenueRefusedError: HTTP 4xx other than 429.
            VenueError: a base URL that is not http(s); unreachable, timing out, 5xx or not JSON after every retry.
        """
        url = f"{self.base_url}{path}"
        last_problem = ""
        rate_limited = False
        for attempt in range(self._retries + 1):
            if attempt:
                delay = self._backoff * (2 ** (attempt - 1)) * (0.5 + random.random())  # noqa: S311 - jitter
                await asyncio.sleep(min(delay, 10.0))
            if limiter is not None:
                await limiter.acquire()
            self.requests_made += 1
            rate_limited = False
            try:
                response = await self._http.get(url, params=params)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
                raise VenueError(f"{self.venue}'s address {self.base_url[:100]!r} is not an http(s) URL.") from e
            except httpx.TimeoutException:
                last_problem = "it did not answer in time"
                continue
            except httpx.HTTPError as e:
                last_problem = f"the connection failed ({type(e).__name__})"
                continue
            if response.status_code == 429:
                rate_limited = True
                last_problem = "it is rate-limiting this desk (HTTP 429)"
                await _honour_retry_after(response)
                continue
            if response.status_code >= 500:
                last_problem = f"it failed with HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise VenueRefusedError(
                    f"{self.venue} refused the request (HTTP {response.status_code}{_hint(response.status_code)}).",
                    response.status_code)
            if len(response.content) > MAX_RESPONSE_BYTES:
                raise VenueError(f"{self.venue} sent an answer too large to be real.")
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError:
                last_problem = "it answered with something that is not JSON"
                continue
        message = f"{self.venue} could not be read: {last_problem} (tried {self._retries + 1} times)."
        raise VenueRateLimitedError(message) if rate_limited else VenueError(message)


async def _honour_retry_after(response: httpx.Response) -> None:
    try:
        wait = float(response.headers.get("retry-after", "0"))
    except ValueError:
        wait = 0.0
    if 0 < wait <= MAX_RETRY_AFTER:
        await asyncio.sleep(wait)


def _hint(status: int) -> str:
    if status in (401, 403):
        return ": the API key is missing or not accepted"
    if status == 404:
        return ": not found"
    return ""


def valid_address(text: str) -> bool:
    """Whether ``text`` looks like a base58 Solana address (safe to put in a URL path)."""
    return bool(_ADDRESS.fullmatch(text))


def to_decimal(value: Any, *, signed: bool = False) -> Decimal | None:
    """Return a finite Decimal for a JSON number or numeric string, else None.

    Args:
        value: The JSON value.
        signed: Accept negative values (price changes); otherwise a negative value is None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    elif isinstance(value, int):
        if abs(value) >= 10**MAX_EXPONENT:
            return None
        value = str(value)
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or (number < 0 and not signed) or abs(number.adjusted()) > MAX_EXPONENT:
        return None
    return number
