"""Wire helpers: base58, transaction decoding with validator texts, error JSON and rendering."""

from __future__ import annotations

import pytest
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from solders.transaction_status import (
    InstructionErrorCustom,
    TransactionErrorFieldless,
    TransactionErrorInstructionError,
    TransactionErrorInsufficientFundsForRent,
)

from desk.simnet.records import (
    InvalidTransactionError,
    b58decode,
    b58encode,
    decode_transaction,
    err_to_json,
)


def test_base58_round_trips_and_matches_solders() -> None:
    key = Keypair().pubkey()
    assert b58encode(bytes(key)) == str(key)
    assert b58decode(str(key)) == bytes(key)
    assert b58encode(b"\0\0\x01") == "112"
    assert b58decode("112") == b"\0\0\x01"
    assert b58encode(b"") == "" and b58decode("") == b""
    sig = Signature.new_unique()
    assert b58encode(bytes(sig)) == str(sig)
    with pytest.raises(ValueError, match="invalid base58"):
        b58decode("0OIl")


def test_decode_transaction_refuses_garbage_oversize_and_unsanitary() -> None:
    with pytest.raises(InvalidTransactionError, match="failed to deserialize"):
        decode_transaction(b"\x01garbage")
    with pytest.raises(InvalidTransactionError, match=r"too large: 1300 bytes \(max: 1232 bytes\)"):
        decode_transaction(bytes(1300))
    a = Keypair()
    message = MessageV0.try_compile(a.pubkey(), [transfer(TransferParams(from_pubkey=a.pubkey(),
                                                                         to_pubkey=Pubkey.new_unique(),
                                                                         lamports=1))], [], Hash.new_unique())
    unsigned = VersionedTransaction.populate(message, [])
    with pytest.raises(InvalidTransactionError, match="sanitize"):
        decode_transaction(bytes(unsigned))
    signed = VersionedTransaction(message, [a])
    assert decode_transaction(bytes(signed)) == signed


def test_err_to_json_uses_validator_format() -> None:
    assert err_to_json(None) is None
    assert err_to_json(TransactionErrorFieldless.BlockhashNotFound) == "BlockhashNotFound"
    assert err_to_json(TransactionErrorInstructionError(0, InstructionErrorCustom(1))) == {
        "InstructionError": [0, {"Custom": 1}]}
    rent = err_to_json(TransactionErrorInsufficientFundsForRent(0))
    assert rent == {"InsufficientFundsForRent": {"account_index": 0}}
