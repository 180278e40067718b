"""Distribution: fund a group's wallets from one wallet, many transfers packed per transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from desk.chain.builders import FeePolicy, PlannedTx, SolTransfer, pack_sol_transfers
from desk.chain.policy import Intent
from desk.chain.sender import Outcome
from desk.core.activity import ActivityKind
from desk.core.errors import ValidationError
from desk.core.money import format_sol
from desk.core.wallets import Wallet, WalletGroup
from desk.engine.consolidation import SYSTEM_ACCOUNT_RENT
from desk.engine.txrun import ProgressFn, RunContext, execute, resolve_pending


@dataclass(frozen=True, slots=True)
class DistributionPlan:
    """What a distribution will send.

    Attributes:
        source: The paying wallet.
        group: The group funded.
        txs: Transactions, each paid and signed by ``source``.
        recipients: Wallets by public key.
        source_balance: Lamports the source held when planned.
    """

    source: Wallet
    group: WalletGroup
    txs: tuple[PlannedTx, ...]
    recipients: dict[str, Wallet]
    source_balance: int

    @property
    def total(self) -> int:
        """Lamports sent, fees excluded."""
        return sum(m.lamports for tx in self.txs for m in tx.moves if isinstance(m, SolTransfer))

    @property
    def fees(self) -> int:
        """Network fees of every transaction."""
        return sum(tx.fee_lamports for tx in self.txs)

    def intent(self) -> Intent:
        """Only the group's wallets may receive, and the source sends no more than planned."""
        return Intent(our_wallets=frozenset({self.source.pubkey}), destinations=frozenset(self.recipients),
                      max_sol_out={self.source.pubkey: self.total})


async def plan_distribution(ctx: RunContext, source: Wallet, group: WalletGroup, *, each_lamports: int | None = None,
                            amounts: Mapping[str, int] | None = None, fees: FeePolicy | None = None
                            ) -> DistributionPlan:
    """Plan sending ``each_lamports`` to every wallet of ``group`` (or per-wallet ``amounts`` by wallet id).

    Raises:
        ValidationError: no amounts, a new wallet would get less than rent, or the source cannot pay.
    """
    fees = fees or FeePolicy()
    if not source.has_private_key:
        raise ValidationError(f"Wallet {source.label} is watch-only and cannot send.")
    await resolve_pending(ctx)
    every = {w.id: w for w in await ctx.vault.wallets.list()}
    recipients = [every[i] for i in group.members if i in every and i != source.id]
    wanted = {w.id: (amounts or {}).get(w.id, each_lamports or 0) for w in recipients}
    if not any(wanted.values()):
        raise ValidationError("Nothing to send: give an amount per wallet or for each wallet.")
    if any(v < 0 for v in wanted.values()):
        raise ValidationError("Amounts cannot be negative.")
    balances = await ctx.rpc.get_sol_balances([source.pubkey, *(w.pubkey for w in recipients)])
    for wallet in recipients:
        if balances[wallet.pubkey] == 0 and 0 < wanted[wallet.id] < SYSTEM_ACCOUNT_RENT:
            raise ValidationError(f"{wallet.label} is a new account: it needs at least "
                                  f"{format_sol(SYSTEM_ACCOUNT_RENT)} SOL (the rent-exempt minimum).")
    moves = [SolTransfer(source.pubkey, w.pubkey, wanted[w.id]) for w in recipients if wanted[w.id] > 0]
    txs = tuple(pack_sol_transfers(source.pubkey, moves, fees))
    plan = DistributionPlan(source, group, txs, {w.pubkey: w for w in recipients}, balances[source.pubkey])
    left = plan.source_balance - plan.total - plan.fees
    if left < 0 or 0 < left < SYSTEM_ACCOUNT_RENT:
        raise ValidationError(
            f"{source.label} holds {format_sol(plan.source_balance)} SOL; sending {format_sol(plan.total)} plus "
            f"{format_sol(plan.fees)} in fees would leave {format_sol(left)} SOL (it must be 0 or at least "
            f"{format_sol(SYSTEM_ACCOUNT_RENT)}).")
    return plan


async def run_distribution(ctx: RunContext, plan: DistributionPlan,
                           on_progress: ProgressFn | None = None) -> list[Outcome]:
    """Send the plan and record it in the activity log."""
    outcomes = await execute(ctx, plan.txs, [plan.source], plan.intent(), on_progress)
    await ctx.vault.activity.append(ActivityKind.DISTRIBUTED, {
        "from": plan.source.label, "group": plan.group.name, "network": ctx.network,
        "recipients": len(plan.recipients), "lamports": plan.total, "fees_lamports": plan.fees,
        "confirmed": sum(o.state == "confirmed" for o in outcomes), "transactions": len(outcomes)})
    return outcomes
