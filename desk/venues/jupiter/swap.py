"""Jupiter legacy Swap API v1 ("Metis", protocols.md §5.3): a quote, then the unsigned swap transaction for it.

``GET {base}/swap/v1/quote`` answers a route with string amounts in base units; ``POST
{base}/swap/v1/swap`` with that whole quote and the wallet answers ``swapTransaction`` (base64 of an
unsigned ``VersionedTransaction``). Errors are JSON ``{"error": ..., "errorCode"?: ...}``; the swap
may also answer 200 with ``swapTransaction: null`` and a ``simulationError``. Keyless access to
``api.jup.ag`` is deprecated and allows 0.5 requests/s; an ``x-api-key`` from portal.jup.ag raises
that. Nothing is sent on chain here, so timeouts and 5xx are retried.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import httpx
import orjson
from solders.transaction import VersionedTransaction

from desk.chain.builders import PACKET_LIMIT
from desk.chain.ratelimit import SlidingWindowLimiter
from desk.core.errors import ValidationError, VenueError
from desk.venues.jupiter.price import DEFAULT_BASE_URL, KEYED_LIMIT, KEYLESS_LIMIT
from desk.venues.rest import VenueRefusedError, to_decimal, valid_address
from desk.venues.unsigned import decode_transaction
from desk.venues.wire import Wire, describe_body, error_text, status_error

VENUE = "Jupiter"
MAX_BODY = 1_000_000
MAX_AMOUNT = 2**64 - 1
_MAX_TX_BASE64 = 4 * ((PACKET_LIMIT + 2) // 3)


class PriorityLevel(StrEnum):
    """Jupiter's priority-fee estimate levels."""

    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "veryHigh"


@dataclass(frozen=True, slots=True)
class Quote:
    """A Jupiter quote.

    Attributes:
        input_mint: Mint paid in.
        output_mint: Mint received.
        in_amount: Base units paid (``inAmount``).
        out_amount: Best-case base units received (``outAmount``).
        other_amount_threshold: Worst case after slippage: the minimum out (ExactIn) or maximum in (ExactOut).
        swap_mode: ``ExactIn`` or ``ExactOut``.
        slippage_bps: Slippage the threshold allows.
        price_impact: ``priceImpactPct`` as sent: a fraction despite the name (0.01 = 1%); may be negative.
        route_labels: Each route leg's venue label, in order ("Meteora DLMM", "ZeroFi").
        context_slot: Slot the quote was computed at, if given.
        raw: The quote exactly as received, JSON; the swap request sends it back whole.
    """

    input_mint: str
    output_mint: str
    in_amount: int
    out_amount: int
    other_amount_threshold: int
    swap_mode: str
    slippage_bps: int
    price_impact: Decimal
    route_labels: tuple[str, ...]
    context_slot: int | None
    raw: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class JupiterSwap:
    """An unsigned swap transaction and the quote it executes.

    Attributes:
        quote: The quote.
        transaction: Unsigned, paid by the wallet the swap was built for.
        last_valid_block_height: Send before this block height.
        prioritization_fee_lamports: Priority fee Jupiter set, if given.
        compute_unit_limit: Compute units requested, if given.
    """

    quote: Quote
    transaction: VersionedTransaction
    last_valid_block_height: int | None
    prioritization_fee_lamports: int | None
    compute_unit_limit: int | None


def _base_units(value: Any) -> int | None:
    if isinstance(value, str) and value.isdigit() and len(value) <= 20 and int(value) <= MAX_AMOUNT:
        return int(value)
    return None


def _small_int(value: Any) -> int | None:
    return value if type(value) is int and 0 <= value < 2**63 else None


def _refuse_error(payload: Any, doing: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise VenueError(f"Jupiter answered the {doing} with a document that is not an object.")
    if payload.get("error") not in (None, ""):
        raise VenueError(f"Jupiter could not {doing}: {error_text(payload)}.")
    return payload


def parse_quote(payload: Any) -> Quote:
    """Parse a ``/swap/v1/quote`` answer.

    Raises:
        VenueError: an error object (its text in the message), or a quote missing a mint, an
            amount, the mode, the slippage or a route.
    """
    quote = _refuse_error(payload, "quote")
    in_amount, out_amount = _base_units(quote.get("inAmount")), _base_units(quote.get("outAmount"))
    threshold, slippage = _base_units(quote.get("otherAmountThreshold")), _small_int(quote.get("slippageBps"))
    input_mint, output_mint = quote.get("inputMint"), quote.get("outputMint")
    if not (isinstance(input_mint, str) and valid_address(input_mint)
            and isinstance(output_mint, str) and valid_address(output_mint)):
        raise VenueError("Jupiter's quote lacks a valid input or output mint.")
    if in_amount is None or out_amount is None or threshold is None:
        raise VenueError("Jupiter's quote lacks inAmount, outAmount or otherAmountThreshold as base units.")
    mode = quote.get("swapMode")
    if mode not in ("ExactIn", "ExactOut") or slippage is None or slippage > 10_000:
        raise VenueError("Jupiter's quote has no usable swapMode or slippageBps.")
    plan = quote.get("routePlan")
    if not isinstance(plan, list) or not plan:
        raise VenueError("Jupiter's quote has no route.")
    labels = []
    for leg in plan:
        info = leg.get("swapInfo") if isinstance(leg, dict) else None
        label = info.get("label") if isinstance(info, dict) else None
        labels.append(error_text(label, 40) if isinstance(label, str) and label else "?")
    impact = to_decimal(quote.get("priceImpactPct"), signed=True)
    return Quote(input_mint=input_mint, output_mint=output_mint, in_amount=in_amount, out_amount=out_amount,
                 other_amount_threshold=threshold, swap_mode=mode, slippage_bps=slippage,
                 price_impact=impact if impact is not None else Decimal(0), route_labels=tuple(labels),
                 context_slot=_small_int(quote.get("contextSlot")), raw=orjson.dumps(quote))


def parse_swap(payload: Any, quote: Quote, *, user_public_key: str) -> JupiterSwap:
    """Parse a ``/swap/v1/swap`` answer into the unsigned transaction.

    Raises:
        VenueError: an error object, a simulation error, or no usable transaction paid by ``user_public_key``.
    """
    answer = _refuse_error(payload, "build the swap")
    if answer.get("simulationError") not in (None, "", {}):
        raise VenueError(f"Jupiter's simulation of the swap failed: {error_text(answer['simulationError'])}.")
    encoded = answer.get("swapTransaction")
    if not isinstance(encoded, str) or not encoded:
        raise VenueError("Jupiter's swap answer has no transaction.")
    if len(encoded) > _MAX_TX_BASE64:
        raise VenueError(f"Jupiter's swap transaction is longer than Solana allows ({PACKET_LIMIT} bytes).")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise VenueError("Jupiter's swap transaction is not base64.") from None
    return JupiterSwap(quote=quote, transaction=decode_transaction(raw, VENUE, fee_payer=user_public_key),
                       last_valid_block_height=_small_int(answer.get("lastValidBlockHeight")),
                       prioritization_fee_lamports=_small_int(answer.get("prioritizationFeeLamports")),
                       compute_unit_limit=_small_int(answer.get("computeUnitLimit")))


def _json(status: int, content_type: str, body: bytes, doing: str, *, has_key: bool) -> Any:
    if status in (401, 403):
        why = "the API key was not accepted" if has_key else "it needs an API key from portal.jup.ag"
        raise VenueRefusedError(f"Jupiter refused to {doing} (HTTP {status}): {why}; it said "
                                f"{describe_body(content_type, body)}.", status)
    if status != 200:
        raise status_error(VENUE, doing, status, content_type, body)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise VenueError(f"Jupiter answered the request to {doing} with {describe_body(content_type, body)} "
                         "instead of JSON.") from None


class JupiterSwapClient:
    """Quote and build Jupiter swaps (legacy v1 flow); the caller checks, signs and sends.

    Args:
        base_url: API base (``DESK_JUPITER_API``).
        api_key: Key from portal.jup.ag, sent as ``x-api-key``; None or "" for none.
        transport: Injected httpx transport.
        limiter: Request budget; share the price client's, Jupiter counts one bucket per account.
            Defaults to the free key's 60/min (30/min keyless).
        timeout: Seconds per network step.
        retries: Extra attempts after 429, 5xx, timeouts or dropped connections.
        backoff: First backoff in seconds.
    """

    def __init__(self, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None, *,
                 transport: httpx.AsyncBaseTransport | None = None, limiter: SlidingWindowLimiter | None = None,
                 timeout: float = 10.0, retries: int = 2, backoff: float = 0.5) -> None:
        key = (api_key or "").strip()
        headers = {"accept": "application/json", **({"x-api-key": key} if key else {})}
        limiter = limiter or SlidingWindowLimiter(KEYED_LIMIT if key else KEYLESS_LIMIT)
        self._wire = Wire(VENUE, base_url, transport=transport, headers=headers, timeout=timeout, retries=retries,
                          backoff=backoff, max_body=MAX_BODY, limiter=limiter)
        self.has_key = bool(key)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._wire.aclose()

    async def quote(self, input_mint: str, output_mint: str, amount: int, slippage_bps: int, *,
                    exact_out: bool = False, only_direct_routes: bool = False, max_accounts: int | None = None
                    ) -> Quote:
        """Return Jupiter's best route for ``amount`` base units (of the input, or of the output if ``exact_out``).

        Raises:
            ValidationError: a malformed mint, a non-positive amount, or slippage outside 0–10000 bps.
            VenueRateLimitedError: 429 after every retry.
            VenueRefusedError: 401/403 (an API key is needed) or another 4xx, such as no route.
            VenueError: unreachable, 5xx, an error object, or a quote for something else.
        """
        if not (valid_address(input_mint) and valid_address(output_mint)) or input_mint == output_mint:
            raise ValidationError("A swap needs two different, valid mints.")
        if type(amount) is not int or not 0 < amount <= MAX_AMOUNT:
            raise ValidationError("A swap amount is a positive whole number of base units.")
        if type(slippage_bps) is not int or not 0 <= slippage_bps <= 10_000:
            raise ValidationError("Slippage is 0 to 10000 basis points.")
        params = {"inputMint": input_mint, "outputMint": output_mint, "amount": str(amount),
                  "slippageBps": str(slippage_bps), "swapMode": "ExactOut" if exact_out else "ExactIn"}
        if only_direct_routes:
            params["onlyDirectRoutes"] = "true"
        if max_accounts is not None:
            params["maxAccounts"] = str(max_accounts)
        reply = await self._wire.exchange("GET", "/swap/v1/quote", params=params)
        quote = parse_quote(_json(reply.status, reply.content_type, reply.body, "quote", has_key=self.has_key))
        fixed = quote.out_amount if exact_out else quote.in_amount
        if (quote.input_mint, quote.output_mint, fixed) != (input_mint, output_mint, amount):
            raise VenueError("Jupiter answered a quote for a different swap than the one asked for.")
        return quote

    async def swap(self, quote: Quote, user_public_key: str, *, priority_max_lamports: int = 0,
                   priority_level: PriorityLevel = PriorityLevel.VERY_HIGH, dynamic_slippage: bool = False
                   ) -> JupiterSwap:
        """Return the unsigned transaction executing ``quote`` for ``user_public_key``.

        Args:
            quote: A fresh quote from :meth:`quote`.
            user_public_key: Wallet that pays and signs.
            priority_max_lamports: Cap on the priority fee Jupiter estimates at ``priority_level``;
                0 leaves the fee to Jupiter's default.
            priority_level: Estimate level.
            dynamic_slippage: Let Jupiter tune slippage by simulation.

        Raises:
            ValidationError: a malformed wallet or a negative fee cap.
            VenueRateLimitedError: 429 after every retry.
            VenueRefusedError: 401/403 or another 4xx.
            VenueError: unreachable, 5xx, an error object, a failed simulation, or no usable transaction.
        """
        if not valid_address(user_public_key):
            raise ValidationError("The wallet address is not a Solana address.")
        if type(priority_max_lamports) is not int or priority_max_lamports < 0:
            raise ValidationError("The priority fee cap is a whole number of lamports ≥ 0.")
        request: dict[str, Any] = {
            "quoteResponse": orjson.Fragment(quote.raw), "userPublicKey": user_public_key,
            "wrapAndUnwrapSol": True, "dynamicComputeUnitLimit": True, "dynamicSlippage": dynamic_slippage,
        }
        if priority_max_lamports:
            request["prioritizationFeeLamports"] = {"priorityLevelWithMaxLamports": {
                "maxLamports": priority_max_lamports, "priorityLevel": priority_level.value}}
        reply = await self._wire.exchange("POST", "/swap/v1/swap", body=orjson.dumps(request),
                                          content_type="application/json")
        payload = _json(reply.status, reply.content_type, reply.body, "build the swap", has_key=self.has_key)
        return parse_swap(payload, quote, user_public_key=user_public_key)
