"""One HTTP exchange with a venue, answered as raw bytes: rate limit, a hard deadline, a body cap, safe retries.

:class:`~desk.venues.rest.RestGetter` serves JSON GETs and reduces every 4xx to its status. The trade
venues need more: POSTs, binary answers (PumpPortal trade-local), the venue's own error text shown
to the user, and a distinction a GET never needs: a request that may have *acted* (a Lightning trade)
must not be sent twice because its answer was lost. :class:`Wire` retries connection failures that
happen before the request left, 429s and (for repeatable requests) 5xx and timeouts; it returns
every other answer to a pure parse function, which turns a non-200 into a sentence with
:func:`status_error`.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import orjson

from desk.chain.ratelimit import SlidingWindowLimiter
from desk.core.errors import VenueError
from desk.venues.rest import MAX_RETRY_AFTER, VenueRateLimitedError, VenueRefusedError

TEXT_LIMIT = 200
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_ERROR_KEYS = ("error", "errors", "message", "msg", "reason", "detail", "description")
_CODE_KEYS = ("errorCode", "code")


class VenueOutcomeUnknownError(VenueError):
    """The request reached the venue but its answer was lost: the venue may have acted on it."""


class _TooLargeError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Reply:
    """A venue's answer.

    Attributes:
        status: HTTP status.
        content_type: Media type, lower case, without parameters ("" if none).
        body: The body (decompressed), at most the wire's cap.
    """

    status: int
    content_type: str
    body: bytes


class Wire:
    """Send requests to one venue and return raw replies.

    Args:
        venue: Human name used in messages ("PumpPortal").
        base_url: Base URL; paths are appended.
        transport: Injected httpx transport (tests, proxies).
        headers: Headers sent with every request.
        timeout: Seconds per network step; one attempt may take at most twice this in all.
        retries: Extra attempts after a retryable failure.
        backoff: First backoff in seconds; doubles each retry, with jitter.
        max_body: Largest answer read, in bytes.
        limiter: Shared request budget (one per venue account), or None.
    """

    def __init__(self, venue: str, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float = 10.0, retries: int = 2,
                 backoff: float = 0.5, max_body: int = 1_000_000, limiter: SlidingWindowLimiter | None = None) -> None:
        self.venue = venue
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False,
                                       headers=dict(headers or {}),
                                       limits=httpx.Limits(max_connections=8, max_keepalive_connections=4))
        self._deadline = 2 * timeout
        self._retries = retries
        self._backoff = backoff
        self._max_body = max_body
        self._limiter = limiter
        self.requests_made = 0

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def exchange(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                       body: bytes | None = None, content_type: str | None = None, repeatable: bool = True,
                       secrets: Sequence[str] = ()) -> Reply:
        """Send one request, retrying what is safe to retry, and return the venue's answer.

        Args:
            method: "GET" or "POST".
            path: Appended to the base URL.
            params: Query parameters.
            body: Request body.
            content_type: Its media type.
            repeatable: Whether sending the request twice is harmless (building a transaction is;
                a Lightning trade is not). A non-repeatable request is only resent when it provably
                never left (connection refused) or the venue said 429.
            secrets: Texts to blank out of any message (API keys a server might echo).

        Returns:
            Any answer that is not retried: 200, 4xx other than 429, and 5xx of a non-repeatable request.

        Raises:
            VenueRateLimitedError: HTTP 429 after every retry, or a Retry-After longer than 30 s.
            VenueOutcomeUnknownError: a non-repeatable request was sent and its answer was lost.
            VenueError: the base URL is not http(s); unreachable, timing out or 5xx after every
                retry; an answer larger than the cap.
        """
        headers = {"content-type": content_type} if content_type else None
        problem, rate_limited = "", False
        for attempt in range(self._retries + 1):
            if attempt:
                delay = self._backoff * (2 ** (attempt - 1)) * (0.5 + random.random())  # noqa: S311 - jitter
                await asyncio.sleep(min(delay, 10.0))
            if self._limiter is not None:
                await self._limiter.acquire()
            self.requests_made += 1
            rate_limited = False
            try:
                async with asyncio.timeout(self._deadline):
                    reply, retry_after = await self._once(method, path, params, body, headers)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL):
                raise VenueError(f"{self.venue}'s address {self.base_url[:100]!r} is not an http(s) URL.") from None
            except _TooLargeError:
                raise VenueError(f"{self.venue} sent an answer larger than {self._max_body // 1024} KB; "
                                 "refusing to read it.") from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
                problem = f"the connection failed ({type(e).__name__})"
                continue
            except (TimeoutError, httpx.TimeoutException):
                problem = "it did not answer in time"
                if not repeatable:
                    raise self._unknown(problem) from None
                continue
            except httpx.HTTPError as e:
                problem = f"the connection broke ({type(e).__name__})"
                if not repeatable:
                    raise self._unknown(problem) from None
                continue
            if reply.status == 429:
                rate_limited, problem = True, "it is rate-limiting this desk (HTTP 429)"
                if retry_after > MAX_RETRY_AFTER:
                    raise VenueRateLimitedError(f"{self.venue} is rate-limiting this desk and asks to wait "
                                                f"{retry_after:.0f} s.")
                if attempt < self._retries and retry_after > 0:
                    await asyncio.sleep(retry_after)
                continue
            if reply.status >= 500 and repeatable:
                text = describe_body(reply.content_type, reply.body, secrets)
                problem = f"it failed with HTTP {reply.status}: {text}"
                continue
            return reply
        message = f"{self.venue} could not be used: {problem} (tried {self._retries + 1} times)."
        if rate_limited:
            raise VenueRateLimitedError(message)
        raise VenueError(message)

    def _unknown(self, problem: str) -> VenueOutcomeUnknownError:
        return VenueOutcomeUnknownError(
            f"{self.venue} received the request but {problem}; it may have acted on it. "
            "Check the wallet before trying again.")

    async def _once(self, method: str, path: str, params: Mapping[str, str] | None, body: bytes | None,
                    headers: Mapping[str, str] | None) -> tuple[Reply, float]:
        async with self._http.stream(method, f"{self.base_url}{path}", params=params, content=body,
                                     headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_body:
                raise _TooLargeError
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_body:
                    raise _TooLargeError
                chunks.append(chunk)
            media = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return Reply(response.status_code, media, b"".join(chunks)), _retry_after(response)


def _retry_after(response: httpx.Response) -> float:
    try:
        wait = float(response.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0
    return wait if wait == wait and wait > 0 else 0.0  # NaN compares unequal to itself


def scrub(data: bytes, secrets: Sequence[str] = ()) -> bytes:
    """Return ``data`` with every non-empty secret, plain or URL-encoded, replaced by ``[secret]``."""
    for secret in secrets:
        if secret:
            for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
                data = data.replace(form.encode(), b"[secret]")
    return data


def _clean(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def error_text(value: Any, limit: int = TEXT_LIMIT) -> str:
    """Flatten a JSON error value (string, list, or object) into one short line of plain text."""
    if isinstance(value, str):
        return _clean(value, limit)
    if isinstance(value, list):
        parts = [error_text(item, limit) for item in value[:5]]
        more = f" (and {len(value) - 5} more)" if len(value) > 5 else ""
        return _clean("; ".join(p for p in parts if p) + more, limit)
    if isinstance(value, dict):
        for key in _ERROR_KEYS:
            if key in value and value[key] not in (None, "", [], {}):
                text = error_text(value[key], limit)
                code = next((value[k] for k in _CODE_KEYS if isinstance(value.get(k), str | int)), None)
                return _clean(f"{text} ({code})" if code is not None and str(code) not in text else text, limit)
    return _clean(orjson.dumps(value).decode(), limit)


def _title(body: bytes) -> str:
    match = _TITLE.search(body[:20_000])
    return _clean(match.group(1).decode("utf-8", "replace"), 80) if match else ""


def looks_like_text(body: bytes) -> bool:
    """Whether ``body`` is printable UTF-8 text (a serialized transaction never is: it holds zero bytes)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def _mostly_text(body: bytes) -> str | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\t\r\n")
    return text if printable >= 0.9 * len(text) else None


def describe_body(content_type: str, body: bytes, secrets: Sequence[str] = ()) -> str:
    """Describe an answer in a few plain words: the error text of a JSON or text body, an HTML page's title.

    Never dumps HTML or binary bytes; text is truncated to about 200 characters.
    """
    stripped = scrub(body, secrets).strip()
    if not stripped:
        return "an empty answer"
    if "html" in content_type or stripped[:1] == b"<":
        title = _title(stripped)
        return f"an HTML page titled {title!r}" if title else "an HTML page"
    if "json" in content_type or stripped[:1] in (b"{", b"["):
        try:
            return error_text(orjson.loads(stripped))
        except orjson.JSONDecodeError:
            pass
    text = _mostly_text(stripped)
    if text is not None:
        return repr(_clean(text))
    return f"{len(body)} unreadable bytes"


def status_error(venue: str, doing: str, status: int, content_type: str, body: bytes,
                 secrets: Sequence[str] = ()) -> VenueError:
    """Turn a non-200 answer into the exception to raise, with the venue's own words.

    Args:
        venue: "PumpPortal", "Jupiter", ...
        doing: What was asked, as a verb phrase: "build the transaction".
        status: HTTP status.
        content_type: Media type of the answer.
        body: The answer.
        secrets: Texts to blank out of the message.
    """
    text = describe_body(content_type, body, secrets)
    if status == 429:
        return VenueRateLimitedError(f"{venue} is rate-limiting this desk (HTTP 429): {text}.")
    if status in (401, 403):
        return VenueRefusedError(f"{venue} refused to {doing} (HTTP {status}: the API key is missing or "
                                 f"not accepted): {text}.", status)
    if 400 <= status < 500:
        return VenueRefusedError(f"{venue} refused to {doing} (HTTP {status}): {text}.", status)
    return VenueError(f"{venue} failed to {doing} (HTTP {status}): {text}.")
