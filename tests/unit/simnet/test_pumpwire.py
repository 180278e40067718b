"""pump.fun wire formats: TradeEvent and BondingCurve bytes against mainnet captures, PDAs, logs."""

from __future__ import annotations

import base64
import struct

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from desk.core.curve import CurveState
from desk.core.market import Side
from desk.simnet import pumpwire
from desk.simnet.chain import SimChain
from desk.simnet.events import CurveAccounts, SimTrade
from desk.simnet.market import SimMarket
from tests.unit.simnet.samples import sample


def make_trade(side: Side = Side.BUY) -> SimTrade:
    keys = [Pubkey.new_unique() for _ in range(8)]
    accounts = CurveAccounts(keys[0], keys[1], keys[2], keys[3], keys[4], keys[5], keys[6], keys[7])
    state = CurveState(1_000_000_000_000_000, 32_000_000_000, 720_000_000_000_000, 2_000_000_000)
    return SimTrade("sig", 7, 1_783_165_099_123, Pubkey.new_unique(), side, 5_000_000, 2_000_000, 19_000, 6_000,
                    state, 5_000_000, accounts, 95, 30)


@pytest.mark.parametrize("name", ["trade_event_decoded_buy.json", "trade_event_decoded_sell.json"])
def test_trade_event_encoding_reproduces_the_mainnet_capture_byte_for_byte(name: str) -> None:
    payload = sample(name)
    raw = base64.b64decode(payload["program_data_base64"])
    assert pumpwire.encode_trade_event_fields(payload["decoded"]) == raw
    assert pumpwire.decode_trade_event(raw) == payload["decoded"]


def test_decoder_rejects_other_events_truncation_and_trailing_bytes() -> None:
    raw = pumpwire.trade_event(make_trade())
    with pytest.raises(ValueError, match="not a TradeEvent"):
        pumpwire.decode_trade_event(bytes.fromhex("1b72a94ddeeb6376") + raw[8:])
    with pytest.raises(ValueError, match="truncated"):
        pumpwire.decode_trade_event(raw[:100])
    with pytest.raises(ValueError, match="trailing"):
        pumpwire.decode_trade_event(raw + b"\0")


def test_trade_event_of_a_simulated_trade_carries_its_amounts_and_reserves() -> None:
    trade = make_trade(Side.SELL)
    fields = pumpwire.decode_trade_event(pumpwire.trade_event(trade))
    assert fields["mint"] == str(trade.mint) and fields["user"] == str(trade.trader)
    assert (fields["sol_amount"], fields["token_amount"], fields["is_buy"]) == (2_000_000, 5_000_000, False)
    assert (fields["fee"], fields["creator_fee"], fields["fee_basis_points"]) == (19_000, 6_000, 95)
    assert fields["virtual_sol_reserves"] == trade.state.virtual_sol
    assert fields["real_token_reserves"] == trade.state.real_token
    assert fields["timestamp"] == 1_783_165_099
    assert fields["ix_name"] == "sell"
    assert fields["quote_mint"] == "11111111111111111111111111111111"


def test_bonding_curve_pda_matches_a_real_mint_and_curve() -> None:
    create = sample("04_create_pump_full.json")
    mint = Pubkey.from_string(create["mint"])
    assert str(pumpwire.bonding_curve_address(mint)) == create["bondingCurveKey"]


def test_bonding_curve_account_layout_matches_the_capture() -> None:
    payload = sample("bonding_curve_account_decoded.json")
    raw = base64.b64decode(payload["data_base64"])
    state, creator = pumpwire.decode_bonding_curve(raw)
    decoded = payload["decoded"]
    assert state == CurveState(decoded["virtual_token_reserves"], decoded["virtual_quote_reserves"],
                               decoded["real_token_reserves"], decoded["real_quote_reserves"],
                               decoded["token_total_supply"], decoded["complete"])
    assert str(creator) == decoded["creator"]
    encoded = pumpwire.encode_bonding_curve(state, creator)
    assert len(encoded) == pumpwire.BONDING_CURVE_ACCOUNT_LEN == len(raw)
    cashback = 82  # the captured coin is a cashback coin; simnet's are not
    assert encoded[:cashback] + encoded[cashback + 1:] == raw[:cashback] + raw[cashback + 1:]


def test_trade_logs_wrap_the_event_in_a_successful_pump_invocation() -> None:
    trade = make_trade()
    logs = pumpwire.trade_logs(trade)
    program = str(pumpwire.PUMP_PROGRAM_ID)
    assert logs[0] == f"Program {program} invoke [1]"
    assert logs[1] == "Program log: Instruction: Buy"
    assert logs[-1] == f"Program {program} success"
    [data] = [line for line in logs if line.startswith("Program data: ")]
    assert pumpwire.decode_trade_event(base64.b64decode(data.removeprefix("Program data: ")))["is_buy"] is True


def test_create_logs_carry_a_create_event_then_the_dev_buy(chain: SimChain, payer: Keypair) -> None:
    market = SimMarket(chain, seed=1)
    created = market.create_token(payer, name="Moon Cat", symbol="MCAT", dev_buy=10**9)
    datas = [base64.b64decode(line.removeprefix("Program data: "))
             for line in pumpwire.create_logs(created) if line.startswith("Program data: ")]
    assert [d[:8] for d in datas] == [pumpwire.CREATE_EVENT_DISCRIMINATOR, pumpwire.TRADE_EVENT_DISCRIMINATOR]
    raw, pos, strings = datas[0], 8, []
    for _ in range(3):
        (length,) = struct.unpack_from("<I", raw, pos)
        strings.append(raw[pos + 4:pos + 4 + length].decode())
        pos += 4 + length
    assert strings == ["Moon Cat", "MCAT", created.token.uri]
    keys = [Pubkey.from_bytes(raw[pos + 32 * i:pos + 32 * (i + 1)]) for i in range(4)]
    assert keys == [created.mint, created.token.accounts.bonding_curve, payer.pubkey(), payer.pubkey()]
    assert struct.unpack_from("<qQQQQ", raw, pos + 128)[1:] == (
        1_073_000_000_000_000, 30_000_000_000, 793_100_000_000_000, 1_000_000_000_000_000)
    assert len(raw) == pos + 128 + 40


def test_the_buy_that_completes_a_curve_logs_a_complete_event(chain: SimChain, payer: Keypair) -> None:
    market = SimMarket(chain, seed=1)
    created = market.create_token(payer, name="A", symbol="A")
    final = market.buy(payer, created.mint, 99 * 10**9)
    datas = [base64.b64decode(line.removeprefix("Program data: "))
             for line in pumpwire.trade_logs(final) if line.startswith("Program data: ")]
    assert [d[:8] for d in datas] == [pumpwire.TRADE_EVENT_DISCRIMINATOR, pumpwire.COMPLETE_EVENT_DISCRIMINATOR]
    assert datas[1][8:104] == bytes(payer.pubkey()) + bytes(created.mint) + bytes(created.token.accounts.bonding_curve)
