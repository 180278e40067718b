"""Pure decoding of pump.fun's Anchor events from program logs (protocols.md §7.4).

The program logs each event as ``Program data: <base64>``: an 8-byte discriminator, then the Borsh
fields. Only data lines logged while the pump program is the innermost running program count (other
programs log ``Program data:`` too). Layouts grow at the end with each program upgrade, so events are
read by prefix: the leading fields every version had are required, later fields are None when the
event stops before them, and bytes past the known fields are ignored. Amounts are integers as on
chain: lamports and 6-decimal token units.
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from solders.pubkey import Pubkey

from desk.core.errors import VenueError
from desk.core.market import TOKEN_TOTAL_SUPPLY, EventSource, Side, TokenCreated, Trade

PUMP_PROGRAM: Final = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
TRADE_EVENT_DISCRIMINATOR: Final = bytes.fromhex("bddb7fd34ee661ee")
CREATE_EVENT_DISCRIMINATOR: Final = bytes.fromhex("1b72a94ddeeb6376")
COMPLETE_EVENT_DISCRIMINATOR: Final = bytes.fromhex("5f72619cd42e9808")
EVENT_CPI_TAG: Final = bytes.fromhex("e445a52e51cb9a1d")  # prefix of events emitted by self-CPI
SOL_QUOTES: Final = frozenset({"11111111111111111111111111111111", "So11111111111111111111111111111111111111112"})
_DATA_PREFIX: Final = "Program data: "


class EventDecodeError(VenueError):
    """A pump.fun event had a known discriminator but bytes that do not fit its layout."""


@dataclass(frozen=True, slots=True)
class PumpTradeEvent:
    """pump.fun ``TradeEvent``; fields after ``virtual_token_reserves`` are None on older layouts."""

    mint: str
    sol_amount: int
    token_amount: int
    is_buy: bool
    user: str
    timestamp: int
    virtual_sol_reserves: int
    virtual_token_reserves: int
    real_sol_reserves: int | None = None
    real_token_reserves: int | None = None
    fee_recipient: str | None = None
    fee_basis_points: int | None = None
    fee: int | None = None
    creator: str | None = None
    creator_fee_basis_points: int | None = None
    creator_fee: int | None = None
    track_volume: bool | None = None
    total_unclaimed_tokens: int | None = None
    total_claimed_tokens: int | None = None
    current_sol_volume: int | None = None
    last_update_timestamp: int | None = None
    ix_name: str | None = None
    mayhem_mode: bool | None = None
    cashback_fee_basis_points: int | None = None
    cashback: int | None = None
    buyback_fee_basis_points: int | None = None
    buyback_fee: int | None = None
    shareholders: tuple[tuple[str, int], ...] | None = None
    quote_mint: str | None = None
    quote_amount: int | None = None
    virtual_quote_reserves: int | None = None
    real_quote_reserves: int | None = None
    holder_rewards_bps: int | None = None
    holder_rewards: int | None = None
    creator_fee_unclaimed: int | None = None


@dataclass(frozen=True, slots=True)
class PumpCreateEvent:
    """pump.fun ``CreateEvent``; fields after ``user`` are None on older layouts."""

    name: str
    symbol: str
    uri: str
    mint: str
    bonding_curve: str
    user: str
    creator: str | None = None
    timestamp: int | None = None
    virtual_token_reserves: int | None = None
    virtual_sol_reserves: int | None = None
    real_token_reserves: int | None = None
    token_total_supply: int | None = None
    token_program: str | None = None
    is_mayhem_mode: bool | None = None
    is_cashback_enabled: bool | None = None
    quote_mint: str | None = None
    virtual_quote_reserves: int | None = None
    creator_fee_bps: int | None = None
    is_holder_reward: bool | None = None
    depth: int | None = None


@dataclass(frozen=True, slots=True)
class PumpCompleteEvent:
    """pump.fun ``CompleteEvent``: the curve sold out and the token can migrate."""

    user: str
    mint: str
    bonding_curve: str
    timestamp: int
    quote_mint: str | None = None


PumpEvent = PumpTradeEvent | PumpCreateEvent | PumpCompleteEvent

_TRADE_LAYOUT: Final = (
    "mint:pubkey sol_amount:u64 token_amount:u64 is_buy:bool user:pubkey timestamp:i64 "
    "virtual_sol_reserves:u64 virtual_token_reserves:u64 real_sol_reserves:u64 real_token_reserves:u64 "
    "fee_recipient:pubkey fee_basis_points:u64 fee:u64 creator:pubkey creator_fee_basis_points:u64 "
    "creator_fee:u64 track_volume:bool total_unclaimed_tokens:u64 total_claimed_tokens:u64 "
    "current_sol_volume:u64 last_update_timestamp:i64 ix_name:string mayhem_mode:bool "
    "cashback_fee_basis_points:u64 cashback:u64 buyback_fee_basis_points:u64 buyback_fee:u64 "
    "shareholders:shareholders quote_mint:pubkey quote_amount:u64 virtual_quote_reserves:u64 "
    "real_quote_reserves:u64 holder_rewards_bps:u64 holder_rewards:u64 creator_fee_unclaimed:u64"
)
_CREATE_LAYOUT: Final = (
    "name:string symbol:string uri:string mint:pubkey bonding_curve:pubkey user:pubkey creator:pubkey "
    "timestamp:i64 virtual_token_reserves:u64 virtual_sol_reserves:u64 real_token_reserves:u64 "
    "token_total_supply:u64 token_program:pubkey is_mayhem_mode:bool is_cashback_enabled:bool "
    "quote_mint:pubkey virtual_quote_reserves:u64 creator_fee_bps:u64 is_holder_reward:bool depth:u8"
)
_COMPLETE_LAYOUT: Final = "user:pubkey mint:pubkey bonding_curve:pubkey timestamp:i64 quote_mint:pubkey"


def _layout(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, kind) for name, kind in (item.split(":") for item in text.split()))


_EVENTS: Final[dict[bytes, tuple[type[Any], tuple[tuple[str, str], ...], int]]] = {
    TRADE_EVENT_DISCRIMINATOR: (PumpTradeEvent, _layout(_TRADE_LAYOUT), 8),
    CREATE_EVENT_DISCRIMINATOR: (PumpCreateEvent, _layout(_CREATE_LAYOUT), 6),
    COMPLETE_EVENT_DISCRIMINATOR: (PumpCompleteEvent, _layout(_COMPLETE_LAYOUT), 4),
}
_FIXED: Final = {"u64": struct.Struct("<Q"), "i64": struct.Struct("<q"), "u16": struct.Struct("<H"),
                 "u8": struct.Struct("<B"), "u32": struct.Struct("<I")}
_MAX_STRING: Final = 4096
_MAX_SHAREHOLDERS: Final = 256


class _ShortError(Exception):
    """The data ended inside a field."""


def _read(data: bytes, offset: int, kind: str) -> tuple[Any, int]:
    fixed = _FIXED.get(kind)
    if fixed is not None:
        if offset + fixed.size > len(data):
            raise _ShortError
        return fixed.unpack_from(data, offset)[0], offset + fixed.size
    if kind == "pubkey":
        if offset + 32 > len(data):
            raise _ShortError
        return str(Pubkey.from_bytes(data[offset:offset + 32])), offset + 32
    if kind == "bool":
        if offset + 1 > len(data):
            raise _ShortError
        if data[offset] > 1:
            raise EventDecodeError(f"byte {offset} is not a bool")
        return data[offset] == 1, offset + 1
    if kind == "string":
        size, offset = _read(data, offset, "u32")
        if size > _MAX_STRING:
            raise EventDecodeError(f"string of {size} bytes at {offset}")
        if offset + size > len(data):
            raise _ShortError
        return data[offset:offset + size].decode("utf-8", errors="replace"), offset + size
    if kind == "shareholders":
        count, offset = _read(data, offset, "u32")
        if count > _MAX_SHAREHOLDERS:
            raise EventDecodeError(f"{count} shareholders at {offset}")
        holders = []
        for _ in range(count):
            address, offset = _read(data, offset, "pubkey")
            share, offset = _read(data, offset, "u16")
            holders.append((address, share))
        return tuple(holders), offset
    raise AssertionError(kind)  # pragma: no cover - layouts above only use the kinds handled here


def decode_event(data: bytes) -> PumpEvent | None:
    """Decode one ``Program data`` payload.

    Returns:
        The event, or None when the discriminator is not one of the three known events.

    Raises:
        EventDecodeError: a known event whose required leading fields are missing or invalid.
    """
    if data[:8] == EVENT_CPI_TAG:
        data = data[8:]
    known = _EVENTS.get(data[:8])
    if known is None:
        return None
    cls, layout, required = known
    fields: dict[str, Any] = {}
    offset = 8
    for index, (name, kind) in enumerate(layout):
        try:
            fields[name], offset = _read(data, offset, kind)
        except _ShortError:
            if index < required:
                raise EventDecodeError(f"{cls.__name__} ends before {name} ({len(data)} bytes)") from None
            break
    event: PumpEvent = cls(**fields)
    return event


def program_data(logs: Sequence[str], program: str = PUMP_PROGRAM) -> Iterator[bytes]:
    """Yield the decoded ``Program data:`` payloads logged while ``program`` was the innermost program.

    The invoke stack is rebuilt from ``Program <id> invoke [depth]`` and ``... success`` / ``... failed``
    lines; data lines that are not valid base64 are skipped.
    """
    stack: list[str] = []
    for line in logs:
        if line.startswith(_DATA_PREFIX):
            if stack and stack[-1] == program:
                try:
                    yield binascii.a2b_base64(line[len(_DATA_PREFIX):], strict_mode=True)
                except binascii.Error:
                    continue
        elif line.startswith("Program "):
            parts = line.split(" ", 4)
            if len(parts) >= 4 and parts[2] == "invoke" and parts[3][:1] == "[":
                depth = int(parts[3].strip("[]")) if parts[3].strip("[]").isdigit() else len(stack) + 1
                del stack[max(0, depth - 1):]
                stack.append(parts[1])
            elif len(parts) >= 3 and (parts[2] == "success" or parts[2].startswith("failed")) and stack:
                stack.pop()


def trade_from_event(event: PumpTradeEvent, signature: str) -> Trade:
    """Return the market :class:`Trade` for a decoded event, stamped with its on-chain time.

    ``sol_amount`` is what moved through the curve (fees excluded). On a curve quoted in another token
    (e.g. USDC) the quote amounts are not lamports, so SOL amounts, reserves and market cap are None.
    """
    sol_quoted = event.quote_mint is None or event.quote_mint in SOL_QUOTES
    v_sol, v_tokens = event.virtual_sol_reserves, event.virtual_token_reserves
    return Trade(
        signature=signature,
        mint=event.mint,
        trader=event.user,
        side=Side.BUY if event.is_buy else Side.SELL,
        token_amount=event.token_amount,
        sol_amount=event.sol_amount if sol_quoted else None,
        new_token_balance=None,
        v_sol=v_sol if sol_quoted else None,
        v_tokens=v_tokens,
        market_cap=v_sol * TOKEN_TOTAL_SUPPLY // v_tokens if sol_quoted and v_tokens else None,
        pool="pump",
        received_ms=event.timestamp * 1000,
        source=EventSource.RPC_LOGS,
    )


def created_from_event(event: PumpCreateEvent, signature: str) -> TokenCreated:
    """Return the market :class:`TokenCreated` for a decoded create (reserves as of the create)."""
    v_sol, v_tokens = event.virtual_sol_reserves, event.virtual_token_reserves
    sol_quoted = event.quote_mint is None or event.quote_mint in SOL_QUOTES
    return TokenCreated(
        signature=signature,
        mint=event.mint,
        creator=event.creator or event.user,
        name=event.name,
        symbol=event.symbol,
        uri=event.uri,
        pool="pump",
        initial_buy=0,
        sol_amount=0,
        v_sol=v_sol if sol_quoted else None,
        v_tokens=v_tokens,
        market_cap=v_sol * TOKEN_TOTAL_SUPPLY // v_tokens if sol_quoted and v_sol is not None and v_tokens else None,
        bonding_curve=event.bonding_curve,
        mayhem=bool(event.is_mayhem_mode),
        received_ms=(event.timestamp or 0) * 1000,
        source=EventSource.RPC_LOGS,
    )
