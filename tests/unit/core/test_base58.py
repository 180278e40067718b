"""Base58 for whole byte strings: known vectors, agreement with solders, round trips, and refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from solders.keypair import Keypair
from solders.signature import Signature

from desk.core import base58


@pytest.mark.parametrize(("raw", "text"), [
    (b"", ""), (b"\x00", "1"), (b"\x00\x00\x01", "112"), (b"hello world", "StV1DL6CwTryKyV"),
    (b"\xff", "5Q"), (bytes(32), "1" * 32),
])
def test_known_vectors(raw: bytes, text: str) -> None:
    assert base58.encode(raw) == text
    if text:
        assert base58.decode(text) == raw


def test_agrees_with_solders_for_keys_and_signatures() -> None:
    keypair = Keypair()
    assert base58.encode(bytes(keypair.pubkey())) == str(keypair.pubkey())
    signature = keypair.sign_message(b"desk")
    assert base58.encode(bytes(signature)) == str(signature)
    assert base58.decode(str(signature)) == bytes(signature)
    assert base58.decode(str(Signature.default())) == bytes(64)


@given(st.binary(min_size=1, max_size=1232))
def test_round_trip(raw: bytes) -> None:
    assert base58.decode(base58.encode(raw)) == raw


@pytest.mark.parametrize(("text", "why"), [
    ("", "empty"), ("abc0", "character 4"), ("OIl", "character 1"), ("ab€", "character 3"),
    ("1" * 3000, "more than 2048"),
])
def test_bad_text_is_refused_without_quoting_it(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as caught:
        base58.decode(text)
    assert text not in str(caught.value) or not text


def test_max_chars_is_respected() -> None:
    with pytest.raises(ValueError, match="more than 10"):
        base58.decode("2" * 11, max_chars=10)
