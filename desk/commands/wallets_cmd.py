"""``desk wallets new | import | list | export | activate | deactivate | rename | archive``."""

from __future__ import annotations

import argparse
from pathlib import Path

from desk.commands.common import Context, UsageError, confirm, read_password, unlocked
from desk.core.errors import WrongPasswordError
from desk.core.money import format_sol
from desk.core.wallets import Wallet
from desk.engine.balances import load_sheet
from desk.engine.wallets import (
    EXPORT_FORMATS,
    archive_wallets,
    create_pumpportal_wallet,
    create_wallets,
    export_key,
    set_active,
)
from desk.vault import keyfile
from desk.vault.fieldcrypt import wipe
from desk.vault.session import Vault

IMPORT_FORMATS = ("auto", "base58", "cli-json", "mayhem-json", "pumpportal", "csv")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    """Add the ``wallets`` subcommands."""
    wallets = sub.add_parser("wallets", help="create, import, list, export and toggle wallets", parents=[parent])
    actions = wallets.add_subparsers(dest="wallets_action", required=True, metavar="ACTION")
    new = actions.add_parser("new", help="generate keypairs locally", parents=[parent])
    new.add_argument("--count", type=int, default=1)
    new.add_argument("--label", default="Wallet")
    new.add_argument("--group")
    new.add_argument("--pumpportal", action="store_true",
                     help="create a PumpPortal bot wallet (key + API key) through its create-wallet endpoint")
    imp = actions.add_parser("import", help="import keys or a legacy export (preview first)", parents=[parent])
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=IMPORT_FORMATS, default="auto")
    imp.add_argument("--dry-run", action="store_true", help="show the preview and change nothing")
    actions.add_parser("list", help="list wallets with cached SOL", parents=[parent])
    export = actions.add_parser("export", help="print one private key (asks for the password)", parents=[parent])
    export.add_argument("wallet")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="base58")
    export.add_argument("--i-understand", action="store_true",
                        help="confirm you understand anyone with this key controls the wallet")
    for name, text in (("activate", "include wallets in orders"), ("deactivate", "leave wallets out of orders")):
        toggle = actions.add_parser(name, help=text, parents=[parent])
        toggle.add_argument("wallets", nargs="*")
        toggle.add_argument("--group")
        toggle.add_argument("--all", action="store_true")
    rename = actions.add_parser("rename", help="give a wallet a new label", parents=[parent])
    rename.add_argument("wallet")
    rename.add_argument("label")
    archive = actions.add_parser("archive", help="archive wallets (keys stay in the vault)", parents=[parent])
    archive.add_argument("wallets", nargs="+")
    wallets.set_defaults(handler=run)


def wallet_doc(wallet: Wallet, groups: list[str], lamports: int | None, tokens: int) -> dict[str, object]:
    """The JSON shape of one wallet in ``wallets list``."""
    return {"id": wallet.id, "label": wallet.label, "kind": str(wallet.kind), "pubkey": wallet.pubkey,
            "active": wallet.active, "groups": groups,
            "sol": None if lamports is None else lamports / 1_000_000_000, "lamports": lamports, "tokens": tokens,
            "note": wallet.note}


async def run(ctx: Context, args: argparse.Namespace) -> int:
    """Dispatch one ``wallets`` action."""
    action = args.wallets_action
    if action == "import":
        from desk.commands.import_cmd import run_import

        return await run_import(ctx, args)
    async with unlocked(ctx) as vault:
        if action == "new" and args.pumpportal:
            label = "PumpPortal" if args.label == "Wallet" else args.label
            made = [await create_pumpportal_wallet(vault, ctx.config.endpoints.get("DESK_PUMPPORTAL_API"),
                                                   label=label, group=args.group)]
            ctx.emit({"ok": True, "created": [wallet_doc(made[0], [args.group] if args.group else [], None, 0)]},
                     f"{made[0].label:<20} {made[0].pubkey}\nCreated a PumpPortal wallet; its API key is sealed in "
                     "the vault.")
            return 0
        if action == "new":
            made = await create_wallets(vault, args.count, label=args.label, group=args.group)
            groups = [args.group] if args.group else []
            ctx.emit({"ok": True, "created": [wallet_doc(w, groups, None, 0) for w in made]},
                     "\n".join(f"{w.label:<20} {w.pubkey}" for w in made) + f"\nCreated {len(made)} wallet(s).")
            return 0
        if action == "list":
            return await _list(ctx, vault)
        if action == "export":
            return await _export(ctx, vault, args)
        if action in ("activate", "deactivate"):
            targets = await _targets(vault, args)
            changed = await set_active(vault, targets, action == "activate")
            ctx.emit({"ok": True, "changed": changed, "wallets": len(targets)},
                     f"{action.capitalize()}d {changed} of {len(targets)} wallet(s).")
            return 0
        if action == "rename":
            wallet = await vault.wallets.find(args.wallet)
            await vault.wallets.rename(wallet.id, args.label)
            ctx.emit({"ok": True, "id": wallet.id, "label": args.label}, f"Renamed {wallet.label} to {args.label}.")
            return 0
        targets = [await vault.wallets.find(ref) for ref in args.wallets]
        holding = [w.label for w in targets if w.has_private_key]
        if holding:
            ctx.note(f"Warning: {', '.join(holding)} hold(s) a private key. Export it first if the wallet may "
                     "hold funds; archived wallets are not traded or swept.")
            confirm(ctx, f"Archive {len(targets)} wallet(s)?")
        await archive_wallets(vault, targets)
        ctx.emit({"ok": True, "archived": [w.id for w in targets]}, f"Archived {len(targets)} wallet(s).")
        return 0


async def _targets(vault: Vault, args: argparse.Namespace) -> list[Wallet]:
    if args.all:
        return await vault.wallets.list()
    if args.group:
        group = await vault.groups.find(args.group)
        every = {w.id: w for w in await vault.wallets.list()}
        return [every[i] for i in group.members if i in every]
    if not args.wallets:
        raise UsageError("Name the wallets, or use --group G or --all.")
    return [await vault.wallets.find(ref) for ref in args.wallets]


async def _list(ctx: Context, vault: Vault) -> int:
    wallets = await vault.wallets.list()
    groups = await vault.groups.list()
    sheet = await load_sheet(vault, ctx.config.network)
    names = {w.id: [g.name for g in groups if w.id in g.members] for w in wallets}
    docs = [wallet_doc(w, names[w.id], sheet.sol.get(w.id), sheet.token_count(w.id)) for w in wallets]
    lines = [f"{'':2}{'LABEL':<20} {'KIND':<11} {'ADDRESS':<45} {'SOL':>14}  GROUPS"]
    for w in wallets:
        sol = format_sol(sheet.sol[w.id], places=4) if w.id in sheet.sol else "—"
        lines.append(f"{'●' if w.active else '○'} {w.label:<20} {w.kind:<11} {w.pubkey:<45} {sol:>14}  "
                     f"{', '.join(names[w.id])}")
    if not wallets:
        lines = ["No wallets yet. Create some with 'desk wallets new --count 5' or import with 'desk wallets import'."]
    ctx.emit(docs, "\n".join(lines))
    return 0


async def _export(ctx: Context, vault: Vault, args: argparse.Namespace) -> int:
    if not args.i_understand:
        raise UsageError("Exporting prints a private key: anyone who sees it controls the wallet. "
                         "Add --i-understand to proceed.")
    wallet = await vault.wallets.find(args.wallet)
    ctx.note("WARNING: this is the private key. Anyone with it controls the wallet and everything in it. "
             "Never paste it into a website or send it to anyone.")
    password = read_password("Re-enter the vault password to export: ")
    try:
        wipe(keyfile.unwrap(vault.keyfile, password))
    except WrongPasswordError as e:
        raise WrongPasswordError("Wrong password; nothing was exported.") from e
    secret = await export_key(vault, wallet, args.format)
    ctx.emit({"id": wallet.id, "pubkey": wallet.pubkey, "format": args.format, "private_key": secret}, secret)
    return 0
