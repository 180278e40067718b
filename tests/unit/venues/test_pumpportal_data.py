"""PumpPortal data client over an in-memory transport: subscriptions, budget, chunks, frames, statuses."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from desk.chain.ws import LinkStatus, ReconnectPolicy, StatusKind
from desk.core.errors import VenueError
from desk.core.market import MarketEvent
from desk.venues.pumpportal.data import PumpPortalData, TradeBudgetError, TradeKeyRequiredError, TradeStream

SAMPLES = Path("/work/shared/samples/pumpportal_ws")
FAST = ReconnectPolicy(initial=0.01, maximum=0.05, jitter=0.0, open_timeout=1.0)


class FakeWs:
    """One in-memory connection: what the client sent, and a queue of frames (or errors) it receives."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.inbox: asyncio.Queue[str | bytes | BaseException] = asyncio.Queue()

    async def send(self, message: str) -> None:
        self.sent.append(orjson.loads(message))

    async def recv(self) -> str | bytes:
        item = await self.inbox.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.inbox.put_nowait(ConnectionError("closed"))

    def trade_keys(self, method: str = "subscribeTokenTrade") -> list[str]:
        return [k for m in self.sent if m["method"] == method for k in m["keys"]]


class FakeNet:
    def __init__(self) -> None:
        self.conns: list[FakeWs] = []
        self.urls: list[str] = []

    async def connect(self, url: str) -> FakeWs:
        self.urls.append(url)
        self.conns.append(FakeWs())
        return self.conns[-1]


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


class Harness:
    def __init__(self, net: FakeNet, **kwargs: Any) -> None:
        self.events: list[MarketEvent] = []
        self.statuses: list[LinkStatus] = []
        self.client = PumpPortalData("wss://pumpportal.test/api/data", self.events.append,
                                     on_status=self.statuses.append, connect=net.connect,  # type: ignore[arg-type]
                                     policy=kwargs.pop("policy", FAST), **kwargs)


@pytest.fixture
async def net() -> AsyncIterator[FakeNet]:
    yield FakeNet()


def create(n: int) -> str:
    doc = json.loads((SAMPLES / "04_create_pump_full.json").read_text())["payload"]
    doc["signature"] = f"sig{n}"
    return json.dumps(doc)


async def test_free_streams_are_always_subscribed_and_trade_streams_need_a_key(net: FakeNet) -> None:
    h = Harness(net)
    with pytest.raises(TradeKeyRequiredError):
        h.client.watch("Mint1")
    h.client.start()
    try:
        await until(lambda: bool(net.conns) and len(net.conns[0].sent) == 2)
    finally:
        await h.client.stop()
    assert net.conns[0].sent == [{"method": "subscribeNewToken"}, {"method": "subscribeMigration"}]
    assert net.urls == ["wss://pumpportal.test/api/data"]


async def test_keys_are_sent_in_chunks_of_5000_after_every_connect(net: FakeNet) -> None:
    h = Harness(net, api_key="k/y+", trade_key_budget=12_000)
    keys = [f"Mint{n}" for n in range(12_000)]
    for key in keys:
        h.client.watch(key)
    h.client.start()
    try:
        await until(lambda: bool(net.conns) and len(net.conns[0].sent) == 5)
        net.conns[0].inbox.put_nowait(ConnectionError("dropped"))
        await until(lambda: len(net.conns) == 2 and len(net.conns[1].sent) == 5)
    finally:
        await h.client.stop()
    for conn in net.conns:
        chunks = [m["keys"] for m in conn.sent if m["method"] == "subscribeTokenTrade"]
        assert [len(c) for c in chunks] == [5000, 5000, 2000]
        assert [k for c in chunks for k in c] == keys
    assert net.urls[0] == "wss://pumpportal.test/api/data?api-key=k%2Fy%2B"


async def test_the_budget_refuses_one_key_too_many_with_a_clear_status(net: FakeNet) -> None:
    h = Harness(net, api_key="key", trade_key_budget=2)
    h.client.watch("A")
    h.client.watch("W", TradeStream.ACCOUNT)
    h.client.watch("A")  # already watched: free
    with pytest.raises(TradeBudgetError, match="2 of 2"):
        h.client.watch("B")
    assert h.statuses[-1].kind is StatusKind.NOTICE and "budget" in h.statuses[-1].text
    h.client.unwatch("A")
    h.client.watch("B")
    assert h.client.watched() == ["B"] and h.client.watched(TradeStream.ACCOUNT) == ["W"]


async def test_watching_and_unwatching_while_live_subscribes_and_unsubscribes(net: FakeNet) -> None:
    h = Harness(net, api_key="key")
    h.client.start()
    try:
        await until(lambda: bool(net.conns) and len(net.conns[0].sent) == 2)
        conn = net.conns[0]
        h.client.watch("A")
        h.client.watch("W", TradeStream.ACCOUNT)
        await until(lambda: len(conn.sent) == 4)
        h.client.unwatch("A")
        h.client.unwatch("never-watched")
        await until(lambda: len(conn.sent) == 5)
        h.client.unwatch("W", TradeStream.ACCOUNT)
        await until(lambda: len(conn.sent) == 6)
    finally:
        await h.client.stop()
    assert conn.sent[2:] == [
        {"method": "subscribeTokenTrade", "keys": ["A"]},
        {"method": "subscribeAccountTrade", "keys": ["W"]},
        {"method": "unsubscribeTokenTrade", "keys": ["A"]},
        {"method": "unsubscribeAccountTrade", "keys": ["W"]},
    ]


async def test_frames_are_counted_and_the_refusal_becomes_a_status(net: FakeNet) -> None:
    h = Harness(net, api_key="key")
    h.client.start()
    try:
        await until(lambda: bool(net.conns))
        conn = net.conns[0]
        refusal = json.loads((SAMPLES / "03_error_trade_sub_without_funded_key.json").read_text())["payload"]
        for item in [create(1), create(1), b"\x00binary", "{", json.dumps(refusal), '{"signature":"s","mint":"m",'
                     '"txType":"swap"}', create(2)]:
            conn.inbox.put_nowait(item)
        await until(lambda: h.client.counters.received == 7)
    finally:
        await h.client.stop()
    c = h.client.counters
    assert (c.parsed, c.delivered, c.duplicates, c.malformed, c.control, c.ignored) == (3, 2, 1, 2, 1, 1)
    assert [e.signature for e in h.events] == ["sig1", "sig2"]
    assert h.client.trades_refused
    assert any(s.kind is StatusKind.REFUSED and "only available" in s.text for s in h.statuses)


async def test_a_failing_sink_does_not_stop_the_receive_loop(net: FakeNet, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def sink(event: MarketEvent) -> None:
        seen.append(event.signature)
        raise RuntimeError("bug in a subscriber")

    client = PumpPortalData("wss://pumpportal.test/x", sink, connect=net.connect, policy=FAST)  # type: ignore[arg-type]
    client.start()
    try:
        await until(lambda: bool(net.conns))
        net.conns[0].inbox.put_nowait(create(1))
        net.conns[0].inbox.put_nowait(create(2))
        await until(lambda: len(seen) == 2)
    finally:
        await client.stop()
    assert client.counters.reconnects == 0
    caplog.clear()  # the two logged errors are the point of this test


async def test_connect_failures_back_off_and_report_without_the_key(net: FakeNet) -> None:
    attempts: list[str] = []

    async def failing(url: str) -> FakeWs:
        attempts.append(url)
        if len(attempts) < 3:
            raise OSError(f"cannot reach {url}")
        return await net.connect(url)

    statuses: list[LinkStatus] = []
    client = PumpPortalData("wss://pumpportal.test/api/data", lambda e: None, api_key="TOPSECRETKEY",
                            on_status=statuses.append, connect=failing, policy=FAST)  # type: ignore[arg-type]
    client.start()
    try:
        await until(lambda: bool(net.conns))
    finally:
        await client.stop()
    reconnecting = [s for s in statuses if s.kind is StatusKind.RECONNECTING]
    assert len(reconnecting) == 2 and all(s.retry_in is not None for s in reconnecting)
    assert "OSError" in reconnecting[0].text
    assert not [s for s in statuses if "TOPSECRETKEY" in s.text]


async def test_an_invalid_url_fails_once_and_stops(net: FakeNet) -> None:
    class InvalidURI(Exception):  # noqa: N818 - named like websockets' exception on purpose
        pass

    async def bad(url: str) -> FakeWs:
        raise InvalidURI(url)

    statuses: list[LinkStatus] = []
    client = PumpPortalData("http://nope?api-key=zzzzzzzzzzzz", lambda e: None, on_status=statuses.append,
                            connect=bad, policy=FAST)  # type: ignore[arg-type]
    client.start()
    await until(lambda: not client.running)
    await client.stop()
    assert statuses[1].kind is StatusKind.FAILED and "zzzz" not in statuses[1].text


async def test_silence_watchdog_counts_suspect_creates_as_signs_of_life(net: FakeNet) -> None:
    suspect = json.loads((SAMPLES / "05_create_pump_no_metadata_SUSPECT.json").read_text())["payload"]
    h = Harness(net, policy=ReconnectPolicy(initial=0.01, maximum=0.05, jitter=0.0, silence=0.5))
    h.client.start()
    try:
        await until(lambda: bool(net.conns))
        for _ in range(8):
            net.conns[0].inbox.put_nowait(json.dumps(suspect))
            await asyncio.sleep(0.1)
        assert len(net.conns) == 1  # 0.8 s, but never 0.5 s without a create
        await until(lambda: len(net.conns) == 2)  # then silence: dropped and reconnected
    finally:
        await h.client.stop()
    assert h.client.counters.suspect == 8 and not h.events


async def test_one_client_per_endpoint_in_a_process(net: FakeNet) -> None:
    first = Harness(net).client
    second = Harness(net).client
    first.start()
    try:
        with pytest.raises(VenueError):
            second.start()
    finally:
        await first.stop()


async def test_requests_match_the_documented_examples(net: FakeNet) -> None:
    documented = json.loads((SAMPLES / "00_client_requests.json").read_text())["payload"]
    h = Harness(net, api_key="key")
    h.client.watch(documented["subscribeTokenTrade"]["keys"][0])
    h.client.watch(documented["subscribeAccountTrade"]["keys"][0], TradeStream.ACCOUNT)
    h.client.start()
    try:
        await until(lambda: bool(net.conns) and len(net.conns[0].sent) == 4)
        h.client.unwatch(documented["unsubscribeTokenTrade"]["keys"][0])
        h.client.unwatch(documented["unsubscribeAccountTrade"]["keys"][0], TradeStream.ACCOUNT)
        await until(lambda: len(net.conns[0].sent) == 6)
    finally:
        await h.client.stop()
    assert net.conns[0].sent == [documented[name] for name in (
        "subscribeNewToken", "subscribeMigration", "subscribeTokenTrade", "subscribeAccountTrade",
        "unsubscribeTokenTrade", "unsubscribeAccountTrade")]
