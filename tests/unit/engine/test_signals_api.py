"""The signals HTTP API on a real loopback socket over a real vault: auth, idempotency, errors, external P&L."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from desk.core.errors import ValidationError
from desk.engine.signals import SignalService
from desk.engine.signals_api import MAX_BODY, SignalsApi, ensure_token, rotate_token, token_digest
from desk.vault.lifecycle import create_vault
from desk.vault.session import Vault
from tests.factories import FAST_KDF, PASSWORD, new_wallet
from tests.unit.engine.signalstub import RecordingExecutor

MINT = "So11111111111111111111111111111111111111112"


@pytest.fixture
async def vault(home: Path) -> AsyncIterator[Vault]:
    opened = await create_vault(home, PASSWORD, FAST_KDF)
    await opened.wallets.add_many([new_wallet("w1"), new_wallet("w2")])
    yield opened
    await opened.lock()


@pytest.fixture
def executor() -> RecordingExecutor:
    return RecordingExecutor()


@pytest.fixture
async def token(vault: Vault) -> str:
    digest, made = await ensure_token(vault)
    assert made is not None and token_digest(made) == digest
    return made


@pytest.fixture
async def api(vault: Vault, executor: RecordingExecutor, token: str) -> AsyncIterator[SignalsApi]:
    server = SignalsApi(SignalService(vault, executor, "simnet"), token_digest(token), port=0)
    async with server:
        yield server


@pytest.fixture
async def client(api: SignalsApi, token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


async def test_health_answers_without_a_token(api: SignalsApi) -> None:
    async with httpx.AsyncClient(base_url=api.url) as anonymous:
        reply = await anonymous.get("/health")
    assert reply.status_code == 200 and reply.json()["ok"] is True


async def test_missing_or_wrong_token_is_401_and_nothing_runs(api: SignalsApi, executor: RecordingExecutor,
                                                              vault: Vault) -> None:
    signal = {"id": "s1", "action": "buy", "mint": MINT, "size": "0.1"}
    async with httpx.AsyncClient(base_url=api.url) as anonymous:
        missing = await anonymous.post("/signals", json=signal)
        wrong = await anonymous.post("/signals", json=signal, headers={"Authorization": "Bearer nope"})
        basic = await anonymous.get("/signals", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert [missing.status_code, wrong.status_code, basic.status_code] == [401, 401, 401]
    assert missing.json() == {"ok": False, "error": missing.json()["error"]} and "Missing" in missing.json()["error"]
    assert wrong.json()["error"] == "Invalid bearer token."
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert executor.calls == [] and await vault.signals.get("s1") is None


async def test_the_vault_keeps_only_a_digest_and_rotation_replaces_it(vault: Vault, token: str) -> None:
    stored = await vault.settings.get("signals.api_token")
    assert stored == {"sha256": token_digest(token).hex()} and token not in str(stored)
    assert await ensure_token(vault) == (token_digest(token), None)
    new = await rotate_token(vault)
    assert new != token and await ensure_token(vault) == (token_digest(new), None)


async def test_a_repeated_signal_id_executes_once(client: httpx.AsyncClient, executor: RecordingExecutor) -> None:
    signal = {"id": "tv-42", "source": "tradingview", "action": "buy", "mint": MINT, "size": "0.25"}
    first = await client.post("/signals", json=signal)
    again = await client.post("/signals", json=signal)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert len(executor.calls) == 1
    request, wallets = executor.calls[0]
    assert request.sol_each == 250_000_000 and request.signal_id == "tv-42" and len(wallets) == 2
    stored = first.json()["signal"]
    assert stored["status"] == "done" and stored["source"] == "tradingview"
    assert sorted((e["label"], e["status"], e["signature"]) for e in stored["executions"]) == [
        ("w1", "confirmed", "sig-w1"), ("w2", "confirmed", "sig-w2")]
    assert again.json()["signal"] == stored
    shown = await client.get("/signals/tv-42")
    assert shown.status_code == 200 and shown.json()["signal"] == stored
    listed = await client.get("/signals", params={"limit": 5})
    assert [s["id"] for s in listed.json()["signals"]] == ["tv-42"]


async def test_concurrent_repeats_of_one_id_execute_once(client: httpx.AsyncClient,
                                                         executor: RecordingExecutor) -> None:
    signal = {"id": "race", "action": "sell", "mint": MINT, "size": "50"}
    replies = await asyncio.gather(*(client.post("/signals", json=signal) for _ in range(5)))
    assert sorted(r.status_code for r in replies) == [200, 200, 200, 200, 201]
    assert len(executor.calls) == 1 and executor.calls[0][0].percent == 50


async def test_a_signal_without_an_id_gets_one(client: httpx.AsyncClient) -> None:
    reply = await client.post("/signals", json={"action": "buy", "mint": MINT, "size": 0.1})
    assert reply.status_code == 201 and len(reply.json()["signal"]["id"]) == 36
    assert reply.json()["signal"]["size"] == "0.1"


async def test_wait_0_answers_202_and_finishes_in_the_background(client: httpx.AsyncClient, api: SignalsApi,
                                                                 executor: RecordingExecutor) -> None:
    reply = await client.post("/signals", params={"wait": "0"}, json={"id": "bg", "action": "close", "mint": MINT})
    assert reply.status_code == 202 and reply.json()["signal"]["status"] == "running"
    assert {e["status"] for e in reply.json()["signal"]["executions"]} == {"pending"}
    for _ in range(100):
        if (await client.get("/signals/bg")).json()["signal"]["status"] == "done":
            break
        await asyncio.sleep(0.01)
    assert (await client.get("/signals/bg")).json()["signal"]["status"] == "done"
    assert executor.calls[0][0].percent == 100


@pytest.mark.parametrize(("body", "status", "words"), [
    (b"{not json", 400, "not valid JSON"),
    (b"", 400, "needs a JSON body"),
    (b"[1, 2]", 400, "JSON object"),
    (b'{"action": "buy", "mint": "x", "size": NaN}', 400, "not valid JSON"),
    (b'{"action": "buy", "size": 1}', 422, "mint or symbol"),
    (b'{"action": "buy", "mint": "' + MINT.encode() + b'", "size": 1, "group": "nope"}', 422, "nope"),
    (b'{"action": "buy", "symbol": "WIF", "size": 1}', 422, "WIF"),
    (b'{"action": "sell", "mint": "' + MINT.encode() + b'", "size": 150}', 422, "percent"),
])
async def test_bad_input_is_400_or_422_and_stores_nothing(client: httpx.AsyncClient, executor: RecordingExecutor,
                                                          body: bytes, status: int, words: str) -> None:
    reply = await client.post("/signals", content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == status and words in reply.json()["error"]
    assert "Traceback" not in reply.text and reply.json()["ok"] is False
    assert executor.calls == [] and (await client.get("/signals")).json()["signals"] == []


async def test_routing_errors_and_oversized_bodies(client: httpx.AsyncClient) -> None:
    assert (await client.get("/nowhere")).status_code == 404
    assert (await client.delete("/signals")).status_code == 405
    assert (await client.get("/signals/unknown")).status_code == 404
    assert (await client.get("/signals", params={"limit": "many"})).status_code == 400
    huge = await client.post("/signals", content=b"{" + b" " * (MAX_BODY + 10) + b"}")
    assert huge.status_code == 413
    assert (await client.get("/health")).status_code == 200  # the client reconnects after a closed connection


async def test_a_foreign_host_header_is_refused(client: httpx.AsyncClient) -> None:
    reply = await client.get("/signals", headers={"Host": "evil.example:8787"})
    assert reply.status_code == 421


def test_only_loopback_addresses_can_be_served(vault: Vault) -> None:
    service = SignalService(vault, RecordingExecutor(), "simnet")
    with pytest.raises(ValidationError, match="loopback"):
        SignalsApi(service, token_digest("x"), host="0.0.0.0")  # noqa: S104 - the point of the test


async def test_external_trades_round_trip_through_the_api(client: httpx.AsyncClient) -> None:
    for account, symbol in (("apex-1", "NQ"), ("apex-2", "MNQ")):
        opened = await client.post("/external/trades", json={
            "id": f"{account}-1", "account": account, "symbol": symbol, "side": "buy", "qty": 2,
            "price": "18000.25", "time": 1_000, "fee": "2.50"})
        assert opened.status_code == 201 and opened.json()["position"]["side"] == "long"
    open_nq = (await client.get("/external/positions", params={"symbol": "NQ"})).json()["positions"]
    assert [(p["account"], p["qty"], p["avg_price"]) for p in open_nq] == [("apex-1", 2, "18000.25")]
    assert len((await client.get("/external/positions")).json()["positions"]) == 2
    results = {}
    for account, symbol in (("apex-1", "NQ"), ("apex-2", "MNQ")):
        closed = await client.post("/external/trades", json={
            "id": f"{account}-2", "account": account, "symbol": symbol, "side": "sell", "qty": 2,
            "price": 18010.75, "time": 2_000})
        assert closed.status_code == 201
        results[symbol] = closed.json()["trade"]
    assert (results["NQ"]["realized_points"], results["NQ"]["realized_usd"]) == ("21", "420.00")
    assert (results["MNQ"]["realized_points"], results["MNQ"]["realized_usd"]) == ("21", "42.00")
    assert results["NQ"]["closed"][0]["entry_price"] == "18000.25"
    repeat = await client.post("/external/trades", json={
        "id": "apex-1-2", "account": "apex-1", "symbol": "NQ", "side": "sell", "qty": 2, "price": "18010.75"})
    assert repeat.status_code == 200 and repeat.json()["duplicate"] is True
    assert (await client.get("/external/positions")).json()["positions"] == []
    history = (await client.get("/external/accounts/apex-1/history")).json()
    assert [t["id"] for t in history["trades"]] == ["apex-1-1", "apex-1-2"]
    assert history["realized_cents"] == 42_000 and history["net_cents"] == 42_000 - 250
    trades = (await client.get("/external/symbols/mnq/trades")).json()
    assert trades["symbol"] == "MNQ" and [t["account"] for t in trades["trades"]] == ["apex-2", "apex-2"]
    assert (await client.get("/external/accounts/ghost/history")).status_code == 404
    assert (await client.get("/external/symbols/CL/trades")).status_code == 404
    off_tick = await client.post("/external/trades", json={
        "account": "apex-1", "symbol": "NQ", "side": "buy", "qty": 1, "price": "18000.1"})
    assert off_tick.status_code == 422 and "tick" in off_tick.json()["error"]


async def test_a_futures_signal_is_journaled_on_every_account_and_close_flattens(
        client: httpx.AsyncClient, vault: Vault, executor: RecordingExecutor) -> None:
    await vault.external.add_account("apex-1")
    await vault.external.add_account("apex-2")
    opened = await client.post("/signals", json={"id": "nq-1", "action": "sell", "symbol": "NQ", "size": 1,
                                                 "price": "18010.75"})
    assert opened.status_code == 201 and opened.json()["signal"]["status"] == "done"
    assert [e["status"] for e in opened.json()["signal"]["executions"]] == ["journaled", "journaled"]
    closed = await client.post("/signals", json={"id": "nq-2", "action": "close", "symbol": "NQ",
                                                 "accounts": ["apex-2"], "price": "18000.25"})
    [execution] = closed.json()["signal"]["executions"]
    assert execution["label"] == "apex-2" and execution["reason"] == "closed 1 short @ 18000.25: 10.5 points, $210.00"
    positions = (await client.get("/external/positions", params={"symbol": "NQ"})).json()["positions"]
    assert [(p["account"], p["side"], p["qty"]) for p in positions] == [("apex-1", "short", 1)]
    assert executor.calls == []
