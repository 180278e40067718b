"""Benchmark the simnet market: settled trades per second, and streamed events per second to websocket clients.

Run by hand: ``python tests/bench/bench_market.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import websockets

from desk.simnet.chain import SimChain
from desk.simnet.market import SimMarket
from desk.simnet.service import Simnet
from desk.simnet.traders import Activity, SimTraders


def settlement_rate(trades: int = 3000) -> None:
    traders = SimTraders(SimMarket(SimChain(), seed=1), Activity(seed=1, traders=32))
    traders.step(creates=20)
    start = time.perf_counter()
    traders.step(trades=trades)
    elapsed = time.perf_counter() - start
    creates_start = time.perf_counter()
    traders.step(creates=200)
    creates_elapsed = time.perf_counter() - creates_start
    print(f"settled curve trades (no listeners): {trades / elapsed:,.0f}/s; launches: {200 / creates_elapsed:,.0f}/s")


async def streamed_rate(clients: int, trades: int = 3000) -> None:
    simnet = Simnet.start(market=True, activity=Activity(seed=2, traders=32), run_traders=False, block_time=None)
    assert simnet.market is not None
    services = simnet.market
    services.traders.step(creates=20)
    wallets = [str(w) for w in services.traders.wallets]
    url = simnet.env()["DESK_PUMPPORTAL_WS"] + "?api-key=bench"
    sockets = [await websockets.connect(url, max_queue=None) for _ in range(clients)]
    logs = await websockets.connect(simnet.env()["DESK_RPC_WS_URL"], max_queue=None)
    for ws in sockets:
        await ws.send(json.dumps({"method": "subscribeAccountTrade", "keys": wallets}))
        await ws.recv()
    await logs.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe", "params": ["all"]}))
    await logs.recv()

    async def drain(ws: websockets.ClientConnection) -> float:
        for _ in range(trades):
            await ws.recv()
        return time.perf_counter()

    start = time.perf_counter()
    producer = threading.Thread(target=services.traders.step, kwargs={"trades": trades})
    producer.start()
    ends = await asyncio.gather(*(drain(ws) for ws in [*sockets, logs]))
    producer.join()
    elapsed = max(ends) - start
    print(f"{clients} PumpPortal clients + 1 logs client, every trade to each: {trades / elapsed:,.0f} trades/s "
          f"({trades * (clients + 1) / elapsed:,.0f} frames/s)")
    for ws in [*sockets, logs]:
        await ws.close()
    simnet.stop()


def realtime(rate: float, seconds: float = 5.0) -> None:
    simnet = Simnet.start(market=True, activity=Activity(seed=3, traders=32, trades_per_second=rate,
                                                         creates_per_minute=120))
    assert simnet.market is not None
    seen: list[object] = []
    simnet.market.market.subscribe(seen.append)
    time.sleep(seconds)
    simnet.stop()
    print(f"background thread at {rate:,.0f} trades/s asked: {len(seen) / seconds:,.0f} events/s delivered")


def main() -> None:
    settlement_rate()
    for clients in (1, 20):
        asyncio.run(streamed_rate(clients))
    for rate in (100, 1000):
        realtime(rate)


if __name__ == "__main__":
    main()
