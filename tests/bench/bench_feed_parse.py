"""Benchmark: PumpPortal frames parsed, normalized and deduplicated per second (target >= 100,000/s).

Run by hand: ``python tests/bench/bench_feed_parse.py``. The corpus is the recorded frames in
``samples/pumpportal_ws`` (creates, trades, migrations, acks, the suspect create), each given a unique
signature, in the proportions of a busy trade subscription (mostly trades). Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import orjson

from desk.core.market import MarketEvent, dedupe_key
from desk.venues.pumpfun.events import decode_event, program_data, trade_from_event
from desk.venues.pumpportal.data import PumpPortalData
from desk.venues.pumpportal.messages import EVENT_TYPES, RecentKeys, parse_frame

SAMPLES = Path("/work/shared/samples")
FRAMES = 200_000
RUNS = 5
MIX = {  # frames per 100: a trade stream dominates; creates ~ 1 per 2-3 s; the rest is rare
    "10_trade_buy_2026-09.json": 45,
    "11_trade_sell_2025-02_with_recorder_fields.json": 40,
    "04_create_pump_full.json": 8,
    "06_create_bonk_launchlab.json": 2,
    "05_create_pump_no_metadata_SUSPECT.json": 1,
    "07_migrate_pump_to_pumpamm.json": 2,
    "08_ack_subscribe_keys.json": 2,
}


def corpus() -> list[str]:
    docs = [json.loads((SAMPLES / "pumpportal_ws" / name).read_text())["payload"]
            for name, share in MIX.items() for _ in range(share)]
    frames = []
    for n in range(FRAMES):
        doc = dict(docs[n % len(docs)])
        if "signature" in doc:
            doc["signature"] = f"{doc['signature'][:-8]}{n:08d}"
        frames.append(orjson.dumps(doc).decode())
    return frames


def rate(label: str, frames: list[str], step: Callable[[list[str]], object]) -> None:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        step(frames)
        times.append(time.perf_counter() - started)
    best, median = min(times), statistics.median(times)
    print(f"  {label:<44} {len(frames) / median:>10,.0f}/s median  {len(frames) / best:>10,.0f}/s best")


def bare_json(frames: list[str]) -> None:
    loads = orjson.loads
    for raw in frames:
        loads(raw)


def parse_only(frames: list[str]) -> None:
    for raw in frames:
        parse_frame(raw, 0)


def parse_and_dedupe(frames: list[str]) -> None:
    seen, delivered = RecentKeys(), 0
    for raw in frames:
        result = parse_frame(raw, 0)
        if isinstance(result, EVENT_TYPES) and seen.add(dedupe_key(result)):
            delivered += 1


class Sink:
    """Counts events and keeps the last: a consumer that does not hoard (retaining every event costs ~15%)."""

    def __init__(self) -> None:
        self.count, self.last = 0, None

    def __call__(self, event: MarketEvent) -> None:
        self.count += 1
        self.last = event


def client_receive_path(frames: list[str]) -> None:
    client = PumpPortalData("wss://bench.invalid/api/data", Sink())
    on_frame = client._on_frame
    for raw in frames:
        on_frame(raw)


def rpc_logs() -> None:
    doc = json.loads((SAMPLES / "solana_rpc/logsNotification_pump_buy.json").read_text())["payload"]
    logs = doc["params"]["result"]["value"]["logs"]
    n = 20_000
    started = time.perf_counter()
    for _ in range(n):
        for data in program_data(logs):
            event = decode_event(data)
            if event is not None:
                trade_from_event(event, "sig")  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    print(f"  {'RPC logsNotification → Trade (57 log lines)':<44} {n / elapsed:>10,.0f}/s")


def main() -> None:
    frames = corpus()
    print(f"PumpPortal frames: {len(frames):,} recorded shapes, unique signatures, {RUNS} runs each")
    rate("bare orjson.loads", frames, bare_json)
    rate("parse_frame (parse + normalize)", frames, parse_only)
    rate("parse + normalize + dedupe", frames, parse_and_dedupe)
    rate("client receive path (+ counters, sink)", frames, client_receive_path)
    rpc_logs()


if __name__ == "__main__":
    main()
