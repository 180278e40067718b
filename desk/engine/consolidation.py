"""Consolidation: sweep a group's sources into its receiver, SOL first, then every token account.

The plan is computed from live balances, shown, and only then signed. SOL sweeps leave each source at
exactly 0 lamports (the receiver pays every fee) or at a kept reserve; token sweeps move each balance
to the receiver's associated account and close the source account so its rent comes back. Running
it again after an interruption moves only what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from solders.pubkey import Pubkey
from spl.token.instructions import get_associated_token_address

from desk.chain.builders import (
    FeePolicy,
    PlannedTx,
    SolTransfer,
    TokenSweepItem,
    pack_sol_transfers,
    pack_token_sweeps,
)
from desk.chain.policy import Intent
from desk.chain.rpctypes import TOKEN_PROGRAM
from desk.chain.sender import Outcome
from desk.core.activity import ActivityKind
from desk.core.errors import ValidationError
from desk.core.wallets import GroupStatus, Wallet, WalletGroup
from desk.engine.txrun import ProgressFn, RunContext, execute, resolve_pending

log = logging.getLogger(__name__)
SYSTEM_ACCOUNT_RENT = 890_880


@dataclass(frozen=True, slots=True)
class ConsolidationPlan:
    """What a consolidation will do, before anything is signed.

    Attributes:
        group: The group.
        receiver: Where everything goes.
        sol_txs: SOL sweep transactions (sent first).
        token_txs: Token sweep transactions (sent after the SOL arrived).
        skipped: (wallet label, reason) for sources left alone.
        reserve_lamports: SOL kept in each source.
        wallets: Every wallet involved, by public key.
        new_receiver_token_accounts: Associated accounts the receiver must create (rent paid by it).
        ata_rent_lamports: Rent for those accounts.
    """

    group: WalletGroup
    receiver: Wallet
    sol_txs: tuple[PlannedTx, ...]
    token_txs: tuple[PlannedTx, ...]
    skipped: tuple[tuple[str, str], ...]
    reserve_lamports: int
    wallets: dict[str, Wallet] = field(default_factory=dict)
    new_receiver_token_accounts: int = 0
    ata_rent_lamports: int = 0

    @property
    def transactions(self) -> tuple[PlannedTx, ...]:
        """Every transaction in sending order."""
        return self.sol_txs + self.token_txs

    @property
    def sol_moved(self) -> int:
        """Lamports the SOL sweep moves to the receiver (before fees)."""
        return sum(m.lamports for tx in self.sol_txs for m in tx.moves if isinstance(m, SolTransfer))

    @property
    def fees(self) -> int:
        """Network fees of every transaction."""
        return sum(tx.fee_lamports for tx in self.transactions)

    @property
    def rent_reclaimed(self) -> int:
        """Rent the closed token accounts return to the receiver."""
        return sum(m.rent_lamports for tx in self.token_txs for m in tx.moves if isinstance(m, TokenSweepItem))

    @property
    def token_moves(self) -> dict[str, int]:
        """Atomic units moved per mint."""
        out: dict[str, int] = {}
        for tx in self.token_txs:
            for m in tx.moves:
                if isinstance(m, TokenSweepItem):
                    out[m.mint] = out.get(m.mint, 0) + m.amount
        return out

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to move."""
        return not self.transactions

    def intent(self) -> Intent:
        """The pre-sign policy's view of this plan: only the receiver and its token accounts may receive."""
        receiver = Pubkey.from_string(self.receiver.pubkey)
        atas = {str(get_associated_token_address(receiver, Pubkey.from_string(m.mint), Pubkey.from_string(m.program)))
                for tx in self.token_txs for m in tx.moves if isinstance(m, TokenSweepItem)}
        limits = {m.source: m.lamports for tx in self.sol_txs for m in tx.moves if isinstance(m, SolTransfer)}
        return Intent(our_wallets=frozenset(self.wallets), destinations=frozenset({self.receiver.pubkey, *atas}),
                      max_sol_out=limits)


async def plan_consolidation(ctx: RunContext, group: WalletGroup, *, reserve_lamports: int = 0,
                             fees: FeePolicy | None = None, include_tokens: bool = True) -> ConsolidationPlan:
    """Plan a consolidation of ``group`` from live balances.

    Raises:
        ValidationError: the group has no single receiver, or the reserve would leave accounts below rent.
    """
    fees = fees or FeePolicy()
    if len(group.receivers) != 1:
        raise ValidationError(f"Group {group.name} needs exactly one receiver wallet (it has {len(group.receivers)}).")
    if 0 < reserve_lamports < SYSTEM_ACCOUNT_RENT:
        raise ValidationError(f"A kept reserve must be 0 or at least {SYSTEM_ACCOUNT_RENT} lamports (rent-exempt).")
    await resolve_pending(ctx)
    every = {w.id: w for w in await ctx.vault.wallets.list()}
    receiver = every[group.receivers[0]]
    skipped: list[tuple[str, str]] = []
    sources: list[Wallet] = []
    for wallet_id in group.sources:
        wallet = every.get(wallet_id)
        if wallet is None or wallet.id == receiver.id:
            continue
        if not wallet.has_private_key:
            skipped.append((wallet.label, "watch-only: no key to sign with"))
        else:
            sources.append(wallet)
    balances = await ctx.rpc.get_sol_balances([w.pubkey for w in sources] + [receiver.pubkey])
    moves = []
    for wallet in sources:
        amount = balances[wallet.pubkey] - reserve_lamports
        if amount > 0:
            moves.append(SolTransfer(wallet.pubkey, receiver.pubkey, amount))
        elif balances[wallet.pubkey] == 0:
            skipped.append((wallet.label, "holds no SOL"))
    sol_txs = _fund_first_fee(pack_sol_transfers(receiver.pubkey, moves, fees), balances[receiver.pubkey], fees)
    token_txs: list[PlannedTx] = []
    new_atas = ata_rent = 0
    if include_tokens:
        items = [TokenSweepItem(wallet.pubkey, t.account, t.mint, t.amount, t.decimals, t.program, t.lamports)
                 for wallet in sources for t in await ctx.rpc.get_token_balances(wallet.pubkey)]
        token_txs = pack_token_sweeps(receiver.pubkey, items, fees)
        new_atas, ata_rent = await _new_receiver_accounts(ctx, receiver.pubkey, items)
    plan = ConsolidationPlan(group, receiver, tuple(sol_txs), tuple(token_txs), tuple(skipped), reserve_lamports,
                             {w.pubkey: w for w in [*sources, receiver]}, new_atas, ata_rent)
    _check_receiver_can_pay(plan, balances[receiver.pubkey])
    return plan


def _fund_first_fee(txs: list[PlannedTx], receiver_balance: int, fees: FeePolicy) -> list[PlannedTx]:
    """Let the first source pay the first fee when the receiver holds too little SOL to pay it.

    The source then sends its balance minus that fee, so it still ends at exactly 0.
    """
    if not txs or receiver_balance >= txs[0].fee_lamports:
        return txs
    moves = [m for m in txs[0].moves if isinstance(m, SolTransfer)]
    lead = moves[0]
    [trial] = pack_sol_transfers(lead.source, moves, fees)  # the fee without the receiver's signature
    if lead.lamports <= trial.fee_lamports:
        raise ValidationError("The receiver holds no SOL to pay fees and the first source cannot cover them either.")
    moves[0] = SolTransfer(lead.source, lead.destination, lead.lamports - trial.fee_lamports)
    [rebuilt] = pack_sol_transfers(lead.source, moves, fees)
    return [rebuilt, *txs[1:]]


async def _new_receiver_accounts(ctx: RunContext, receiver: str, items: Sequence[TokenSweepItem]) -> tuple[int, int]:
    wanted = {(i.mint, i.program) for i in items if i.amount}
    if not wanted:
        return 0, 0
    owner = Pubkey.from_string(receiver)
    atas = {str(get_associated_token_address(owner, Pubkey.from_string(m), Pubkey.from_string(p))): p
            for m, p in wanted}
    existing = await ctx.rpc.get_multiple_accounts(list(atas), data=False)
    missing = [a for a, info in existing.items() if info is None]
    rent = 0
    for account in missing:
        size = 165 if atas[account] == TOKEN_PROGRAM else 170
        rent += await ctx.rpc.get_minimum_balance_for_rent_exemption(size)
    return len(missing), rent


def _check_receiver_can_pay(plan: ConsolidationPlan, receiver_balance: int) -> None:
    after_sol = receiver_balance + plan.sol_moved - sum(tx.fee_lamports for tx in plan.sol_txs)
    if plan.sol_txs and after_sol < SYSTEM_ACCOUNT_RENT:
        raise ValidationError("The swept SOL would leave the receiver below the rent-exempt minimum "
                              f"({SYSTEM_ACCOUNT_RENT} lamports); fund the receiver first.")
    token_costs = sum(tx.fee_lamports for tx in plan.token_txs) + plan.ata_rent_lamports
    if plan.token_txs and after_sol < token_costs:
        raise ValidationError(f"The receiver needs {token_costs} lamports for token-sweep fees and rent but will "
                              f"hold only {after_sol}; fund it first.")


@dataclass(frozen=True, slots=True)
class ConsolidationResult:
    """What a run did.

    Attributes:
        outcomes: Each transaction's outcome, in plan order.
        failed_wallets: (wallet label, reason) for every source whose transaction failed.
    """

    outcomes: tuple[Outcome, ...]
    failed_wallets: tuple[tuple[str, str], ...]

    @property
    def ok(self) -> bool:
        """Whether every transaction confirmed."""
        return all(o.state == "confirmed" for o in self.outcomes)


async def run_consolidation(ctx: RunContext, plan: ConsolidationPlan,
                            on_progress: ProgressFn | None = None) -> ConsolidationResult:
    """Execute ``plan``: SOL sweeps, then token sweeps; update the group and the activity log."""
    groups, activity = ctx.vault.groups, ctx.vault.activity
    await groups.set_status(plan.group.id, GroupStatus.RUNNING)
    outcomes: list[Outcome] = []
    try:
        wallets, intent, total = list(plan.wallets.values()), plan.intent(), len(plan.transactions)
        outcomes += await execute(ctx, plan.sol_txs, wallets, intent, on_progress, total=total)
        outcomes += await execute(ctx, plan.token_txs, wallets, intent, on_progress, index_offset=len(plan.sol_txs),
                                  total=total)
    except BaseException:
        await groups.set_status(plan.group.id, GroupStatus.ERROR)
        raise
    failed = tuple((plan.wallets[_source(m)].label, o.reason)
                   for tx, o in zip(plan.transactions, outcomes, strict=True) if o.state != "confirmed"
                   for m in tx.moves)
    result = ConsolidationResult(tuple(outcomes), failed)
    await groups.set_status(plan.group.id, GroupStatus.IDLE if result.ok else GroupStatus.ERROR,
                            consolidated=result.ok)
    await activity.append(ActivityKind.CONSOLIDATED, {
        "group": plan.group.name, "network": ctx.network, "transactions": len(outcomes),
        "confirmed": sum(o.state == "confirmed" for o in outcomes), "sol_moved_lamports": plan.sol_moved,
        "fees_lamports": plan.fees, "token_accounts_closed": sum(len(tx.moves) for tx in plan.token_txs),
        "failed_wallets": [label for label, _ in failed]})
    if not result.ok:
        log.info("consolidation of %s finished with %d failed wallet(s)", plan.group.name, len(failed))
    return result


def _source(move: SolTransfer | TokenSweepItem) -> str:
    return move.source if isinstance(move, SolTransfer) else move.owner

