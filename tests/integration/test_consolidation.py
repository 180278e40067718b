"""Consolidation and distribution on the simnet chain: exact balances, closed token accounts, safe re-runs."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID

from desk.core.activity import ActivityKind
from desk.core.errors import ValidationError
from desk.core.wallets import GroupStatus, MemberRole, WalletKind
from desk.engine.consolidation import plan_consolidation, run_consolidation
from desk.engine.distribution import plan_distribution, run_distribution
from desk.engine.txrun import TxProgress
from desk.engine.wallets import create_wallets
from desk.simnet.tokens import associated_token_address, create_mint, mint_to, token_balance
from desk.vault.repos.wallets import NewWallet
from tests.integration.conftest import DeskEnv

SOL = 1_000_000_000


async def test_thirty_wallets_end_at_zero_and_receiver_gets_sum_minus_plan_fees(desk_env: DeskEnv) -> None:
    amounts = [SOL + i * 1_234_567 for i in range(30)]
    group, receiver, sources = await desk_env.group_with("g30", 30, receiver_funds=SOL // 10)
    for wallet, amount in zip(sources, amounts, strict=True):
        desk_env.chain.airdrop(Pubkey.from_string(wallet.pubkey), amount)
    before = desk_env.balance(receiver)
    ctx = desk_env.run_context("consolidate", group.id)
    plan = await plan_consolidation(ctx, group)
    assert len(plan.sol_txs) == 4 and not plan.token_txs  # 9 sources per transaction without a priority fee
    assert plan.sol_moved == sum(amounts)

    result = await run_consolidation(ctx, plan)
    assert result.ok, result.failed_wallets
    assert all(desk_env.balance(w) == 0 for w in sources)
    assert desk_env.balance(receiver) == before + sum(amounts) - plan.fees
    group = await desk_env.vault.groups.find(group.id)
    assert group.status == GroupStatus.IDLE and group.last_consolidated_ms is not None
    assert (await desk_env.vault.activity.recent(1))[0].kind == ActivityKind.CONSOLIDATED


async def test_kept_reserve_stays_in_each_source(desk_env: DeskEnv) -> None:
    group, _, sources = await desk_env.group_with("res", 3, fund=SOL, receiver_funds=SOL // 10)
    ctx = desk_env.run_context("consolidate", group.id)
    plan = await plan_consolidation(ctx, group, reserve_lamports=1_000_000)
    assert (await run_consolidation(ctx, plan)).ok
    assert [desk_env.balance(w) for w in sources] == [1_000_000] * 3


async def test_reserve_below_rent_is_refused(desk_env: DeskEnv) -> None:
    group, _, _ = await desk_env.group_with("bad", 1, fund=SOL, receiver_funds=SOL)
    with pytest.raises(ValidationError, match="rent"):
        await plan_consolidation(desk_env.run_context("consolidate", group.id), group, reserve_lamports=5)


async def test_empty_receiver_is_paid_by_the_first_source(desk_env: DeskEnv) -> None:
    group, receiver, sources = await desk_env.group_with("fresh", 4, fund=SOL)
    ctx = desk_env.run_context("consolidate", group.id)
    plan = await plan_consolidation(ctx, group)
    assert plan.sol_txs[0].fee_payer == sources[0].pubkey
    assert (await run_consolidation(ctx, plan)).ok
    assert all(desk_env.balance(w) == 0 for w in sources)
    assert desk_env.balance(receiver) == 4 * SOL - plan.fees


async def test_token_sweep_moves_every_token_and_closes_source_accounts(desk_env: DeskEnv) -> None:
    group, receiver, sources = await desk_env.group_with("spl", 7, fund=SOL // 2, receiver_funds=SOL)
    issuer = Keypair()
    desk_env.chain.airdrop(issuer.pubkey(), 10 * SOL)
    classic = create_mint(desk_env.chain, issuer, decimals=6)
    t22 = create_mint(desk_env.chain, issuer, decimals=9, program_id=TOKEN_2022_PROGRAM_ID)
    for i, wallet in enumerate(sources):
        mint_to(desk_env.chain, issuer, classic, Pubkey.from_string(wallet.pubkey), 1_000 + i)
        if i % 2 == 0:
            mint_to(desk_env.chain, issuer, t22, Pubkey.from_string(wallet.pubkey), 5_000_000_000)
    ctx = desk_env.run_context("consolidate", group.id)
    plan = await plan_consolidation(ctx, group)
    assert plan.token_moves == {str(classic): sum(1_000 + i for i in range(7)), str(t22): 4 * 5_000_000_000}
    result = await run_consolidation(ctx, plan)
    assert result.ok, result.failed_wallets

    owner = Pubkey.from_string(receiver.pubkey)
    assert token_balance(desk_env.chain, owner, classic) == sum(1_000 + i for i in range(7))
    assert token_balance(desk_env.chain, owner, t22) == 4 * 5_000_000_000
    for wallet in sources:
        key = Pubkey.from_string(wallet.pubkey)
        assert desk_env.chain.get_account(associated_token_address(key, classic, TOKEN_PROGRAM_ID)) is None
        assert desk_env.chain.get_account(associated_token_address(key, t22, TOKEN_2022_PROGRAM_ID)) is None
        assert desk_env.balance(wallet) == 0
    assert (await plan_consolidation(ctx, group)).is_empty


class RunInterruptedError(Exception):
    pass


async def test_interrupted_run_completes_on_second_run_without_moving_twice(desk_env: DeskEnv) -> None:
    group, receiver, sources = await desk_env.group_with("int", 30, fund=SOL, receiver_funds=SOL // 10)
    before = desk_env.balance(receiver)
    ctx = desk_env.run_context("consolidate", group.id)
    first = await plan_consolidation(ctx, group)

    def stop_after_first_confirmation(progress: TxProgress) -> None:
        if progress.state == "confirmed":
            raise RunInterruptedError

    with pytest.raises(RunInterruptedError):
        await run_consolidation(ctx, first, stop_after_first_confirmation)
    assert (await desk_env.vault.groups.find(group.id)).status == GroupStatus.ERROR

    second = await plan_consolidation(ctx, group)  # resolves what the first run left in flight
    result = await run_consolidation(ctx, second)
    assert result.ok
    assert all(desk_env.balance(w) == 0 for w in sources)
    # every source sent exactly once: its history is the airdrop and one sweep
    for wallet in sources:
        assert len(desk_env.chain.signatures_for_address(Pubkey.from_string(wallet.pubkey))) == 2
    assert desk_env.balance(receiver) == before + 30 * SOL - first.fees - second.fees


async def test_watch_only_sources_are_skipped_with_a_reason(desk_env: DeskEnv) -> None:
    group, _, _ = await desk_env.group_with("wo", 1, fund=SOL, receiver_funds=SOL)
    [watch] = await desk_env.vault.wallets.add_many([NewWallet("watched", WalletKind.WATCH_ONLY,
                                                               str(Keypair().pubkey()))])
    await desk_env.vault.groups.add_members(group.id, [watch.id], MemberRole.SOURCE)
    plan = await plan_consolidation(desk_env.run_context("consolidate", group.id),
                                    await desk_env.vault.groups.find(group.id))
    assert ("watched", "watch-only: no key to sign with") in plan.skipped


async def test_distribution_sends_equal_amounts_packed(desk_env: DeskEnv) -> None:
    group, _, wallets = await desk_env.group_with("dist", 40)
    [bank] = await create_wallets(desk_env.vault, 1, label="Bank")
    desk_env.chain.airdrop(Pubkey.from_string(bank.pubkey), 100 * SOL)
    ctx = desk_env.run_context("distribute", group.id)
    plan = await plan_distribution(ctx, bank, group, each_lamports=SOL // 10)
    assert len(plan.recipients) == 41 and len(plan.txs) <= 3
    outcomes = await run_distribution(ctx, plan)
    assert all(o.state == "confirmed" for o in outcomes)
    assert all(desk_env.balance(w) == SOL // 10 for w in wallets)
    assert desk_env.balance(bank) == 100 * SOL - plan.total - plan.fees


async def test_distribution_refuses_too_little_for_a_new_account(desk_env: DeskEnv) -> None:
    group, _, _ = await desk_env.group_with("tiny", 2)
    [bank] = await create_wallets(desk_env.vault, 1, label="Bank2")
    desk_env.chain.airdrop(Pubkey.from_string(bank.pubkey), SOL)
    with pytest.raises(ValidationError, match="rent-exempt"):
        await plan_distribution(desk_env.run_context("distribute", group.id), bank, group, each_lamports=1000)
