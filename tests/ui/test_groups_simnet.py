"""Groups, consolidation, distribution, airdrops and balance refresh through the GUI, on an in-process simnet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from solders.pubkey import Pubkey

from desk.app import start_simnet, with_simnet_endpoints
from desk.chain.sender import Outcome
from desk.config import AppConfig, Endpoints
from desk.core.wallets import MemberRole, Wallet, WalletGroup
from desk.engine.consolidation import ConsolidationPlan, ConsolidationResult
from desk.engine.wallets import create_wallets
from desk.simnet import RpcServer
from desk.ui.dialogs.consolidate import ConsolidateDialog
from desk.ui.dialogs.distribute import DistributeDialog
from desk.ui.panels.groups import GroupsPanel
from desk.ui.panels.wallets import WalletsPanel
from desk.ui.session import REFRESH_KEY, Changes, DeskSession
from desk.vault.session import Vault
from tests.ui.qtasync import QtAsync

SOL = 1_000_000_000
LEFT = Qt.MouseButton.LeftButton


async def _group(vault: Vault, chain_server: RpcServer, sources: int, *, fund: int, receiver_funds: int = 0
                 ) -> tuple[WalletGroup, Wallet, list[Wallet]]:
    [receiver] = await create_wallets(vault, 1, label="Treasury")
    wallets = await create_wallets(vault, sources, label="Sniper")
    group = await vault.groups.create("Snipers")
    await vault.groups.add_members(group.id, [w.id for w in wallets], MemberRole.SOURCE)
    await vault.groups.add_members(group.id, [receiver.id], MemberRole.RECEIVER)
    for i, wallet in enumerate(wallets):
        if fund:
            chain_server.chain.airdrop(Pubkey.from_string(wallet.pubkey), fund + i * 1_234_567)
    if receiver_funds:
        chain_server.chain.airdrop(Pubkey.from_string(receiver.pubkey), receiver_funds)
    return await vault.groups.find(group.id), receiver, wallets


def _balance(server: RpcServer, wallet: Wallet) -> int:
    return server.chain.get_balance(Pubkey.from_string(wallet.pubkey))


async def _panels(qtbot: QtBot, session: DeskSession) -> tuple[WalletsPanel, GroupsPanel]:
    wallets = WalletsPanel(session)
    groups = GroupsPanel(session, wallets.selected_wallets)
    for panel in (wallets, groups):
        qtbot.addWidget(panel)
        panel.show()
    await session.publish(Changes(wallets=True, groups=True, balances=True))
    return wallets, groups


def test_consolidation_through_the_dialogs_leaves_every_source_at_zero(
        qtbot: QtBot, aio: QtAsync, vault: Vault, simnet_rpc: RpcServer,
        make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        group, receiver, sources = await _group(vault, simnet_rpc, 6, fund=SOL, receiver_funds=SOL // 10)
        before = _balance(simnet_rpc, receiver)
        session = make_session(rpc_url=simnet_rpc.url)
        _, panel = await _panels(qtbot, session)
        assert panel.model.index(0, 3).data() == "Treasury"
        panel.select_group(group.id)
        assert panel.consolidate.isEnabled()
        panel.consolidate.trigger()
        await aio.until(lambda: isinstance(panel.dialogs.current, ConsolidateDialog))
        dialog = panel.dialogs.current
        assert isinstance(dialog, ConsolidateDialog)
        assert not dialog.send_button.isEnabled(), "nothing is signed before a plan is shown"
        qtbot.mouseClick(dialog.plan_button, LEFT)
        (plan,) = await aio.signal(dialog.planned, timeout=15)
        assert isinstance(plan, ConsolidationPlan)
        assert dialog.table.tree.topLevelItemCount() == len(plan.transactions) >= 1
        assert "SOL to Treasury" in dialog.summary.text()
        assert dialog.send_button.isEnabled()

        qtbot.mouseClick(dialog.send_button, LEFT)
        (result,) = await aio.signal(dialog.finished_run, timeout=30)
        assert result.ok, result.failed_wallets
        assert all(_balance(simnet_rpc, w) == 0 for w in sources)
        assert _balance(simnet_rpc, receiver) == before + plan.sol_moved - plan.fees
        assert set(dialog.table.states.values()) == {"confirmed"}
        assert dialog.table.bar.value() == dialog.table.bar.maximum()
        assert [r for _, r in dialog.table.result_texts()] == ["Done"] * 6
        assert not dialog.failure.isVisible()
        await aio.until(lambda: session.sheet is not None and all(session.sheet.sol.get(w.id) == 0 for w in sources),
                        what="the balances to refresh")
        await aio.until(lambda: session.groups[0].last_consolidated_ms is not None)
        dialog.reject()
        await aio.until(lambda: panel.dialogs.current is None)

    aio.run(scenario(), timeout=60)


def test_a_partial_failure_is_shown_per_wallet_with_run_again(
        qtbot: QtBot, aio: QtAsync, vault: Vault, simnet_rpc: RpcServer, monkeypatch: pytest.MonkeyPatch,
        make_session: Callable[..., DeskSession]) -> None:
    async def fail_second(ctx: object, plan: ConsolidationPlan, on_progress: object = None) -> ConsolidationResult:
        outcomes = tuple(Outcome(f"sig{i}", "confirmed" if i == 0 else "expired", "" if i == 0 else "blockhash expired")
                         for i in range(len(plan.transactions)))
        failed = tuple((plan.wallets[m.source].label, "blockhash expired")  # type: ignore[union-attr]
                       for tx in plan.transactions[1:] for m in tx.moves)
        return ConsolidationResult(outcomes, failed)

    async def scenario() -> None:
        group, _, sources = await _group(vault, simnet_rpc, 12, fund=SOL, receiver_funds=SOL)
        session = make_session(rpc_url=simnet_rpc.url)
        await session.publish(Changes(wallets=True, groups=True))
        dialog = ConsolidateDialog(session, group)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.include_tokens.setChecked(False)
        plan = await dialog.make_plan()
        assert plan is not None and len(plan.sol_txs) == 2
        monkeypatch.setattr("desk.engine.consolidation.run_consolidation", fail_second)
        await dialog.send(plan)
        results = dict(dialog.table.result_texts())
        assert results[sources[0].label] == "Done"
        assert results[sources[-1].label] == "Failed: blockhash expired"
        assert dialog.failure.isVisible() and "Run it again to move what is left" in dialog.failure.text()
        assert dialog.plan_button.text() == "Plan again" and not dialog.send_button.isEnabled()

    aio.run(scenario(), timeout=60)


def test_consolidation_needs_a_receiver_and_a_valid_reserve(
        qtbot: QtBot, aio: QtAsync, vault: Vault, simnet_rpc: RpcServer,
        make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        group, receiver, _ = await _group(vault, simnet_rpc, 2, fund=SOL, receiver_funds=SOL)
        session = make_session(rpc_url=simnet_rpc.url)
        wallets_panel, panel = await _panels(qtbot, session)
        dialog = ConsolidateDialog(session, group)
        qtbot.addWidget(dialog)
        dialog.reserve.setText("0.0000001")
        qtbot.mouseClick(dialog.plan_button, LEFT)
        await aio.until(lambda: "rent" in dialog.message.text(), what="the reserve refusal")
        assert dialog.plan is None and not dialog.send_button.isEnabled()

        await vault.groups.remove_members(group.id, [receiver.id])
        await session.publish(Changes(groups=True))
        panel.select_group(group.id)
        assert not panel.consolidate.isEnabled() and "needs a receiver" in panel.hint.text()
        wallets_panel.select_wallets([receiver.id])
        panel.set_receiver.trigger()
        await aio.until(lambda: bool(session.groups[0].receivers))
        assert session.groups[0].receivers == (receiver.id,) and panel.consolidate.isEnabled()

    aio.run(scenario(), timeout=60)


def test_distribution_dialog_funds_every_wallet_of_the_group(
        qtbot: QtBot, aio: QtAsync, vault: Vault, simnet_rpc: RpcServer,
        make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        group, receiver, sources = await _group(vault, simnet_rpc, 4, fund=0, receiver_funds=5 * SOL)
        session = make_session(rpc_url=simnet_rpc.url)
        _, panel = await _panels(qtbot, session)
        panel.select_group(group.id)
        panel.distribute.trigger()
        await aio.until(lambda: isinstance(panel.dialogs.current, DistributeDialog))
        dialog = panel.dialogs.current
        assert isinstance(dialog, DistributeDialog)
        assert dialog.source_wallet() == receiver, "the receiver pays by default"
        assert dialog.recipients.topLevelItemCount() == 4
        dialog.each.setText("0.25")
        qtbot.mouseClick(dialog.plan_button, LEFT)
        (plan,) = await aio.signal(dialog.planned, timeout=15)
        assert plan.total == 4 * SOL // 4 and "keeps" in dialog.summary.text()
        qtbot.mouseClick(dialog.send_button, LEFT)
        (outcomes,) = await aio.signal(dialog.finished_run, timeout=30)
        assert all(o.state == "confirmed" for o in outcomes)
        assert [_balance(simnet_rpc, w) for w in sources] == [SOL // 4] * 4
        await aio.until(lambda: session.sheet is not None and session.sheet.sol.get(sources[0].id) == SOL // 4,
                        what="the balances to refresh after the run")

        dialog.per_mode.setChecked(True)
        dialog.recipients.topLevelItem(0).setText(dialog.AMOUNT, "lots")  # type: ignore[union-attr]
        qtbot.mouseClick(dialog.plan_button, LEFT)
        assert "not an amount" in dialog.message.text()

    aio.run(scenario(), timeout=60)


def test_airdrop_action_funds_the_selected_wallets_on_simnet(
        qtbot: QtBot, aio: QtAsync, vault: Vault, simnet_rpc: RpcServer,
        make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        wallets = await create_wallets(vault, 3, label="W")
        session = make_session(rpc_url=simnet_rpc.url)
        panel, _ = await _panels(qtbot, session)
        assert session.is_simnet and panel.wallet_actions.airdrop.isVisible()
        panel.select_wallets([wallets[0].id, wallets[2].id])
        panel.wallet_actions.airdrop.trigger()
        await aio.until(lambda: session.sheet is not None and session.sheet.sol.get(wallets[2].id) == 10 * SOL,
                        timeout=15, what="the airdrop")
        assert [_balance(simnet_rpc, w) for w in wallets] == [10 * SOL, 0, 10 * SOL]
        panel.model.flush()
        assert panel.model.index(0, 4).data() == "10.0000"

    aio.run(scenario(), timeout=60)


def test_balances_refresh_on_the_timer_from_the_vault_setting(
        qtbot: QtBot, aio: QtAsync, vault: Vault, simnet_rpc: RpcServer,
        make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        [wallet] = await create_wallets(vault, 1, label="W")
        await vault.settings.set(REFRESH_KEY, 0.05)
        session = make_session(rpc_url=simnet_rpc.url)
        connection: list[tuple[str, object]] = []
        session.connection_changed.connect(lambda text, ok: connection.append((text, ok)))
        await session.start()
        assert session.timer.isActive() and session.timer.interval() == 50
        simnet_rpc.chain.airdrop(Pubkey.from_string(wallet.pubkey), 2 * SOL)
        await aio.until(lambda: session.sheet is not None and session.sheet.sol.get(wallet.id) == 2 * SOL,
                        timeout=10, what="a timed refresh")
        assert session.active_total() == 2 * SOL
        assert ("Connected · simnet", True) in connection
        await vault.settings.set(REFRESH_KEY, 0)
        session.set_refresh_seconds(0)
        assert not session.timer.isActive()
        # close while the loop runs: a refresh still in flight must end on the loop, not in Qt teardown
        await session.close()

    aio.run(scenario(), timeout=60)


def test_unreachable_rpc_is_reported_not_raised(
        qtbot: QtBot, aio: QtAsync, vault: Vault, make_session: Callable[..., DeskSession]) -> None:
    async def scenario() -> None:
        await create_wallets(vault, 1, label="W")
        session = make_session(rpc_url="http://127.0.0.1:9")
        await session.publish(Changes(wallets=True))
        session.chain().rpc._retries = 0  # fail fast
        statuses: list[str] = []
        session.status.connect(statuses.append)
        assert not await session.refresh_balances()
        assert statuses and statuses[0].startswith("Balances not refreshed")

    aio.run(scenario(), timeout=60)


def test_desk_simnet_starts_an_in_process_simnet_and_points_the_endpoints_at_it(home: Path) -> None:
    plain = AppConfig(home=home, endpoints=Endpoints.from_env())
    assert start_simnet(plain) == (plain, None)
    config, simnet = start_simnet(AppConfig(home=home, endpoints=Endpoints.from_env(), simnet=True))
    assert simnet is not None
    try:
        assert config.simnet and config.network == "simnet" and config.rpc_rate_limit == "off"
        assert config.endpoints.get("DESK_RPC_URL") == simnet.env()["DESK_RPC_URL"]
        assert config.endpoints.get("DESK_RPC_URL").startswith("http://127.0.0.1:")
        assert config.endpoints.get("DESK_JUPITER_API") == plain.endpoints.get("DESK_JUPITER_API")
    finally:
        simnet.stop()
    pointed = with_simnet_endpoints(plain, {"DESK_RPC_URL": "http://127.0.0.1:1", "DESK_NETWORK": "simnet"})
    assert pointed.endpoints.get("DESK_RPC_URL") == "http://127.0.0.1:1"
    assert "DESK_NETWORK" not in pointed.endpoints.urls
