"""Benchmark: unlock with the default KDF (derive + open + integrity check + first query).

Run by hand: ``python tests/bench/bench_vault.py``. Target: <= 1.0 s on a 2-core machine.
Prints the figures for an empty vault and for one holding 200 wallets and 200,000 market trades.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from solders.keypair import Keypair

from desk.core.wallets import WalletKind
from desk.vault import keyfile
from desk.vault.db import Database, transaction
from desk.vault.keyfile import KdfParams
from desk.vault.lifecycle import create_vault, unlock_vault
from desk.vault.repos.wallets import NewWallet

PASSWORD = "benchmark pass phrase 2026"
RUNS = 5


async def fill(home: Path) -> None:
    vault = await unlock_vault(home, PASSWORD)
    await vault.wallets.add_many(
        [NewWallet(f"w{i}", WalletKind.GENERATED, str((kp := Keypair()).pubkey()), bytes(kp)) for i in range(200)]
    )

    def trades(conn: object) -> None:
        with transaction(conn):
            conn.executemany(  # type: ignore[attr-defined]
                "INSERT INTO market_trades VALUES ('simnet', ?, 'mint', 'trader', 'buy', ?, ?, ?)",
                ((f"sig{i}", i, i * 7, i) for i in range(200_000)),
            )

    await vault.db.run(trades)
    await vault.lock()


async def measure(home: Path) -> dict[str, float]:
    keys = keyfile.read(home / "vault.keys.json")
    t0 = time.perf_counter()
    dek = keyfile.unwrap(keys, PASSWORD)
    t1 = time.perf_counter()
    db = await Database.open(home / "vault.db", dek)
    t2 = time.perf_counter()
    await db.run(lambda conn: conn.execute("SELECT count(*) FROM wallets").fetchone())
    t3 = time.perf_counter()
    await db.close()
    t4 = time.perf_counter()
    vault = await unlock_vault(home, PASSWORD)
    await vault.wallets.list()
    t5 = time.perf_counter()
    await vault.lock()
    return {"derive": t1 - t0, "open+check": t2 - t1, "first query": t3 - t2, "full unlock_vault": t5 - t4}


def report(label: str, runs: list[dict[str, float]], size: int) -> None:
    print(f"\n{label} (vault.db {size / 1e6:.1f} MB, {len(runs)} runs, median [min-max] seconds)")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"  {key:<18} {statistics.median(values):.3f} [{min(values):.3f}-{max(values):.3f}]")


async def main() -> None:
    params = KdfParams()
    print(f"KDF: Argon2id m={params.memory_kib // 1024} MiB t={params.time_cost} p={params.parallelism}")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        await (await create_vault(home, PASSWORD, params)).lock()
        report("empty vault", [await measure(home) for _ in range(RUNS)], (home / "vault.db").stat().st_size)
        await fill(home)
        report("200 wallets + 200k trades", [await measure(home) for _ in range(RUNS)],
               (home / "vault.db").stat().st_size)


if __name__ == "__main__":
    asyncio.run(main())
