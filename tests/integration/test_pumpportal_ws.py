"""PumpPortal data client against a local websocket server that drops, refuses, goes silent and sends junk."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.server import Request, Response, Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from desk.chain.ws import LinkStatus, ReconnectPolicy, StatusKind
from desk.commands import feed_cmd
from desk.commands.common import Context
from desk.config import AppConfig, Endpoints
from desk.core.market import MarketEvent, Migration, TokenCreated, Trade
from desk.venues.pumpportal.data import PumpPortalData

SAMPLES = Path("/work/shared/samples/pumpportal_ws")
FAST = ReconnectPolicy(initial=0.05, maximum=0.2, jitter=0.0, healthy_after=60.0, refused_delay=0.6, silence=None,
                       open_timeout=2.0)
SECRET = "SeCrEtApIkEy-0123456789abcdef"
MINT_A = "5ygJ27k1ZyUBdeR9LeNxQ5vZ4n4togt3kxxcYnHUpump"
MINT_B = "14k7LpDRKvyVuMWfGe1vB5ByoQh1yUQPetApMBLuzw1f"


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())["payload"]  # type: ignore[no-any-return]


def create_frame(n: int) -> str:
    doc = sample("04_create_pump_full.json")
    doc["signature"] = f"{doc['signature'][:-6]}{n:06d}"
    doc["mint"] = f"{doc['mint'][:-6]}{n:06d}"
    doc["name"] = f"token {n}"
    return json.dumps(doc)


class Conn:
    """One accepted connection: what the client sent, and the socket to script replies on."""

    def __init__(self, ws: ServerConnection, path: str) -> None:
        self.ws, self.path, self.received = ws, path, list[dict[str, Any]]()

    def methods(self) -> list[str]:
        return [m.get("method", "") for m in self.received]

    def subscribed(self) -> bool:
        return {"subscribeNewToken", "subscribeMigration"} <= set(self.methods())

    def keys(self, method: str) -> list[str]:
        return [k for m in self.received if m.get("method") == method for k in m.get("keys", [])]


class FakePumpPortal:
    """A local PumpPortal look-alike. Tests script it through the accepted connections."""

    def __init__(self) -> None:
        self.conns: list[Conn] = []
        self.refuse_next = 0
        self.attempts: list[float] = []
        self.server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/api/data"

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.attempts.append(time.monotonic())
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return connection.respond(HTTPStatus.FORBIDDEN, "Forbidden\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        conn = Conn(ws, ws.request.path)
        self.conns.append(conn)
        with contextlib.suppress(ConnectionClosed):  # the tests drop links on purpose
            async for message in ws:
                conn.received.append(json.loads(message))

    async def conn(self, index: int, *, subscribed: bool = True) -> Conn:
        await until(lambda: len(self.conns) > index and (not subscribed or self.conns[index].subscribed()))
        return self.conns[index]


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


@pytest.fixture
async def portal() -> AsyncIterator[FakePumpPortal]:
    fake = FakePumpPortal()
    async with serve(fake._handler, "127.0.0.1", 0, process_request=fake._process_request,
                     max_size=None) as server:
        fake.server = server
        yield fake


class Recorder:
    def __init__(self) -> None:
        self.events: list[MarketEvent] = []
        self.statuses: list[LinkStatus] = []

    def client(self, url: str, **kwargs: Any) -> PumpPortalData:
        kwargs.setdefault("policy", FAST)
        return PumpPortalData(url, self.events.append, on_status=self.statuses.append, **kwargs)


async def test_every_sample_frame_becomes_the_right_event_or_is_classified(portal: FakePumpPortal) -> None:
    rec = Recorder()
    client = rec.client(portal.url)
    client.start()
    try:
        conn = await portal.conn(0)
        names = sorted(p.name for p in SAMPLES.glob("*.json") if not p.name.startswith("00_"))
        for name in names:
            await conn.ws.send(json.dumps(sample(name)))
        await until(lambda: client.counters.received == len(names))
    finally:
        await client.stop()
    kinds = [type(e) for e in rec.events]
    assert kinds == [TokenCreated, TokenCreated, Migration, Trade, Trade]
    c = client.counters
    assert (c.control, c.suspect, c.malformed, c.delivered) == (4, 1, 0, 5)
    assert any(s.kind is StatusKind.REFUSED and "only available" in s.text for s in rec.statuses)


@pytest.mark.parametrize("how", ["abort-1006", "close-1011"])
async def test_dropped_link_reconnects_resubscribes_and_loses_nothing_after(portal: FakePumpPortal, how: str) -> None:
    rec = Recorder()
    client = rec.client(portal.url, api_key=SECRET)
    client.watch(MINT_A)
    client.start()
    try:
        first = await portal.conn(0)
        await until(lambda: first.keys("subscribeTokenTrade") == [MINT_A])
        for n in range(3):
            await first.ws.send(create_frame(n))
        await until(lambda: len(rec.events) == 3)
        if how == "abort-1006":
            assert first.ws.transport is not None
            first.ws.transport.abort()  # no close frame: the client sees 1006
        else:
            await first.ws.close(1011, "keepalive ping timeout")
        second = await portal.conn(1)
        client.watch(MINT_B)  # watched while live: subscribed at once
        await until(lambda: second.keys("subscribeTokenTrade") == [MINT_A, MINT_B])
        for n in range(8):  # 0-2 again (duplicates across the reconnect), 3-7 new
            await second.ws.send(create_frame(n))
        await until(lambda: client.counters.received == 11)
    finally:
        await client.stop()
    assert [e.name for e in rec.events if isinstance(e, TokenCreated)] == [f"token {n}" for n in range(8)]
    assert client.counters.duplicates == 3 and client.counters.reconnects >= 1
    assert second.path.endswith(f"api-key={SECRET}")
    code = "1006" if how == "abort-1006" else "1011"
    assert any(s.kind is StatusKind.RECONNECTING and code in s.text for s in rec.statuses)
    assert [s.kind for s in rec.statuses].count(StatusKind.LIVE) == 2


async def test_http_403_on_the_upgrade_backs_off_longer(portal: FakePumpPortal) -> None:
    portal.refuse_next = 1
    rec = Recorder()
    client = rec.client(portal.url)
    client.start()
    try:
        await portal.conn(0)
    finally:
        await client.stop()
    refused = [s for s in rec.statuses if s.kind is StatusKind.REFUSED]
    assert refused and "403" in refused[0].text and refused[0].retry_in == pytest.approx(0.6)
    assert portal.attempts[1] - portal.attempts[0] >= 0.55  # not the 0.05 s of an ordinary retry


async def test_a_link_without_creates_is_dropped_and_resubscribed(portal: FakePumpPortal) -> None:
    rec = Recorder()
    client = rec.client(portal.url, policy=ReconnectPolicy(initial=0.05, maximum=0.1, jitter=0.0, silence=0.4))
    client.start()
    try:
        first = await portal.conn(0)
        await first.ws.send(json.dumps(sample("07_migrate_pump_to_pumpamm.json")))  # data, but no create
        second = await portal.conn(1)  # the client gave up on the silent link and came back
        await second.ws.send(create_frame(1))
        await until(lambda: len(rec.events) == 2)
    finally:
        await client.stop()
    assert any("no new token for 0.4 s" in s.text for s in rec.statuses)
    assert second.methods()[:2] == ["subscribeNewToken", "subscribeMigration"]


async def test_malformed_frames_are_counted_and_skipped_and_the_link_stays(portal: FakePumpPortal,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    junk: list[str | bytes] = [
        '{"signature": "abc", "mint": "m", "txType": "create", "solAmount": ',  # truncated
        "not json at all",
        b'{"signature":"s","mint":"m","txType":"buy"}',  # a binary frame
        '{"signature":"s","mint":"m","txType":"buy","solAmount":NaN}',
        '{"signature":"s","mint":"m","txType":"buy","solAmount":"1.5"}',
        '{"signature":"s","mint":"m","txType":"buy","solAmount":-1}',
        '{"signature":"s","mint":"m","txType":"buy","tokenAmount":true}',
        '{"signature":"s","mint":"m","txType":"buy","solAmount":1.5e308}',
        "[1, 2, 3]",
        '{"signature": 5, "mint": "m", "txType": "create"}',
        '{"mint": "m", "txType": "create"}',
        '{"signature":"s","mint":"m","txType":"create","padding":"' + "x" * 10_000_000 + '"}',  # 10 MB
    ]
    rec = Recorder()
    client = rec.client(portal.url)
    client.start()
    try:
        conn = await portal.conn(0)
        for frame in junk:
            await conn.ws.send(frame)
        await conn.ws.send(create_frame(42))
        await until(lambda: len(rec.events) == 1, timeout=10)
    finally:
        await client.stop()
    assert client.counters.malformed == len(junk) and client.counters.reconnects == 0
    assert len(portal.conns) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "malformed" in r.getMessage()]


async def test_the_api_key_never_reaches_statuses_or_logs(portal: FakePumpPortal,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    portal.refuse_next = 1
    rec = Recorder()
    client = rec.client(portal.url.replace("127.0.0.1", "localhost"), api_key=SECRET,
                        policy=ReconnectPolicy(initial=0.05, maximum=0.1, refused_delay=0.1))
    client.watch(MINT_A)
    client.start()
    try:
        conn = await portal.conn(0)
        await conn.ws.send(json.dumps({"message": f"Invalid API key {SECRET}"}))
        await until(lambda: client.counters.control == 1)
        await conn.ws.close(1011)
        await portal.conn(1)
    finally:
        await client.stop()
    client_records = [r for r in caplog.records if not r.name.startswith("websockets.server")]  # not the fake's
    texts = [s.text for s in rec.statuses] + [r.getMessage() for r in client_records]
    assert texts and not [t for t in texts if SECRET in t]
    assert any("***" in s.text for s in rec.statuses)


async def test_desk_feed_prints_json_lines_with_the_required_fields(
        portal: FakePumpPortal, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setenv("DESK_PUMPPORTAL_WS", portal.url)
    monkeypatch.setenv("DESK_RPC_WS_URL", "")
    monkeypatch.delenv("DESK_PUMPPORTAL_API_KEY", raising=False)
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    feed_cmd.register(sub, argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(["feed", "--limit", "3"])
    ctx = Context(config=AppConfig(home=tmp_path, endpoints=Endpoints.from_env()), json=True)

    async def server_side() -> None:
        conn = await portal.conn(0)
        await conn.ws.send(json.dumps(sample("01_ack_subscribeNewToken.json")))
        await conn.ws.send(json.dumps(sample("05_create_pump_no_metadata_SUSPECT.json")))
        await conn.ws.send(json.dumps(sample("07_migrate_pump_to_pumpamm.json")))
        for n in range(5):
            await conn.ws.send(create_frame(n))

    script = asyncio.create_task(server_side())
    assert await asyncio.wait_for(args.handler(ctx, args), 10) == 0
    await script
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["type"] for d in lines] == ["migrate", "create", "create"]
    for doc in lines:
        assert doc["mint"] and doc["signature"]
    create = lines[1]
    assert create["name"] == "token 0" and create["symbol"] == "t1"
    assert create["creator"] == "bwamJzztZsepfkteWRChggmXuiiCQvpLqPietdNfSXa"
    assert create["market_cap_sol"] == pytest.approx(37.921181193)


async def test_desk_feed_text_mode_prints_one_line_per_event(
        portal: FakePumpPortal, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setenv("DESK_PUMPPORTAL_WS", portal.url)
    parser = argparse.ArgumentParser()
    feed_cmd.register(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(["feed", "--limit", "2"])
    ctx = Context(config=AppConfig(home=tmp_path, endpoints=Endpoints.from_env()))

    async def server_side() -> None:
        conn = await portal.conn(0)
        await conn.ws.send(create_frame(7))
        await conn.ws.send(json.dumps(sample("10_trade_buy_2026-09.json")))  # as if a key were set

    script = asyncio.create_task(server_side())
    assert await asyncio.wait_for(args.handler(ctx, args), 10) == 0
    await script
    out = capsys.readouterr()
    create, trade = out.out.splitlines()
    assert create.startswith("create   t1") and "token 7" in create and "37.92 SOL" in create
    assert trade.startswith("buy") and "30589322.786086" in trade and "2.6298 SOL" in trade
    assert "pumpportal: live" in out.err


async def test_a_second_client_for_the_same_endpoint_is_refused(portal: FakePumpPortal) -> None:
    first, second = Recorder().client(portal.url), Recorder().client(portal.url)
    first.start()
    try:
        with pytest.raises(Exception, match="one data connection"):
            second.start()
    finally:
        await first.stop()
    second.start()  # the endpoint is free again
    await second.stop()
