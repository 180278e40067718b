"""A process killed in the middle of a large write leaves a vault that opens, with all or none of it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desk.vault.lifecycle import create_vault, unlock_vault
from tests.factories import FAST_KDF, PASSWORD

ROWS = 200_000

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from desk.vault.lifecycle import unlock_vault
    from desk.vault.db import transaction

    async def main():
        vault = await unlock_vault(Path(sys.argv[1]), sys.argv[2])
        def write(conn):
            with transaction(conn):
                for i in range({rows}):
                    conn.execute(
                        "INSERT INTO market_trades VALUES ('simnet', ?, 'mint', 'trader', 'buy', ?, ?, ?)",
                        (f"sig{{i}}", i, i * 10, i),
                    )
                    if i == 1000:
                        print("writing", flush=True)
        await vault.db.run(write)
        print("committed", flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
).format(rows=ROWS)


def count_trades(home: Path) -> int:
    async def _count() -> int:
        vault = await unlock_vault(home, PASSWORD)
        n = await vault.db.run(lambda conn: conn.execute("SELECT count(*) FROM market_trades").fetchone()[0])
        await vault.lock()
        return int(n)

    return asyncio.run(_count())


def run_writer_and_kill(home: Path, wait_for: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), PASSWORD],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert proc.stdout is not None
    try:
        while True:
            line = proc.stdout.readline()
            assert line, "writer exited early"
            if line.strip() == wait_for:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_during_large_write_leaves_nothing_half_written(home: Path) -> None:
    async def _create() -> None:
        await (await create_vault(home, PASSWORD, FAST_KDF)).lock()

    asyncio.run(_create())
    run_writer_and_kill(home, "writing")
    assert count_trades(home) == 0


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_after_commit_keeps_the_whole_write(home: Path) -> None:
    async def _create() -> None:
        await (await create_vault(home, PASSWORD, FAST_KDF)).lock()

    asyncio.run(_create())
    run_writer_and_kill(home, "committed")
    assert count_trades(home) == ROWS
