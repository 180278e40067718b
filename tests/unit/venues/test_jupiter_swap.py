"""Jupiter legacy swap v1: the recorded quotes, the documented swap body, and every way the answers go wrong."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from desk.core.errors import ValidationError, VenueError
from desk.venues.jupiter.price import WSOL_MINT
from desk.venues.jupiter.swap import JupiterSwapClient, PriorityLevel, Quote, parse_quote, parse_swap
from desk.venues.rest import VenueRateLimitedError, VenueRefusedError
from tests.unit.venues.fakevenue import sample
from tests.unit.venues.rawvenue import HANG, HTML, JSON, Answer, RawVenue, Seen, unsigned_tx

BONK = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"
WALLET = Keypair().pubkey()


def quote_sample(name: str = "quote_sol_bonk.json") -> dict[str, Any]:
    return dict(sample("jupiter", name))


def swap_answer(tx_bytes: bytes | None = None, **extra: Any) -> dict[str, Any]:
    raw = tx_bytes if tx_bytes is not None else bytes(unsigned_tx(WALLET))
    return {"swapTransaction": base64.b64encode(raw).decode(), "lastValidBlockHeight": 268_435_456,
            "prioritizationFeeLamports": 52_000, "computeUnitLimit": 200_000,
            "prioritizationType": {"computeBudget": {"microLamports": 260_000, "estimatedMicroLamports": 260_000}},
            "dynamicSlippageReport": None, "simulationError": None, **extra}


@pytest.mark.parametrize(("name", "labels", "out"), [
    ("quote_sol_bonk.json", ("AlphaQ", "Hadron", "ZeroFi"), 181_504_770_048),
    ("quote_v1_paid_host_candidate.json", ("Meteora DLMM", "GoonFi V2", "ZeroFi"), 181_508_705_143),
])
def test_recorded_quotes_parse_to_integers_and_labels(name: str, labels: tuple[str, ...], out: int) -> None:
    payload = quote_sample(name)
    quote = parse_quote(payload)
    assert (quote.input_mint, quote.output_mint, quote.in_amount, quote.out_amount) == (WSOL_MINT, BONK,
                                                                                        100_000_000, out)
    assert quote.other_amount_threshold < quote.out_amount and quote.slippage_bps == 50
    assert quote.swap_mode == "ExactIn" and quote.price_impact == Decimal(0) and quote.route_labels == labels
    assert orjson.loads(quote.raw) == payload


def test_negative_price_impact_is_kept() -> None:
    order = sample("jupiter", "ultra_order_response_doc.json")
    quote = parse_quote({**quote_sample(), "priceImpactPct": order["priceImpactPct"]})
    assert quote.price_impact == Decimal("-0.0001311599520149334")


def test_an_ultra_order_is_not_a_v1_quote() -> None:
    with pytest.raises(VenueError, match="mint"):
        parse_quote(sample("jupiter", "ultra_order_response_doc.json"))


@pytest.mark.parametrize(("change", "words"), [
    ({"error": "Could not find any routes", "errorCode": "COULD_NOT_FIND_ANY_ROUTE"},
     r"Could not find any routes \(COULD_NOT_FIND_ANY_ROUTE\)"),
    ({"inAmount": "-5"}, "inAmount"), ({"outAmount": 181504770048}, "outAmount"), ({"outAmount": "1" * 30}, "out"),
    ({"inputMint": "x"}, "mint"), ({"swapMode": "Both"}, "swapMode"), ({"slippageBps": "50"}, "slippageBps"),
    ({"routePlan": []}, "no route"), ({"routePlan": None}, "no route"),
])
def test_bad_quotes_are_refused(change: dict[str, Any], words: str) -> None:
    with pytest.raises(VenueError, match=words):
        parse_quote({**quote_sample(), **change})


@pytest.mark.parametrize("payload", [[], "x", None, 5])
def test_non_object_quotes_are_refused(payload: Any) -> None:
    with pytest.raises(VenueError, match="not an object"):
        parse_quote(payload)


def test_swap_answer_gives_the_unsigned_transaction_for_the_wallet() -> None:
    quote = parse_quote(quote_sample())
    tx = unsigned_tx(WALLET)
    swap = parse_swap(swap_answer(bytes(tx)), quote, user_public_key=str(WALLET))
    assert swap.transaction == tx and swap.quote is quote
    assert (swap.last_valid_block_height, swap.prioritization_fee_lamports, swap.compute_unit_limit) == (
        268_435_456, 52_000, 200_000)


@pytest.mark.parametrize(("payload", "words"), [
    ({"swapTransaction": None, "simulationError": "Transaction simulation failed: custom program error: 0x1"},
     "simulation of the swap failed: Transaction simulation failed"),
    (swap_answer(simulationError={"errorCode": "TRANSACTION_ERROR", "error": "InsufficientFunds"}),
     "InsufficientFunds"),
    ({"error": "Invalid quote response"}, "Invalid quote response"),
    (swap_answer(bytes(unsigned_tx())), "not by the wallet"),
    ({"swapTransaction": "not base64!"}, "not base64"), ({"swapTransaction": "A" * 4000}, "longer than Solana"),
    ({"swapTransaction": base64.b64encode(b"\x01" + bytes(range(99))).decode()}, "not a Solana transaction"),
    (sample("jupiter", "ultra_execute_response_shape.json"), "could not build the swap"),
    ({"lastValidBlockHeight": 5}, "no transaction"),
])
def test_bad_swap_answers_are_refused(payload: Any, words: str) -> None:
    with pytest.raises(VenueError, match=words):
        parse_swap(payload, parse_quote(quote_sample()), user_public_key=str(WALLET))


def jupiter_script(quote: dict[str, Any], swap: dict[str, Any]) -> Any:
    def script(n: int, seen: Seen) -> Answer:
        return Answer(200, orjson.dumps(quote if seen.method == "GET" else swap), JSON)
    return script


def client(venue: RawVenue, key: str | None = "k-123", **kw: Any) -> JupiterSwapClient:
    return JupiterSwapClient(venue.url, key, timeout=kw.pop("timeout", 1.0), backoff=0.01, **kw)


async def test_quote_then_swap_sends_the_documented_requests() -> None:
    with RawVenue(jupiter_script(quote_sample(), swap_answer())) as venue:
        jupiter = client(venue)
        quote = await jupiter.quote(WSOL_MINT, BONK, 100_000_000, 50)
        swap = await jupiter.swap(quote, str(WALLET), priority_max_lamports=1_000_000,
                                  priority_level=PriorityLevel.VERY_HIGH, dynamic_slippage=True)
        assert swap.transaction.message.account_keys[0] == WALLET
        get, post = venue.requests
        url = urlsplit(get.path)
        assert url.path == "/swap/v1/quote" and get.headers["x-api-key"] == "k-123"
        assert parse_qs(url.query) == {"inputMint": [WSOL_MINT], "outputMint": [BONK], "amount": ["100000000"],
                                       "slippageBps": ["50"], "swapMode": ["ExactIn"]}
        assert post.path == "/swap/v1/swap" and post.headers["content-type"] == "application/json"
        expected = {**sample("jupiter", "swap_v1_request_body.json"), "quoteResponse": quote_sample(),
                    "userPublicKey": str(WALLET)}
        assert orjson.loads(post.body) == expected
        await jupiter.aclose()


async def test_a_quote_for_another_swap_is_refused() -> None:
    with RawVenue(jupiter_script(quote_sample(), swap_answer())) as venue:
        jupiter = client(venue)
        with pytest.raises(VenueError, match="different swap"):
            await jupiter.quote(WSOL_MINT, BONK, 5, 50)
        await jupiter.aclose()


@pytest.mark.parametrize(("answer", "key", "kind", "words"), [
    (Answer(400, b'{"error": "Could not find any routes"}', JSON), "k", VenueRefusedError,
     "refused to quote.*Could not find any routes"),
    (Answer(200, b'{"error": "TOKEN_NOT_TRADABLE"}', JSON), "k", VenueError, "TOKEN_NOT_TRADABLE"),
    (Answer(401, b'{"message": "Unauthorized"}', JSON), None, VenueRefusedError, "needs an API key"),
    (Answer(403, b"Forbidden", {}), "k", VenueRefusedError, "key was not accepted"),
    (Answer(200, b"<html><title>Maintenance</title></html>", HTML), "k", VenueError, "Maintenance.*instead of JSON"),
    (Answer(200, bytes(range(200)), {}), "k", VenueError, "unreadable bytes instead of JSON"),
    (Answer(500, b'{"error": "internal"}', JSON), "k", VenueError, "HTTP 500: internal"),
    (Answer(429, b"", {"retry-after": "0.05"}), "k", VenueRateLimitedError, "rate-limiting"),
    (HANG, "k", VenueError, "did not answer in time"),
])
async def test_each_bad_answer_is_a_clear_error(answer: Answer, key: str | None, kind: type[Exception],
                                                words: str) -> None:
    with RawVenue(lambda n, seen: answer, hang_seconds=0.8) as venue:
        jupiter = client(venue, key, timeout=0.2, retries=1)
        with pytest.raises(kind, match=words):
            await jupiter.quote(WSOL_MINT, BONK, 100_000_000, 50)
        await jupiter.aclose()


async def test_429_then_success_and_swap_errors_reach_the_caller() -> None:
    def script(n: int, seen: Seen) -> Answer:
        if n == 1:
            return Answer(429, b"", {"retry-after": "0.05"})
        if seen.method == "GET":
            return Answer(200, orjson.dumps(quote_sample()), JSON)
        return Answer(200, orjson.dumps({"swapTransaction": None, "simulationError": "insufficient lamports"}), JSON)

    with RawVenue(script) as venue:
        jupiter = client(venue, None)
        quote = await jupiter.quote(WSOL_MINT, BONK, 100_000_000, 50)
        assert "x-api-key" not in venue.requests[0].headers
        with pytest.raises(VenueError, match="insufficient lamports"):
            await jupiter.swap(quote, str(WALLET))
        assert len(venue.requests) == 3
        await jupiter.aclose()


async def test_unreachable_jupiter_is_named() -> None:
    jupiter = JupiterSwapClient("http://127.0.0.1:9", timeout=0.5, retries=1, backoff=0.01)
    with pytest.raises(VenueError, match="Jupiter could not be used: the connection failed"):
        await jupiter.quote(WSOL_MINT, BONK, 1, 50)
    await jupiter.aclose()


@pytest.mark.parametrize(("args", "words"), [
    ((WSOL_MINT, WSOL_MINT, 1, 50), "two different"), (("x", BONK, 1, 50), "two different"),
    ((WSOL_MINT, BONK, 0, 50), "positive"), ((WSOL_MINT, BONK, 1, 10_001), "basis points"),
])
async def test_bad_quote_requests_are_refused_before_asking(args: tuple[Any, ...], words: str) -> None:
    jupiter = JupiterSwapClient("http://127.0.0.1:9")
    with pytest.raises(ValidationError, match=words):
        await jupiter.quote(*args)
    quote = parse_quote(quote_sample())
    with pytest.raises(ValidationError, match="not a Solana address"):
        await jupiter.swap(quote, "nope")
    await jupiter.aclose()


def test_quote_is_frozen() -> None:
    quote = parse_quote(quote_sample())
    with pytest.raises(AttributeError):
        quote.in_amount = 1  # type: ignore[misc]
    assert isinstance(quote, Quote) and Pubkey.from_string(quote.output_mint)
