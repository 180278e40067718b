"""pump.fun events from program logs: byte-exact against recorded notifications, by prefix for old layouts."""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from solders.pubkey import Pubkey

from desk.core.market import EventSource, Side, Trade
from desk.venues.pumpfun.events import (
    COMPLETE_EVENT_DISCRIMINATOR,
    CREATE_EVENT_DISCRIMINATOR,
    EVENT_CPI_TAG,
    PUMP_PROGRAM,
    TRADE_EVENT_DISCRIMINATOR,
    EventDecodeError,
    PumpCompleteEvent,
    PumpCreateEvent,
    PumpTradeEvent,
    created_from_event,
    decode_event,
    program_data,
    trade_from_event,
)

SAMPLES = Path("/work/shared/samples")
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def load(path: str) -> dict[str, Any]:
    return json.loads((SAMPLES / path).read_text())["payload"]  # type: ignore[no-any-return]


def key(n: int) -> bytes:
    return bytes([n]) * 32


def name_of(n: int) -> str:
    return str(Pubkey.from_bytes(key(n)))


def string(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode()


def old_trade(*, is_buy: bool = True) -> bytes:
    """A 2024-layout TradeEvent: the eight leading fields only."""
    return (TRADE_EVENT_DISCRIMINATOR + key(1) + struct.pack("<QQ?", 1_000_000_000, 35_000_000_000, is_buy) + key(2)
            + struct.pack("<qQQ", 1_700_000_000, 31_000_000_000, 1_038_000_000_000_000))


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_recorded_trade_events_decode_byte_exact(side: str) -> None:
    notification = load(f"solana_rpc/logsNotification_pump_{side}.json")
    expected = load(f"pumpfun/trade_event_decoded_{side}.json")
    value = notification["params"]["result"]["value"]
    [data] = list(program_data(value["logs"]))
    assert base64.b64encode(data).decode() == expected["program_data_base64"]
    event = decode_event(data)
    assert isinstance(event, PumpTradeEvent)
    for field, want in expected["decoded"].items():
        got = getattr(event, field)
        assert (list(got) if field == "shareholders" else got) == want, field
    assert event.holder_rewards_bps is None  # the July 2026 layout ends at real_quote_reserves


def test_recorded_buy_becomes_a_market_trade_stamped_with_chain_time() -> None:
    expected = load("pumpfun/trade_event_decoded_buy.json")
    event = decode_event(base64.b64decode(expected["program_data_base64"]))
    assert isinstance(event, PumpTradeEvent)
    trade = trade_from_event(event, expected["signature"])
    assert trade == Trade(
        signature=expected["signature"], mint="3nWWLE7s29LzCTDbc7UV5XCPoUsHudbNLStfQdTWmmja",
        trader="CMN4HErpURnxJJBjFf54XiS8sY9FjBPS1fYSc6FnhYQL", side=Side.BUY, token_amount=5_305_887_740_987,
        sol_amount=493_827_159, new_token_balance=None, v_sol=54_982_952_324, v_tokens=585_454_193_761_946,
        market_cap=54_982_952_324 * 10**15 // 585_454_193_761_946, pool="pump", received_ms=1_783_165_099_000,
        source=EventSource.RPC_LOGS)


def test_recorded_sell_is_a_sell() -> None:
    expected = load("pumpfun/trade_event_decoded_sell.json")
    event = decode_event(base64.b64decode(expected["program_data_base64"]))
    assert isinstance(event, PumpTradeEvent)
    assert trade_from_event(event, "sig").side is Side.SELL


def test_a_2024_layout_trade_parses_by_prefix() -> None:
    event = decode_event(old_trade())
    assert event == PumpTradeEvent(name_of(1), 1_000_000_000, 35_000_000_000, True, name_of(2), 1_700_000_000,
                                   31_000_000_000, 1_038_000_000_000_000)
    assert event.real_sol_reserves is None and event.quote_mint is None


def test_a_layout_cut_inside_an_optional_field_keeps_the_fields_before_it() -> None:
    data = old_trade() + struct.pack("<Q", 1_000_000_000) + b"\x01\x02"  # real_sol_reserves, then 2 stray bytes
    event = decode_event(data)
    assert isinstance(event, PumpTradeEvent)
    assert event.real_sol_reserves == 1_000_000_000 and event.real_token_reserves is None


def test_a_trade_missing_a_required_field_is_an_error() -> None:
    with pytest.raises(EventDecodeError, match="virtual_token_reserves"):
        decode_event(old_trade()[:-4])


def test_an_invalid_bool_is_an_error() -> None:
    data = bytearray(old_trade())
    data[8 + 32 + 16] = 7
    with pytest.raises(EventDecodeError, match="bool"):
        decode_event(bytes(data))


def test_unknown_discriminators_are_not_events() -> None:
    assert decode_event(bytes(8) + b"payload") is None
    assert decode_event(b"") is None


def test_events_emitted_by_self_cpi_carry_a_tag_prefix() -> None:
    assert decode_event(EVENT_CPI_TAG + old_trade()) == decode_event(old_trade())


def test_create_and_complete_events_decode() -> None:
    create = (CREATE_EVENT_DISCRIMINATOR + string("Blume") + string("BLUME") + string("ipfs://x") + key(3) + key(4)
              + key(5) + key(6) + struct.pack("<qQQQQ", 1_783_000_000, 1_073_000_000_000_000, 30_000_000_000,
                                               793_100_000_000_000, 10**15) + key(7) + b"\x01")
    event = decode_event(create)
    assert isinstance(event, PumpCreateEvent)
    assert (event.name, event.symbol, event.uri, event.mint, event.creator) == (
        "Blume", "BLUME", "ipfs://x", name_of(3), name_of(6))
    assert event.is_mayhem_mode is True and event.is_cashback_enabled is None
    token = created_from_event(event, "sig")
    assert token.market_cap == 30_000_000_000 * 10**15 // 1_073_000_000_000_000
    assert token.received_ms == 1_783_000_000_000 and token.mayhem and token.source is EventSource.RPC_LOGS
    complete = decode_event(COMPLETE_EVENT_DISCRIMINATOR + key(1) + key(2) + key(3) + struct.pack("<q", 5))
    assert complete == PumpCompleteEvent(name_of(1), name_of(2), name_of(3), 5)


def test_oldest_create_layout_parses_and_absurd_strings_are_rejected() -> None:
    oldest = CREATE_EVENT_DISCRIMINATOR + string("a") + string("b") + string("c") + key(3) + key(4) + key(5)
    event = decode_event(oldest)
    assert isinstance(event, PumpCreateEvent) and event.creator is None
    with pytest.raises(EventDecodeError):
        decode_event(CREATE_EVENT_DISCRIMINATOR + struct.pack("<I", 10**9))


def test_usdc_quoted_trades_have_no_sol_amounts() -> None:
    event = decode_event(old_trade())
    assert isinstance(event, PumpTradeEvent)
    trade = trade_from_event(replace(event, quote_mint=USDC), "sig")
    assert trade.sol_amount is None and trade.v_sol is None and trade.market_cap is None
    assert trade.token_amount == 35_000_000_000


def test_only_data_logged_by_the_pump_program_counts() -> None:
    blob = base64.b64encode(old_trade()).decode()
    logs = [
        "Program Other11111111111111111111111111111111 invoke [1]",
        f"Program data: {blob}",  # logged by another program
        f"Program {PUMP_PROGRAM} invoke [2]",
        "Program log: Instruction: Buy",
        "Program pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ invoke [3]",
        f"Program data: {blob}",  # logged by the fee program the pump program called
        "Program pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ success",
        f"Program data: {blob}",  # the pump program's own event: counts
        "Program data: !!not base64!!",  # skipped
        f"Program {PUMP_PROGRAM} success",
        f"Program data: {blob}",  # back in the outer program
        "Program Other11111111111111111111111111111111 success",
    ]
    assert list(program_data(logs)) == [old_trade()]


def test_a_missing_success_line_is_repaired_by_the_invoke_depth() -> None:
    blob = base64.b64encode(old_trade()).decode()
    logs = [f"Program {PUMP_PROGRAM} invoke [1]", "Program X invoke [2]",  # X never reports success (truncated)
            f"Program {PUMP_PROGRAM} invoke [1]", f"Program data: {blob}"]
    assert list(program_data(logs)) == [old_trade()]
