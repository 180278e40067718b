"""The shared trade-venue plumbing: error text in plain words, transaction checks, and safe retries."""

from __future__ import annotations

import time

import pytest
from solders.keypair import Keypair
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from desk.core.errors import VenueError
from desk.venues.rest import VenueRateLimitedError, VenueRefusedError
from desk.venues.unsigned import decode_transaction
from desk.venues.wire import VenueOutcomeUnknownError, Wire, describe_body, error_text, scrub, status_error
from tests.unit.venues.rawvenue import DROP, HANG, HTML, JSON, Answer, RawVenue, unsigned_tx


@pytest.mark.parametrize(("content_type", "body", "expected"), [
    ("application/json", b'{"error": "Could not find any routes", "errorCode": "COULD_NOT_FIND_ANY_ROUTE"}',
     "Could not find any routes (COULD_NOT_FIND_ANY_ROUTE)"),
    ("application/json", b'{"errors": ["slippage exceeded", "try again"]}', "slippage exceeded; try again"),
    ("application/json", b'{"errors": {"message": "bad mint"}}', "bad mint"),
    ("", b'{"message": "Invalid API key"}', "Invalid API key"),
    ("application/json", b'[1, 2]', "1; 2"),
    ("application/json", b'{"ok": true}', '{"ok":true}'),
    ("text/plain", b"Bad Request", "'Bad Request'"),
    ("text/html", b"<html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 5000 + b"</body></html>",
     "an HTML page titled '502 Bad Gateway'"),
    ("", b"<!doctype html><p>oops</p>", "an HTML page"),
    ("", b"", "an empty answer"),
    ("application/octet-stream", bytes(range(256)), "256 unreadable bytes"),
])
def test_describe_body_says_what_came_in_a_few_words(content_type: str, body: bytes, expected: str) -> None:
    assert describe_body(content_type, body) == expected


def test_long_text_is_truncated_and_control_characters_removed() -> None:
    text = describe_body("text/plain", b"\x1b[31m" + b"a " * 500)
    assert len(text) <= 203 and text.endswith("…'") and "\x1b" not in text


def test_error_text_flattens_long_lists() -> None:
    assert error_text([str(i) for i in range(8)]) == "0; 1; 2; 3; 4 (and 3 more)"


def test_secrets_are_blanked_plain_and_url_encoded() -> None:
    secret = "k3y/with+odd=chars"
    body = f"denied for {secret} at /api/trade?api-key=k3y%2Fwith%2Bodd%3Dchars".encode()
    assert b"k3y" not in scrub(body, [secret])
    assert "k3y" not in describe_body("text/plain", body, [secret])


@pytest.mark.parametrize(("status", "kind", "words"), [
    (429, VenueRateLimitedError, "rate-limiting"), (401, VenueRefusedError, "API key"),
    (400, VenueRefusedError, "refused to quote"), (502, VenueError, "failed to quote"),
])
def test_status_error_picks_the_exception(status: int, kind: type[VenueError], words: str) -> None:
    error = status_error("Jupiter", "quote", status, "application/json", b'{"error": "nope"}')
    assert type(error) is kind and words in str(error) and "nope" in str(error)


def test_decode_transaction_accepts_an_unsigned_transaction_for_its_payer() -> None:
    payer = Keypair().pubkey()
    tx = unsigned_tx(payer)
    assert decode_transaction(bytes(tx), "PumpPortal", fee_payer=str(payer)) == tx


@pytest.mark.parametrize(("mutate", "words"), [
    (lambda raw: b"", "empty"),
    (lambda raw: raw + b"\x00", "extra bytes"),
    (lambda raw: b"\x00" + raw[65:], "no signature slots"),
    (lambda raw: b"\x02" + raw[1:65] * 2 + raw[65:], "2 signature slots for 1"),
    (lambda raw: raw[:40], "not a Solana transaction"),
    (lambda raw: raw + bytes(1300), "at most 1232"),
])
def test_decode_transaction_refuses_what_solders_lets_through(mutate: object, words: str) -> None:
    raw = bytes(unsigned_tx())
    with pytest.raises(VenueError, match=words):
        decode_transaction(mutate(raw), "PumpPortal")  # type: ignore[operator]


def test_decode_transaction_refuses_another_fee_payer() -> None:
    with pytest.raises(VenueError, match="refusing to sign"):
        decode_transaction(bytes(unsigned_tx()), "Jupiter", fee_payer=str(Keypair().pubkey()))


def test_two_signer_transaction_keeps_both_slots() -> None:
    mint = Keypair().pubkey()
    tx = decode_transaction(bytes(unsigned_tx(extra_signers=(mint,))), "PumpPortal")
    assert tx.signatures == [Signature.default()] * 2
    assert isinstance(tx, VersionedTransaction)


async def test_429_with_retry_after_is_honoured_then_answered() -> None:
    def script(n: int, _: object) -> Answer:
        return Answer(429, b"slow", {"retry-after": "0.2"}) if n == 1 else Answer(200, b"ok", JSON)

    with RawVenue(script) as venue:
        wire = Wire("V", venue.url, timeout=1.0, retries=2, backoff=0.01)
        started = time.monotonic()
        reply = await wire.exchange("POST", "/x", body=b"{}", repeatable=False)
        assert reply.status == 200 and reply.body == b"ok" and reply.content_type == "application/json"
        assert time.monotonic() - started >= 0.2 and len(venue.requests) == 2
        await wire.aclose()


async def test_a_long_retry_after_stops_at_once() -> None:
    with RawVenue(lambda n, _: Answer(429, b"", {"retry-after": "3600"})) as venue:
        wire = Wire("V", venue.url, timeout=1.0, retries=3, backoff=0.01)
        with pytest.raises(VenueRateLimitedError, match="asks to wait 3600 s"):
            await wire.exchange("GET", "/x")
        assert len(venue.requests) == 1
        await wire.aclose()


async def test_5xx_is_retried_only_when_repeatable() -> None:
    with RawVenue(lambda n, _: Answer(503, b"<title>Down</title>", HTML)) as venue:
        wire = Wire("V", venue.url, timeout=1.0, retries=2, backoff=0.01)
        with pytest.raises(VenueError, match=r"HTTP 503: an HTML page titled 'Down'.*3 times"):
            await wire.exchange("GET", "/x")
        assert len(venue.requests) == 3
        reply = await wire.exchange("POST", "/x", repeatable=False)
        assert reply.status == 503 and len(venue.requests) == 4
        await wire.aclose()


async def test_silence_is_retried_when_repeatable_and_unknown_when_not() -> None:
    with RawVenue(lambda n, _: HANG, hang_seconds=1.0) as venue:
        wire = Wire("V", venue.url, timeout=0.2, retries=1, backoff=0.01)
        with pytest.raises(VenueError, match="did not answer in time"):
            await wire.exchange("GET", "/x")
        assert len(venue.requests) == 2
        with pytest.raises(VenueOutcomeUnknownError, match="may have acted"):
            await wire.exchange("POST", "/x", repeatable=False)
        assert len(venue.requests) == 3
        await wire.aclose()


async def test_a_dropped_answer_to_a_non_repeatable_request_is_not_resent() -> None:
    with RawVenue(lambda n, _: DROP) as venue:
        wire = Wire("V", venue.url, timeout=1.0, retries=2, backoff=0.01)
        with pytest.raises(VenueOutcomeUnknownError, match="Check the wallet"):
            await wire.exchange("POST", "/x", repeatable=False)
        assert len(venue.requests) == 1
        await wire.aclose()


async def test_refused_connection_is_retried_even_when_not_repeatable() -> None:
    wire = Wire("V", "http://127.0.0.1:9", timeout=0.5, retries=1, backoff=0.01)
    with pytest.raises(VenueError, match=r"connection failed.*2 times"):
        await wire.exchange("POST", "/x", repeatable=False)
    assert wire.requests_made == 2
    await wire.aclose()


async def test_oversized_answers_are_not_read() -> None:
    with RawVenue(lambda n, _: Answer(200, b"x" * 5000)) as venue:
        wire = Wire("V", venue.url, timeout=1.0, retries=2, backoff=0.01, max_body=1024)
        with pytest.raises(VenueError, match="larger than 1 KB"):
            await wire.exchange("GET", "/x")
        assert len(venue.requests) == 1
        await wire.aclose()


async def test_a_base_url_that_is_not_http_is_named() -> None:
    wire = Wire("V", "ftp://example.invalid", timeout=0.5, retries=2)
    with pytest.raises(VenueError, match="not an http"):
        await wire.exchange("GET", "/x")
    await wire.aclose()
