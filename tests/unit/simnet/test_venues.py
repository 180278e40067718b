"""The simnet PumpPortal trading API: request parsing, error shapes, built transactions, Lightning, the server."""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from desk.core import curve
from desk.core.market import Side
from desk.simnet.chain import SimChain
from desk.simnet.events import SimCreate
from desk.simnet.market import SimMarket
from desk.simnet.records import b58decode
from desk.simnet.settlement import MarketError
from desk.simnet.tokens import token_balance
from desk.simnet.tradeform import AmountKind, Reply, VenueRequestError, parse_body, parse_trade
from desk.simnet.venueapi import (
    JITO_TIP_ACCOUNT,
    PUMPPORTAL_FEE_ACCOUNT,
    PUMPPORTAL_RATE_LIMIT,
    PumpPortalVenue,
    RateLimiter,
)
from desk.simnet.venues import MAX_REQUEST, VenueServer

SOL = 1_000_000_000
SYSTEM = Pubkey.from_string("11111111111111111111111111111111")
COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
WALLET = str(Keypair.from_seed(bytes(32)).pubkey())
MINT = str(Keypair.from_seed(bytes([1]) * 32).pubkey())


def fields(**changes: Any) -> dict[str, Any]:
    base = {"publicKey": WALLET, "action": "buy", "mint": MINT, "amount": "0.01", "denominatedInSol": "true",
            "slippage": "10", "priorityFee": "0.00005", "pool": "pump"}
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def refusal(**changes: Any) -> VenueRequestError:
    with pytest.raises(VenueRequestError) as info:
        parse_trade(fields(**changes))
    return info.value


# --- parsing ----------------------------------------------------------------------------------------------


def test_form_and_json_bodies_read_the_same_fields() -> None:
    form = parse_body("application/x-www-form-urlencoded", b"action=buy&amount=0.5&denominatedInSol=true")
    assert form == {"action": "buy", "amount": "0.5", "denominatedInSol": "true"}
    assert parse_body("", b'{"amount": 0.5}') == {"amount": Decimal("0.5")}  # sniffed, floats read exactly
    assert parse_body("application/json", b"[{}, {}]") == [{}, {}]


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", b"{not json"), ("application/json", b"NaN"), ("", b"   "), ("", b"\xff\xfe"),
    ("multipart/form-data; boundary=x", b"--x"), ("", b"just words"), ("application/json", b"[" * 100_000),
])
def test_unreadable_bodies_are_refused_as_text(content_type: str, body: bytes) -> None:
    with pytest.raises(VenueRequestError) as info:
        parse_body(content_type, body)
    assert info.value.reply.status == 400 and info.value.reply.content_type.startswith("text/plain")


def test_amounts_become_exact_integers() -> None:
    sol = parse_trade(parse_body("application/json", json.dumps(fields(amount=0.123456789)).encode()))
    assert (sol.kind, sol.amount, sol.side) == (AmountKind.SOL, 123_456_789, Side.BUY)
    assert (sol.slippage_bps, sol.priority_fee, sol.skip_preflight) == (1000, 50_000, True)
    tokens = parse_trade(fields(amount="1000.5", denominatedInSol="false"))
    assert (tokens.kind, tokens.amount) == (AmountKind.TOKENS, 1_000_500_000)
    assert parse_trade(fields(amount="0.0000000019")).amount == 1  # rounded down to the lamport
    assert parse_trade(fields(amount=2, denominatedInSol=True, slippage=2.5)).slippage_bps == 250
    everything = parse_trade(fields(action="sell", amount="100%", denominatedInSol="false"))
    assert (everything.kind, everything.amount) == (AmountKind.PERCENT, 10_000)
    assert parse_trade(fields(action="sell", amount="33.33%")).amount == 3333
    assert parse_trade(fields(pool="auto", priorityFee=None, skipPreflight="false")).skip_preflight is False
    assert parse_trade(fields(publicKey=None), need_public_key=False).public_key is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"pool": "raydium"}, "pool not supported on simnet"),
    ({"pool": "pump-amm"}, "pool not supported on simnet"),
    ({"action": "create"}, "create is not supported"),
    ({"action": "swap"}, "Unknown action"),
    ({"action": None}, "action is required"),
    ({"publicKey": "not-a-key"}, "publicKey is not a valid"),
    ({"publicKey": None}, "publicKey is required"),
    ({"mint": 5}, "mint must be a string"),
    ({"amount": "abc"}, "amount must be a number"),
    ({"amount": True}, "amount must be a number"),
    ({"amount": [1]}, "amount must be a number"),
    ({"amount": "NaN"}, "finite"),
    ({"amount": "1e400"}, "finite"),
    ({"amount": "1" * 100}, "amount must be a number"),
    ({"amount": "50%"}, "only for sells"),
    ({"denominatedInSol": None}, "denominatedInSol"),
    ({"denominatedInSol": "yes"}, "denominatedInSol"),
    ({"slippage": None}, "slippage is required"),
    ({"slippage": "-1"}, "negative"),
    ({"priorityFee": "-0.1"}, "negative"),
])
def test_malformed_requests_are_refused_as_text(changes: dict[str, Any], message: str) -> None:
    error = refusal(**changes)
    assert message in error.message
    assert error.reply.content_type.startswith("text/plain") and error.reply.status == 400


@pytest.mark.parametrize("changes", [
    {"amount": "0"}, {"amount": "-1"}, {"amount": "0.0000000001"}, {"action": "sell", "amount": "0%"},
    {"action": "sell", "amount": "150%"},
])
def test_amounts_that_are_not_positive_are_refused_as_json(changes: dict[str, Any]) -> None:
    reply = refusal(**changes).reply
    assert (reply.status, reply.content_type) == (400, "application/json")
    assert set(json.loads(reply.body)) == {"error"}


def test_a_trade_must_be_an_object() -> None:
    with pytest.raises(VenueRequestError, match="JSON object"):
        parse_trade(["buy"])


# --- the venue over a market ------------------------------------------------------------------------------


@pytest.fixture
def market(chain: SimChain) -> SimMarket:
    return SimMarket(chain, seed=5)


@pytest.fixture
def venue(market: SimMarket) -> PumpPortalVenue:
    return PumpPortalVenue(market)


@pytest.fixture
def token(market: SimMarket, payer: Keypair) -> SimCreate:
    return market.create_token(payer, name="Venue", symbol="VEN")


def funded(chain: SimChain, sol: int = 20) -> Keypair:
    kp = Keypair()
    chain.airdrop(kp.pubkey(), sol * SOL)
    return kp


def order(wallet: Keypair | None, mint: Pubkey, action: str, amount: Any, *, in_sol: bool = True,
          **more: Any) -> dict[str, Any]:
    base = {"action": action, "mint": str(mint), "amount": amount, "denominatedInSol": "true" if in_sol else "false",
            "slippage": 10, "priorityFee": 0.0001, "pool": "pump", **more}
    return {**base, "publicKey": str(wallet.pubkey())} if wallet is not None else base


def post(venue: PumpPortalVenue, path: str, payload: Any) -> Reply:
    return venue.handle("POST", path, "application/json", json.dumps(payload).encode(), "127.0.0.1")


def send(chain: SimChain, tx: VersionedTransaction, wallet: Keypair) -> None:
    signatures = [wallet.sign_message(to_bytes_versioned(tx.message)), *tx.signatures[1:]]
    result = chain.send_transaction(VersionedTransaction.populate(tx.message, signatures))
    assert result.err is None, result.err


def transfers(tx: VersionedTransaction) -> list[tuple[Pubkey, Pubkey, int]]:
    keys = tx.message.account_keys
    return [(keys[ix.accounts[0]], keys[ix.accounts[1]], struct.unpack_from("<Q", bytes(ix.data), 4)[0])
            for ix in tx.message.instructions if keys[ix.program_id_index] == SYSTEM]


def test_fee_and_tip_accounts_are_rent_funded_at_start(market: SimMarket, venue: PumpPortalVenue) -> None:
    rent = market.chain.minimum_balance_for_rent_exemption(0)
    assert market.chain.get_balance(PUMPPORTAL_FEE_ACCOUNT) == market.chain.get_balance(JITO_TIP_ACCOUNT) == rent
    assert not PUMPPORTAL_FEE_ACCOUNT.is_on_curve()  # nobody can hold its key
    PumpPortalVenue(market)  # a second venue on the same chain does not fund them again
    assert market.chain.get_balance(PUMPPORTAL_FEE_ACCOUNT) == rent


def test_a_buy_is_vault_signed_with_an_empty_trader_slot_and_the_venue_fee(
        market: SimMarket, venue: PumpPortalVenue, token: SimCreate) -> None:
    wallet = funded(market.chain)
    quote = market.quote_buy(token.mint, SOL)
    reply = post(venue, "/api/trade-local", order(wallet, token.mint, "buy", 1))
    assert (reply.status, reply.content_type) == (200, "application/octet-stream")
    tx = VersionedTransaction.from_bytes(reply.body)
    keys = tx.message.account_keys
    assert keys[0] == wallet.pubkey() and tx.signatures[0] == Signature.default()
    assert keys[1] == token.token.accounts.vault and tx.verify_with_results()[1]
    assert COMPUTE_BUDGET in keys
    accounts = token.token.accounts
    assert set(transfers(tx)) == {(wallet.pubkey(), accounts.vault, quote.sol),
                                  (wallet.pubkey(), accounts.fee_recipient, quote.fee),
                                  (wallet.pubkey(), accounts.creator_vault, quote.creator_fee),
                                  (wallet.pubkey(), PUMPPORTAL_FEE_ACCOUNT, SOL // 200)}
    send(market.chain, tx, wallet)
    assert market.poll() == 1
    assert token_balance(market.chain, wallet.pubkey(), token.mint) == quote.tokens


def test_a_token_buy_pays_the_least_that_gets_the_tokens(
        market: SimMarket, venue: PumpPortalVenue, token: SimCreate) -> None:
    wallet = funded(market.chain)
    want = 1_000_000 * 10**6  # one million tokens
    reply = post(venue, "/api/trade-local", order(wallet, token.mint, "buy", "1000000", in_sol=False))
    send(market.chain, VersionedTransaction.from_bytes(reply.body), wallet)
    market.poll()
    [trade] = market.recent_trades(token.mint)
    assert trade.tokens >= want > curve.buy(token.state, trade.sol - 1).tokens


def test_sells_of_a_sol_amount_a_percentage_and_too_much(
        market: SimMarket, venue: PumpPortalVenue, token: SimCreate) -> None:
    wallet = funded(market.chain)
    bought = market.buy(wallet, token.mint, 2 * SOL).tokens
    reply = post(venue, "/api/trade-local", order(wallet, token.mint, "sell", "0.5"))
    tx = VersionedTransaction.from_bytes(reply.body)
    accounts = token.token.accounts
    paid = {dest: lamports for source, dest, lamports in transfers(tx) if source == accounts.vault}
    gross = paid[wallet.pubkey()] + paid[accounts.fee_recipient] + paid[accounts.creator_vault]
    assert SOL // 2 <= gross <= SOL // 2 + 1  # the fewest tokens whose sale yields 0.5 SOL before curve fees
    assert (wallet.pubkey(), PUMPPORTAL_FEE_ACCOUNT, gross // 200) in transfers(tx)
    half = post(venue, "/api/trade-local", order(wallet, token.mint, "sell", "50%", in_sol=False))
    assert half.status == 200  # 50% of what is left after the reserved SOL sell
    too_much = post(venue, "/api/trade-local", order(wallet, token.mint, "sell", str(bought), in_sol=False))
    assert too_much.status == 400 and "fewer than" in json.loads(too_much.body)["error"]


def test_a_bundle_may_sell_what_its_earlier_buy_reserves(
        market: SimMarket, venue: PumpPortalVenue, token: SimCreate) -> None:
    wallet = funded(market.chain)
    reply = post(venue, "/api/trade-local", [order(wallet, token.mint, "buy", 1),
                                             order(wallet, token.mint, "sell", "100%", in_sol=False)])
    assert reply.status == 200
    buy, sell = (VersionedTransaction.from_bytes(b58decode(t)) for t in json.loads(reply.body))
    assert (wallet.pubkey(), JITO_TIP_ACCOUNT, 100_000) in transfers(buy)  # first priority fee = tip
    assert COMPUTE_BUDGET not in buy.message.account_keys and COMPUTE_BUDGET not in sell.message.account_keys
    send(market.chain, buy, wallet)
    send(market.chain, sell, wallet)
    assert market.poll() == 2
    assert token_balance(market.chain, wallet.pubkey(), token.mint) == 0
    assert market.curve(token.mint) == market.recent_trades(token.mint)[-1].state


def test_a_sell_can_be_rebuilt_once_its_unsent_transaction_expired(
        market: SimMarket, venue: PumpPortalVenue, token: SimCreate) -> None:
    wallet = funded(market.chain)
    market.buy(wallet, token.mint, SOL)
    everything = order(wallet, token.mint, "sell", "100%", in_sol=False)
    assert post(venue, "/api/trade-local", everything).status == 200
    again = post(venue, "/api/trade-local", everything)  # the first one is still reserved
    assert again.status == 400 and "holds no tokens" in json.loads(again.body)["error"]
    market.chain.expire_all_blockhashes()
    assert post(venue, "/api/trade-local", everything).status == 200  # no poll needed in between


def test_market_refusals_are_json(market: SimMarket, venue: PumpPortalVenue, token: SimCreate) -> None:
    wallet = funded(market.chain, 200)
    more_than_left = str(curve.INITIAL_REAL_TOKEN_RESERVES // 10**6 + 1)
    reply = post(venue, "/api/trade-local", order(wallet, token.mint, "buy", more_than_left, in_sol=False,
                                                  slippage=0))
    assert reply.status == 400 and "Slippage" in json.loads(reply.body)["error"]  # fewer tokens are left
    market.buy(wallet, token.mint, 100 * SOL)  # completes the curve
    market.poll()
    reply = post(venue, "/api/trade-local", order(wallet, token.mint, "buy", 1))
    assert (reply.status, reply.content_type) == (400, "application/json")
    assert "complete" in json.loads(reply.body)["error"]


def test_slippage_bound_cancel_and_reserved_tokens_of_the_market(market: SimMarket, token: SimCreate) -> None:
    wallet = funded(market.chain)
    quote = market.quote_buy(token.mint, SOL)
    with pytest.raises(MarketError, match="Slippage"):
        market.prepare_external(wallet.pubkey(), token.mint, Side.BUY, SOL, minimum=quote.tokens + 1)
    prepared = market.prepare_external(wallet.pubkey(), token.mint, Side.BUY, SOL, minimum=quote.tokens)
    assert market.reserved_tokens(wallet.pubkey(), token.mint) == quote.tokens
    assert market.cancel_external(prepared) and not market.cancel_external(prepared)
    assert market.curve(token.mint) == token.state and market.reserved_tokens(wallet.pubkey(), token.mint) == 0
    landed = market.prepare_external(wallet.pubkey(), token.mint, Side.BUY, SOL)
    send(market.chain, landed.transaction, wallet)
    assert not market.cancel_external(landed)  # on chain: only poll may settle it
    assert market.poll() == 1


def test_lightning_preflight_and_landed_failures(market: SimMarket, venue: PumpPortalVenue,
                                                 token: SimCreate) -> None:
    key = json.loads(venue.create_wallet().body)["apiKey"]
    wallet = venue.wallet(key)
    assert wallet is not None
    market.chain.airdrop(wallet.pubkey(), SOL)  # enough for fees, not for a 5 SOL buy
    checked = post(venue, f"/api/trade?api-key={key}", order(None, token.mint, "buy", 5, skipPreflight="false"))
    assert checked.status == 400 and set(json.loads(checked.body)) == {"errors"}
    assert market.curve(token.mint) == token.state
    landed = post(venue, f"/api/trade?api-key={key}", order(None, token.mint, "buy", 5))  # skipPreflight: true
    answer = json.loads(landed.body)
    assert landed.status == 200 and answer["errors"] and len(b58decode(answer["signature"])) == 64
    assert market.curve(token.mint) == token.state  # failed on chain: released
    assert post(venue, "/api/trade", {}).status == 401
    bad = post(venue, f"/api/trade?api-key={key}", order(None, token.mint, "buy", 1, pool="bonk"))
    assert (bad.status, json.loads(bad.body)) == (400, {"errors": ["pool not supported on simnet"]})
    bundle = post(venue, f"/api/trade?api-key={key}", [order(None, token.mint, "buy", 1)])
    assert bundle.status == 400 and "one trade" in json.loads(bundle.body)["errors"][0]


def test_create_wallet_answers_a_usable_key(venue: PumpPortalVenue) -> None:
    reply = venue.handle("GET", "/api/create-wallet", "", b"")
    created = json.loads(reply.body)
    assert reply.status == 200 and set(created) == {"apiKey", "walletPublicKey", "privateKey"}
    keypair = Keypair.from_base58_string(created["privateKey"])
    assert str(keypair.pubkey()) == created["walletPublicKey"]
    assert venue.wallet(created["apiKey"]) == keypair and venue.wallet("other") is None


def test_routes_methods_and_internal_errors(venue: PumpPortalVenue, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    assert venue.handle("GET", "/api/nothing", "", b"").status == 404
    assert venue.handle("GET", "/api/trade-local", "", b"").status == 405
    assert venue.handle("POST", "/api/create-wallet/", "", b"").status == 405

    def boom(*_: Any) -> Reply:
        raise RuntimeError("bug")

    monkeypatch.setattr(venue, "trade_local", boom)
    reply = venue.handle("POST", "/api/trade-local", "", b"{}")
    assert (reply.status, reply.body) == (500, b"Internal server error")
    assert "bug" in caplog.text
    caplog.clear()


def test_rate_limit_is_a_sliding_second_per_address(market: SimMarket) -> None:
    now = [100.0]
    limiter = RateLimiter(PUMPPORTAL_RATE_LIMIT, clock=lambda: now[0])
    assert all(limiter.allow("a") for _ in range(25)) and not limiter.allow("a") and limiter.allow("b")
    now[0] += 1.0
    assert limiter.allow("a")
    venue = PumpPortalVenue(market, rate_limit=2, clock=lambda: now[0])
    replies = [venue.handle("GET", "/api/create-wallet", "", b"", "10.0.0.1").status for _ in range(3)]
    assert replies == [200, 200, 429]


# --- the HTTP server ----------------------------------------------------------------------------------------


@pytest.fixture
def server(market: SimMarket) -> Iterator[VenueServer]:
    server = VenueServer(market).start()
    try:
        yield server
    finally:
        server.stop()


def raw(server: VenueServer, data: bytes) -> bytes:
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_server_survives_garbage_and_caps_the_body(server: VenueServer) -> None:
    assert server.url.endswith("/api")
    assert b"400" in raw(server, b"\x00\xffgarbage\r\n\r\n")  # http.server's own (HTTP/0.9-style) answer
    assert raw(server, b"POST /api/trade-local HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n").startswith(
        b"HTTP/1.1 413")
    assert raw(server, b"POST /api/trade-local HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").startswith(
        b"HTTP/1.1 411")
    with httpx.Client(base_url=server.url + "/") as http:
        assert http.post("trade-local", content=b"x" * (MAX_REQUEST + 1)).status_code == 413
        reply = http.post("trade-local", content=b"\xde\xad\xbe\xef", headers={"content-type": "application/json"})
        assert reply.status_code == 400 and reply.headers["content-type"].startswith("text/plain")
        assert http.put("trade-local", content=b"{}").status_code == 405
        assert http.get("create-wallet").status_code == 200
