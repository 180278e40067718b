"""PumpPortal's Lightning API (protocols.md §3.1): PumpPortal signs and sends from the wallet bound to an API key.

``POST {api}/trade?api-key=<KEY>`` with the trade as JSON answers, once the transaction passes
PumpPortal's simulation, a JSON object with ``signature`` or error(s); the error schema is not
documented, so ``errors`` is read as a string, a list, or an object.

A Lightning trade *acts*: a request whose answer is lost may still have bought. It is therefore
never resent after it left (timeouts, broken connections and 5xx raise
:class:`~desk.venues.wire.VenueOutcomeUnknownError`); only refused connections and 429 are retried.

The API key is passed per call and kept out of everything the desk shows or writes: it is not
stored on the client, messages blank out any echo of it, and a filter on the ``httpx`` logger
rewrites the request URL httpx logs at INFO.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from desk.chain.ratelimit import SlidingWindowLimiter
from desk.core import base58
from desk.core.errors import ValidationError, VenueError
from desk.core.money import format_sol
from desk.venues.pumpportal.trade_local import (
    DEFAULT_API_BASE,
    TradeAction,
    TradeRequest,
    check_address,
    trade_fields,
)
from desk.venues.rest import VenueRateLimitedError, VenueRefusedError
from desk.venues.wire import VenueOutcomeUnknownError, Wire, describe_body, error_text, scrub

VENUE = "PumpPortal"
MAX_BODY = 64 * 1024
MAX_KEY_CHARS = 512
CREATOR_FEE_POOLS = ("pump", "meteora-dbc")
_KEY_IN_URL = re.compile(r"(api-key=)[^&\s\"'#]+", re.IGNORECASE)


class LightningTradeError(VenueError):
    """PumpPortal answered errors for a Lightning trade.

    Attributes:
        signature: A signature PumpPortal reported alongside the errors, if any: that transaction may
            have been sent, so check it on chain before trying again.
    """

    def __init__(self, message: str, signature: str | None = None) -> None:
        super().__init__(message)
        self.signature = signature


class _RedactKeyFilter(logging.Filter):
    """Blank ``api-key=...`` out of records (httpx logs every request URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api-key=" in message.lower():
            record.msg = _KEY_IN_URL.sub(r"\1[secret]", message)
            record.args = None
        return True


def install_log_redaction() -> None:
    """Attach the key-redacting filter to the ``httpx`` logger once."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactKeyFilter) for f in logger.filters):
        logger.addFilter(_RedactKeyFilter())


def _signature(value: Any) -> str | None:
    if not isinstance(value, str) or not 64 <= len(value) <= 90:
        return None
    try:
        raw = base58.decode(value, max_chars=90)
    except ValueError:
        return None
    return value if len(raw) == 64 and any(raw) else None  # all zeros is an empty signature slot


def _has_errors(value: Any) -> bool:
    return value not in (None, "", [], {}, False)


def parse_lightning(status: int, content_type: str, body: bytes, *, secrets: Sequence[str] = ()) -> str:
    """Return the signature of a Lightning answer, or raise with PumpPortal's words.

    Args:
        status: HTTP status.
        content_type: Media type of the answer.
        body: The raw answer.
        secrets: Texts to blank out of messages (the API key).

    Raises:
        LightningTradeError: ``errors`` present (with ``signature`` set if one came too).
        VenueRateLimitedError: HTTP 429.
        VenueRefusedError: another 4xx (401/403: the key).
        VenueOutcomeUnknownError: 5xx: the trade may or may not have been sent.
        VenueError: an answer that is neither a signature nor errors.
    """
    body = scrub(body[:MAX_BODY], secrets)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, dict) and _has_errors(payload.get("errors")):
        signature = _signature(payload.get("signature"))
        sent = f" It also reported the signature {signature}: check it before trying again." if signature else ""
        raise LightningTradeError(f"PumpPortal did not make the trade: {error_text(payload['errors'])}.{sent}",
                                  signature)
    text = describe_body(content_type, body)
    if status == 429:
        raise VenueRateLimitedError(f"PumpPortal is rate-limiting this desk (HTTP 429): {text}.")
    if status in (401, 403):
        raise VenueRefusedError(f"PumpPortal refused the API key (HTTP {status}): {text}.", status)
    if 400 <= status < 500:
        raise VenueRefusedError(f"PumpPortal refused the trade (HTTP {status}): {text}.", status)
    if status >= 500:
        raise VenueOutcomeUnknownError(f"PumpPortal failed (HTTP {status}): {text}. The trade may or may not have "
                                       "been sent; check the wallet before trying again.")
    if status != 200 or not isinstance(payload, dict):
        raise VenueError(f"PumpPortal answered the trade (HTTP {status}) with {text} instead of a signature.")
    signature = _signature(payload.get("signature"))
    if signature is None:
        raise VenueError(f"PumpPortal answered the trade with neither a signature nor errors: {text}.")
    return signature


def _check_key(api_key: str) -> None:
    if not (isinstance(api_key, str) and 1 <= len(api_key) <= MAX_KEY_CHARS and api_key.isascii()
            and api_key.isprintable() and not any(c in api_key for c in " &#?/%+=")):
        raise ValidationError("The PumpPortal API key is empty or malformed.")


class LightningClient:
    """Trade through PumpPortal Lightning with an API key given per call.

    Args:
        api_base: PumpPortal API base (``DESK_PUMPPORTAL_API``), without ``/trade``.
        transport: Injected httpx transport.
        timeout: Seconds per network step (PumpPortal simulates before answering).
        retries: Extra attempts, only when the request provably never left or was answered 429.
        backoff: First backoff in seconds.
        limiter: Shared request budget.
    """

    def __init__(self, api_base: str = DEFAULT_API_BASE, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 20.0, retries: int = 1, backoff: float = 0.3,
                 limiter: SlidingWindowLimiter | None = None) -> None:
        install_log_redaction()
        self._wire = Wire(VENUE, api_base, transport=transport, timeout=timeout, retries=retries, backoff=backoff,
                          max_body=MAX_BODY, limiter=limiter, headers={"accept": "application/json"})

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._wire.aclose()

    async def trade(self, request: TradeRequest, api_key: str, *, skip_preflight: bool = True,
                    jito_only: bool = False) -> str:
        """Have PumpPortal buy or sell from the key's wallet and return the transaction signature.

        A signature means PumpPortal sent the transaction, not that it landed: confirm it on chain.

        Args:
            request: The trade (its ``public_key`` is not sent: the key decides the wallet).
            api_key: The wallet's PumpPortal API key.
            skip_preflight: PumpPortal's ``skipPreflight`` (its default is true).
            jito_only: Send only through Jito.

        Raises:
            ValidationError: a create (Lightning wants the mint's secret key; use trade-local), or a
                malformed key.
            LightningTradeError: PumpPortal answered errors.
            VenueOutcomeUnknownError: the request left but its answer was lost or was a 5xx.
            VenueRateLimitedError: 429 after every retry.
            VenueRefusedError: the key or the request was refused.
            VenueError: unreachable, or an unusable answer.
        """
        if request.action is TradeAction.CREATE:
            raise ValidationError("Lightning creates need the new mint's secret key; create through trade-local.")
        fields = trade_fields(request, with_public_key=False)
        fields["skipPreflight"] = "true" if skip_preflight else "false"
        fields["jitoOnly"] = "true" if jito_only else "false"
        return await self._post(fields, api_key)

    async def collect_creator_fees(self, api_key: str, *, priority_fee_lamports: int, pool: str = "pump",
                                   mint: str | None = None) -> str:
        """Collect the key wallet's creator fees and return the transaction signature.

        Pool ``pump`` collects every pump.fun creator fee at once; ``meteora-dbc`` needs the ``mint``.

        Raises:
            ValidationError: an unknown pool, a missing or malformed mint, a negative fee, or a malformed key.
            LightningTradeError, VenueOutcomeUnknownError, VenueRateLimitedError, VenueRefusedError,
            VenueError: as for :meth:`trade`.
        """
        if pool not in CREATOR_FEE_POOLS:
            raise ValidationError(f"Creator fees are collected from {' or '.join(CREATOR_FEE_POOLS)}.")
        if type(priority_fee_lamports) is not int or priority_fee_lamports < 0:
            raise ValidationError("The priority fee is a whole number of lamports ≥ 0.")
        fields: dict[str, Any] = {"action": "collectCreatorFee",
                                  "priorityFee": orjson.Fragment(format_sol(priority_fee_lamports).encode()),
                                  "pool": pool}
        if pool == "meteora-dbc" or mint is not None:
            check_address(mint or "", "mint")
            fields["mint"] = mint
        return await self._post(fields, api_key)

    async def _post(self, fields: dict[str, Any], api_key: str) -> str:
        _check_key(api_key)
        reply = await self._wire.exchange("POST", "/trade", params={"api-key": api_key}, body=orjson.dumps(fields),
                                          content_type="application/json", repeatable=False, secrets=(api_key,))
        return parse_lightning(reply.status, reply.content_type, reply.body, secrets=(api_key,))
