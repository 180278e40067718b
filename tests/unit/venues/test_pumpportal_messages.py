"""PumpPortal frame parsing: every recorded shape, units, control messages, suspects and malformed input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desk.core.market import EventSource, Migration, Side, TokenCreated, Trade, dedupe_key
from desk.venues.pumpportal.messages import (
    MAX_FRAME_CHARS,
    ControlKind,
    ControlMessage,
    Dropped,
    DropReason,
    RecentKeys,
    classify_control,
    parse_frame,
)

SAMPLES = Path("/work/shared/samples/pumpportal_ws")


def payload(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())["payload"]  # type: ignore[no-any-return]


def frame(name: str, /, **changes: Any) -> str:
    doc = payload(name)
    for key, value in changes.items():
        if value is ...:
            doc.pop(key, None)
        else:
            doc[key] = value
    return json.dumps(doc)


def test_pump_create_sample_becomes_a_token_created_in_base_units() -> None:
    event = parse_frame(frame("04_create_pump_full.json"), 1_783_089_927_166)
    assert event == TokenCreated(
        signature="5N5h7ehwg5ragxwPSACUsSg1tfuT5bK3uE9qsshrNrofjuqR1gaM3G4uVMJFUgT4Vwr3QqkyJQaQSdQNnccuAxoM",
        mint="g5nAdAoNfmoemZrnzHKZV3HMUofXM2fPsQ8vLBqqd2H",
        creator="bwamJzztZsepfkteWRChggmXuiiCQvpLqPietdNfSXa",
        name="tremp mubile", symbol="t1", uri="https://meta.sdfgsdfsdf.uk/metadata/dEBqafob", pool="pump",
        initial_buy=151_660_777_334_045,  # 151660777.334045 tokens
        sol_amount=4_938_271_603,  # 4.938271603 SOL
        v_sol=34_938_271_603,  # 34.93827160299997 SOL
        v_tokens=921_339_222_665_955,  # 921339222.6659551 tokens
        market_cap=37_921_181_193,  # 37.921181193072194 SOL
        bonding_curve="GDEagEqdveEs9HYcd3pbDXfV8Xs7bKofbinvFwX6hP3i",
        mayhem=False, received_ms=1_783_089_927_166, source=EventSource.PUMPPORTAL)


def test_bonk_create_has_no_virtual_reserves_and_keeps_its_market_cap() -> None:
    event = parse_frame(frame("06_create_bonk_launchlab.json"), 5)
    assert isinstance(event, TokenCreated)
    assert (event.pool, event.symbol, event.name) == ("bonk", "BLUME", "Blume")
    assert event.v_sol is None and event.v_tokens is None and event.bonding_curve is None
    assert event.initial_buy == 32_425_292_221_087  # 32425292.22108698 tokens, rounded to the atomic unit
    assert event.sol_amount == 890_550_000
    assert event.market_cap == 29_727_136_136
    assert event.mayhem is False


def test_migrate_sample_has_its_four_keys() -> None:
    assert parse_frame(frame("07_migrate_pump_to_pumpamm.json"), 7) == Migration(
        "52MoTgakx7Jdup1kTpZncNy99YmHLxTNEoS4FeZE8fQ3SKtHgWhsS9iYhvW5pKPDhMKkGAjvBGkzEqdETWN15inJ",
        "BzqYzBGydDrwjnYVtWfupr8GFoSxpCQdTkjRppBKpump", "pump-amm", 7)


def test_buy_sample_becomes_a_trade_in_base_units() -> None:
    event = parse_frame(frame("10_trade_buy_2026-09.json"), 9)
    assert event == Trade(
        signature="5EMqqRbMjAPF4tBPNw1TJNv6LcFyFMJ8rhXJfVihaZVSYkvorn2j85o4h222XGDretUX4MR54MsnRUhXuMfT6SiF",
        mint="5ygJ27k1ZyUBdeR9LeNxQ5vZ4n4togt3kxxcYnHUpump",
        trader="3JQvkiF2GKfca3ggMPRwTHmzvnj6emReuSFwSrBBonp5", side=Side.BUY,
        token_amount=30_589_322_786_086, sol_amount=2_629_842_459, new_token_balance=30_589_322_786_086,
        v_sol=53_937_975_099, v_tokens=596_796_597_218_102, market_cap=90_379_159_919, pool="pump",
        received_ms=9)
    assert event.price_lamports_per_token() == pytest.approx(90.379159919, rel=1e-9)  # 9.0379e-8 SOL


def test_sell_with_recorder_fields_parses_and_ignores_them() -> None:
    event = parse_frame(frame("11_trade_sell_2025-02_with_recorder_fields.json"), 11)
    assert isinstance(event, Trade)
    assert event.side is Side.SELL
    assert (event.token_amount, event.sol_amount, event.new_token_balance) == (36_189_104_326, 1_014_365, 0)
    assert (event.v_sol, event.v_tokens, event.market_cap) == (30_037_335_727, 1_071_666_285_328_535, 28_028_628_071)
    assert event.received_ms == 11  # the recorder's "timestamp" is not PumpPortal's


def test_post_graduation_trade_without_curve_fields_or_pool() -> None:
    raw = frame("10_trade_buy_2026-09.json", vTokensInBondingCurve=..., vSolInBondingCurve=..., marketCapSol=...,
                pool=..., bondingCurveKey=...)
    event = parse_frame(raw, 1)
    assert isinstance(event, Trade)
    assert (event.v_sol, event.v_tokens, event.market_cap, event.pool) == (None, None, None, "")
    assert event.price_lamports_per_token() == pytest.approx(2_629_842_459 * 1e6 / 30_589_322_786_086)


def test_2024_era_trade_without_pool_or_sol_amount() -> None:
    event = parse_frame(frame("11_trade_sell_2025-02_with_recorder_fields.json", pool=..., solAmount=...), 1)
    assert isinstance(event, Trade) and event.sol_amount is None and event.pool == ""


def test_integer_numbers_are_accepted_like_floats() -> None:
    event = parse_frame(frame("04_create_pump_full.json", initialBuy=0, solAmount=2, vSolInBondingCurve=30,
                              vTokensInBondingCurve=1_073_000_000), 1)
    assert isinstance(event, TokenCreated)
    assert (event.initial_buy, event.sol_amount, event.v_sol, event.v_tokens) == (
        0, 2_000_000_000, 30_000_000_000, 1_073_000_000_000_000)


def test_create_without_metadata_or_mayhem_flag_gets_empty_strings() -> None:
    event = parse_frame(frame("04_create_pump_full.json", name=..., symbol=..., uri=..., is_mayhem_mode=...), 1)
    assert isinstance(event, TokenCreated)
    assert (event.name, event.symbol, event.uri, event.mayhem) == ("", "", "", False)
    mayhem = parse_frame(frame("04_create_pump_full.json", is_mayhem_mode=True), 1)
    assert isinstance(mayhem, TokenCreated) and mayhem.mayhem is True


@pytest.mark.parametrize("mint", [
    "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    "So11111111111111111111111111111111111111112",
    "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
])
def test_create_naming_a_known_non_pump_mint_is_dropped_as_suspect(mint: str) -> None:
    assert parse_frame(frame("04_create_pump_full.json", mint=mint), 1) == Dropped(DropReason.SUSPECT, "non-pump mint")


def test_suspect_sample_is_dropped() -> None:
    result = parse_frame(frame("05_create_pump_no_metadata_SUSPECT.json"), 1)
    assert isinstance(result, Dropped) and result.reason is DropReason.SUSPECT and not result.malformed


@pytest.mark.parametrize(("name", "kind"), [
    ("01_ack_subscribeNewToken.json", ControlKind.ACK_NEW_TOKEN),
    ("02_ack_subscribeMigration.json", ControlKind.ACK_MIGRATION),
    ("03_error_trade_sub_without_funded_key.json", ControlKind.REFUSED),
    ("08_ack_subscribe_keys.json", ControlKind.ACK_KEYS),
])
def test_control_samples_are_classified(name: str, kind: ControlKind) -> None:
    result = parse_frame(frame(name), 1)
    assert isinstance(result, ControlMessage)
    assert result.kind is kind and result.text == payload(name)["message"]
    assert result.user_visible is (kind is ControlKind.REFUSED)


def test_unknown_messages_are_info_and_long_texts_are_cut() -> None:
    assert classify_control("Unsubscribed from keys.").kind is ControlKind.INFO
    assert classify_control("Server maintenance in 5 minutes").kind is ControlKind.INFO
    assert classify_control("Invalid API key").kind is ControlKind.REFUSED
    assert len(classify_control("x" * 5000).text) == 300


@pytest.mark.parametrize(("raw", "reason", "detail"), [
    ('{"signature": "s", "mint": "m", "txType": "buy", "solAmount": ', DropReason.NOT_JSON, ""),
    (b"\xff\xfe not utf-8", DropReason.NOT_JSON, ""),
    ('{"signature":"s","mint":"m","txType":"buy","solAmount":NaN}', DropReason.NOT_JSON, ""),
    ('{"signature":"s","mint":"m","txType":"buy","solAmount":1e999}', DropReason.NOT_JSON, ""),
    ("[1, 2]", DropReason.NOT_OBJECT, ""),
    ('"text"', DropReason.NOT_OBJECT, ""),
    ('{"signature":"s","mint":"m","txType":"buy","solAmount":"1.5"}', DropReason.BAD_FIELD, "solAmount"),
    ('{"signature":"s","mint":"m","txType":"buy","solAmount":-0.1}', DropReason.BAD_FIELD, "solAmount"),
    ('{"signature":"s","mint":"m","txType":"sell","tokenAmount":true}', DropReason.BAD_FIELD, "tokenAmount"),
    ('{"signature":"s","mint":"m","txType":"sell","tokenAmount":1.5e308}', DropReason.BAD_FIELD, "tokenAmount"),
    ('{"signature":"s","mint":"m","txType":"buy","vSolInBondingCurve":[1]}', DropReason.BAD_FIELD,
     "vSolInBondingCurve"),
    ('{"signature":"s","mint":"m","txType":"create","name":5}', DropReason.BAD_FIELD, "name"),
    ('{"signature":"s","mint":"m","txType":"create","is_mayhem_mode":"no"}', DropReason.BAD_FIELD, "is_mayhem_mode"),
    ('{"signature":"s","mint":"m","txType":"create","bondingCurveKey":7}', DropReason.BAD_FIELD, "bondingCurveKey"),
    ('{"signature":"s","mint":"m","txType":"migrate","pool":1}', DropReason.BAD_FIELD, "pool"),
    ('{"signature":5,"mint":"m","txType":"create"}', DropReason.BAD_FIELD, "signature"),
    ('{"signature":"","mint":"m","txType":"create"}', DropReason.BAD_FIELD, "signature"),
    ('{"signature":"s","txType":"create"}', DropReason.BAD_FIELD, "mint"),
    ('{"mint":"m","txType":"create"}', DropReason.BAD_FIELD, "signature"),
    ('{"message": 42}', DropReason.BAD_FIELD, "signature"),
    ('{"signature":"s","mint":"m"}', DropReason.BAD_FIELD, "txType"),
    ('{"signature":"s","mint":"m","txType":"addLiquidity"}', DropReason.UNKNOWN_TYPE, "addLiquidity"),
])
def test_malformed_frames_are_dropped_with_a_reason(raw: str | bytes, reason: DropReason, detail: str) -> None:
    result = parse_frame(raw, 1)
    assert result == Dropped(reason, detail)
    assert result.malformed is (reason is not DropReason.UNKNOWN_TYPE)


def test_oversize_frames_are_dropped_before_parsing() -> None:
    big = '{"signature":"s","mint":"m","txType":"migrate","pad":"' + "x" * MAX_FRAME_CHARS + '"}'
    assert parse_frame(big, 1) == Dropped(DropReason.OVERSIZE)
    assert isinstance(parse_frame(big, 1, max_chars=len(big)), Migration)


def test_bytes_and_str_frames_parse_the_same() -> None:
    raw = frame("10_trade_buy_2026-09.json")
    assert parse_frame(raw.encode(), 3) == parse_frame(raw, 3)


def test_sol_amounts_round_to_the_nearest_lamport() -> None:
    event = parse_frame('{"signature":"s","mint":"m","txType":"buy","solAmount":0.1,"tokenAmount":0.0000015}', 1)
    assert isinstance(event, Trade)
    assert event.sol_amount == 100_000_000 and event.token_amount == 2  # 1.5 atomic units: half to even


def test_recent_keys_remember_at_least_half_the_capacity() -> None:
    seen = RecentKeys(capacity=10)
    assert [seen.add(n) for n in (1, 2, 1)] == [True, True, False]
    for n in range(100, 120):
        seen.add(n)
    assert len(seen) <= 10
    assert all(not seen.add(n) for n in range(115, 120))  # the last capacity // 2 keys are still known
    assert seen.add(1)  # long forgotten


def test_trades_in_one_transaction_differ_by_trader_and_side() -> None:
    buy = parse_frame(frame("10_trade_buy_2026-09.json"), 1)
    other = parse_frame(frame("10_trade_buy_2026-09.json", traderPublicKey="another"), 1)
    sell = parse_frame(frame("10_trade_buy_2026-09.json", txType="sell"), 1)
    assert isinstance(buy, Trade) and isinstance(other, Trade) and isinstance(sell, Trade)
    assert len({dedupe_key(buy), dedupe_key(other), dedupe_key(sell)}) == 3
