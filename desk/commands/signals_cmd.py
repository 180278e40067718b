"""``desk signals serve | list | show | token | limits | accounts | instrument | positions | history``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import Decimal
from typing import TYPE_CHECKING

from desk.commands.common import Context, UsageError, unlocked
from desk.core.errors import DeskError
from desk.core.futures import Instrument, format_usd, parse_decimal, parse_usd, plain
from desk.core.money import format_sol, parse_sol
from desk.core.signals import RiskLimits, SignalRecord
from desk.engine.signals_api import DEFAULT_PORT

if TYPE_CHECKING:
    from desk.engine.orders import LegUpdate
    from desk.vault.session import Vault


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65_535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return int(text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    """Add the ``signals`` subcommands."""
    signals = sub.add_parser("signals", help="the local signals API, signals and external accounts",
                             parents=[parent])
    actions = signals.add_subparsers(dest="signals_action", required=True, metavar="ACTION")
    serve = actions.add_parser("serve", help="run the signals API on 127.0.0.1 until Ctrl+C", parents=[parent])
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    listing = actions.add_parser("list", help="the newest signals", parents=[parent])
    listing.add_argument("--limit", type=int, default=20)
    show = actions.add_parser("show", help="one signal and its executions", parents=[parent])
    show.add_argument("id")
    token = actions.add_parser("token", help="make a new API token (the old one stops working)", parents=[parent])
    token.add_argument("--rotate", action="store_true", help="confirm that the old token should stop working")
    limits = actions.add_parser("limits", help="show or set a source's risk limits", parents=[parent])
    limits.add_argument("source", nargs="?", help="signal source ('*' = the default for every source)")
    limits.add_argument("--max-sol", help="most SOL one buy signal may spend over all its wallets")
    limits.add_argument("--daily-loss-sol", help="pause the source's buys after this realized SOL loss today")
    limits.add_argument("--max-contracts", type=int, help="most contracts per futures signal")
    limits.add_argument("--daily-loss-usd", help="pause the source's futures signals after this loss today")
    limits.add_argument("--clear", action="store_true", help="remove the source's limits")
    accounts = actions.add_parser("accounts", help="external (futures) accounts", parents=[parent])
    accounts.add_argument("accounts_action", choices=["list", "add", "activate", "deactivate"])
    accounts.add_argument("name", nargs="?")
    accounts.add_argument("--broker", default="")
    instrument = actions.add_parser("instrument", help="add or change a futures instrument", parents=[parent])
    instrument.add_argument("symbol")
    instrument.add_argument("--point-value", required=True, help="US dollars per point per contract")
    instrument.add_argument("--tick", default="0.25", help="price tick (default 0.25)")
    instrument.add_argument("--name", default="")
    positions = actions.add_parser("positions", help="open external positions", parents=[parent])
    positions.add_argument("--symbol")
    history = actions.add_parser("history", help="an external account's trades and P&L", parents=[parent])
    history.add_argument("account")
    signals.set_defaults(handler=run)


async def run(ctx: Context, args: argparse.Namespace) -> int:
    """Dispatch one ``signals`` action."""
    async with unlocked(ctx) as vault:
        action = args.signals_action
        if action == "serve":
            return await _serve(ctx, vault, args.port)
        if action in ("list", "show"):
            await _signals(ctx, vault, args)
        elif action == "token":
            await _token(ctx, vault, args.rotate)
        elif action == "limits":
            await _limits(ctx, vault, args)
        elif action in ("accounts", "instrument"):
            await _accounts(ctx, vault, args)
        else:
            await _external(ctx, vault, args)
    return 0


async def _serve(ctx: Context, vault: Vault, port: int) -> int:
    from desk.engine.signals import SignalService, default_executor
    from desk.engine.signals_api import SignalsApi, ensure_token

    digest, token = await ensure_token(vault)
    executor = default_executor(vault, ctx.config, on_update=None if ctx.json else _progress)
    api = SignalsApi(SignalService(vault, executor, ctx.config.network), digest, port=port)
    try:
        await api.start()
    except OSError as e:
        await executor.aclose()
        raise DeskError(f"Cannot listen on 127.0.0.1:{port} ({e.strerror or e}).") from e
    doc: dict[str, object] = {"ok": True, "url": api.url, "port": api.port, "network": ctx.config.network}
    text = f"Signals API on {api.url} ({ctx.config.network}); Ctrl+C stops it."
    if token is not None:
        doc["token"] = token
        text += f"\nAPI token (shown only now; keep it safe): {token}"
    else:
        text += "\nUse the token shown when it was created ('desk signals token --rotate' makes a new one)."
    ctx.emit(doc, text)
    try:
        await api.serve_forever()
    except asyncio.CancelledError:
        ctx.note("Signals API stopped.")
    finally:
        await api.close()
        await executor.aclose()
    return 0


def _progress(leg: LegUpdate) -> None:
    if leg.state.value in ("confirmed", "failed", "expired"):
        sys.stderr.write(f"  {leg.wallet_label}: {leg.state.value}{(' — ' + leg.reason) if leg.reason else ''}\n")


async def _signals(ctx: Context, vault: Vault, args: argparse.Namespace) -> None:
    from desk.engine.signals_docs import signal_doc

    if args.signals_action == "show":
        record = await vault.signals.get(args.id)
        if record is None:
            raise UsageError(f"No signal {args.id!r}.")
        lines = [_line(record)] + [f"  {e.label:<20} {e.status:<10} {e.signature or e.trade_id or ''} {e.reason}"
                                   for e in record.executions]
        ctx.emit(signal_doc(record), "\n".join(lines))
        return
    records = await vault.signals.recent(max(1, args.limit))
    ctx.emit([signal_doc(r) for r in records], "\n".join(_line(r) for r in records) or "No signals yet.")


def _line(record: SignalRecord) -> str:
    s = record.signal
    what = s.symbol or (s.mint or "")[:8] + "…"
    done = sum(e.status in ("confirmed", "journaled") for e in record.executions)
    reason = f" — {record.reason}" if record.reason else ""
    return (f"{s.id[:36]:<36} {s.source:<12} {s.action.value:<5} {what:<10} {plain(s.size) if s.size else '':>8} "
            f"{record.status.value:<8} {done}/{len(record.executions)}{reason}")


async def _token(ctx: Context, vault: Vault, rotate: bool) -> None:
    from desk.engine.signals_api import rotate_token

    if not rotate:
        raise UsageError("The API token is shown only when it is made (the vault keeps only its digest). "
                         "Add --rotate to make a new one; clients using the old one will get 401.")
    token = await rotate_token(vault)
    ctx.emit({"ok": True, "token": token}, f"New API token (shown only now): {token}\n"
             "Restart 'desk signals serve' for it to take effect.")


async def _limits(ctx: Context, vault: Vault, args: argparse.Namespace) -> None:
    from desk.engine.signals import RISK_SETTING

    stored = await vault.settings.get(RISK_SETTING, {})
    stored = dict(stored) if isinstance(stored, dict) else {}
    changing = args.clear or any(v is not None for v in (args.max_sol, args.daily_loss_sol, args.max_contracts,
                                                          args.daily_loss_usd))
    if changing:
        if not args.source:
            raise UsageError("Name the source whose limits to set ('*' for every source).")
        if args.clear:
            stored.pop(args.source, None)
        else:
            if args.max_contracts is not None and args.max_contracts < 0:
                raise UsageError("--max-contracts cannot be negative.")
            old = RiskLimits.from_json(stored.get(args.source))
            stored[args.source] = RiskLimits(
                parse_sol(args.max_sol) if args.max_sol is not None else old.max_sol_per_signal,
                parse_sol(args.daily_loss_sol) if args.daily_loss_sol is not None else old.daily_loss_sol,
                args.max_contracts if args.max_contracts is not None else old.max_contracts_per_signal,
                parse_usd(args.daily_loss_usd, "--daily-loss-usd") if args.daily_loss_usd is not None
                else old.daily_loss_cents).to_json()
        await vault.settings.set(RISK_SETTING, stored)
    shown = {k: v for k, v in stored.items() if not args.source or k == args.source}
    lines = [f"{source:<16} {_describe(RiskLimits.from_json(limits))}" for source, limits in sorted(shown.items())]
    ctx.emit({"ok": True, "limits": shown}, "\n".join(lines) or "No risk limits set.")


def _describe(limits: RiskLimits) -> str:
    parts = [f"max {format_sol(limits.max_sol_per_signal)} SOL/signal" if limits.max_sol_per_signal is not None
             else "", f"pause after {format_sol(limits.daily_loss_sol)} SOL lost today"
             if limits.daily_loss_sol is not None else "",
             f"max {limits.max_contracts_per_signal} contracts/signal"
             if limits.max_contracts_per_signal is not None else "",
             f"pause after ${format_usd(limits.daily_loss_cents)} lost today"
             if limits.daily_loss_cents is not None else ""]
    return ", ".join(p for p in parts if p) or "no limits"


async def _accounts(ctx: Context, vault: Vault, args: argparse.Namespace) -> None:
    from desk.engine.signals_docs import account_doc

    if args.signals_action == "instrument":
        cents = parse_usd(args.point_value, "--point-value")
        spec = Instrument(args.symbol.strip().upper(), cents, parse_decimal(args.tick, "--tick"), args.name)
        await vault.external.set_instrument(spec)
        ctx.emit({"ok": True, "symbol": spec.symbol, "point_value_cents": cents, "tick_size": plain(spec.tick_size)},
                 f"{spec.symbol}: ${format_usd(cents)} a point, tick {plain(spec.tick_size)}.")
        return
    if args.accounts_action != "list" and not args.name:
        raise UsageError(f"'accounts {args.accounts_action}' needs an account name.")
    if args.accounts_action == "add":
        account = await vault.external.add_account(args.name, args.broker)
        ctx.emit({"ok": True, **account_doc(account)}, f"External account {account.name} added.")
        return
    if args.accounts_action in ("activate", "deactivate"):
        account = await vault.external.find_account(args.name)
        await vault.external.set_active(account.id, args.accounts_action == "activate")
        ctx.emit({"ok": True, "name": account.name, "active": args.accounts_action == "activate"},
                 f"{account.name} {args.accounts_action}d.")
        return
    accounts = await vault.external.accounts()
    ctx.emit([account_doc(a) for a in accounts],
             "\n".join(f"{a.name:<24} {a.broker:<16} {'active' if a.active else 'inactive'}" for a in accounts)
             or "No external accounts yet.")


async def _external(ctx: Context, vault: Vault, args: argparse.Namespace) -> None:
    from desk.engine.futures import ExternalJournal
    from desk.engine.signals_docs import position_doc, trade_doc

    journal = ExternalJournal(vault)
    if args.signals_action == "positions":
        rows = await journal.positions(args.symbol)
        ctx.emit([position_doc(p) for p in rows],
                 "\n".join(f"{p.account:<20} {p.instrument.symbol:<6} {p.direction.value:<5} {abs(p.qty):>5} @ "
                           f"{plain(p.avg_price or Decimal(0)):>12}  realized ${format_usd(p.realized_cents)}"
                           for p in rows) or "No open external positions.")
        return
    account, history, positions = await journal.history(args.account)
    lines = [f"{plain(sum((c.points for c in closed), Decimal(0))):>8} pts  {t.side.value:<4} {t.qty:>4} "
             f"{t.symbol:<6} @ {plain(t.price)}" for t, closed in history]
    lines += [f"{p.instrument.symbol}: {plain(p.realized_points)} points, ${format_usd(p.realized_cents)} realized, "
              f"${format_usd(p.net_cents)} after fees" for p in positions]
    ctx.emit({"account": account.name, "trades": [trade_doc(t, c) for t, c in history],
              "positions": [position_doc(p) for p in positions]},
             "\n".join(lines) or f"No trades for {account.name}.")
