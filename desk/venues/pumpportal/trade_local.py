"""PumpPortal's Local Transaction API (protocols.md §2): unsigned buy/sell/create transactions, or a Jito bundle.

``POST {api}/trade-local`` with one JSON request answers the raw bytes of an unsigned
``VersionedTransaction``; with a JSON array of up to five requests it answers a JSON array of
base58 transactions (the first request's priority fee becomes the Jito tip, later ones are ignored).
Error answers are JSON or plain text with no documented schema. Nothing is sent on chain here:
building is repeatable, so timeouts and 5xx are retried.

Amounts stay integers (lamports, token atomic units) until :func:`trade_fields` writes the API's
decimal numbers (SOL, whole tokens) as exact JSON number tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
import orjson
from solders.transaction import VersionedTransaction

from desk.chain.ratelimit import SlidingWindowLimiter
from desk.core import base58
from desk.core.errors import ValidationError, VenueError
from desk.core.money import format_sol, format_units
from desk.venues.jito import MIN_TIP_LAMPORTS
from desk.venues.unsigned import decode_transaction
from desk.venues.wire import Wire, describe_body, looks_like_text, status_error

DEFAULT_API_BASE = "https://pumpportal.fun/api"
VENUE = "PumpPortal"
MAX_BODY = 64 * 1024
MAX_BUNDLE = 5
PUMP_DECIMALS = 6
MAX_SLIPPAGE_PCT = 1000
MAX_NAME, MAX_SYMBOL, MAX_URI = 32, 10, 200  # Metaplex metadata limits


class TradeAction(StrEnum):
    """What to build."""

    BUY = "buy"
    SELL = "sell"
    CREATE = "create"


class Pool(StrEnum):
    """Where PumpPortal routes the trade; ``AUTO`` costs latency (it may look the pool up)."""

    PUMP = "pump"
    PUMP_AMM = "pump-amm"
    RAYDIUM = "raydium"
    LAUNCHLAB = "launchlab"
    RAYDIUM_CPMM = "raydium-cpmm"
    BONK = "bonk"
    AUTO = "auto"


@dataclass(frozen=True, slots=True)
class TokenMetadata:
    """Metadata of a token to create.

    Attributes:
        name: Token name.
        symbol: Ticker.
        uri: Metadata JSON URI (uploaded beforehand).
    """

    name: str
    symbol: str
    uri: str


@dataclass(frozen=True, slots=True)
class TradeRequest:
    """One trade for PumpPortal to build (Local) or execute (Lightning).

    Attributes:
        public_key: Wallet that pays and signs.
        action: Buy, sell or create.
        mint: Token mint (for create: the new mint keypair's address).
        amount: Lamports when ``denominated_in_sol``, else token atomic units; 0 with ``sell_percent``.
        denominated_in_sol: Whether ``amount`` is SOL.
        slippage_pct: Allowed slippage in percent (10 = 10%).
        priority_fee_lamports: Priority fee; in a bundle the first request's fee is the Jito tip.
        pool: Venue pool.
        decimals: Mint decimals, needed when ``amount`` is in tokens (pump.fun mints have 6).
        sell_percent: Sell this percentage (1–100) of the balance instead of an amount.
        token_metadata: Metadata, for create only.
    """

    public_key: str
    action: TradeAction
    mint: str
    amount: int
    denominated_in_sol: bool
    slippage_pct: int
    priority_fee_lamports: int
    pool: Pool = Pool.PUMP
    decimals: int | None = None
    sell_percent: int | None = None
    token_metadata: TokenMetadata | None = None

    def __post_init__(self) -> None:
        check_address(self.public_key, "wallet")
        check_address(self.mint, "mint")
        for name in ("amount", "slippage_pct", "priority_fee_lamports"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise ValidationError(f"The trade's {name} must be a whole number ≥ 0.")
        if self.slippage_pct > MAX_SLIPPAGE_PCT:
            raise ValidationError(f"A slippage of {self.slippage_pct}% is not a slippage; at most {MAX_SLIPPAGE_PCT}%.")
        if self.sell_percent is not None:
            if self.action is not TradeAction.SELL or not 1 <= self.sell_percent <= 100 or self.amount:
                raise ValidationError("A percentage (1–100) replaces the amount, and only when selling.")
            if self.denominated_in_sol:
                raise ValidationError("A percentage sell is counted in tokens, not SOL.")
        elif self.amount == 0 and self.action is not TradeAction.CREATE:
            raise ValidationError("The trade amount is zero.")
        if not self.denominated_in_sol and self.sell_percent is None and (
                self.decimals is None or not 0 <= self.decimals <= 19):
            raise ValidationError("A token amount needs the mint's decimals (0–19).")
        if (self.action is TradeAction.CREATE) != (self.token_metadata is not None):
            raise ValidationError("Token metadata goes with create, and create needs it.")
        if self.action is TradeAction.CREATE and not self.denominated_in_sol:
            raise ValidationError("A create's dev buy is counted in SOL.")
        if self.token_metadata is not None:
            _check_metadata(self.token_metadata)


def check_address(text: str, what: str) -> None:
    """Refuse ``text`` unless it is base58 for 32 bytes (checked before solders sees it).

    Raises:
        ValidationError: it is not; the message names ``what``, never the text.
    """
    try:
        ok = isinstance(text, str) and len(text) <= 44 and len(base58.decode(text)) == 32
    except ValueError:
        ok = False
    if not ok:
        raise ValidationError(f"The {what} address is not a Solana address.")


def _check_metadata(meta: TokenMetadata) -> None:
    for value, limit, what in ((meta.name, MAX_NAME, "name"), (meta.symbol, MAX_SYMBOL, "symbol"),
                               (meta.uri, MAX_URI, "URI")):
        if not value or len(value) > limit or not value.isprintable():
            raise ValidationError(f"The token {what} must be 1–{limit} printable characters.")
    if not meta.uri.startswith(("https://", "ipfs://", "http://")):
        raise ValidationError("The token URI must be an https:// or ipfs:// address.")


def _number(text: str) -> orjson.Fragment:
    return orjson.Fragment(text.encode())


def amount_text(request: TradeRequest) -> str:
    """Return the API's ``amount``: exact SOL or whole-token decimal text, or ``"N%"``."""
    if request.sell_percent is not None:
        return f"{request.sell_percent}%"
    if request.denominated_in_sol:
        return format_sol(request.amount)
    return format_units(request.amount, request.decimals or 0)


def trade_fields(request: TradeRequest, *, with_public_key: bool = True) -> dict[str, Any]:
    """Return the request as the API's fields; numbers are exact JSON number tokens (``orjson.Fragment``).

    Args:
        request: The trade.
        with_public_key: Include ``publicKey`` (Local needs it; Lightning trades from the key's wallet).
    """
    amount = amount_text(request)
    fields: dict[str, Any] = {}
    if with_public_key:
        fields["publicKey"] = request.public_key
    fields.update({
        "action": request.action.value,
        "mint": request.mint,
        "amount": amount if amount.endswith("%") else _number(amount),
        "denominatedInSol": "true" if request.denominated_in_sol else "false",
        "slippage": _number(str(request.slippage_pct)),
        "priorityFee": _number(format_sol(request.priority_fee_lamports)),
        "pool": request.pool.value,
    })
    if request.token_metadata is not None:
        meta = request.token_metadata
        fields["tokenMetadata"] = {"name": meta.name, "symbol": meta.symbol, "uri": meta.uri}
    return fields


def _refuse_documents(reply_type: str, body: bytes, what: str) -> None:
    head = body.lstrip()[:1]
    if not body:
        raise VenueError(f"{VENUE} answered with an empty body instead of {what}.")
    if head in (b"{", b"[", b"<") or "json" in reply_type or "html" in reply_type or looks_like_text(body):
        raise VenueError(f"{VENUE} answered with {describe_body(reply_type, body)} instead of {what}.")


def parse_trade_local(status: int, content_type: str, body: bytes, *, fee_payer: str | None = None,
                      signers: Sequence[str] = ()) -> VersionedTransaction:
    """Parse a single trade-local answer into the unsigned transaction.

    Args:
        status: HTTP status.
        content_type: Media type of the answer.
        body: The raw answer.
        fee_payer: When given, the transaction must be paid by this wallet.
        signers: Addresses that must also sign (a create's new mint).

    Raises:
        VenueRateLimitedError: HTTP 429.
        VenueRefusedError: another 4xx; the message quotes PumpPortal's error.
        VenueError: 5xx, an oversized answer, a JSON/HTML/text answer with HTTP 200, bytes that are
            not a transaction, or a transaction without signature slots or with another fee payer.
    """
    if status != 200:
        raise status_error(VENUE, "build the transaction", status, content_type, body[:MAX_BODY])
    if len(body) > MAX_BODY:
        raise VenueError(f"{VENUE} answered with {len(body)} bytes, far more than a transaction.")
    _refuse_documents(content_type, body, "a transaction")
    return decode_transaction(body, VENUE, fee_payer=fee_payer, signers=signers)


def parse_trade_local_bundle(status: int, content_type: str, body: bytes, *, fee_payers: Sequence[str],
                             create_mint: str | None = None) -> list[VersionedTransaction]:
    """Parse a bundle answer: a JSON array of base58 unsigned transactions, one per request, in order.

    Args:
        status: HTTP status.
        content_type: Media type of the answer.
        body: The raw answer.
        fee_payers: Each request's wallet, in order; the answer must have exactly this many.
        create_mint: The new mint when the first request is a create; it must sign that transaction.

    Raises:
        VenueRateLimitedError: HTTP 429.
        VenueRefusedError: another 4xx.
        VenueError: anything but an array of well-formed transactions paid by the right wallets.
    """
    if status != 200:
        raise status_error(VENUE, "build the bundle", status, content_type, body[:MAX_BODY])
    if len(body) > MAX_BODY:
        raise VenueError(f"{VENUE} answered the bundle with {len(body)} bytes, far more than five transactions.")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise VenueError(f"{VENUE} answered the bundle with {describe_body(content_type, body)} "
                         "instead of a list of transactions.") from None
    if not isinstance(payload, list) or not all(isinstance(item, str) for item in payload):
        raise VenueError(f"{VENUE} answered the bundle with {describe_body('application/json', body)} "
                         "instead of a list of transactions.")
    if len(payload) != len(fee_payers):
        raise VenueError(f"{VENUE} answered {len(payload)} transactions for a bundle of {len(fee_payers)}.")
    out = []
    for index, (text, payer) in enumerate(zip(payload, fee_payers, strict=True), 1):
        signers = [] if index > 1 or not create_mint else [create_mint]
        try:
            raw = base58.decode(text.strip())
        except ValueError as e:
            raise VenueError(f"{VENUE}'s bundle transaction {index} is not base58 ({e}).") from None
        out.append(decode_transaction(raw, f"{VENUE} (bundle transaction {index})", fee_payer=payer,
                                      signers=signers))
    return out


def _new_mint(request: TradeRequest) -> list[str]:
    return [request.mint] if request.action is TradeAction.CREATE else []


class TradeLocalClient:
    """Build unsigned PumpPortal transactions; the caller checks, signs and sends them.

    Args:
        api_base: PumpPortal API base (``DESK_PUMPPORTAL_API``), without ``/trade-local``.
        transport: Injected httpx transport.
        timeout: Seconds per network step.
        retries: Extra attempts after 429, 5xx, timeouts or dropped connections.
        backoff: First backoff in seconds.
        limiter: Shared request budget (PumpPortal publishes none for trade-local).
    """

    def __init__(self, api_base: str = DEFAULT_API_BASE, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 10.0, retries: int = 1, backoff: float = 0.3,
                 limiter: SlidingWindowLimiter | None = None) -> None:
        self._wire = Wire(VENUE, api_base, transport=transport, timeout=timeout, retries=retries, backoff=backoff,
                          max_body=MAX_BODY, limiter=limiter,
                          headers={"accept": "application/octet-stream, application/json"})

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._wire.aclose()

    async def build(self, request: TradeRequest) -> VersionedTransaction:
        """Return the unsigned transaction for one trade, paid by ``request.public_key``.

        Raises:
            VenueRateLimitedError: 429 after every retry.
            VenueRefusedError: PumpPortal refused the request (its words in the message).
            VenueError: unreachable, 5xx, or an answer that is not a usable transaction.
        """
        reply = await self._wire.exchange("POST", "/trade-local", body=orjson.dumps(trade_fields(request)),
                                          content_type="application/json")
        return parse_trade_local(reply.status, reply.content_type, reply.body, fee_payer=request.public_key,
                                 signers=_new_mint(request))

    async def build_bundle(self, requests: Sequence[TradeRequest]) -> list[VersionedTransaction]:
        """Return one unsigned transaction per request, in order, for a Jito bundle.

        The first request's priority fee is the bundle's Jito tip (PumpPortal ignores the others), so it
        must be at least Jito's 1000-lamport minimum. A create may only come first.

        Raises:
            ValidationError: no requests, more than five, a create not in first place, or a tip too small.
            VenueRateLimitedError: 429 after every retry.
            VenueRefusedError: PumpPortal refused the request.
            VenueError: unreachable, 5xx, or an answer that is not one transaction per request.
        """
        if not 1 <= len(requests) <= MAX_BUNDLE:
            raise ValidationError(f"A bundle holds 1 to {MAX_BUNDLE} trades, not {len(requests)}.")
        if any(r.action is TradeAction.CREATE for r in requests[1:]):
            raise ValidationError("A create can only be the first trade of a bundle.")
        if requests[0].priority_fee_lamports < MIN_TIP_LAMPORTS:
            raise ValidationError(f"The first trade's priority fee is the Jito tip; Jito needs at least "
                                  f"{MIN_TIP_LAMPORTS} lamports.")
        body = orjson.dumps([trade_fields(r) for r in requests])
        reply = await self._wire.exchange("POST", "/trade-local", body=body, content_type="application/json")
        return parse_trade_local_bundle(reply.status, reply.content_type, reply.body,
                                        fee_payers=[r.public_key for r in requests],
                                        create_mint=next(iter(_new_mint(requests[0])), None))
