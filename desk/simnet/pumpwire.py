"""pump.fun's on-chain formats as simnet writes them: PDAs, the TradeEvent, the BondingCurve account, logs.

Layouts follow pump.fun's 2026 IDL (protocols.md §7.4) and reproduce the captured mainnet event byte for
byte (``samples/pumpfun/trade_event_decoded_buy.json``). The pump.fun program itself does not run on
simnet; these are the events and account data it would have produced for each settled curve trade.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from typing import Any

from solders.pubkey import Pubkey

from desk.core.curve import CurveState
from desk.simnet.events import SimCreate, SimMigration, SimTrade

PUMP_PROGRAM_ID = Pubkey.from_string("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
PUMP_AMM_PROGRAM_ID = Pubkey.from_string("pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA")
TRADE_EVENT_DISCRIMINATOR = bytes.fromhex("bddb7fd34ee661ee")
CREATE_EVENT_DISCRIMINATOR = bytes.fromhex("1b72a94ddeeb6376")
COMPLETE_EVENT_DISCRIMINATOR = bytes.fromhex("5f72619cd42e9808")
BONDING_CURVE_DISCRIMINATOR = bytes.fromhex("17b7f83760d8ac60")
BONDING_CURVE_ACCOUNT_LEN = 151
_SYSTEM = "11111111111111111111111111111111"
_DEFAULT_KEY = Pubkey.default()

# (field, kind) in wire order; kinds: pubkey, u64, i64, bool, string, vec (empty vector only).
TRADE_EVENT_LAYOUT: tuple[tuple[str, str], ...] = (
    ("mint", "pubkey"), ("sol_amount", "u64"), ("token_amount", "u64"), ("is_buy", "bool"), ("user", "pubkey"),
    ("timestamp", "i64"), ("virtual_sol_reserves", "u64"), ("virtual_token_reserves", "u64"),
    ("real_sol_reserves", "u64"), ("real_token_reserves", "u64"), ("fee_recipient", "pubkey"),
    ("fee_basis_points", "u64"), ("fee", "u64"), ("creator", "pubkey"), ("creator_fee_basis_points", "u64"),
    ("creator_fee", "u64"), ("track_volume", "bool"), ("total_unclaimed_tokens", "u64"),
    ("total_claimed_tokens", "u64"), ("current_sol_volume", "u64"), ("last_update_timestamp", "i64"),
    ("ix_name", "string"), ("mayhem_mode", "bool"), ("cashback_fee_basis_points", "u64"), ("cashback", "u64"),
    ("buyback_fee_basis_points", "u64"), ("buyback_fee", "u64"), ("shareholders", "vec"), ("quote_mint", "pubkey"),
    ("quote_amount", "u64"), ("virtual_quote_reserves", "u64"), ("real_quote_reserves", "u64"),
)
_FIXED = {"u64": "<Q", "i64": "<q"}


def bonding_curve_address(mint: Pubkey) -> Pubkey:
    """Return the bonding-curve PDA of ``mint`` (seeds ``["bonding-curve", mint]``)."""
    return Pubkey.find_program_address([b"bonding-curve", bytes(mint)], PUMP_PROGRAM_ID)[0]


def creator_vault_address(creator: Pubkey) -> Pubkey:
    """Return the creator-vault PDA of ``creator`` (seeds ``["creator-vault", creator]``)."""
    return Pubkey.find_program_address([b"creator-vault", bytes(creator)], PUMP_PROGRAM_ID)[0]


def encode_trade_event_fields(fields: Mapping[str, Any]) -> bytes:
    """Serialize a TradeEvent (discriminator included) from field values keyed as in the IDL.

    Raises:
        ValueError: A field is missing or ``shareholders`` is not empty.
    """
    out = bytearray(TRADE_EVENT_DISCRIMINATOR)
    for name, kind in TRADE_EVENT_LAYOUT:
        value = fields[name]
        if kind == "pubkey":
            out += bytes(Pubkey.from_string(value) if isinstance(value, str) else value)
        elif kind == "bool":
            out.append(1 if value else 0)
        elif kind == "string":
            raw = str(value).encode()
            out += struct.pack("<I", len(raw)) + raw
        elif kind == "vec":
            if value:
                raise ValueError("only an empty shareholders list can be encoded")
            out += struct.pack("<I", 0)
        else:
            out += struct.pack(_FIXED[kind], value)
    return bytes(out)


def decode_trade_event(data: bytes) -> dict[str, Any]:
    """Decode a TradeEvent (with its discriminator); pubkeys come back as base58 text.

    Raises:
        ValueError: Not a TradeEvent, truncated, trailing bytes, or a non-empty shareholders list.
    """
    if data[:8] != TRADE_EVENT_DISCRIMINATOR:
        raise ValueError("not a TradeEvent")
    pos = 8
    fields: dict[str, Any] = {}
    try:
        for name, kind in TRADE_EVENT_LAYOUT:
            if kind == "pubkey":
                if pos + 32 > len(data):
                    raise ValueError("truncated TradeEvent")
                fields[name] = str(Pubkey.from_bytes(data[pos:pos + 32]))
                pos += 32
            elif kind == "bool":
                fields[name] = data[pos] != 0
                pos += 1
            elif kind in ("string", "vec"):
                (length,) = struct.unpack_from("<I", data, pos)
                pos += 4
                if kind == "vec":
                    if length:
                        raise ValueError("non-empty shareholders lists are not decoded")
                    fields[name] = []
                else:
                    fields[name] = data[pos:pos + length].decode()
                    pos += length
            else:
                (fields[name],) = struct.unpack_from(_FIXED[kind], data, pos)
                pos += 8
    except (struct.error, IndexError) as e:
        raise ValueError("truncated TradeEvent") from e
    if pos != len(data):
        raise ValueError("trailing bytes after the TradeEvent")
    return fields


def trade_event(trade: SimTrade, *, ix_name: str | None = None) -> bytes:
    """Return the TradeEvent pump.fun emits for ``trade`` (SOL-quoted curve, no cashback or buyback)."""
    state = trade.state
    return encode_trade_event_fields({
        "mint": trade.mint, "sol_amount": trade.sol, "token_amount": trade.tokens, "is_buy": trade.is_buy,
        "user": trade.trader, "timestamp": trade.time_ms // 1000, "virtual_sol_reserves": state.virtual_sol,
        "virtual_token_reserves": state.virtual_token, "real_sol_reserves": state.real_sol,
        "real_token_reserves": state.real_token, "fee_recipient": trade.accounts.fee_recipient,
        "fee_basis_points": trade.fee_bps, "fee": trade.fee, "creator": trade.accounts.creator,
        "creator_fee_basis_points": trade.creator_fee_bps, "creator_fee": trade.creator_fee, "track_volume": False,
        "total_unclaimed_tokens": 0, "total_claimed_tokens": 0, "current_sol_volume": 0, "last_update_timestamp": 0,
        "ix_name": ix_name or trade.side.value, "mayhem_mode": False, "cashback_fee_basis_points": 0,
        "cashback": 0, "buyback_fee_basis_points": 0, "buyback_fee": 0, "shareholders": [],
        "quote_mint": _DEFAULT_KEY, "quote_amount": trade.sol, "virtual_quote_reserves": state.virtual_sol,
        "real_quote_reserves": state.real_sol,
    })


def _borsh_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<I", len(raw)) + raw


def create_event(create: SimCreate) -> bytes:
    """Return the ``CreateEvent`` of a launch, in its 2025 layout (newer fields are appended on mainnet).

    Fields: name, symbol, uri, mint, bonding_curve, user, creator, timestamp, and the curve's virtual
    token, virtual SOL and real token reserves and token supply before any dev buy.
    """
    token, start = create.token, CurveState()
    return (CREATE_EVENT_DISCRIMINATOR + _borsh_string(token.name) + _borsh_string(token.symbol)
            + _borsh_string(token.uri) + bytes(token.mint) + bytes(token.accounts.bonding_curve)
            + bytes(token.accounts.creator) + bytes(token.accounts.creator)
            + struct.pack("<qQQQQ", token.created_ms // 1000, start.virtual_token, start.virtual_sol,
                          start.real_token, start.total_supply))


def complete_event(trade: SimTrade) -> bytes:
    """Return the ``CompleteEvent`` logged by the buy that sold a curve out (user, mint, curve, timestamp)."""
    return (COMPLETE_EVENT_DISCRIMINATOR + bytes(trade.trader) + bytes(trade.mint)
            + bytes(trade.accounts.bonding_curve) + struct.pack("<q", trade.time_ms // 1000))


def encode_bonding_curve(state: CurveState, creator: Pubkey) -> bytes:
    """Return the 151-byte ``BondingCurve`` account data for ``state`` (SOL-quoted, not mayhem/cashback)."""
    head = BONDING_CURVE_DISCRIMINATOR + struct.pack(
        "<QQQQQ?", state.virtual_token, state.virtual_sol, state.real_token, state.real_sol, state.total_supply,
        state.complete)
    body = head + bytes(creator) + b"\0\0" + bytes(_DEFAULT_KEY)
    return body.ljust(BONDING_CURVE_ACCOUNT_LEN, b"\0")


def decode_bonding_curve(data: bytes) -> tuple[CurveState, Pubkey]:
    """Decode a ``BondingCurve`` account into its reserves and creator.

    Raises:
        ValueError: Wrong discriminator or too short.
    """
    if data[:8] != BONDING_CURVE_DISCRIMINATOR or len(data) < 81:
        raise ValueError("not a BondingCurve account")
    vtok, vsol, rtok, rsol, supply, complete = struct.unpack_from("<QQQQQ?", data, 8)
    return CurveState(vtok, vsol, rtok, rsol, supply, complete), Pubkey.from_bytes(data[49:81])


def _program_data(event: bytes) -> str:
    return "Program data: " + base64.b64encode(event).decode()


def _invoke(program: Pubkey | str, depth: int, body: list[str], consumed: int, budget: int) -> list[str]:
    return [f"Program {program} invoke [{depth}]", *body,
            f"Program {program} consumed {consumed} of {budget} compute units", f"Program {program} success"]


def _token_transfer(token_program: Pubkey) -> list[str]:
    return [f"Program {token_program} invoke [2]", "Program log: Instruction: TransferChecked",
            f"Program {token_program} consumed 105 of 160942 compute units", f"Program {token_program} success"]


def _system_transfers(count: int) -> list[str]:
    return [line for _ in range(count) for line in (f"Program {_SYSTEM} invoke [2]", f"Program {_SYSTEM} success")]


def _trade_body(trade: SimTrade, ix_name: str) -> list[str]:
    transfers = 1 + (trade.fee > 0) + (trade.creator_fee > 0)
    moves = ([*_system_transfers(transfers), *_token_transfer(trade.accounts.token_program)] if trade.is_buy
             else [*_token_transfer(trade.accounts.token_program), *_system_transfers(transfers)])
    # Anchor's event CPI: the program invokes itself with the event as instruction data.
    event_cpi = [f"Program {PUMP_PROGRAM_ID} invoke [2]",
                 f"Program {PUMP_PROGRAM_ID} consumed 2003 of 139816 compute units",
                 f"Program {PUMP_PROGRAM_ID} success"]
    events = [_program_data(trade_event(trade))]
    if trade.is_buy and trade.state.complete:
        events.append(_program_data(complete_event(trade)))
    return [f"Program log: Instruction: {ix_name}", *moves, *events, *event_cpi]


def trade_logs(trade: SimTrade) -> list[str]:
    """Return the transaction logs of a pump.fun buy or sell as a mainnet node reports them."""
    return _invoke(PUMP_PROGRAM_ID, 1, _trade_body(trade, "Buy" if trade.is_buy else "Sell"), 38_412, 200_000)


def create_logs(create: SimCreate) -> list[str]:
    """Return the logs of a create (its CreateEvent) and its dev buy (with the buy's TradeEvent)."""
    token_program = create.token.accounts.token_program
    body = ["Program log: Instruction: Create", *_system_transfers(1),
            f"Program {token_program} invoke [2]", "Program log: Instruction: InitializeMint2",
            f"Program {token_program} consumed 214 of 170128 compute units", f"Program {token_program} success",
            f"Program {token_program} invoke [2]", "Program log: Instruction: MintTo",
            f"Program {token_program} consumed 161 of 160421 compute units", f"Program {token_program} success",
            _program_data(create_event(create))]
    logs = _invoke(PUMP_PROGRAM_ID, 1, body, 61_220, 400_000)
    if create.dev_buy is not None:
        logs += _invoke(PUMP_PROGRAM_ID, 1, _trade_body(create.dev_buy, "Buy"), 38_412, 200_000)
    return logs


def migrate_logs(migration: SimMigration) -> list[str]:
    """Return the logs of a migration to the AMM."""
    body = ["Program log: Instruction: Migrate", *_system_transfers(2), *_token_transfer(
        migration.accounts.token_program)]
    return _invoke(PUMP_PROGRAM_ID, 1, body, 120_500, 400_000)
