"""Benchmark: cold start of ``desk`` until the unlock window is on screen (target <= 1.5 s).

Run by hand: ``python tests/bench/bench_startup.py``. Spawns the real command (offscreen Qt) against a
prepared vault, waits for the "UnlockDialog shown" log line, and reports wall time from spawn.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desk.vault.lifecycle import create_vault

RUNS = 7


def one_run(home: Path) -> float:
    log = home / "logs" / "desk.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "DESK_HOME": str(home), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "desk"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < 20:
            if log.exists() and "UnlockDialog shown" in log.read_text():
                return time.perf_counter() - started
            time.sleep(0.002)
        raise RuntimeError("the unlock window never appeared")
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)

        async def make() -> None:
            await (await create_vault(home, "startup benchmark password")).lock()

        asyncio.run(make())
        one_run(home)  # warm the OS file cache, as a second start would be
        times = [one_run(home) for _ in range(RUNS)]
    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    print(f"cold start to unlock window ({RUNS} runs, QT_QPA_PLATFORM={platform})")
    print(f"  median {statistics.median(times):.3f} s  min {min(times):.3f} s  max {max(times):.3f} s")


if __name__ == "__main__":
    main()
