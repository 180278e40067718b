"""PumpPortal Lightning: signatures, every error shape, no resend of a trade that may have gone, no key leaks."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import orjson
import pytest
from solders.keypair import Keypair

from desk.core.errors import DeskError, ValidationError, VenueError
from desk.venues.pumpportal.lightning import LightningClient, LightningTradeError, parse_lightning
from desk.venues.pumpportal.trade_local import TokenMetadata, TradeAction, TradeRequest
from desk.venues.rest import VenueRateLimitedError, VenueRefusedError
from desk.venues.wire import VenueOutcomeUnknownError
from tests.unit.venues.fakevenue import sample
from tests.unit.venues.rawvenue import DROP, HANG, HTML, JSON, Answer, RawVenue

KEY = "a5vmrxk7c9mprp2rexnpjw3tcdgpjmvb6dhp2nk3dh8q4w2m9xv6utk7dgvkjrb4exhmwmjf"
SIGNATURE = str(Keypair().sign_message(b"trade"))
MINT = "2xHkesAQteG9yz48SDaVAtKdFU6Bvdo9sXS3uQCbpump"


def buy(**kw: Any) -> TradeRequest:
    fields: dict[str, Any] = {"public_key": str(Keypair().pubkey()), "action": TradeAction.BUY, "mint": MINT,
                              "amount": 10_000_000, "denominated_in_sol": True, "slippage_pct": 10,
                              "priority_fee_lamports": 50_000}
    return TradeRequest(**{**fields, **kw})


def ok(signature: str = SIGNATURE) -> Answer:
    return Answer(200, orjson.dumps({"signature": signature, "errors": []}), JSON)


def test_signature_answer_is_the_result() -> None:
    assert parse_lightning(200, "application/json", orjson.dumps({"signature": SIGNATURE})) == SIGNATURE
    assert parse_lightning(200, "", orjson.dumps({"signature": SIGNATURE, "errors": []})) == SIGNATURE


@pytest.mark.parametrize(("errors", "words"), [
    ("Slippage exceeded", "Slippage exceeded"), (["not enough SOL", "retry"], "not enough SOL; retry"),
    ({"message": "Invalid mint", "code": 12}, r"Invalid mint \(12\)"), ([{"msg": "bad pool"}], "bad pool"),
])
def test_errors_in_any_shape_become_a_trade_error(errors: Any, words: str) -> None:
    for status in (200, 400):
        with pytest.raises(LightningTradeError, match=words) as caught:
            parse_lightning(status, "application/json", orjson.dumps({"errors": errors}))
        assert caught.value.signature is None


def test_errors_next_to_a_signature_keep_the_signature() -> None:
    body = orjson.dumps({"signature": SIGNATURE, "errors": ["confirmation timeout"]})
    with pytest.raises(LightningTradeError, match="check it before") as caught:
        parse_lightning(200, "application/json", body)
    assert caught.value.signature == SIGNATURE


@pytest.mark.parametrize(("status", "body", "kind", "words"), [
    (200, b"{}", VenueError, "neither a signature nor errors"),
    (200, b'{"signature": "not-base58-0OIl"}', VenueError, "neither"),
    (200, b'{"signature": "' + b"1" * 64 + b'"}', VenueError, "neither"),
    (200, b"<html><title>Error</title></html>", VenueError, "an HTML page titled 'Error' instead"),
    (200, b'["x"]', VenueError, "instead of a signature"),
    (200, bytes(range(256)), VenueError, "unreadable bytes"),
    (401, b'{"message": "bad key"}', VenueRefusedError, "refused the API key.*bad key"),
    (400, b"Bad Request", VenueRefusedError, "refused the trade"),
    (429, b"", VenueRateLimitedError, "rate-limiting"),
    (502, b"<html>bad gateway</html>", VenueOutcomeUnknownError, "may or may not have been sent"),
])
def test_other_answers_are_clear_errors(status: int, body: bytes, kind: type[Exception], words: str) -> None:
    with pytest.raises(kind, match=words):
        parse_lightning(status, "", body)


def client(venue: RawVenue, **kw: Any) -> LightningClient:
    return LightningClient(f"{venue.url}/api", timeout=kw.pop("timeout", 1.0), backoff=0.01, **kw)


async def test_trade_posts_the_documented_fields_with_the_key_in_the_query() -> None:
    with RawVenue(lambda n, seen: ok()) as venue:
        lightning = client(venue)
        assert await lightning.trade(buy(), KEY) == SIGNATURE
        seen = venue.requests[0]
        assert seen.path == f"/api/trade?api-key={KEY}"
        expected = {**sample("pumpportal_trade", "lightning_trade_request.json"), "mint": MINT}
        assert orjson.loads(seen.body) == expected
        await lightning.aclose()


async def test_collect_creator_fees_matches_the_sample() -> None:
    with RawVenue(lambda n, seen: ok()) as venue:
        lightning = client(venue)
        assert await lightning.collect_creator_fees(KEY, priority_fee_lamports=1_000) == SIGNATURE
        expected = dict(sample("pumpportal_trade", "lightning_collectCreatorFee_request.json"))
        del expected["mint"]  # only for meteora-dbc
        assert orjson.loads(venue.requests[0].body) == expected
        await lightning.collect_creator_fees(KEY, priority_fee_lamports=0, pool="meteora-dbc", mint=MINT)
        assert orjson.loads(venue.requests[1].body)["mint"] == MINT
        with pytest.raises(ValidationError, match="mint"):
            await lightning.collect_creator_fees(KEY, priority_fee_lamports=0, pool="meteora-dbc")
        with pytest.raises(ValidationError, match="pump or meteora-dbc"):
            await lightning.collect_creator_fees(KEY, priority_fee_lamports=0, pool="raydium")
        await lightning.aclose()


async def test_429_with_retry_after_is_retried_because_nothing_was_done() -> None:
    def script(n: int, _: object) -> Answer:
        return Answer(429, b"", {"retry-after": "0.05"}) if n == 1 else ok()

    with RawVenue(script) as venue:
        lightning = client(venue)
        assert await lightning.trade(buy(), KEY) == SIGNATURE and len(venue.requests) == 2
        await lightning.aclose()


@pytest.mark.parametrize("answer", [HANG, DROP, Answer(500, b"boom", {})])
async def test_a_trade_that_may_have_gone_is_never_resent(answer: Answer) -> None:
    with RawVenue(lambda n, seen: answer, hang_seconds=0.8) as venue:
        lightning = client(venue, timeout=0.2, retries=3)
        with pytest.raises(VenueOutcomeUnknownError, match="before trying again"):
            await lightning.trade(buy(), KEY)
        assert len(venue.requests) == 1
        await lightning.aclose()


@pytest.mark.parametrize("answer", [
    Answer(200, orjson.dumps({"errors": [f"key {KEY} has no balance"]}), JSON),
    Answer(404, f"Cannot POST /api/trade?api-key={KEY}".encode(), {"content-type": "text/plain"}),
    Answer(403, f"<html><title>Denied {KEY}</title></html>".encode(), HTML),
    Answer(200, b"\x00\x01garbage", {}), Answer(500, KEY.encode(), {}), HANG, DROP,
    Answer(429, KEY.encode(), {"retry-after": "0"}),
])
async def test_the_api_key_never_reaches_messages_or_logs(answer: Answer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with RawVenue(lambda n, seen: answer, hang_seconds=0.8) as venue:
        lightning = client(venue, timeout=0.2, retries=1)
        with pytest.raises(DeskError) as caught:
            await lightning.trade(buy(), KEY)
        await lightning.aclose()
    error = caught.value
    shown = [str(error), repr(error), "".join(traceback.format_exception(error))]
    logged = [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    assert not [text for text in shown + logged if KEY in text or KEY[:20] in text]


async def test_a_successful_trade_logs_no_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with RawVenue(lambda n, seen: ok()) as venue:
        lightning = client(venue)
        await lightning.trade(buy(), KEY)
        await lightning.aclose()
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert httpx_lines and all("api-key=[secret]" in line for line in httpx_lines)
    assert not [r for r in caplog.records if KEY in r.getMessage()]


async def test_create_and_malformed_keys_are_refused_without_a_request() -> None:
    lightning = LightningClient("http://127.0.0.1:9")
    create = buy(action=TradeAction.CREATE, mint=str(Keypair().pubkey()),
                 token_metadata=TokenMetadata("a", "b", "https://x"))
    with pytest.raises(ValidationError, match="trade-local"):
        await lightning.trade(create, KEY)
    for bad in ("", "has space", "a&b=c", "x" * 600):
        with pytest.raises(ValidationError, match="malformed") as caught:
            await lightning.trade(buy(), bad)
        assert not bad or bad not in str(caught.value)
    await lightning.aclose()
