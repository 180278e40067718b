"""Pure parsing of PumpPortal data-websocket frames into market events (protocols.md §1.4–1.5).

One frame in, one result out: a :data:`~desk.core.market.MarketEvent`, a :class:`ControlMessage`
(``{"message": ...}`` acks, refusals, notices) or a :class:`Dropped` naming why the frame was skipped.
Nothing here raises on bad input: malformed frames are a value the caller counts.

Units: the wire carries SOL and UI-token amounts as JSON numbers (int or float). They become lamports
and 6-decimal atomic units as ``round(x * 10**9)`` / ``round(x * 10**6)`` on the float (round half to
even). A float64 carries the wire's decimal to within half an ulp, so the result is the exact integer
for amounts below about 2.2 million SOL and 2.2 billion tokens (2**51 units); above that it can be off
by a unit or two per 10**15. That is far below anything a price shows, and keeps ``Decimal`` off this
hot path (~100k frames/s). NaN, infinities, negatives, booleans and numeric strings are malformed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import orjson

from desk.core.market import MarketEvent, Migration, Side, TokenCreated, Trade

MAX_FRAME_CHARS: Final = 64 * 1024  # real frames are < 1 KB; the cap is checked before parsing
# Mints a pump.fun-style launchpad can never create (protocols.md §1.5.2): a create naming one is
# mis-parsed or spoofed.
NON_PUMP_MINTS: Final = frozenset({
    "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",  # USDC
    "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",  # USDT
    "So11111111111111111111111111111111111111112",  # wrapped SOL
    "9pan9bMn5HatX4EJdBwg9VgCa7Uz5HL8N1m5D3NdXejP",  # wrapped SOL (Token-2022)
    "11111111111111111111111111111111",  # the default key / System Program
})
_MAX_SOL: Final = 1e9  # more SOL than exists (~6e8): a corrupt number, not an amount
_MAX_TOKENS: Final = 1e12  # UI tokens; keeps atomic units inside int64
_TEXT_LIMIT: Final = 300
_loads = orjson.loads
_JSONDecodeError = orjson.JSONDecodeError


class DropReason(StrEnum):
    """Why a frame produced no event."""

    OVERSIZE = "oversize"
    BINARY = "binary"
    NOT_JSON = "not-json"
    NOT_OBJECT = "not-object"
    BAD_FIELD = "bad-field"
    UNKNOWN_TYPE = "unknown-type"
    SUSPECT = "suspect"


@dataclass(frozen=True, slots=True)
class Dropped:
    """A frame that was skipped.

    Attributes:
        reason: Why.
        detail: The offending field or type, for diagnostics (never the frame itself).
    """

    reason: DropReason
    detail: str = ""

    @property
    def malformed(self) -> bool:
        """Whether this counts as a malformed frame (not a suspect or unknown-but-valid one)."""
        return self.reason not in (DropReason.SUSPECT, DropReason.UNKNOWN_TYPE)


class ControlKind(StrEnum):
    """What a ``{"message": ...}`` frame means."""

    ACK_NEW_TOKEN = "ack-new-token"
    ACK_MIGRATION = "ack-migration"
    ACK_KEYS = "ack-keys"
    REFUSED = "refused"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class ControlMessage:
    """Acknowledgement or notice from the server (they carry only text, so they are classified by it).

    Attributes:
        kind: Classification.
        text: The server's text, cut to 300 characters.
    """

    kind: ControlKind
    text: str

    @property
    def user_visible(self) -> bool:
        """Whether the user must see it (a refusal means a stream they asked for is not coming)."""
        return self.kind is ControlKind.REFUSED


ParseResult = TokenCreated | Trade | Migration | ControlMessage | Dropped
EVENT_TYPES: Final = (TokenCreated, Trade, Migration)

_OVERSIZE = Dropped(DropReason.OVERSIZE)
_NOT_JSON = Dropped(DropReason.NOT_JSON)
_NOT_OBJECT = Dropped(DropReason.NOT_OBJECT)
_SUSPECT = Dropped(DropReason.SUSPECT, "non-pump mint")


class _BadFieldError(Exception):
    pass


def classify_control(text: str) -> ControlMessage:
    """Return the meaning of a server ``message`` text (wording per protocols.md §1.4, matched loosely)."""
    lower = text.lower()
    if "only available" in lower or "api key" in lower or "api-key" in lower or "not allowed" in lower:
        kind = ControlKind.REFUSED
    elif "subscribed" in lower and "unsubscribed" not in lower:
        if "token creation" in lower:
            kind = ControlKind.ACK_NEW_TOKEN
        elif "migration" in lower:
            kind = ControlKind.ACK_MIGRATION
        elif "key" in lower:
            kind = ControlKind.ACK_KEYS
        else:
            kind = ControlKind.INFO
    else:
        kind = ControlKind.INFO
    return ControlMessage(kind, text[:_TEXT_LIMIT])


def parse_frame(raw: str | bytes, received_ms: int, *, max_chars: int = MAX_FRAME_CHARS) -> ParseResult:
    """Parse one text frame.

    Args:
        raw: The frame as received (``str``) or as recorded (UTF-8 ``bytes``).
        received_ms: Local arrival time to stamp on the event (PumpPortal sends no timestamp).
        max_chars: Frames longer than this are dropped unparsed.

    Returns:
        The event, the control message, or why the frame was dropped.
    """
    if len(raw) > max_chars:
        return _OVERSIZE
    try:
        doc = _loads(raw)
    except _JSONDecodeError:
        return _NOT_JSON
    if type(doc) is not dict:
        return _NOT_OBJECT
    signature = doc.get("signature")
    if signature is None:
        message = doc.get("message")
        if type(message) is str:
            return classify_control(message)
        return Dropped(DropReason.BAD_FIELD, "signature")
    mint = doc.get("mint")
    if type(signature) is not str or not signature:
        return Dropped(DropReason.BAD_FIELD, "signature")
    if type(mint) is not str or not mint:
        return Dropped(DropReason.BAD_FIELD, "mint")
    tx_type = doc.get("txType")
    try:
        if tx_type == "buy" or tx_type == "sell":
            return _trade(doc, signature, mint, Side.BUY if tx_type == "buy" else Side.SELL, received_ms)
        if tx_type == "create":
            if mint in NON_PUMP_MINTS:
                return _SUSPECT
            return _create(doc, signature, mint, received_ms)
        if tx_type == "migrate":
            return Migration(signature, mint, _text(doc.get("pool"), "pool"), received_ms)
    except _BadFieldError as e:
        return Dropped(DropReason.BAD_FIELD, str(e))
    if type(tx_type) is str:
        return Dropped(DropReason.UNKNOWN_TYPE, tx_type[:40])
    return Dropped(DropReason.BAD_FIELD, "txType")


# The builders below inline the common case (a str, or a float in range) and call the helpers only for
# ints, absent fields and errors: a function call per field costs more than parsing the JSON does.
# Positional arguments follow the field order of TokenCreated / Trade in desk.core.market.


def _trade(doc: dict[str, Any], signature: str, mint: str, side: Side, received_ms: int) -> Trade:
    get = doc.get
    trader, pool = get("traderPublicKey"), get("pool")
    tokens, sol, balance = get("tokenAmount"), get("solAmount"), get("newTokenBalance")
    v_sol, v_tokens, cap = get("vSolInBondingCurve"), get("vTokensInBondingCurve"), get("marketCapSol")
    return Trade(
        signature,
        mint,
        trader if type(trader) is str else _text(trader, "traderPublicKey"),
        side,
        round(tokens * 1e6) if type(tokens) is float and 0.0 <= tokens <= _MAX_TOKENS
        else (_tokens(tokens, "tokenAmount") or 0),
        round(sol * 1e9) if type(sol) is float and 0.0 <= sol <= _MAX_SOL else _lamports(sol, "solAmount"),
        round(balance * 1e6) if type(balance) is float and 0.0 <= balance <= _MAX_TOKENS
        else _tokens(balance, "newTokenBalance"),
        round(v_sol * 1e9) if type(v_sol) is float and 0.0 <= v_sol <= _MAX_SOL
        else _lamports(v_sol, "vSolInBondingCurve"),
        round(v_tokens * 1e6) if type(v_tokens) is float and 0.0 <= v_tokens <= _MAX_TOKENS
        else _tokens(v_tokens, "vTokensInBondingCurve"),
        round(cap * 1e9) if type(cap) is float and 0.0 <= cap <= _MAX_SOL else _lamports(cap, "marketCapSol"),
        pool if type(pool) is str else _text(pool, "pool"),
        received_ms,
    )


def _create(doc: dict[str, Any], signature: str, mint: str, received_ms: int) -> TokenCreated:
    get = doc.get
    creator, name, symbol, uri, pool = get("traderPublicKey"), get("name"), get("symbol"), get("uri"), get("pool")
    first_buy, sol, cap = get("initialBuy"), get("solAmount"), get("marketCapSol")
    v_sol, v_tokens = get("vSolInBondingCurve"), get("vTokensInBondingCurve")
    curve, mayhem = get("bondingCurveKey"), get("is_mayhem_mode")
    if curve is not None and type(curve) is not str:
        raise _BadFieldError("bondingCurveKey")
    if mayhem is not None and type(mayhem) is not bool:
        raise _BadFieldError("is_mayhem_mode")
    return TokenCreated(
        signature,
        mint,
        creator if type(creator) is str else _text(creator, "traderPublicKey"),
        name if type(name) is str else _text(name, "name"),
        symbol if type(symbol) is str else _text(symbol, "symbol"),
        uri if type(uri) is str else _text(uri, "uri"),
        pool if type(pool) is str else _text(pool, "pool"),
        round(first_buy * 1e6) if type(first_buy) is float and 0.0 <= first_buy <= _MAX_TOKENS
        else (_tokens(first_buy, "initialBuy") or 0),
        round(sol * 1e9) if type(sol) is float and 0.0 <= sol <= _MAX_SOL else (_lamports(sol, "solAmount") or 0),
        round(v_sol * 1e9) if type(v_sol) is float and 0.0 <= v_sol <= _MAX_SOL
        else _lamports(v_sol, "vSolInBondingCurve"),
        round(v_tokens * 1e6) if type(v_tokens) is float and 0.0 <= v_tokens <= _MAX_TOKENS
        else _tokens(v_tokens, "vTokensInBondingCurve"),
        round(cap * 1e9) if type(cap) is float and 0.0 <= cap <= _MAX_SOL else _lamports(cap, "marketCapSol"),
        curve,
        mayhem is True,
        received_ms,
    )


def _text(value: object, name: str) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value
    raise _BadFieldError(name)


def _lamports(value: object, name: str) -> int | None:
    if value is None:
        return None
    if type(value) is float:
        if 0.0 <= value <= _MAX_SOL:  # also false for NaN
            return round(value * 1e9)
    elif type(value) is int and 0 <= value <= _MAX_SOL:
        return value * 1_000_000_000
    raise _BadFieldError(name)


def _tokens(value: object, name: str) -> int | None:
    if value is None:
        return None
    if type(value) is float:
        if 0.0 <= value <= _MAX_TOKENS:
            return round(value * 1e6)
    elif type(value) is int and 0 <= value <= _MAX_TOKENS:
        return value * 1_000_000
    raise _BadFieldError(name)


class RecentKeys:
    """A bounded memory of recently seen keys, for dedupe across reconnects and sources.

    Two generations of sets: when the young one fills half the capacity it becomes the old one and
    the previous old one is forgotten. Lookups and inserts are O(1) with no per-entry bookkeeping, and
    the last ``capacity // 2`` keys are always remembered.

    Args:
        capacity: Upper bound on remembered keys.
    """

    __slots__ = ("_half", "_old", "_young")

    def __init__(self, capacity: int = 200_000) -> None:
        self._half = max(1, capacity // 2)
        self._young: set[object] = set()
        self._old: set[object] = set()

    def add(self, key: object) -> bool:
        """Remember ``key``; return False if it was already remembered (a duplicate)."""
        if key in self._young or key in self._old:
            return False
        young = self._young
        young.add(key)
        if len(young) >= self._half:
            self._old, self._young = young, set()
        return True

    def __len__(self) -> int:
        return len(self._young) + len(self._old)


__all__ = [
    "EVENT_TYPES",
    "MAX_FRAME_CHARS",
    "NON_PUMP_MINTS",
    "ControlKind",
    "ControlMessage",
    "DropReason",
    "Dropped",
    "MarketEvent",
    "ParseResult",
    "RecentKeys",
    "classify_control",
    "parse_frame",
]
