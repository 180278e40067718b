"""Journal views rebuilt from stored fills: positions, summaries, CSV, idempotent storage."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from desk.core.market import Side
from desk.core.positions import TradeFill
from desk.engine.journal import export_csv, positions, summarize
from desk.vault.lifecycle import create_vault
from tests.factories import FAST_KDF, PASSWORD

DAY = 86_400_000


def f(sig: str, wallet: str, side: Side, tokens: int, sol: int, ts: int = 0) -> TradeFill:
    return TradeFill("simnet", sig, 0, wallet, "MINT", side, tokens, sol, network_fee=5000, ts_ms=ts)


FILLS = [f("a", "w1", Side.BUY, 100, 1_000_000), f("b", "w2", Side.BUY, 50, 600_000),
         f("c", "w1", Side.SELL, 100, 1_500_000, DAY), f("d", "w2", Side.SELL, 20, 100_000, DAY)]


def test_positions_per_wallet_and_aggregate() -> None:
    rows = {r.wallet_id: r for r in positions(FILLS)}
    assert rows["w1"].tokens == 0 and rows["w1"].realized == 1_500_000 - 5000 - 1_005_000
    assert rows["w2"].tokens == 30
    [total] = positions(FILLS, by_wallet=False)
    assert total.tokens == 30 and total.realized == rows["w1"].realized + rows["w2"].realized


def test_summaries_by_day_group_and_token() -> None:
    days = {s.key: s for s in summarize(FILLS, "day")}
    assert days["1970-01-01"].realized == 0 and days["1970-01-02"].fills == 2
    groups = {s.key: s for s in summarize(FILLS, "group", {"g": ["w1"]})}
    assert groups["g"].realized == 490_000
    assert summarize(FILLS, "token")[0].fees == 20_000


def test_csv_has_one_row_per_fill_and_a_tax_layout() -> None:
    rows = list(csv.reader(io.StringIO(export_csv(FILLS, {"w1": "Main"}))))
    assert len(rows) == 5 and rows[1][4] == "Main" and rows[1][6] == "buy"
    tax = list(csv.reader(io.StringIO(export_csv(FILLS, {}, tax_layout=True))))
    assert tax[0][0] == "Date" and tax[1][3] == "MINT" and tax[1][5] == "SOL"


async def test_storing_a_fill_twice_changes_nothing(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    assert await vault.journal.add_fills(FILLS) == 4
    assert await vault.journal.add_fills(FILLS) == 0
    assert await vault.journal.fills("simnet") == FILLS
    assert await vault.journal.fills("mainnet") == []
    assert [x.signature for x in await vault.journal.fills("simnet", wallet_id="w2")] == ["b", "d"]
    await vault.lock()
