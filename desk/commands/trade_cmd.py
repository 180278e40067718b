"""``desk buy`` and ``desk sell``: one order across the chosen wallets."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from desk.commands.common import Context, UsageError, confirm, unlocked
from desk.core.money import format_sol, format_units, parse_sol
from desk.core.wallets import Wallet
from desk.vault.session import Vault

if TYPE_CHECKING:
    from desk.engine.orders import LegUpdate, OrderResult


def _common(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--group", help="every wallet of this group")
    target.add_argument("--wallets", nargs="+", metavar="WALLET", help="these wallets (id, label or address)")
    parser.add_argument("--slippage", type=float, default=10.0, help="percent (default 10)")
    parser.add_argument("--priority-fee", default="0.00005", help="SOL per transaction (default 0.00005)")
    parser.add_argument("--tip", default="0", help="Jito tip in SOL per transaction")
    parser.add_argument("--venue", choices=["auto", "pumpportal", "lightning", "jupiter"], default="auto")
    parser.add_argument("--pool", default="pump", help="pump (curve) or pump-amm (graduated)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    """Add ``buy`` and ``sell``."""
    buy = sub.add_parser("buy", help="buy a token from every chosen wallet", parents=[parent])
    buy.add_argument("mint")
    buy.add_argument("--sol", required=True, help="SOL to spend per wallet")
    _common(buy)
    buy.set_defaults(handler=run, side="buy")
    sell = sub.add_parser("sell", help="sell a token from every chosen wallet", parents=[parent])
    sell.add_argument("mint")
    amount = sell.add_mutually_exclusive_group(required=True)
    amount.add_argument("--percent", type=int, help="percent of each wallet's holding")
    amount.add_argument("--tokens", help="tokens per wallet (UI units, 6 decimals)")
    _common(sell)
    sell.set_defaults(handler=run, side="sell")


async def _wallets(vault: Vault, args: argparse.Namespace) -> list[Wallet]:
    if args.wallets:
        return [await vault.wallets.find(ref) for ref in args.wallets]
    every = await vault.wallets.list()
    if args.group:
        members = set((await vault.groups.find(args.group)).members)
        return [w for w in every if w.id in members and w.active]
    return [w for w in every if w.active]


def _tokens(text: str) -> int:
    lamports = parse_sol(text)  # same decimal rules; 9 places → scale to 6
    if lamports % 1000:
        raise UsageError("Token amounts have at most 6 decimals.")
    return lamports // 1000


def leg_doc(leg: LegUpdate) -> dict[str, object]:
    """The JSON shape of one leg."""
    return {"wallet_id": leg.wallet_id, "wallet": leg.wallet_label, "state": leg.state.value, "attempt": leg.attempt,
            "signature": leg.signature, "reason": leg.reason}


def result_doc(result: OrderResult) -> dict[str, object]:
    """The JSON shape of an order's result."""
    return {"order_id": result.order_id, "status": result.status, "legs": [leg_doc(leg) for leg in result.legs],
            "fills": [{"wallet_id": f.wallet_id, "signature": f.signature, "side": f.side.value,
                       "tokens": str(f.tokens), "sol_lamports": f.sol, "fees_lamports": f.fees} for f in result.fills]}


async def run(ctx: Context, args: argparse.Namespace) -> int:
    """Place one buy or sell order."""
    from desk.core.market import Side
    from desk.engine.orders import OrderEngine
    from desk.engine.services import ChainServices, build_venues
    from desk.engine.trading import OrderRequest

    side = Side(args.side)
    request = OrderRequest(
        side=side, mint=args.mint, sol_each=parse_sol(args.sol) if side is Side.BUY else 0,
        percent=getattr(args, "percent", None) or 0,
        tokens_each=_tokens(args.tokens) if getattr(args, "tokens", None) else 0,
        slippage_bps=round(args.slippage * 100), priority_fee=parse_sol(args.priority_fee), tip=parse_sol(args.tip),
        venue=args.venue, pool=args.pool)
    request.check()
    async with unlocked(ctx) as vault:
        wallets = await _wallets(vault, args)
        if not wallets:
            raise UsageError("No wallets chosen: activate some, or pass --group or --wallets.")
        what = (f"buy {format_sol(request.sol_each)} SOL each" if side is Side.BUY else
                f"sell {request.percent}% each" if request.percent else f"sell {format_units(request.tokens_each, 6)}")
        if not ctx.json:
            ctx.note(f"Order: {what} of {args.mint} from {len(wallets)} wallet(s), slippage {args.slippage}%.")
        confirm(ctx, f"Sign and send from {len(wallets)} wallet(s)?")
        chain = ChainServices.from_config(ctx.config)
        venues = build_venues(ctx.config, vault)

        def progress(leg: LegUpdate) -> None:
            if not ctx.json and leg.state.value in ("confirmed", "failed", "expired"):
                sys.stderr.write(f"  {leg.wallet_label}: {leg.state.value}"
                                 f"{(' — ' + leg.reason) if leg.reason else ''}\n")

        try:
            engine = OrderEngine(vault, chain.rpc, chain.network, venues.choose, on_update=progress)
            result = await engine.place(request, wallets)
        finally:
            await chain.aclose()
    done = sum(leg.state.value == "confirmed" for leg in result.legs)
    ctx.emit({"ok": result.status != "failed", **result_doc(result)},
             f"Order {result.status}: {done} of {len(result.legs)} leg(s) confirmed, {len(result.fills)} fill(s) "
             "journaled.")
    return 0 if result.status == "filled" else 1
