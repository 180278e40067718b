"""The signal service over a real vault: targets, risk limits from the journal, failures, tickers, futures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from desk.config import AppConfig, Endpoints
from desk.core.errors import DeskError, NotFoundError, ValidationError
from desk.core.market import Side
from desk.core.positions import TradeFill
from desk.core.signals import RiskLimits, SignalStatus
from desk.core.wallets import MemberRole, Wallet
from desk.engine.orders import OrderResult
from desk.engine.signals import SignalService, default_executor
from desk.engine.trading import LegState, OrderRequest
from desk.vault.lifecycle import create_vault
from desk.vault.repos.journal import OrderRecord
from desk.vault.session import Vault
from tests.factories import FAST_KDF, PASSWORD, new_wallet
from tests.unit.engine.signalstub import RecordingExecutor

MINT = "So11111111111111111111111111111111111111112"
SOL = 1_000_000_000
NOW = 1_767_323_045_000


@pytest.fixture
async def vault(home: Path) -> AsyncIterator[Vault]:
    opened = await create_vault(home, PASSWORD, FAST_KDF)
    await opened.wallets.add_many([new_wallet("w1"), new_wallet("w2"), new_wallet("w3")])
    yield opened
    await opened.lock()


def service(vault: Vault, executor: RecordingExecutor, changes: list[str] | None = None) -> SignalService:
    return SignalService(vault, executor, "simnet", clock=lambda: NOW,
                         on_change=changes.append if changes is not None else None)


async def test_a_group_signal_trades_only_the_groups_active_members(vault: Vault) -> None:
    w1, w2, _ = await vault.wallets.list()
    group = await vault.groups.create("snipers")
    await vault.groups.add_members(group.id, [w1.id, w2.id], MemberRole.SOURCE)
    await vault.wallets.set_active([w2.id], False)
    executor = RecordingExecutor()
    accepted = await service(vault, executor).accept({"action": "buy", "mint": MINT, "size": "0.1",
                                                      "group": "snipers"})
    assert [w.label for w in executor.calls[0][1]] == ["w1"]
    assert [e.label for e in accepted.record.executions] == ["w1"]
    named = await service(vault, executor).accept({"action": "sell", "mint": MINT, "size": 25,
                                                   "accounts": ["w3", w2.pubkey]})
    assert [w.label for w in executor.calls[1][1]] == ["w3", "w2"] and executor.calls[1][0].percent == 25
    assert named.record.status is SignalStatus.DONE


async def test_status_changes_are_reported_and_partial_fills_are_partial(vault: Vault) -> None:
    changes: list[str] = []
    accepted = await service(vault, RecordingExecutor(LegState.FAILED), changes).accept(
        {"id": "s", "action": "buy", "mint": MINT, "size": 1})
    assert accepted.record.status is SignalStatus.FAILED and changes == ["s", "s"]
    assert {e.status for e in accepted.record.executions} == {"failed"}
    assert accepted.record.executions[0].reason == "it failed"


async def test_an_executor_error_fails_every_account_with_the_reason(vault: Vault) -> None:
    accepted = await service(vault, RecordingExecutor(error="RPC down")).accept(
        {"action": "buy", "mint": MINT, "size": 1})
    assert accepted.record.status is SignalStatus.FAILED and accepted.record.reason == "RPC down"
    assert [e.reason for e in accepted.record.executions] == ["RPC down"] * 3


async def test_unconfigured_venues_fail_token_signals_but_not_external_ones(vault: Vault, home: Path) -> None:
    executor = default_executor(vault, AppConfig(home, Endpoints({})))
    signals = SignalService(vault, executor, "simnet")
    token = await signals.accept({"action": "buy", "mint": MINT, "size": 1})
    assert token.record.status is SignalStatus.FAILED and "not configured" in token.record.reason
    await vault.external.add_account("apex-1")
    futures = await signals.accept({"action": "buy", "symbol": "MNQ", "size": 1, "price": "100"})
    assert futures.record.status is SignalStatus.DONE
    await executor.aclose()


async def test_a_buy_over_the_sources_cap_is_rejected_and_stored(vault: Vault) -> None:
    executor = RecordingExecutor()
    signals = service(vault, executor)
    await signals.set_limits("tv", RiskLimits(max_sol_per_signal=SOL))
    accepted = await signals.accept({"id": "big", "source": "tv", "action": "buy", "mint": MINT, "size": "0.5"})
    assert accepted.record.status is SignalStatus.REJECTED and "per signal" in accepted.record.reason
    assert executor.calls == []
    assert (await signals.accept({"id": "big", "source": "tv", "action": "buy", "mint": MINT,
                                  "size": "0.1"})).duplicate
    assert (await signals.accept({"source": "other", "action": "buy", "mint": MINT, "size": "0.5"})
            ).record.status is SignalStatus.DONE


async def test_todays_realized_loss_from_the_sources_orders_pauses_its_buys(vault: Vault) -> None:
    executor = RecordingExecutor()
    signals = service(vault, executor)
    await signals.set_limits("*", RiskLimits(daily_loss_sol=SOL // 2))
    first = await signals.accept({"id": "entry", "source": "tv", "action": "buy", "mint": MINT, "size": 1})
    wallet = first.record.executions[0].account_ref
    await vault.journal.add_order(OrderRecord("o-buy", "simnet", "buy", MINT, "pumpportal", {}, "filled", "entry",
                                              NOW - 10))
    await vault.journal.add_order(OrderRecord("o-sell", "simnet", "sell", MINT, "pumpportal", {}, "filled", None,
                                              NOW - 5))
    await vault.journal.add_fills([TradeFill("simnet", "b", 0, wallet, MINT, Side.BUY, 100, SOL, ts_ms=NOW - 10)],
                                  order_id="o-buy")
    await vault.journal.add_fills([TradeFill("simnet", "s", 0, wallet, MINT, Side.SELL, 100, SOL // 4,
                                             ts_ms=NOW - 5)], order_id="o-sell")
    # The sell was manual (no signal): the source has realized nothing yet.
    assert (await signals.accept({"source": "tv", "action": "buy", "mint": MINT, "size": 1})
            ).record.status is SignalStatus.DONE
    await vault.journal.add_order(OrderRecord("o-exit", "simnet", "sell", MINT, "pumpportal", {}, "filled",
                                              "entry", NOW - 4))
    await vault.journal.add_fills([TradeFill("simnet", "x", 0, wallet, MINT, Side.SELL, 100, SOL // 4, ts_ms=NOW - 4)],
                                  order_id="o-exit")
    paused = await signals.accept({"source": "tv", "action": "buy", "mint": MINT, "size": 1})
    assert paused.record.status is SignalStatus.REJECTED and paused.record.reason.startswith("paused")
    closing = await signals.accept({"source": "tv", "action": "close", "mint": MINT})
    assert closing.record.status is SignalStatus.DONE and executor.calls[-1][0].percent == 100


async def test_a_ticker_resolves_through_the_tokens_table(vault: Vault) -> None:
    await vault.db.run(lambda conn: conn.execute(
        "INSERT INTO tokens(network, mint, symbol, first_seen_ms) VALUES ('simnet', ?, 'WIF', 0)", (MINT,)))
    executor = RecordingExecutor()
    await service(vault, executor).accept({"action": "buy", "symbol": "wif", "size": 1})
    assert executor.calls[0][0].mint == MINT
    await vault.db.run(lambda conn: conn.execute(
        "INSERT INTO tokens(network, mint, symbol, first_seen_ms) VALUES ('simnet', 'Other', 'WIF', 0)"))
    with pytest.raises(ValidationError, match="matches 2 tokens"):
        await service(vault, executor).accept({"action": "buy", "symbol": "WIF", "size": 1})


async def test_unresolvable_targets_store_nothing(vault: Vault) -> None:
    signals = service(vault, RecordingExecutor())
    with pytest.raises(NotFoundError):
        await signals.accept({"id": "x", "action": "buy", "mint": MINT, "size": 1, "accounts": ["ghost"]})
    with pytest.raises(ValidationError, match="price"):
        await signals.accept({"id": "x", "action": "buy", "mint": MINT, "size": 1, "price": 3})
    with pytest.raises(ValidationError, match="No active external accounts"):
        await signals.accept({"id": "x", "action": "buy", "symbol": "NQ", "size": 1, "price": 3})
    with pytest.raises(ValidationError, match="fill price"):
        await signals.accept({"id": "x", "action": "buy", "symbol": "NQ", "size": 1})
    with pytest.raises(ValidationError, match="whole number"):
        await signals.accept({"id": "x", "action": "buy", "symbol": "NQ", "size": "1.5", "price": 3})
    assert await vault.signals.get("x") is None


async def test_futures_signals_respect_contract_caps_and_the_daily_loss(vault: Vault) -> None:
    signals = service(vault, RecordingExecutor())
    await vault.external.add_account("apex-1")
    await signals.set_limits("bot", RiskLimits(max_contracts_per_signal=2, daily_loss_cents=10_000))
    capped = await signals.accept({"source": "bot", "action": "buy", "symbol": "NQ", "size": 3, "price": 100})
    assert capped.record.status is SignalStatus.REJECTED
    await signals.accept({"source": "bot", "action": "buy", "symbol": "NQ", "size": 2, "price": 100})
    await signals.accept({"source": "bot", "action": "close", "symbol": "NQ", "price": "97.5"})  # -2.5 pts x 2 = -$100
    assert await signals.external.realized_today("bot") == -10_000
    paused = await signals.accept({"source": "bot", "action": "buy", "symbol": "NQ", "size": 1, "price": 100})
    assert paused.record.status is SignalStatus.REJECTED and "paused" in paused.record.reason
    flat = await signals.accept({"source": "bot", "action": "close", "symbol": "NQ", "price": 100})
    assert flat.record.status is SignalStatus.DONE and flat.record.executions[0].status == "flat"


async def test_signal_status_moves_only_along_its_lifecycle(vault: Vault) -> None:
    accepted = await service(vault, RecordingExecutor()).accept({"id": "done", "action": "close", "mint": MINT})
    assert accepted.record.status is SignalStatus.DONE
    with pytest.raises(DeskError, match="cannot go"):
        await vault.signals.set_status("done", SignalStatus.RUNNING)


async def test_an_unexpected_executor_crash_fails_the_signal_and_is_logged(
        vault: Vault, caplog: pytest.LogCaptureFixture) -> None:
    async def crash(request: object, wallets: object, /) -> OrderResult:
        raise RuntimeError("boom")

    accepted = await SignalService(vault, crash, "simnet").accept({"id": "c", "action": "close", "mint": MINT})
    assert accepted.record.status is SignalStatus.FAILED and "see the log" in accepted.record.reason
    assert any(r.levelname == "ERROR" and "boom" in (r.exc_text or str(r.exc_info)) for r in caplog.records)
    caplog.clear()


async def test_a_cancelled_caller_does_not_cancel_the_execution(vault: Vault) -> None:
    release = asyncio.Event()
    inner = RecordingExecutor()

    async def slow(request: OrderRequest, wallets: Sequence[Wallet], /) -> OrderResult:
        await release.wait()
        return await inner(request, wallets)

    signals = SignalService(vault, slow, "simnet")
    caller = asyncio.create_task(signals.accept({"id": "slow", "action": "close", "mint": MINT}))
    for _ in range(100):
        record = await vault.signals.get("slow")
        if record is not None and record.status is SignalStatus.RUNNING:
            break
        await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    release.set()
    await signals.aclose()
    record = await vault.signals.get("slow")
    assert record is not None and record.status is SignalStatus.DONE and len(inner.calls) == 1
