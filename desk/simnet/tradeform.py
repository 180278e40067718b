"""PumpPortal trade requests as the simnet venues read them: form-encoded or JSON bodies, checked fields.

Both ``trade-local`` and Lightning take the same fields (protocols.md §2.1, §3.1): ``publicKey``
(Local only), ``action``, ``mint``, ``amount``, ``denominatedInSol``, ``slippage``, ``priorityFee``,
``pool``, and for Lightning ``skipPreflight``. Numbers may be JSON numbers or strings; they are read
as ``Decimal`` (JSON floats too, so ``0.123456789`` SOL is exactly 123456789 lamports) and turned into
integers at once: lamports, atomic token units (6 decimals), or basis points for percentages. Amounts
finer than one unit are rounded down.

A refused request raises ``VenueRequestError``, which carries its HTTP answer. Malformed requests
(unreadable body, missing or ill-typed fields, bad pool or action) answer ``text/plain`` as web servers
often do; requests that are well-formed but cannot trade (non-positive amount, and the market's own
refusals in ``venueapi``) answer JSON ``{"error": "..."}``. Clients must handle both, as with the real API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

from solders.pubkey import Pubkey

from desk.core.market import PUMP_TOKEN_DECIMALS, Side

LAMPORTS_DECIMALS = 9
FULL_BPS = 10_000
POOLS = frozenset({"pump", "auto"})  # pump.fun curves only; "auto" resolves to them on simnet
MAX_TEXT = 64  # characters of one numeric or address field
MAX_MAGNITUDE = 15  # largest decimal exponent of an amount: 10^15 SOL or tokens is far beyond any supply


class AmountKind(StrEnum):
    """What ``TradeForm.amount`` counts."""

    SOL = "sol"
    TOKENS = "tokens"
    PERCENT = "percent"


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer.

    Attributes:
        status: HTTP status code.
        content_type: Media type of ``body``.
        body: The raw body.
    """

    status: int
    content_type: str
    body: bytes

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Reply:
        """Return a JSON answer."""
        return cls(status, "application/json", json.dumps(payload, separators=(",", ":")).encode())

    @classmethod
    def text(cls, message: str, status: int = 400) -> Reply:
        """Return a plain-text answer."""
        return cls(status, "text/plain; charset=utf-8", message.encode())


class VenueRequestError(Exception):
    """A request the venue refuses; ``reply`` is its HTTP answer.

    Args:
        message: Why, in words a client can show.
        status: HTTP status.
        as_json: Answer ``{"error": message}`` as JSON instead of plain text.
    """

    def __init__(self, message: str, *, status: int = 400, as_json: bool = False) -> None:
        super().__init__(message)
        self.message, self.status, self.as_json = message, status, as_json

    @property
    def reply(self) -> Reply:
        """The HTTP answer of this refusal."""
        return Reply.json({"error": self.message}, self.status) if self.as_json else Reply.text(self.message,
                                                                                              self.status)


@dataclass(frozen=True, slots=True)
class TradeForm:
    """One checked trade request.

    Attributes:
        public_key: The trading wallet (None for Lightning, which trades from the key's wallet).
        side: Buy or sell.
        mint: The token.
        kind: What ``amount`` counts.
        amount: Lamports, atomic token units, or basis points of the wallet's balance (10000 = 100%).
        slippage_bps: Allowed slippage in basis points (1000 = 10%).
        priority_fee: Priority fee in lamports.
        skip_preflight: Lightning's ``skipPreflight`` (default true).
    """

    public_key: Pubkey | None
    side: Side
    mint: Pubkey
    kind: AmountKind
    amount: int
    slippage_bps: int
    priority_fee: int
    skip_preflight: bool = True


def parse_body(content_type: str, body: bytes) -> Any:
    """Return the request's fields: a JSON value, or a form as ``{name: last value}``.

    A body is read as JSON when the media type says so or when it starts with ``{`` or ``[``; as a
    form otherwise.

    Raises:
        VenueRequestError: Empty, not UTF-8, malformed JSON, or a multipart body (text answers).
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if not body.strip():
        raise VenueRequestError("Empty request body.")
    if media.startswith("multipart/"):
        raise VenueRequestError("Multipart bodies are not supported; send JSON or a urlencoded form.")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise VenueRequestError("The request body is not UTF-8.") from None
    if media == "application/json" or media.endswith("+json") or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise VenueRequestError("The request body is not valid JSON.") from None
    try:
        pairs = parse_qs(text, keep_blank_values=True, strict_parsing=True, max_num_fields=64)
    except ValueError:
        raise VenueRequestError("The request body is neither JSON nor a urlencoded form.") from None
    return {name: values[-1] for name, values in pairs.items()}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_trade(fields: Any, *, need_public_key: bool = True) -> TradeForm:
    """Check one request's fields and return the trade.

    Args:
        fields: The request object (from ``parse_body``).
        need_public_key: Require ``publicKey`` (trade-local); Lightning ignores it.

    Raises:
        VenueRequestError: A missing or malformed field, an unsupported action or pool (text answers),
            or an amount that is not positive (JSON answer).
    """
    if not isinstance(fields, Mapping):
        raise VenueRequestError("Each trade must be a JSON object or a form.")
    action = _text(fields, "action").lower()
    if action == "create":
        raise VenueRequestError("action create is not supported on simnet; create tokens through the market.")
    if action not in ("buy", "sell"):
        raise VenueRequestError(f"Unknown action {action[:MAX_TEXT]!r}; expected buy or sell.")
    side = Side.BUY if action == "buy" else Side.SELL
    pool = _text(fields, "pool", default="pump").lower()
    if pool not in POOLS:
        raise VenueRequestError("pool not supported on simnet")
    public_key = _pubkey(fields, "publicKey") if need_public_key else None
    mint = _pubkey(fields, "mint")
    kind, amount = _amount(fields, side)
    slippage = _decimal(fields, "slippage")
    if slippage < 0:
        raise VenueRequestError("slippage must not be negative.")
    priority = _decimal(fields, "priorityFee", default=Decimal(0))
    if priority < 0:
        raise VenueRequestError("priorityFee must not be negative.")
    skip = _flag(fields, "skipPreflight", default=True)
    return TradeForm(public_key, side, mint, kind, amount, _units(slippage, 2), _units(priority, LAMPORTS_DECIMALS),
                     skip)


def _amount(fields: Mapping[str, Any], side: Side) -> tuple[AmountKind, int]:
    raw = fields.get("amount")
    if isinstance(raw, str) and raw.strip().endswith("%"):
        if side is Side.BUY:
            raise VenueRequestError("A percentage amount is only for sells.")
        percent = _number(raw.strip()[:-1], "amount")
        if not 0 < percent <= 100:
            raise VenueRequestError("A percentage must be above 0% and at most 100%.", as_json=True)
        return AmountKind.PERCENT, max(1, _units(percent, 2))
    value = _decimal(fields, "amount")
    in_sol = _flag(fields, "denominatedInSol")
    decimals = LAMPORTS_DECIMALS if in_sol else PUMP_TOKEN_DECIMALS
    units = _units(value, decimals) if value > 0 else 0
    if units <= 0:
        raise VenueRequestError(f"amount must be positive (it was {str(raw)[:MAX_TEXT]}).", as_json=True)
    return (AmountKind.SOL if in_sol else AmountKind.TOKENS), units


def _text(fields: Mapping[str, Any], name: str, *, default: str | None = None) -> str:
    value = fields.get(name, default)
    if value is None:
        raise VenueRequestError(f"{name} is required.")
    if not isinstance(value, str):
        raise VenueRequestError(f"{name} must be a string.")
    return value.strip()


def _pubkey(fields: Mapping[str, Any], name: str) -> Pubkey:
    text = _text(fields, name)
    try:
        if len(text) > MAX_TEXT:
            raise ValueError(text)
        return Pubkey.from_string(text)
    except ValueError:
        raise VenueRequestError(f"{name} is not a valid Solana address.") from None


def _flag(fields: Mapping[str, Any], name: str, *, default: bool | None = None) -> bool:
    value = fields.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise VenueRequestError(f"{name} must be \"true\" or \"false\".")


def _decimal(fields: Mapping[str, Any], name: str, *, default: Decimal | None = None) -> Decimal:
    value = fields.get(name)
    if value is None:
        if default is None:
            raise VenueRequestError(f"{name} is required.")
        return default
    return _number(value, name)


def _number(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise VenueRequestError(f"{name} must be a number.")
    try:
        if isinstance(value, str) and (len(value) > MAX_TEXT or not value.strip()):
            raise InvalidOperation
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise VenueRequestError(f"{name} must be a number.") from None
    if not number.is_finite() or (number and number.adjusted() > MAX_MAGNITUDE):
        raise VenueRequestError(f"{name} must be a finite number below 10^{MAX_MAGNITUDE}.")
    return number


def _units(value: Decimal, decimals: int) -> int:
    """Return ``value × 10^decimals`` rounded down (``value`` is finite and bounded)."""
    return int(value.scaleb(decimals).to_integral_value(rounding=ROUND_FLOOR))
