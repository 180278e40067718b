"""The feed: PumpPortal and RPC-log sources merged, deduplicated, routed, counted and fanned out."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from desk.chain.ws import LinkStatus, ReconnectPolicy, StatusKind
from desk.core.errors import VenueError
from desk.core.market import EventSource, MarketEvent, Side, TokenCreated, Trade
from desk.engine.feed import Feed
from desk.venues.pumpportal.data import TradeBudgetError

SAMPLES = Path("/work/shared/samples")
PP_URL, RPC_URL = "wss://pumpportal.test/api/data", "wss://rpc.test/"
FAST = ReconnectPolicy(initial=0.01, maximum=0.05, jitter=0.0, open_timeout=1.0)
BUY_MINT = "3nWWLE7s29LzCTDbc7UV5XCPoUsHudbNLStfQdTWmmja"
BUY_SIG = "3XCZDSEWQrWuHC1P8RzxiEDYQkEbJV6mY3gTAKSybDDRXqjwywXAfjdyy3EmKW2ecbtsBFE4GTYkBZ2ep2x1Nt7W"


def payload(path: str) -> dict[str, Any]:
    return json.loads((SAMPLES / path).read_text())["payload"]  # type: ignore[no-any-return]


class FakeWs:
    """An in-memory connection; an RPC one answers subscribe requests with ids 1, 2, ..."""

    def __init__(self, rpc: bool) -> None:
        self.rpc, self.sent, self.inbox = rpc, list[dict[str, Any]](), asyncio.Queue[str | BaseException]()

    async def send(self, message: str) -> None:
        request = orjson.loads(message)
        self.sent.append(request)
        if self.rpc:
            self.inbox.put_nowait(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": len(self.sent)}))

    async def recv(self) -> str:
        item = await self.inbox.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.inbox.put_nowait(ConnectionError("closed"))


class FakeNet:
    def __init__(self) -> None:
        self.pp: list[FakeWs] = []
        self.rpc: list[FakeWs] = []

    async def connect(self, url: str) -> FakeWs:
        ws = FakeWs(rpc=url.startswith(RPC_URL))
        (self.rpc if ws.rpc else self.pp).append(ws)
        return ws


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


def make_feed(net: FakeNet, **kwargs: Any) -> Feed:
    return Feed(PP_URL, kwargs.pop("rpc_ws_url", RPC_URL), connect=net.connect,  # type: ignore[arg-type]
                pumpportal_policy=FAST, rpc_policy=FAST, **kwargs)


def logs_frame(subscription: int, name: str = "buy") -> str:
    doc = payload(f"solana_rpc/logsNotification_pump_{name}.json")
    doc["params"]["subscription"] = subscription
    return json.dumps(doc)


def pumpportal_copy_of_the_logged_buy() -> str:
    """The same trade as the recorded buy notification, as PumpPortal would send it."""
    return json.dumps({"signature": BUY_SIG, "mint": BUY_MINT, "traderPublicKey":
                       "CMN4HErpURnxJJBjFf54XiS8sY9FjBPS1fYSc6FnhYQL", "txType": "buy",
                       "tokenAmount": 5305887.740987, "solAmount": 0.493827159, "pool": "pump"})


async def test_creates_reach_every_subscriber_and_trades_come_from_logs_without_a_key() -> None:
    net, got, also = FakeNet(), list[MarketEvent](), list[MarketEvent]()
    feed = make_feed(net)
    feed.subscribe(got.append)
    feed.subscribe(also.append)
    async with feed:
        await until(lambda: bool(net.pp))
        assert not net.rpc  # no RPC link until a mint needs one
        net.pp[0].inbox.put_nowait(json.dumps(payload("pumpportal_ws/04_create_pump_full.json")))
        assert feed.watch_trades(BUY_MINT) is EventSource.RPC_LOGS
        await until(lambda: bool(net.rpc) and feed.rpc is not None and feed.rpc.counters.control == 1)
        assert net.rpc[0].sent[0]["params"][0] == {"mentions": [BUY_MINT]}
        net.rpc[0].inbox.put_nowait(logs_frame(1))
        await until(lambda: len(got) == 2)
    assert isinstance(got[0], TokenCreated)
    trade = got[1]
    assert isinstance(trade, Trade) and trade.source is EventSource.RPC_LOGS
    assert (trade.signature, trade.mint, trade.side, trade.sol_amount) == (BUY_SIG, BUY_MINT, Side.BUY, 493_827_159)
    assert also == got
    counts = feed.counters()
    assert counts["rpc-logs"]["delivered"] == 1 and counts["pumpportal"]["delivered"] == 1


async def test_the_same_trade_from_both_sources_is_published_once() -> None:
    net, got = FakeNet(), list[MarketEvent]()
    feed = make_feed(net)
    feed.subscribe(got.append)
    async with feed:
        feed.watch_trades(BUY_MINT)
        await until(lambda: bool(net.pp) and bool(net.rpc) and feed.rpc is not None and feed.rpc.counters.control == 1)
        net.pp[0].inbox.put_nowait(pumpportal_copy_of_the_logged_buy())
        await until(lambda: len(got) == 1)
        net.rpc[0].inbox.put_nowait(logs_frame(1))
        net.rpc[0].inbox.put_nowait(logs_frame(1))
        await until(lambda: feed.rpc_counters.parsed == 2)
    assert len(got) == 1 and got[0].source is EventSource.PUMPPORTAL
    assert feed.rpc_counters.duplicates == 2


async def test_failed_transactions_and_foreign_program_data_publish_nothing() -> None:
    net, got = FakeNet(), list[MarketEvent]()
    feed = make_feed(net)
    feed.subscribe(got.append)
    async with feed:
        feed.watch_trades(BUY_MINT)
        await until(lambda: bool(net.rpc) and feed.rpc is not None and feed.rpc.counters.control == 1)
        failed = json.loads(logs_frame(1))
        failed["params"]["result"]["value"]["err"] = {"InstructionError": [3, {"Custom": 6003}]}
        net.rpc[0].inbox.put_nowait(json.dumps(failed))
        garbled = json.loads(logs_frame(1))
        logs = garbled["params"]["result"]["value"]["logs"]
        index = next(i for i, line in enumerate(logs) if line.startswith("Program data: "))
        logs[index] = "Program data: vdt/007mYe4AAAA="  # a TradeEvent discriminator, then nothing
        net.rpc[0].inbox.put_nowait(json.dumps(garbled))
        await until(lambda: feed.rpc_counters.received == 2)
    assert got == []
    assert (feed.rpc_counters.ignored, feed.rpc_counters.malformed) == (1, 1)


async def test_with_a_key_trades_use_pumpportal_within_the_budget_and_unwatch_unsubscribes() -> None:
    net = FakeNet()
    feed = make_feed(net, api_key="key", trade_key_budget=1)
    async with feed:
        assert feed.watch_trades(BUY_MINT) is EventSource.PUMPPORTAL
        assert feed.watch_trades(BUY_MINT) is EventSource.PUMPPORTAL  # idempotent
        with pytest.raises(TradeBudgetError):
            feed.watch_trades("Another1111111111111111111111111111111111")
        await until(lambda: bool(net.pp) and len(net.pp[0].sent) == 3)
        feed.unwatch(BUY_MINT)
        await until(lambda: len(net.pp[0].sent) == 4)
    assert net.pp[0].sent[2:] == [{"method": "subscribeTokenTrade", "keys": [BUY_MINT]},
                                  {"method": "unsubscribeTokenTrade", "keys": [BUY_MINT]}]
    assert feed.watched == {} and not net.rpc


async def test_a_refused_trade_stream_moves_watched_mints_to_rpc_logs() -> None:
    net, statuses = FakeNet(), list[LinkStatus]()
    feed = make_feed(net, api_key="unfunded")
    feed.subscribe_status(statuses.append)
    async with feed:
        feed.watch_trades(BUY_MINT)
        await until(lambda: bool(net.pp) and len(net.pp[0].sent) == 3)
        net.pp[0].inbox.put_nowait(json.dumps(payload("pumpportal_ws/03_error_trade_sub_without_funded_key.json")))
        await until(lambda: feed.watched == {BUY_MINT: EventSource.RPC_LOGS})
        await until(lambda: bool(net.rpc) and len(net.rpc[0].sent) == 1 and len(net.pp[0].sent) == 4)
        assert feed.watch_trades("Next111111111111111111111111111111111111111") is EventSource.RPC_LOGS
    assert net.pp[0].sent[3] == {"method": "unsubscribeTokenTrade", "keys": [BUY_MINT]}
    assert any(s.kind is StatusKind.REFUSED for s in statuses)
    assert feed.statuses["pumpportal"].kind is StatusKind.STOPPED


async def test_no_key_and_no_rpc_means_no_trades() -> None:
    feed = make_feed(FakeNet(), rpc_ws_url=None)
    with pytest.raises(VenueError, match="No source for trades"):
        feed.watch_trades(BUY_MINT)


async def test_a_raising_subscriber_is_counted_and_the_others_still_get_events(
        caplog: pytest.LogCaptureFixture) -> None:
    net, got = FakeNet(), list[MarketEvent]()
    feed = make_feed(net)

    def broken(event: MarketEvent) -> None:
        raise RuntimeError("subscriber bug")

    feed.subscribe(broken)
    unsubscribe = feed.subscribe(got.append)
    async with feed:
        await until(lambda: bool(net.pp))
        net.pp[0].inbox.put_nowait(json.dumps(payload("pumpportal_ws/04_create_pump_full.json")))
        await until(lambda: len(got) == 1)
        unsubscribe()
        net.pp[0].inbox.put_nowait(json.dumps(payload("pumpportal_ws/07_migrate_pump_to_pumpamm.json")))
        await until(lambda: feed.subscriber_errors == 2)
    assert len(got) == 1 and feed.counters()["feed"]["subscriber_errors"] == 2
    caplog.clear()  # the logged subscriber errors are expected here


async def test_weak_subscribers_go_away_with_their_owner() -> None:
    net = FakeNet()
    feed = make_feed(net)

    class Panel:
        def __init__(self) -> None:
            self.events: list[MarketEvent] = []

        def on_event(self, event: MarketEvent) -> None:
            self.events.append(event)

    kept, dropped = Panel(), Panel()
    feed.subscribe(kept.on_event, weak=True)
    feed.subscribe(dropped.on_event, weak=True)
    del dropped
    gc.collect()
    async with feed:
        await until(lambda: bool(net.pp))
        net.pp[0].inbox.put_nowait(json.dumps(payload("pumpportal_ws/07_migrate_pump_to_pumpamm.json")))
        await until(lambda: len(kept.events) == 1)
    assert len(feed._subscribers) == 1


async def test_stop_leaves_no_task_behind() -> None:
    net = FakeNet()
    before = asyncio.all_tasks()
    feed = make_feed(net)
    await feed.start()
    feed.watch_trades(BUY_MINT)
    await until(lambda: bool(net.pp) and bool(net.rpc))
    await feed.stop()
    assert asyncio.all_tasks() == before
    assert not feed.pumpportal.running and feed.rpc is not None and not feed.rpc.running
