"""``desk journal trades | positions | pnl | export``: the journal from stored fills."""

from __future__ import annotations

import argparse
from pathlib import Path

from desk.commands.common import Context, unlocked
from desk.core.money import format_sol, format_units
from desk.engine.journal import export_csv, positions, summarize
from desk.vault.files import atomic_write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    """Add the ``journal`` subcommands."""
    journal = sub.add_parser("journal", help="fills, positions and P&L", parents=[parent])
    actions = journal.add_subparsers(dest="journal_action", required=True, metavar="ACTION")
    for name, text in (("trades", "every fill"), ("positions", "open positions per wallet and token"),
                       ("pnl", "realized P&L")):
        view = actions.add_parser(name, help=text, parents=[parent])
        view.add_argument("--wallet")
        view.add_argument("--mint")
        if name == "pnl":
            view.add_argument("--by", choices=["token", "wallet", "group", "day"], default="token")
    export = actions.add_parser("export", help="write fills to CSV", parents=[parent])
    export.add_argument("file", type=Path)
    export.add_argument("--tax", action="store_true", help="tax-tool layout (date, type, received, sent, fee)")
    journal.set_defaults(handler=run)


async def run(ctx: Context, args: argparse.Namespace) -> int:
    """Show or export the journal of the current network."""
    network = ctx.config.network
    async with unlocked(ctx) as vault:
        wallet_id = (await vault.wallets.find(args.wallet)).id if getattr(args, "wallet", None) else None
        fills = await vault.journal.fills(network, wallet_id=wallet_id, mint=getattr(args, "mint", None))
        labels = {w.id: w.label for w in await vault.wallets.list(include_archived=True)}
        groups = {g.name: list(g.members) for g in await vault.groups.list()}
    action = args.journal_action
    if action == "trades":
        ctx.emit([{"signature": f.signature, "leg": f.leg_index, "wallet_id": f.wallet_id, "mint": f.mint,
                   "side": f.side.value, "tokens": str(f.tokens), "sol_lamports": f.sol, "fees_lamports": f.fees,
                   "ts_ms": f.ts_ms} for f in fills],
                 "\n".join(f"{f.side.value:<4} {labels.get(f.wallet_id, '?'):<16} {format_units(f.tokens, 6):>18} "
                           f"{f.mint[:8]}… for {format_sol(f.sol):>12} SOL  fees {format_sol(f.fees)}"
                           for f in fills) or f"No fills on {network}.")
    elif action == "positions":
        rows = positions(fills)
        ctx.emit([{"wallet_id": r.wallet_id, "mint": r.mint, "tokens": str(r.tokens),
                   "cost_basis_lamports": r.cost_basis, "realized_lamports": r.realized, "fees_lamports": r.fees}
                  for r in rows],
                 "\n".join(f"{labels.get(r.wallet_id, '?'):<16} {r.mint[:8]}… {format_units(r.tokens, 6):>18} "
                           f"cost {format_sol(r.cost_basis):>12}  realized {format_sol(r.realized):>12}" for r in rows)
                 or f"No positions on {network}.")
    elif action == "pnl":
        lines = summarize(fills, args.by, groups)
        named = {s.key: labels.get(s.key, s.key) if args.by == "wallet" else s.key for s in lines}
        ctx.emit({"by": args.by, "network": network, "total_realized_lamports": sum(s.realized for s in lines),
                  "lines": [{"key": s.key, "realized_lamports": s.realized, "fees_lamports": s.fees, "fills": s.fills}
                            for s in lines]},
                 "\n".join(f"{named[s.key]:<44} {format_sol(s.realized):>14} SOL  ({s.fills} fills)" for s in lines)
                 + f"\nTotal realized: {format_sol(sum(s.realized for s in lines))} SOL ({network})")
    else:
        atomic_write(args.file.expanduser(), export_csv(fills, labels, tax_layout=args.tax).encode())
        ctx.emit({"ok": True, "file": str(args.file), "fills": len(fills)},
                 f"Wrote {len(fills)} fill(s) to {args.file}.")
    return 0
