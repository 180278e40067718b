"""``desk signals``: serve shows the token once and stops cleanly; limits, accounts, instruments, token."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import httpx
import pytest

from desk.commands import signals_cmd
from desk.commands.common import Context, UsageError
from desk.config import AppConfig, Endpoints
from desk.vault.lifecycle import create_vault
from tests.factories import FAST_KDF, PASSWORD


@pytest.fixture
async def ctx(home: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    await vault.lock()
    monkeypatch.setenv("DESK_PASSWORD", PASSWORD)
    return Context(AppConfig(home, Endpoints.from_env()), json=True)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="desk")
    sub = parser.add_subparsers(dest="command")
    signals_cmd.register(sub, argparse.ArgumentParser(add_help=False))
    return parser.parse_args(["signals", *argv])


def output(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


async def test_serve_shows_the_token_once_and_stops_on_cancel(ctx: Context,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    tokens = []
    for _ in range(2):
        task = asyncio.create_task(signals_cmd.run(ctx, parse("serve", "--port", "0")))
        for _ in range(200):
            await asyncio.sleep(0.02)
            text = capsys.readouterr().out
            if text:
                break
        started = json.loads(text)
        async with httpx.AsyncClient(base_url=started["url"]) as client:
            assert (await client.get("/health")).status_code == 200
        tokens.append(started.get("token"))
        task.cancel()
        assert await task == 0
    assert tokens[0] is not None and len(tokens[0]) >= 32 and tokens[1] is None


async def test_token_needs_rotate_and_then_prints_a_new_one(ctx: Context, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError, match="--rotate"):
        await signals_cmd.run(ctx, parse("token"))
    await signals_cmd.run(ctx, parse("token", "--rotate"))
    doc = output(capsys)
    assert isinstance(doc, dict) and len(doc["token"]) >= 32


async def test_limits_are_set_merged_and_cleared(ctx: Context, capsys: pytest.CaptureFixture[str]) -> None:
    await signals_cmd.run(ctx, parse("limits", "tv", "--max-sol", "1.5"))
    assert output(capsys) == {"ok": True, "limits": {"tv": {"max_sol_per_signal": 1_500_000_000}}}
    await signals_cmd.run(ctx, parse("limits", "tv", "--daily-loss-usd", "250"))
    capsys.readouterr()
    await signals_cmd.run(ctx, parse("limits"))
    assert output(capsys) == {"ok": True, "limits": {"tv": {"max_sol_per_signal": 1_500_000_000,
                                                            "daily_loss_cents": 25_000}}}
    await signals_cmd.run(ctx, parse("limits", "tv", "--clear"))
    assert output(capsys) == {"ok": True, "limits": {}}
    with pytest.raises(UsageError, match="source"):
        await signals_cmd.run(ctx, parse("limits", "--max-sol", "1"))


async def test_accounts_instruments_positions_and_signals(ctx: Context, capsys: pytest.CaptureFixture[str]) -> None:
    await signals_cmd.run(ctx, parse("accounts", "add", "apex-1", "--broker", "Apex"))
    await signals_cmd.run(ctx, parse("instrument", "cl", "--point-value", "1000", "--tick", "0.01"))
    capsys.readouterr()
    await signals_cmd.run(ctx, parse("accounts", "list"))
    assert [a["name"] for a in output(capsys)] == ["apex-1"]  # type: ignore[attr-defined]
    await signals_cmd.run(ctx, parse("positions"))
    assert output(capsys) == []
    await signals_cmd.run(ctx, parse("history", "apex-1"))
    assert output(capsys) == {"account": "apex-1", "trades": [], "positions": []}
    await signals_cmd.run(ctx, parse("list"))
    assert output(capsys) == []
    with pytest.raises(UsageError, match="No signal"):
        await signals_cmd.run(ctx, parse("show", "nope"))
