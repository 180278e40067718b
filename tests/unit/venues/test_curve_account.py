"""pump.fun BondingCurve accounts: PDA derivation against real data, prefix decoding, hostile bytes."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from solders.pubkey import Pubkey
from spl.token.instructions import get_associated_token_address

from desk.core.curve import INITIAL_REAL_TOKEN_RESERVES, INITIAL_VIRTUAL_SOL_RESERVES
from desk.venues.pumpfun.curve_account import (
    ACCOUNT_LEN_2026,
    BONDING_CURVE_DISCRIMINATOR,
    BondingCurveAccount,
    CurveAccountError,
    associated_bonding_curve,
    bonding_curve_address,
    decode_bonding_curve,
    encode_bonding_curve,
)
from tests.unit.venues.fakevenue import sample

# The create in samples/pumpportal_ws/04 (mint, creator) and the curve account read back on 2026-07-04.
MINT = "g5nAdAoNfmoemZrnzHKZV3HMUofXM2fPsQ8vLBqqd2H"
CREATOR = "bwamJzztZsepfkteWRChggmXuiiCQvpLqPietdNfSXa"
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")


def recorded() -> tuple[str, bytes, dict[str, object]]:
    payload = sample("pumpfun", "bonding_curve_account_decoded.json")
    return payload["pubkey"], base64.b64decode(payload["data_base64"]), payload["decoded"]


def test_pda_derived_from_the_mint_matches_the_real_curve_address() -> None:
    pubkey, _, _ = recorded()
    assert str(bonding_curve_address(MINT)) == pubkey
    assert bonding_curve_address(Pubkey.from_string(MINT)) == Pubkey.from_string(pubkey)


def test_pda_matches_dexscreeners_curve_pair_address() -> None:
    pair = sample("dexscreener", "pair_pumpfun_bonding_curve.json")
    assert str(bonding_curve_address(pair["baseToken"]["address"])) == pair["pairAddress"]


def test_associated_bonding_curve_is_the_curve_ata() -> None:
    curve = bonding_curve_address(MINT)
    assert associated_bonding_curve(curve, MINT, TOKEN_PROGRAM) == get_associated_token_address(
        curve, Pubkey.from_string(MINT), TOKEN_PROGRAM)


def test_bad_mint_text_raises_a_curve_error() -> None:
    with pytest.raises(CurveAccountError, match="not a Solana address"):
        bonding_curve_address("not-a-mint")


def test_recorded_account_decodes_exactly() -> None:
    _, data, decoded = recorded()
    assert len(data) == ACCOUNT_LEN_2026 == decoded["_account_len"]
    curve = decode_bonding_curve(data)
    assert curve.virtual_token_reserves == decoded["virtual_token_reserves"]
    assert curve.virtual_quote_reserves == decoded["virtual_quote_reserves"]
    assert curve.real_token_reserves == decoded["real_token_reserves"]
    assert curve.real_quote_reserves == decoded["real_quote_reserves"]
    assert curve.token_total_supply == decoded["token_total_supply"]
    assert curve.complete is False and curve.creator == CREATOR == decoded["creator"]
    assert curve.is_mayhem_mode is False and curve.is_cashback_coin is True
    assert curve.quote_mint is None and curve.sol_quoted  # default pubkey 1111…1111 = SOL
    assert curve.progress_bps == 0
    state = curve.to_curve_state()
    assert state.virtual_sol == INITIAL_VIRTUAL_SOL_RESERVES + 6 and state.real_sol == 6


def test_encode_round_trips_the_recorded_bytes() -> None:
    _, data, _ = recorded()
    assert encode_bonding_curve(decode_bonding_curve(data)) == data


@pytest.mark.parametrize(("length", "creator", "mayhem", "quote_known"), [
    (49, None, None, False), (81, CREATOR, None, False), (83, CREATOR, False, False), (115, CREATOR, False, True),
])
def test_older_shorter_accounts_decode_by_prefix(length: int, creator: str | None, mayhem: bool | None,
                                                 quote_known: bool) -> None:
    _, data, _ = recorded()
    curve = decode_bonding_curve(data[:length])
    assert curve.virtual_token_reserves == 1_073_000_000_000_000
    assert curve.creator == creator and curve.is_mayhem_mode is mayhem
    assert curve.sol_quoted  # unknown or default quote mint both mean SOL


def test_usdc_quoted_and_graduated_curves() -> None:
    usdc = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
    account = BondingCurveAccount(279_900_000_000_000, 115_005_000_000, 0, 85_005_000_000, 10**15, True,
                                  CREATOR, True, False, usdc)
    curve = decode_bonding_curve(encode_bonding_curve(account))
    assert curve == account and not curve.sol_quoted and curve.progress_bps == 10_000
    half = replace(account, complete=False, real_token_reserves=INITIAL_REAL_TOKEN_RESERVES // 2)
    assert decode_bonding_curve(encode_bonding_curve(half)).progress_bps == 5_000


@pytest.mark.parametrize(("data", "message"), [
    (b"", "discriminator"), (bytes(151), "discriminator"), (b"\x01" * 151, "discriminator"),
    (BONDING_CURVE_DISCRIMINATOR, "too short"), (BONDING_CURVE_DISCRIMINATOR + bytes(40), "too short"),
    (BONDING_CURVE_DISCRIMINATOR + bytes(40) + b"\x02", "complete flag"),
    (BONDING_CURVE_DISCRIMINATOR + bytes(40) + b"\x00" + bytes(32) + b"\x07", "mayhem flag"),
])
def test_hostile_bytes_raise_a_curve_error(data: bytes, message: str) -> None:
    with pytest.raises(CurveAccountError, match=message):
        decode_bonding_curve(data)
