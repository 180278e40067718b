"""``desk balances | consolidate | distribute | airdrop``: commands that read or move funds on chain."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from desk.commands.common import Context, confirm, unlocked
from desk.core.money import format_sol, format_units, parse_sol

if TYPE_CHECKING:  # the chain stack loads on first use, keeping the GUI's cold start short
    from desk.engine.consolidation import ConsolidationPlan
    from desk.engine.txrun import TxProgress


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    """Add the chain commands."""
    balances = sub.add_parser("balances", help="SOL and token balances of your wallets", parents=[parent])
    balances.add_argument("--refresh", action="store_true", help="read the chain now (default: cached)")
    balances.add_argument("--tokens", action="store_true", help="also read token balances")
    balances.add_argument("--group")
    balances.set_defaults(handler=run_balances)
    consolidate = sub.add_parser("consolidate", help="sweep a group's sources into its receiver", parents=[parent])
    consolidate.add_argument("group")
    consolidate.add_argument("--dry-run", action="store_true", help="show the plan, sign nothing")
    consolidate.add_argument("--reserve-sol", default="0", help="SOL to keep in each source (0 or >= rent)")
    consolidate.add_argument("--sol-only", action="store_true", help="leave token accounts alone")
    consolidate.add_argument("--priority-fee", type=int, default=0, help="micro-lamports per compute unit")
    consolidate.set_defaults(handler=run_consolidate)
    distribute = sub.add_parser("distribute", help="send SOL from one wallet to a group", parents=[parent])
    distribute.add_argument("--from", dest="source", required=True)
    distribute.add_argument("--group", required=True)
    distribute.add_argument("--sol-each", required=True)
    distribute.add_argument("--dry-run", action="store_true")
    distribute.add_argument("--priority-fee", type=int, default=0)
    distribute.set_defaults(handler=run_distribute)
    airdrop = sub.add_parser("airdrop", help="ask the simnet faucet for SOL", parents=[parent])
    airdrop.add_argument("pubkey")
    airdrop.add_argument("sol")
    airdrop.set_defaults(handler=run_airdrop)


async def run_balances(ctx: Context, args: argparse.Namespace) -> int:
    """Print balances (refreshing them from the chain with ``--refresh``)."""
    from desk.engine.balances import load_sheet, refresh_balances
    from desk.engine.services import ChainServices

    async with unlocked(ctx) as vault:
        wallets = await vault.wallets.list()
        if args.group:
            members = set((await vault.groups.find(args.group)).members)
            wallets = [w for w in wallets if w.id in members]
        if args.refresh or args.tokens:
            chain = ChainServices.from_config(ctx.config)
            try:
                sheet = await refresh_balances(vault, chain.rpc, chain.network, wallets, tokens=args.tokens)
            finally:
                await chain.aclose()
        else:
            sheet = await load_sheet(vault, ctx.config.network)
    active = [w for w in wallets if w.active]
    docs = [{"id": w.id, "label": w.label, "pubkey": w.pubkey, "active": w.active,
             "lamports": sheet.sol.get(w.id), "updated_ms": sheet.updated_ms.get(w.id),
             "tokens": [{"mint": t.mint, "amount": str(t.amount), "decimals": t.decimals}
                        for t in sheet.tokens.get(w.id, [])]} for w in wallets]
    lines = [f"{'●' if w.active else '○'} {w.label:<20} {format_sol(sheet.sol[w.id]) if w.id in sheet.sol else '—':>16}"
             + "".join(f"  {format_units(t.amount, t.decimals)} {t.mint[:6]}…" for t in sheet.tokens.get(w.id, []))
             for w in wallets]
    lines.append(f"Total of active wallets: {format_sol(sheet.total_sol(active))} SOL ({ctx.config.network})")
    ctx.emit({"network": ctx.config.network, "total_active_lamports": sheet.total_sol(active), "wallets": docs},
             "\n".join(lines))
    return 0


def describe_plan(plan: ConsolidationPlan) -> str:
    """Return the plan as text for a person to approve."""
    lines = [f"Consolidate {plan.group.name} → {plan.receiver.label} ({plan.receiver.pubkey})"]
    for i, tx in enumerate(plan.transactions, 1):
        kind = "SOL sweep" if tx in plan.sol_txs else "token sweep"
        lines.append(f"  tx {i:>3}: {kind}, {len(tx.moves)} wallet move(s), fee {tx.fee_lamports} lamports"
                     f" (paid by {plan.wallets[tx.fee_payer].label})")
    lines.append(f"SOL moved: {format_sol(plan.sol_moved)}  fees: {format_sol(plan.fees)}  "
                 f"token accounts closed: {sum(len(t.moves) for t in plan.token_txs)}  "
                 f"rent reclaimed: {format_sol(plan.rent_reclaimed)}")
    if plan.new_receiver_token_accounts:
        lines.append(f"The receiver opens {plan.new_receiver_token_accounts} token account(s): "
                     f"{format_sol(plan.ata_rent_lamports)} SOL rent.")
    lines += [f"  skipped {label}: {reason}" for label, reason in plan.skipped]
    return "\n".join(lines)


def plan_doc(plan: ConsolidationPlan) -> dict[str, object]:
    """The JSON shape of a consolidation plan."""
    return {"group": plan.group.name, "receiver": plan.receiver.pubkey, "transactions": len(plan.transactions),
            "sol_transactions": len(plan.sol_txs), "token_transactions": len(plan.token_txs),
            "sol_moved_lamports": plan.sol_moved, "fees_lamports": plan.fees,
            "rent_reclaimed_lamports": plan.rent_reclaimed, "ata_rent_lamports": plan.ata_rent_lamports,
            "token_moves": {mint: str(v) for mint, v in plan.token_moves.items()},
            "skipped": [{"wallet": label, "reason": reason} for label, reason in plan.skipped]}


def _progress(ctx: Context) -> Callable[[TxProgress], None]:
    def show(p: TxProgress) -> None:
        if p.state != "sent" and not ctx.json:
            sys.stderr.write(f"  tx {p.index + 1}/{p.total}: {p.state}{(' — ' + p.reason) if p.reason else ''}\n")

    return show


async def run_consolidate(ctx: Context, args: argparse.Namespace) -> int:
    """Plan, show, confirm and run a consolidation."""
    from desk.chain.builders import FeePolicy
    from desk.engine.consolidation import plan_consolidation, run_consolidation
    from desk.engine.services import ChainServices
    async with unlocked(ctx) as vault:
        group = await vault.groups.find(args.group)
        chain = ChainServices.from_config(ctx.config)
        try:
            run = chain.run_context(vault, "consolidate", group.id)
            plan = await plan_consolidation(run, group, reserve_lamports=parse_sol(args.reserve_sol),
                                            fees=FeePolicy(args.priority_fee), include_tokens=not args.sol_only)
            if plan.is_empty:
                ctx.emit({**plan_doc(plan), "ok": True, "executed": False}, "Nothing to move: every source is empty.")
                return 0
            if args.dry_run:
                ctx.emit({**plan_doc(plan), "ok": True, "executed": False}, describe_plan(plan))
                return 0
            if not ctx.json:
                ctx.note(describe_plan(plan))
            confirm(ctx, f"Sign and send {len(plan.transactions)} transaction(s)?")
            result = await run_consolidation(run, plan, _progress(ctx))
        finally:
            await chain.aclose()
    failed = [{"wallet": label, "reason": reason} for label, reason in result.failed_wallets]
    ctx.emit({**plan_doc(plan), "ok": result.ok, "executed": True,
              "outcomes": [{"signature": o.signature, "state": o.state, "reason": o.reason} for o in result.outcomes],
              "failed": failed},
             "Consolidation complete." if result.ok else
             "Some transactions failed:\n" + "\n".join(f"  {f['wallet']}: {f['reason']}" for f in failed)
             + "\nRun it again to move what is left.")
    return 0 if result.ok else 1


async def run_distribute(ctx: Context, args: argparse.Namespace) -> int:
    """Plan, confirm and run a distribution."""
    from desk.chain.builders import FeePolicy
    from desk.engine.distribution import plan_distribution, run_distribution
    from desk.engine.services import ChainServices
    async with unlocked(ctx) as vault:
        source = await vault.wallets.find(args.source)
        group = await vault.groups.find(args.group)
        chain = ChainServices.from_config(ctx.config)
        try:
            run = chain.run_context(vault, "distribute", group.id)
            plan = await plan_distribution(run, source, group, each_lamports=parse_sol(args.sol_each),
                                           fees=FeePolicy(args.priority_fee))
            text = (f"Send {format_sol(plan.total)} SOL from {source.label} to {len(plan.recipients)} wallet(s) "
                    f"in {len(plan.txs)} transaction(s); fees {format_sol(plan.fees)} SOL.")
            doc = {"from": source.pubkey, "group": group.name, "recipients": len(plan.recipients),
                   "lamports": plan.total, "fees_lamports": plan.fees, "transactions": len(plan.txs)}
            if args.dry_run:
                ctx.emit({**doc, "ok": True, "executed": False}, text)
                return 0
            ctx.note(text)
            confirm(ctx, "Sign and send?")
            outcomes = await run_distribution(run, plan, _progress(ctx))
        finally:
            await chain.aclose()
    ok = all(o.state == "confirmed" for o in outcomes)
    ctx.emit({**doc, "ok": ok, "executed": True,
              "outcomes": [{"signature": o.signature, "state": o.state, "reason": o.reason} for o in outcomes]},
             "Distribution complete." if ok else "Some transactions failed; see above.")
    return 0 if ok else 1


async def run_airdrop(ctx: Context, args: argparse.Namespace) -> int:
    """Request SOL from the faucet of the configured RPC (simnet)."""
    from desk.engine.services import ChainServices
    chain = ChainServices.from_config(ctx.config)
    try:
        signature = await chain.rpc.request_airdrop(args.pubkey, parse_sol(args.sol))
    finally:
        await chain.aclose()
    ctx.emit({"ok": True, "signature": signature, "pubkey": args.pubkey}, f"Airdropped {args.sol} SOL: {signature}")
    return 0
