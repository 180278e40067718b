"""PumpPortal trade-local: the documented requests, exact amounts, and every way the answer can be wrong."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from desk.core import base58
from desk.core.errors import ValidationError, VenueError
from desk.venues.pumpportal.trade_local import (
    Pool,
    TokenMetadata,
    TradeAction,
    TradeLocalClient,
    TradeRequest,
    parse_trade_local,
    parse_trade_local_bundle,
    trade_fields,
)
from desk.venues.pumpportal.wallets import parse_create_wallet
from desk.venues.rest import VenueRateLimitedError, VenueRefusedError
from tests.unit.venues.fakevenue import sample
from tests.unit.venues.rawvenue import HANG, HTML, JSON, OCTET, Answer, RawVenue, Seen, unsigned_tx

WALLET = str(Keypair().pubkey())
MINT = "2xHkesAQteG9yz48SDaVAtKdFU6Bvdo9sXS3uQCbpump"


def buy(**kw: Any) -> TradeRequest:
    fields: dict[str, Any] = {"public_key": WALLET, "action": TradeAction.BUY, "mint": MINT, "amount": 10_000_000,
                              "denominated_in_sol": True, "slippage_pct": 10, "priority_fee_lamports": 50_000}
    return TradeRequest(**{**fields, **kw})


def wire_fields(request: TradeRequest, **kw: Any) -> Any:
    return orjson.loads(orjson.dumps(trade_fields(request, **kw)))


def test_buy_sample_is_what_the_request_sends() -> None:
    expected = {**sample("pumpportal_trade", "trade_local_buy_request.json"), "publicKey": WALLET, "mint": MINT}
    assert wire_fields(buy()) == expected


def test_sell_all_sample_is_a_percentage_in_tokens() -> None:
    expected = {**sample("pumpportal_trade", "trade_local_sell_all_request.json"), "publicKey": WALLET, "mint": MINT}
    request = buy(action=TradeAction.SELL, amount=0, sell_percent=100, denominated_in_sol=False, slippage_pct=15,
                  priority_fee_lamports=100_000, pool=Pool.AUTO)
    assert wire_fields(request) == expected


def test_create_sample_carries_metadata_and_a_dev_buy_in_sol() -> None:
    mint = str(Keypair().pubkey())
    payload = sample("pumpportal_trade", "trade_local_create_request.json")
    meta = TokenMetadata("PPTest", "TEST", "https://ipfs.io/ipfs/QmTest")
    expected = {**payload, "publicKey": WALLET, "mint": mint, "tokenMetadata": {**payload["tokenMetadata"],
                                                                                 "uri": meta.uri}}
    request = buy(action=TradeAction.CREATE, mint=mint, amount=1_000_000_000, priority_fee_lamports=500_000,
                  token_metadata=meta)
    assert wire_fields(request) == expected


def test_bundle_sample_counts_whole_tokens() -> None:
    wallets = [str(Keypair().pubkey()) for _ in range(2)]
    expected = [{**item, "publicKey": w} for item, w in
                zip(sample("pumpportal_trade", "trade_local_jito_bundle_request.json"), wallets, strict=True)]
    requests = [buy(public_key=w, amount=1000 * 10**6, denominated_in_sol=False, decimals=6, slippage_pct=50,
                    priority_fee_lamports=100_000) for w in wallets]
    assert [wire_fields(r) for r in requests] == expected


def test_amounts_are_exact_decimal_tokens_on_the_wire() -> None:
    body = orjson.dumps(trade_fields(buy(amount=1, priority_fee_lamports=1)))
    assert b'"amount":0.000000001' in body and b'"priorityFee":0.000000001' in body
    tokens = orjson.dumps(trade_fields(buy(amount=123_456_789, denominated_in_sol=False, decimals=6)))
    assert b'"amount":123.456789,' in tokens and b'"denominatedInSol":"false"' in tokens


@pytest.mark.parametrize(("changes", "words"), [
    ({"public_key": "not-an-address"}, "wallet address"), ({"mint": "0OIl" * 11}, "mint address"),
    ({"amount": -1}, "amount"), ({"amount": 0}, "zero"), ({"slippage_pct": 5000}, "slippage"),
    ({"amount": 1.5}, "whole number"), ({"denominated_in_sol": False}, "decimals"),
    ({"sell_percent": 50}, "percentage"), ({"action": TradeAction.SELL, "amount": 0, "sell_percent": 101,
                                            "denominated_in_sol": False}, "percentage"),
    ({"action": TradeAction.CREATE}, "metadata"),
    ({"token_metadata": TokenMetadata("a", "b", "https://x")}, "metadata"),
    ({"action": TradeAction.CREATE, "token_metadata": TokenMetadata("a" * 40, "b", "https://x")}, "name"),
    ({"action": TradeAction.CREATE, "token_metadata": TokenMetadata("a", "b", "file:///etc/passwd")}, "URI"),
])
def test_bad_requests_are_refused_before_any_network(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        buy(**changes)


def test_parse_accepts_a_transaction_for_the_wallet() -> None:
    tx = unsigned_tx(Pubkey.from_string(WALLET))
    assert parse_trade_local(200, "application/octet-stream", bytes(tx), fee_payer=WALLET) == tx


@pytest.mark.parametrize(("status", "content_type", "body", "kind", "words"), [
    (400, "application/json", b'{"errors": "Invalid mint"}', VenueRefusedError, "HTTP 400.*Invalid mint"),
    (400, "text/plain", b"Bad Request", VenueRefusedError, "'Bad Request'"),
    (429, "text/plain", b"Too many", VenueRateLimitedError, "rate-limiting"),
    (500, "text/html", b"<html><title>Oops</title>" + b"<p>trace</p>" * 999, VenueError, "HTTP 500.*'Oops'"),
    (200, "application/json", b'{"error": "no pool"}', VenueError, "no pool"),
    (200, "application/octet-stream", b'["a"]', VenueError, "instead of a transaction"),
    (200, "text/html", b"<!DOCTYPE html><html>captive portal</html>", VenueError, "an HTML page"),
    (200, "text/plain", b"Internal error", VenueError, "'Internal error' instead"),
    (200, "application/octet-stream", b"", VenueError, "empty"),
    (200, "application/octet-stream", bytes(70_000), VenueError, "far more than a transaction"),
])
def test_parse_refuses_non_transactions(status: int, content_type: str, body: bytes, kind: type[Exception],
                                        words: str) -> None:
    with pytest.raises(kind, match=words) as caught:
        parse_trade_local(status, content_type, body)
    assert "<p>" not in str(caught.value) and len(str(caught.value)) < 400


def test_parse_refuses_random_bytes() -> None:
    rng = random.Random(7)
    for _ in range(200):
        with pytest.raises(VenueError):
            parse_trade_local(200, "application/octet-stream", bytes(rng.randrange(256) for _ in range(200)))


def test_parse_refuses_zero_signature_slots_and_another_payer() -> None:
    raw = bytes(unsigned_tx(Pubkey.from_string(WALLET)))
    with pytest.raises(VenueError, match="no signature slots"):
        parse_trade_local(200, "", b"\x00" + raw[65:])
    with pytest.raises(VenueError, match="not by the wallet"):
        parse_trade_local(200, "", bytes(unsigned_tx()), fee_payer=WALLET)


def test_bundle_parse_decodes_base58_in_order() -> None:
    payers = [Keypair().pubkey() for _ in range(3)]
    txs = [unsigned_tx(p) for p in payers]
    body = orjson.dumps([base58.encode(bytes(tx)) for tx in txs])
    assert parse_trade_local_bundle(200, "application/json", body, fee_payers=[str(p) for p in payers]) == txs
    with pytest.raises(VenueError, match="bundle transaction 2"):
        parse_trade_local_bundle(200, "application/json", body, fee_payers=[str(payers[0])] * 3)


@pytest.mark.parametrize(("body", "words"), [
    (b'["3x0"]', "not base58"), (b'{"errors": "bad"}', "bad"), (b"<html></html>", "an HTML page"),
    (b'["2", "3"]', "2 transactions for a bundle of 1"), (b"\x01\x02", "unreadable"), (b"[1]", "instead of a list"),
])
def test_bundle_parse_refuses_bad_answers(body: bytes, words: str) -> None:
    with pytest.raises(VenueError, match=words):
        parse_trade_local_bundle(200, "", body, fee_payers=[WALLET])


def test_create_wallet_shape_sample_with_placeholders_is_refused() -> None:
    with pytest.raises(VenueError, match="malformed private key"):
        parse_create_wallet(sample("pumpportal_trade", "create_wallet_response_shape.json"))


def client(venue: RawVenue, **kw: Any) -> TradeLocalClient:
    return TradeLocalClient(f"{venue.url}/api", timeout=kw.pop("timeout", 1.0), backoff=0.01, **kw)


async def test_build_posts_json_and_returns_the_transaction() -> None:
    tx = unsigned_tx(Pubkey.from_string(WALLET))
    with RawVenue(lambda n, seen: Answer(200, bytes(tx), OCTET)) as venue:
        trade = client(venue)
        assert await trade.build(buy()) == tx
        seen = venue.requests[0]
        assert (seen.method, seen.path, seen.headers["content-type"]) == ("POST", "/api/trade-local",
                                                                          "application/json")
        assert orjson.loads(seen.body)["publicKey"] == WALLET
        await trade.aclose()


@pytest.mark.parametrize(("answer", "kind", "words"), [
    (Answer(400, b'{"message": "Invalid publicKey"}', JSON), VenueRefusedError, "Invalid publicKey"),
    (Answer(200, b"<html><title>Just a moment...</title></html>", HTML), VenueError, "Just a moment"),
    (Answer(200, b"\x01" + bytes(range(40)), OCTET), VenueError, "not a Solana transaction"),
    (Answer(500, b"upstream error", {}), VenueError, "HTTP 500.*'upstream error'.*2 times"),
    (Answer(429, b"", {"retry-after": "0.05"}), VenueRateLimitedError, "rate-limiting"),
    (HANG, VenueError, "did not answer in time"),
])
async def test_build_gives_a_clear_error_for_each_bad_answer(answer: Answer, kind: type[Exception],
                                                             words: str) -> None:
    with RawVenue(lambda n, seen: answer, hang_seconds=0.8) as venue:
        trade = client(venue, timeout=0.2)
        with pytest.raises(kind, match=words):
            await trade.build(buy())
        await trade.aclose()


async def test_build_retries_a_429_then_succeeds() -> None:
    tx = unsigned_tx(Pubkey.from_string(WALLET))

    def script(n: int, seen: Seen) -> Answer:
        return Answer(429, b"slow down", {"retry-after": "0.05"}) if n == 1 else Answer(200, bytes(tx), OCTET)

    with RawVenue(script) as venue:
        trade = client(venue)
        assert await trade.build(buy()) == tx and len(venue.requests) == 2
        await trade.aclose()


async def test_build_bundle_sends_an_array_and_checks_each_payer() -> None:
    keys = [Keypair() for _ in range(2)]
    txs = [unsigned_tx(k.pubkey()) for k in keys]
    body = orjson.dumps([base58.encode(bytes(tx)) for tx in txs])
    with RawVenue(lambda n, seen: Answer(200, body, JSON)) as venue:
        trade = client(venue)
        requests = [buy(public_key=str(k.pubkey())) for k in keys]
        assert await trade.build_bundle(requests) == txs
        sent = orjson.loads(venue.requests[0].body)
        assert [item["publicKey"] for item in sent] == [str(k.pubkey()) for k in keys]
        await trade.aclose()


@pytest.mark.parametrize(("requests", "words"), [
    ([], "1 to 5"), ([buy()] * 6, "1 to 5"), ([buy(priority_fee_lamports=999)], "Jito tip"),
    ([buy(), buy(action=TradeAction.CREATE, token_metadata=TokenMetadata("a", "b", "https://x"))], "first"),
])
async def test_build_bundle_refuses_bad_bundles_without_asking(requests: list[TradeRequest], words: str) -> None:
    trade = TradeLocalClient("http://127.0.0.1:9")
    with pytest.raises(ValidationError, match=words):
        await trade.build_bundle(requests)
    await trade.aclose()


async def test_a_create_must_be_signed_by_the_new_mint() -> None:
    mint = Keypair().pubkey()
    meta = TokenMetadata("PPTest", "TEST", "https://ipfs.io/ipfs/QmTest")
    create = buy(action=TradeAction.CREATE, mint=str(mint), token_metadata=meta)
    good = unsigned_tx(Pubkey.from_string(WALLET), extra_signers=(mint,))
    bad = unsigned_tx(Pubkey.from_string(WALLET))
    answers = iter([Answer(200, bytes(good), OCTET), Answer(200, bytes(bad), OCTET),
                    Answer(200, orjson.dumps([base58.encode(bytes(bad)), base58.encode(bytes(bad))]), JSON)])
    with RawVenue(lambda n, seen: next(answers)) as venue:
        trade = client(venue)
        assert len((await trade.build(create)).signatures) == 2
        with pytest.raises(VenueError, match=f"{mint} does not sign"):
            await trade.build(create)
        with pytest.raises(VenueError, match=r"bundle transaction 1.*does not sign"):
            await trade.build_bundle([create, buy()])
        await trade.aclose()
