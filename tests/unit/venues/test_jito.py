"""Jito block engine: bundle checks, the tip instruction, JSON-RPC answers, and a misbehaving engine."""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson
import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from desk.chain.fills import JITO_TIP_ACCOUNTS
from desk.core import base58
from desk.core.errors import ValidationError, VenueError
from desk.venues.jito import (
    MIN_TIP_LAMPORTS,
    TIP_ACCOUNTS,
    InflightStatus,
    JitoClient,
    JitoRpcError,
    encode_bundle,
    parse_bundle_statuses,
    parse_inflight_statuses,
    parse_rpc_reply,
    pick_tip_account,
    tip_instruction,
)
from desk.venues.rest import VenueRateLimitedError
from tests.unit.venues.fakevenue import sample
from tests.unit.venues.rawvenue import HANG, HTML, JSON, Answer, RawVenue, Seen, signed_tx, unsigned_tx

BUNDLE_ID = "892b79ed49138bfb3aa5441f0df6e06ef34f9ee8f3976c15b323605bae0cf51d"
STATUSES = {"context": {"slot": 242806119}, "value": [{
    "bundle_id": BUNDLE_ID,
    "transactions": ["3bC2M9fiACSjkTXZDgeNAuQ4ScTsdKGwR42ytFdhUvikqTmBheUxfsR1fDVsM5ADCMMspuwGkdm1uKbU246x5aE3"],
    "slot": 242804011, "confirmation_status": "finalized", "err": {"Ok": None}}]}


def bundle(count: int = 2) -> list[VersionedTransaction]:
    """Signed transfers, the last one paying a tip account."""
    txs = [signed_tx(Keypair()) for _ in range(count - 1)]
    return [*txs, signed_tx(Keypair(), to=Pubkey.from_string(TIP_ACCOUNTS[0]))]


def rpc(result: Any) -> Answer:
    return Answer(200, orjson.dumps({"jsonrpc": "2.0", "result": result, "id": 1}), JSON)


def test_tip_accounts_are_the_eight_published_ones() -> None:
    assert len(TIP_ACCOUNTS) == 8 and set(TIP_ACCOUNTS) == JITO_TIP_ACCOUNTS
    assert pick_tip_account() in JITO_TIP_ACCOUNTS


def test_tip_instruction_is_a_system_transfer_to_a_tip_account() -> None:
    payer = Keypair().pubkey()
    ix = tip_instruction(str(payer), 10_000)
    assert str(ix.program_id) == "11111111111111111111111111111111"
    assert ix.accounts[0].pubkey == payer and str(ix.accounts[1].pubkey) in JITO_TIP_ACCOUNTS
    assert ix.data == struct.pack("<IQ", 2, 10_000)
    assert str(tip_instruction(str(payer), MIN_TIP_LAMPORTS, TIP_ACCOUNTS[3]).accounts[1].pubkey) == TIP_ACCOUNTS[3]


@pytest.mark.parametrize(("lamports", "account", "words"), [
    (999, None, "at least 1000"), (5_000, str(Pubkey.new_unique()), "not a Jito tip account"),
])
def test_bad_tips_are_refused(lamports: int, account: str | None, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        tip_instruction(str(Keypair().pubkey()), lamports, account)


def test_encoded_bundle_round_trips_in_both_encodings() -> None:
    txs = bundle(3)
    assert [base64.b64decode(t) for t in encode_bundle(txs)] == [bytes(tx) for tx in txs]
    assert [base58.decode(t) for t in encode_bundle(txs, encoding="base58")] == [bytes(tx) for tx in txs]


@pytest.mark.parametrize(("txs", "kw", "words"), [
    ([], {}, "1 to 5"), (bundle(6), {}, "1 to 5"),
    ([unsigned_tx(), *bundle(1)], {}, "transaction 1 is not fully signed"),
    ([signed_tx(Keypair())], {}, "tip"),
])
def test_bad_bundles_are_refused(txs: list[VersionedTransaction], kw: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        encode_bundle(txs, **kw)


def test_a_forged_signature_is_not_fully_signed() -> None:
    tx = bundle(1)[0]
    forged = VersionedTransaction.populate(tx.message, [Keypair().sign_message(b"other")])
    with pytest.raises(ValidationError, match="not fully signed"):
        encode_bundle([forged])
    assert encode_bundle([signed_tx(Keypair())], require_tip=False)


@pytest.mark.parametrize(("status", "body", "kind", "words"), [
    (200, b'{"jsonrpc":"2.0","error":{"code":-32602,"message":"bundle contains an already processed transaction"},'
          b'"id":1}', JitoRpcError, r"already processed transaction \(-32602\)\.$"),
    (429, b'{"jsonrpc":"2.0","error":{"code":-32097,"message":"Rate limit exceeded"},"id":1}',
     VenueRateLimitedError, "Rate limit exceeded"),
    (200, b"<html><title>Gateway</title></html>", VenueError, "HTML page titled 'Gateway' instead of JSON-RPC"),
    (200, b'{"jsonrpc":"2.0","id":1}', VenueError, "instead of JSON-RPC"),
    (503, b"upstream down", VenueError, "HTTP 503"),
    (400, b"bad", VenueError, "refused to answer sendBundle"),
])
def test_rpc_answers_become_results_or_clear_errors(status: int, body: bytes, kind: type[Exception],
                                                     words: str) -> None:
    with pytest.raises(kind, match=words):
        parse_rpc_reply(status, "", body, "sendBundle")


def test_rpc_error_keeps_its_code() -> None:
    with pytest.raises(JitoRpcError) as caught:
        parse_rpc_reply(400, "", b'{"error": {"code": -32603, "message": "x"}}', "sendBundle")
    assert (caught.value.code, caught.value.status) == (-32603, 400)
    assert parse_rpc_reply(200, "", b'{"result": "abc"}', "sendBundle") == "abc"


def test_bundle_statuses_from_the_docs() -> None:
    status = parse_bundle_statuses(STATUSES)[BUNDLE_ID]
    assert status.slot == 242804011 and status.confirmation_status == "finalized" and status.error is None
    assert len(status.signatures) == 1
    failed = {"value": [{**STATUSES["value"][0], "err": {"Err": "BundleDropped"}, "confirmation_status": "weird",
                         "slot": -1}, None, "junk"]}
    status = parse_bundle_statuses(failed)[BUNDLE_ID]
    assert status.error == '{"Err":"BundleDropped"}' and status.confirmation_status is None and status.slot is None
    assert parse_bundle_statuses(None) == {}
    with pytest.raises(VenueError, match="list of statuses"):
        parse_bundle_statuses({"value": "x"})


def test_inflight_statuses_from_the_docs() -> None:
    result = {"context": {"slot": 280999028}, "value": [
        {"bundle_id": "b31e", "status": "Invalid", "landed_slot": None},
        {"bundle_id": "e3c4", "status": "Landed", "landed_slot": 280999000},
        {"bundle_id": "a7ab", "status": "Exploded", "landed_slot": None}]}
    found = parse_inflight_statuses(result)
    assert found["b31e"].status is InflightStatus.INVALID and found["e3c4"].landed_slot == 280999000
    assert "a7ab" not in found


def client(venue: RawVenue, **kw: Any) -> JitoClient:
    return JitoClient(venue.url, timeout=kw.pop("timeout", 1.0), backoff=0.01, **kw)


async def test_send_bundle_posts_the_documented_request() -> None:
    txs = bundle(2)
    with RawVenue(lambda n, seen: rpc(BUNDLE_ID)) as venue:
        jito = client(venue, auth_uuid="uuid-1")
        assert await jito.send_bundle(txs) == BUNDLE_ID
        seen = venue.requests[0]
        assert seen.path == "/api/v1/bundles" and seen.headers["x-jito-auth"] == "uuid-1"
        sent, documented = orjson.loads(seen.body), sample("pumpportal_trade", "jito_sendBundle_request.json")
        assert {k: sent[k] for k in ("jsonrpc", "method")} == {k: documented[k] for k in ("jsonrpc", "method")}
        assert isinstance(sent["id"], int) and len(sent["params"][0]) == len(txs)
        assert sent["params"][1] == {"encoding": "base64"}
        assert [base64.b64decode(t) for t in sent["params"][0]] == [bytes(tx) for tx in txs]
        await jito.send_bundle(txs, encoding="base58")
        sent = orjson.loads(venue.requests[1].body)
        assert sent["params"][1] == {"encoding": "base58"} and base58.decode(sent["params"][0][0]) == bytes(txs[0])
        await jito.aclose()


@pytest.mark.parametrize(("answer", "kind", "words"), [
    (Answer(200, b'{"jsonrpc":"2.0","error":{"code":-32602,"message":"bundle must tip"},"id":1}', JSON),
     JitoRpcError, "bundle must tip"),
    (Answer(200, b"<html><title>Cloudflare</title></html>", HTML), VenueError, "Cloudflare"),
    (Answer(200, bytes(range(256)), {}), VenueError, "unreadable bytes"),
    (Answer(500, b"internal", {}), VenueError, r"HTTP 500.*tried 2 times"),
    (Answer(429, b"", {"retry-after": "0.05"}), VenueRateLimitedError, "rate-limiting"),
    (HANG, VenueError, "did not answer in time"),
    (rpc({"id": "x"}), VenueError, "id is unusable"),
])
async def test_each_bad_answer_is_a_clear_error(answer: Answer, kind: type[Exception], words: str) -> None:
    with RawVenue(lambda n, seen: answer, hang_seconds=0.8) as venue:
        jito = client(venue, timeout=0.2, retries=1)
        with pytest.raises(kind, match=words):
            await jito.send_bundle(bundle(1))
        await jito.aclose()


async def test_429_then_success_is_retried_and_statuses_fill_in_unknown_ids() -> None:
    def script(n: int, seen: Seen) -> Answer:
        if n == 1:
            return Answer(429, b"", {"retry-after": "0.05"})
        method = orjson.loads(seen.body)["method"]
        if method == "getBundleStatuses":
            return rpc(STATUSES)
        return rpc({"context": {"slot": 1}, "value": [{"bundle_id": BUNDLE_ID, "status": "Failed",
                                                        "landed_slot": None}]})

    with RawVenue(script) as venue:
        jito = client(venue)
        statuses = await jito.get_bundle_statuses([BUNDLE_ID, "other"])
        assert statuses[BUNDLE_ID] is not None and statuses["other"] is None
        inflight = await jito.get_inflight_bundle_statuses([BUNDLE_ID])
        assert inflight[BUNDLE_ID] is not None and inflight[BUNDLE_ID].status is InflightStatus.FAILED
        assert orjson.loads(venue.requests[-1].body)["params"] == [[BUNDLE_ID]]
        with pytest.raises(ValidationError, match="1 to 5"):
            await jito.get_bundle_statuses([str(i) for i in range(6)])
        await jito.aclose()
