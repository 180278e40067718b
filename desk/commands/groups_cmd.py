"""``desk groups create | add | remove | list``."""

from __future__ import annotations

import argparse

from desk.commands.common import Context, unlocked
from desk.core.clock import now_ms
from desk.core.wallets import MemberRole


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    """Add the ``groups`` subcommands."""
    groups = sub.add_parser("groups", help="wallet groups: sources and a receiver", parents=[parent])
    actions = groups.add_subparsers(dest="groups_action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a group", parents=[parent])
    create.add_argument("name")
    create.add_argument("--receiver", help="the wallet consolidation sweeps into")
    add = actions.add_parser("add", help="add wallets to a group", parents=[parent])
    add.add_argument("name")
    add.add_argument("wallets", nargs="+")
    add.add_argument("--role", choices=[r.value for r in MemberRole], default=MemberRole.SOURCE.value)
    remove = actions.add_parser("remove", help="take wallets out of a group", parents=[parent])
    remove.add_argument("name")
    remove.add_argument("wallets", nargs="+")
    actions.add_parser("list", help="list groups", parents=[parent])
    groups.set_defaults(handler=run)


async def run(ctx: Context, args: argparse.Namespace) -> int:
    """Dispatch one ``groups`` action."""
    async with unlocked(ctx) as vault:
        if args.groups_action == "create":
            group = await vault.groups.create(args.name)
            if args.receiver:
                receiver = await vault.wallets.find(args.receiver)
                await vault.groups.add_members(group.id, [receiver.id], MemberRole.RECEIVER)
            ctx.emit({"ok": True, "id": group.id, "name": group.name}, f"Group {group.name} created.")
        elif args.groups_action in ("add", "remove"):
            group = await vault.groups.find(args.name)
            wallets = [await vault.wallets.find(ref) for ref in args.wallets]
            if args.groups_action == "add":
                await vault.groups.add_members(group.id, [w.id for w in wallets], MemberRole(args.role))
            else:
                await vault.groups.remove_members(group.id, [w.id for w in wallets])
            verb = "Added" if args.groups_action == "add" else "Removed"
            ctx.emit({"ok": True, "group": group.name, "wallets": [w.id for w in wallets]},
                     f"{verb} {len(wallets)} wallet(s) {'to' if verb == 'Added' else 'from'} {group.name}.")
        else:
            groups = await vault.groups.list()
            labels = {w.id: w.label for w in await vault.wallets.list()}
            docs = [{"id": g.id, "name": g.name, "status": str(g.status), "sources": list(g.sources),
                     "receivers": list(g.receivers), "last_consolidated_ms": g.last_consolidated_ms} for g in groups]
            lines = [f"{g.name:<20} {g.status:<8} {len(g.sources):>4} source(s)  receiver: "
                     f"{', '.join(labels[r] for r in g.receivers) or '—'}  last consolidated: "
                     f"{_ago(g.last_consolidated_ms)}" for g in groups] or ["No groups yet."]
            ctx.emit(docs, "\n".join(lines))
    return 0


def _ago(ms: int | None) -> str:
    if ms is None:
        return "never"
    minutes = (now_ms() - ms) // 60_000
    return f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"
