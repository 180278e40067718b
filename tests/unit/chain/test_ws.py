"""Solana RPC websocket client against a local node look-alike; backoff, pacing and URL redaction."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from desk.chain.ws import (
    Backoff,
    LinkStatus,
    LogsNotification,
    Pacer,
    ReconnectPolicy,
    SignatureNotification,
    SolanaWs,
    StatusKind,
    display_url,
)

SAMPLES = Path("/work/shared/samples/solana_rpc")
FAST = ReconnectPolicy(initial=0.05, maximum=0.1, jitter=0.0, open_timeout=2.0)
MINT = "3nWWLE7s29LzCTDbc7UV5XCPoUsHudbNLStfQdTWmmja"


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())["payload"]  # type: ignore[no-any-return]


class FakeNode:
    """Answers logsSubscribe / signatureSubscribe with fresh ids and lets the test push notifications."""

    def __init__(self) -> None:
        self.conns: list[tuple[ServerConnection, list[dict[str, Any]]]] = []
        self.ids = itertools.count(1000)
        self.refuse_mentions: set[str] = set()
        self.server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/?api-key=rpc-secret-0123"

    async def handler(self, ws: ServerConnection) -> None:
        received: list[dict[str, Any]] = []
        self.conns.append((ws, received))
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                request = json.loads(message)
                received.append(request)
                params = request["params"]
                if request["method"] == "logsSubscribe" and params[0]["mentions"][0] in self.refuse_mentions:
                    reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request["id"],
                                             "error": {"code": -32602, "message": "Invalid param: not a pubkey"}}
                elif request["method"].endswith("Unsubscribe"):
                    reply = {"jsonrpc": "2.0", "id": request["id"], "result": True}
                else:
                    reply = {"jsonrpc": "2.0", "id": request["id"], "result": next(self.ids)}
                await ws.send(json.dumps(reply))


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


@pytest.fixture
async def node() -> AsyncIterator[FakeNode]:
    fake = FakeNode()
    async with serve(fake.handler, "127.0.0.1", 0) as server:
        fake.server = server
        yield fake


def notification(method: str, subscription: int, value: Any, slot: int = 430727484) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": method,
                       "params": {"subscription": subscription, "result": {"context": {"slot": slot}, "value": value}}})


async def test_logs_subscription_delivers_notifications_and_survives_a_reconnect(node: FakeNode) -> None:
    got: list[LogsNotification] = []
    statuses: list[LinkStatus] = []
    client = SolanaWs(node.url, policy=FAST, on_status=statuses.append)
    client.logs_subscribe(MINT, got.append)
    client.start()
    try:
        await until(lambda: len(node.conns) == 1 and len(node.conns[0][1]) == 1)
        ws, received = node.conns[0]
        assert received[0]["method"] == "logsSubscribe"
        assert received[0]["params"] == [{"mentions": [MINT]}, {"commitment": "confirmed"}]
        buy = sample("logsNotification_pump_buy.json")
        await until(lambda: client.counters.control == 1)  # the subscription id arrived
        await ws.send(notification("logsNotification", 1000, buy["params"]["result"]["value"]))
        await until(lambda: len(got) == 1)
        assert ws.transport is not None
        ws.transport.abort()
        await until(lambda: len(node.conns) == 2 and len(node.conns[1][1]) == 1)
        ws2, _ = node.conns[1]
        await until(lambda: client.counters.control == 2)
        await ws2.send(notification("logsNotification", 1000, {}))  # the old id is gone
        failed = dict(buy["params"]["result"]["value"], err={"InstructionError": [2, {"Custom": 6003}]})
        await ws2.send(notification("logsNotification", 1001, failed))
        await until(lambda: len(got) == 2)
    finally:
        await client.stop()
    assert got[0].signature == buy["params"]["result"]["value"]["signature"] and got[0].slot == 430727484
    assert got[0].err is None and list(got[0].logs) == buy["params"]["result"]["value"]["logs"]
    assert got[1].err == {"InstructionError": [2, {"Custom": 6003}]}  # delivered: the feed decides
    assert client.counters.ignored == 1
    assert not [s for s in statuses if "rpc-secret" in s.text]


async def test_unsubscribe_sends_the_node_id_and_stops_delivery(node: FakeNode) -> None:
    got: list[LogsNotification] = []
    client = SolanaWs(node.url, policy=FAST)
    client.start()
    try:
        await until(lambda: len(node.conns) == 1)
        client.logs_subscribe(MINT, got.append)
        client.logs_subscribe("Other1111111111111111111111111111111111111", got.append)
        await until(lambda: client.counters.control == 2)
        client.logs_unsubscribe(MINT)
        await until(lambda: len(node.conns[0][1]) == 3)
        ws, received = node.conns[0]
        await ws.send(notification("logsNotification", 1000, {"signature": "x", "err": None, "logs": []}))
        await asyncio.sleep(0.05)
    finally:
        await client.stop()
    assert received[2]["method"] == "logsUnsubscribe" and received[2]["params"] == [1000]
    assert got == [] and client.subscriptions == ["logs:Other1111111111111111111111111111111111111"]


async def test_signature_subscription_ends_after_the_final_notification(node: FakeNode) -> None:
    got: list[SignatureNotification] = []
    client = SolanaWs(node.url, policy=FAST)
    client.signature_subscribe("5ig", got.append, commitment="finalized", received=True)
    client.start()
    try:
        await until(lambda: client.counters.control == 1)
        ws, received = node.conns[0]
        assert received[0]["params"] == ["5ig", {"commitment": "finalized", "enableReceivedNotification": True}]
        await ws.send(notification("signatureNotification", 1000, "receivedSignature"))
        doc = sample("signatureNotification_doc.json")
        await ws.send(notification("signatureNotification", 1000, doc["params"]["result"]["value"], slot=5207624))
        await until(lambda: len(got) == 2)
    finally:
        await client.stop()
    assert got == [SignatureNotification("5ig", None, 430727484, True), SignatureNotification("5ig", None, 5207624,
                                                                                                False)]
    assert client.subscriptions == []


async def test_a_refused_subscription_is_dropped_with_a_notice(node: FakeNode) -> None:
    node.refuse_mentions.add("bad")
    statuses: list[LinkStatus] = []
    client = SolanaWs(node.url, policy=FAST, on_status=statuses.append)
    client.logs_subscribe("bad", lambda n: None)
    client.start()
    try:
        await until(lambda: any(s.kind is StatusKind.NOTICE for s in statuses))
    finally:
        await client.stop()
    assert "not a pubkey" in statuses[-2].text and client.subscriptions == []


async def test_junk_frames_are_counted_and_skipped(node: FakeNode) -> None:
    client = SolanaWs(node.url, policy=FAST)
    got: list[LogsNotification] = []
    client.logs_subscribe(MINT, got.append)
    client.start()
    try:
        await until(lambda: client.counters.control == 1)
        ws, _ = node.conns[0]
        for junk in ["{", "[]", b"\x00", '{"jsonrpc":"2.0"}',
                     notification("logsNotification", 1000, {"signature": 5, "logs": []}),
                     notification("logsNotification", 1000, {"signature": "s", "logs": [1]})]:
            await ws.send(junk)
        await ws.send(notification("logsNotification", 1000, {"signature": "ok", "err": None, "logs": ["x"]}))
        await until(lambda: len(got) == 1)
    finally:
        await client.stop()
    assert client.counters.malformed == 6 and client.counters.reconnects == 0


def test_backoff_doubles_to_the_cap_and_resets() -> None:
    backoff = Backoff(ReconnectPolicy(initial=1.0, maximum=30.0, jitter=0.0))
    assert [backoff.next_delay() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.next_delay() == 1


@pytest.mark.parametrize(("draw", "delay"), [(0.0, 0.8), (0.5, 1.0), (1.0, 1.2)])
def test_backoff_jitter_spreads_each_delay(draw: float, delay: float) -> None:
    assert Backoff(ReconnectPolicy(jitter=0.2), rng=lambda: draw).next_delay() == pytest.approx(delay)


async def test_pacer_keeps_to_its_rate_in_any_second() -> None:
    pacer = Pacer(25)
    started = time.monotonic()
    for _ in range(30):
        await pacer.wait()
    assert 0.95 <= time.monotonic() - started < 2.0


@pytest.mark.parametrize(("url", "shown"), [
    ("wss://pumpportal.fun/api/data?api-key=SECRET", "wss://pumpportal.fun/…"),
    ("wss://mainnet.helius-rpc.com/?api-key=SECRET", "wss://mainnet.helius-rpc.com/…"),
    ("wss://x.quiknode.pro/SECRETTOKEN/", "wss://x.quiknode.pro/…"),
    ("ws://127.0.0.1:8900", "ws://127.0.0.1:8900"),
])
def test_display_url_hides_paths_and_queries(url: str, shown: str) -> None:
    assert display_url(url) == shown
