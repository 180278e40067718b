"""Mint decoding from raw bytes: SPL Token, Token-2022 extensions, token accounts, hostile data."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from solders.pubkey import Pubkey

from desk.chain.mints import (
    CONFIDENTIAL_TRANSFER_MINT,
    DEFAULT_ACCOUNT_STATE,
    METADATA_POINTER,
    NON_TRANSFERABLE,
    PAUSABLE,
    PERMANENT_DELEGATE,
    TOKEN_METADATA,
    TRANSFER_FEE_CONFIG,
    TRANSFER_HOOK,
    decode_mint,
    decode_token_account,
    parse_largest_accounts,
)
from desk.chain.rpctypes import TOKEN_2022_PROGRAM, TOKEN_PROGRAM, RpcProtocolError
from tests.unit.venues.fakevenue import sample

A, B, C = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()


def mint_bytes(supply: int = 10**15, decimals: int = 6, mint_authority: Pubkey | None = None,
               freeze_authority: Pubkey | None = None, extensions: list[tuple[int, bytes]] | None = None) -> bytes:
    def coption(key: Pubkey | None) -> bytes:
        return struct.pack("<I", 1) + bytes(key) if key else bytes(36)

    base = coption(mint_authority) + struct.pack("<QBB", supply, decimals, 1) + coption(freeze_authority)
    if extensions is None:
        return base
    tlv = b"".join(struct.pack("<HH", kind, len(raw)) + raw for kind, raw in extensions)
    return base.ljust(165, b"\0") + b"\x01" + tlv


def test_jsonparsed_sample_values_decode_from_equivalent_bytes() -> None:
    value = sample("solana_rpc", "get_account_info_mint.json")["result"]["value"]
    info: dict[str, Any] = value["data"]["parsed"]["info"]
    facts = decode_mint(TOKEN_PROGRAM, mint_bytes(int(info["supply"]), info["decimals"]))
    assert facts.supply == 8799471343582888521 and facts.decimals == 5
    assert facts.mint_authority is info["mintAuthority"] is None and facts.freeze_authority is None
    assert not facts.token_2022 and facts.extensions == ()


def test_authorities_are_read() -> None:
    facts = decode_mint(TOKEN_PROGRAM, mint_bytes(mint_authority=A, freeze_authority=B))
    assert facts.mint_authority == str(A) and facts.freeze_authority == str(B)


def test_token_2022_extensions_are_decoded() -> None:
    fee = (bytes(A) + bytes(B) + struct.pack("<Q", 7) + struct.pack("<QQH", 0, 10**9, 100)
           + struct.pack("<QQH", 800, 10**9, 250))
    metadata = bytes(A) + bytes(C) + b"".join(struct.pack("<I", len(t)) + t for t in (b"Dog", b"DOG", b"https://x"))
    facts = decode_mint(TOKEN_2022_PROGRAM, mint_bytes(extensions=[
        (TRANSFER_FEE_CONFIG, fee), (PERMANENT_DELEGATE, bytes(C)), (TRANSFER_HOOK, bytes(A) + bytes(B)),
        (DEFAULT_ACCOUNT_STATE, b"\x02"), (NON_TRANSFERABLE, b""), (CONFIDENTIAL_TRANSFER_MINT, bytes(65)),
        (PAUSABLE, bytes(A) + b"\x01"), (METADATA_POINTER, bytes(64)), (TOKEN_METADATA, metadata + bytes(4)),
        (999, b"??"),
    ]))
    assert facts.token_2022
    assert facts.transfer_fee is not None and facts.transfer_fee.max_bps == 250
    assert facts.transfer_fee.older_bps == 100 and facts.transfer_fee.newer_epoch == 800
    assert facts.transfer_fee.authority == str(A)
    assert facts.permanent_delegate == str(C)
    assert facts.transfer_hook_authority == str(A) and facts.transfer_hook_program == str(B)
    assert facts.default_frozen and facts.non_transferable and facts.confidential_transfers
    assert facts.pausable_authority == str(A) and facts.paused
    assert (facts.name, facts.symbol) == ("Dog", "DOG")
    assert facts.extension_names[-1] == "extension999" and "permanentDelegate" in facts.extension_names


def test_unset_optional_keys_are_none() -> None:
    facts = decode_mint(TOKEN_2022_PROGRAM, mint_bytes(extensions=[
        (PERMANENT_DELEGATE, bytes(32)), (TRANSFER_HOOK, bytes(64)), (DEFAULT_ACCOUNT_STATE, b"\x01")]))
    assert facts.permanent_delegate is None and facts.transfer_hook_program is None
    assert not facts.default_frozen and facts.extension_names == ("permanentDelegate", "transferHook",
                                                                  "defaultAccountState")


def test_token_2022_mint_without_extensions_is_82_bytes() -> None:
    assert decode_mint(TOKEN_2022_PROGRAM, mint_bytes()).extensions == ()


@pytest.mark.parametrize(("owner", "data", "message"), [
    ("11111111111111111111111111111111", mint_bytes(), "not owned by a token program"),
    (TOKEN_PROGRAM, mint_bytes()[:50], "unexpected length"),
    (TOKEN_PROGRAM, mint_bytes(extensions=[]), "unexpected length"),
    (TOKEN_2022_PROGRAM, mint_bytes() + b"\0" * 20, "unexpected length or padding"),
    (TOKEN_2022_PROGRAM, mint_bytes().ljust(165, b"\x01") + b"\x01", "unexpected length or padding"),
    (TOKEN_2022_PROGRAM, mint_bytes().ljust(165, b"\0") + b"\x02", "token account, not a mint"),
    (TOKEN_2022_PROGRAM, mint_bytes(extensions=[(PERMANENT_DELEGATE, b"short")]), "too short"),
    (TOKEN_2022_PROGRAM, mint_bytes(extensions=[(TRANSFER_FEE_CONFIG, bytes(20))]), "too short"),
    (TOKEN_2022_PROGRAM, mint_bytes(extensions=[]) + struct.pack("<HH", 12, 500) + bytes(10), "truncated"),
    (TOKEN_PROGRAM, bytes(82), "not initialized"),
    (TOKEN_PROGRAM, struct.pack("<I", 7) + mint_bytes()[4:], "malformed authority"),
])
def test_hostile_mint_data_raises_a_protocol_error(owner: str, data: bytes, message: str) -> None:
    with pytest.raises(RpcProtocolError, match=message):
        decode_mint(owner, data)


def test_token_account_decoding() -> None:
    data = bytes(A) + bytes(B) + struct.pack("<Q", 42) + bytes(36) + b"\x01" + bytes(56)
    assert len(data) == 165
    facts = decode_token_account(TOKEN_PROGRAM, data)
    assert facts is not None and (facts.mint, facts.owner, facts.amount) == (str(A), str(B), 42)
    assert decode_token_account(TOKEN_2022_PROGRAM, data + b"\x02" + bytes(4)) is not None
    assert decode_token_account(TOKEN_2022_PROGRAM, data + b"\x01") is None  # a mint's type byte
    assert decode_token_account(TOKEN_PROGRAM, data[:100]) is None
    assert decode_token_account(TOKEN_PROGRAM, data[:108] + b"\x00" + data[109:]) is None
    assert decode_token_account("11111111111111111111111111111111", data) is None


def test_largest_accounts_parsing_skips_odd_entries() -> None:
    value = [{"address": str(A), "amount": "500", "decimals": 6}, {"address": 5, "amount": "1"},
             {"address": str(B), "amount": "-1"}, {"address": str(C), "amount": 7}, "x",
             {"address": str(C), "amount": "9" * 30}]
    assert parse_largest_accounts({"context": {"slot": 1}, "value": value}) == [(str(A), 500)]
    with pytest.raises(RpcProtocolError):
        parse_largest_accounts({"context": {}, "value": {"a": 1}})
    with pytest.raises(RpcProtocolError):
        parse_largest_accounts([])
