"""Benchmark the trading path: build + sign 100 legs, click-to-all-submitted for 20 wallets, P&L over 100k fills.

Run by hand: ``python tests/bench/bench_orders.py``. Targets: 100 legs ≤ 15 ms CPU; 20 wallets submitted
≤ 300 ms on simnet; P&L over 100,000 fills ≤ 300 ms.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from desk.chain.builders import FeePolicy, SolTransfer, pack_sol_transfers
from desk.chain.policy import Intent
from desk.chain.rpc import RpcClient
from desk.chain.sender import Sender
from desk.chain.signer import sign
from desk.config import AppConfig, Endpoints
from desk.core.market import Side
from desk.core.positions import TradeFill
from desk.engine.journal import positions, summarize
from desk.engine.orders import OrderEngine
from desk.engine.services import build_venues
from desk.engine.trading import LegState, OrderRequest
from desk.engine.wallets import create_wallets
from desk.simnet.events import SimCreate
from desk.simnet.service import Simnet
from desk.simnet.traders import Activity
from desk.vault.keyfile import KdfParams
from desk.vault.lifecycle import create_vault

SOL = 1_000_000_000


def bench_sign() -> None:
    keypairs = [Keypair() for _ in range(100)]
    dest = str(Keypair().pubkey())
    legs = [pack_sol_transfers(str(k.pubkey()), [SolTransfer(str(k.pubkey()), dest, 1000)], FeePolicy(1000))[0]
            for k in keypairs]
    blockhash = Hash.default()
    started = time.process_time()
    for kp, leg in zip(keypairs, legs, strict=True):
        sign(leg.message(blockhash), {str(kp.pubkey()): kp}, Intent(frozenset({str(kp.pubkey())}), frozenset({dest})))
    cpu = time.process_time() - started
    print(f"build + policy + sign 100 legs: {cpu * 1000:.1f} ms CPU ({cpu * 10:.3f} ms per leg)")


class StampingSender(Sender):
    """Records when every transaction of the first round has been submitted."""

    submitted_at = 0.0

    async def send_all(self, txs, on_outcome=None):  # type: ignore[no-untyped-def]
        real = self._rpc.send_transaction

        async def stamped(raw: bytes, *, skip_preflight: bool = False) -> str:
            sig = await real(raw, skip_preflight=skip_preflight)
            StampingSender.submitted_at = time.perf_counter()
            return sig

        self._rpc.send_transaction = stamped  # type: ignore[method-assign]
        try:
            return await super().send_all(txs, on_outcome)
        finally:
            self._rpc.send_transaction = real  # type: ignore[method-assign]


async def bench_click_to_submitted() -> None:
    simnet = Simnet.start(market=True, activity=Activity(seed=3, traders=4), run_traders=False, block_time=None)
    assert simnet.market is not None
    [created] = simnet.market.traders.step(creates=1)
    assert isinstance(created, SimCreate)
    with tempfile.TemporaryDirectory() as tmp:
        env = simnet.env()
        config = AppConfig(home=Path(tmp), endpoints=Endpoints({**Endpoints.from_env().urls, **env}), simnet=True)
        vault = await create_vault(config.home, "bench password", KdfParams(8 * 1024, 1, 1))
        wallets = await create_wallets(vault, 20, label="w")
        for w in wallets:
            simnet.chain.airdrop(Pubkey.from_string(w.pubkey), 2 * SOL)
        rpc = RpcClient(simnet.rpc.url)
        engine = OrderEngine(vault, rpc, "simnet", build_venues(config, vault).choose, sender=StampingSender(rpc))
        times = []
        for _ in range(5):
            clicked = time.perf_counter()
            result = await engine.place(OrderRequest(Side.BUY, str(created.mint), sol_each=SOL // 100), wallets)
            assert all(leg.state is LegState.CONFIRMED for leg in result.legs), result.legs
            times.append(StampingSender.submitted_at - clicked)
            simnet.market.market.poll(force_mirror=True)
        await rpc.aclose()
        await vault.lock()
    simnet.stop()
    times.sort()
    print(f"click-to-all-submitted, 20 wallets on simnet: median {times[2] * 1000:.0f} ms "
          f"(min {times[0] * 1000:.0f}, max {times[-1] * 1000:.0f})")


def bench_pnl() -> None:
    rng = random.Random(1)
    fills, held = [], {}
    for i in range(100_000):
        wallet, mint = f"w{rng.randrange(200)}", f"m{rng.randrange(50)}"
        have = held.get((wallet, mint), 0)
        if have and rng.random() < 0.45:
            tokens = rng.randint(1, have)
            side = Side.SELL
        else:
            tokens = rng.randint(1, 10**9)
            side = Side.BUY
        held[(wallet, mint)] = have + (tokens if side is Side.BUY else -tokens)
        fills.append(TradeFill("simnet", f"s{i}", 0, wallet, mint, side, tokens, rng.randint(1, 10**9), 5000,
                               ts_ms=i * 1000))
    started = time.perf_counter()
    rows = positions(fills)
    summary = summarize(fills, "day")
    elapsed = time.perf_counter() - started
    print(f"P&L over {len(fills):,} fills: {elapsed * 1000:.0f} ms ({len(rows)} positions, {len(summary)} days)")


if __name__ == "__main__":
    bench_sign()
    asyncio.run(bench_click_to_submitted())
    bench_pnl()
