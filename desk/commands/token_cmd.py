"""``desk token MINT``: on-chain facts, curve state, holders, market data and safety badges of one token.

Endpoints: ``DESK_RPC_URL``, ``DESK_DEXSCREENER_API``, ``DESK_JUPITER_API``; the Jupiter key comes from
``DESK_JUPITER_KEY`` (without one, Jupiter is skipped). No vault is needed.
"""

from __future__ import annotations

import argparse
import os
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desk.commands.common import Context
from desk.core.money import format_sol, format_units
from desk.core.safety import format_bps

if TYPE_CHECKING:  # the network stack loads on first use, keeping the GUI's cold start short
    from desk.engine.token_info import TokenDetails

JUPITER_KEY_ENV = "DESK_JUPITER_KEY"
_MARKS = {"ok": "✓", "warn": "!", "danger": "✗"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    """Add the ``token`` command."""
    token = sub.add_parser("token", help="token details and safety badges", parents=[parent])
    token.add_argument("mint", help="the token's mint address")
    token.add_argument("--no-market", action="store_true", help="skip DexScreener and Jupiter (chain facts only)")
    token.set_defaults(handler=run)


async def run(ctx: Context, args: argparse.Namespace) -> int:
    """Read and print the details of one token."""
    from desk.chain.ratelimit import RateLimit
    from desk.chain.rpc import RpcClient
    from desk.engine.token_info import TokenInfoService
    from desk.venues.dexscreener import DexScreenerClient
    from desk.venues.jupiter import JupiterPriceClient

    endpoints = ctx.config.endpoints
    rpc = RpcClient(endpoints.get("DESK_RPC_URL"), rate_limit=RateLimit.parse(ctx.config.rpc_rate_limit))
    dex = None if args.no_market else DexScreenerClient(endpoints.get("DESK_DEXSCREENER_API"))
    jup = None if args.no_market else JupiterPriceClient(endpoints.get("DESK_JUPITER_API"),
                                                         os.environ.get(JUPITER_KEY_ENV))
    try:
        details = await TokenInfoService(rpc, dex, jup).details(args.mint)
    finally:
        await rpc.aclose()
        for client in (dex, jup):
            if client is not None:
                await client.aclose()
    ctx.emit(details_doc(details), describe(details))
    return 0


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _amount(value: int | None) -> str | None:
    return None if value is None else str(value)


def details_doc(d: TokenDetails) -> dict[str, Any]:
    """Return the JSON document of ``desk token --json``.

    Amounts (atomic units, lamports) are decimal strings of integers; prices are decimal strings.
    """
    f, c, h, m = d.mint_facts, d.curve, d.holders, d.market
    pair = m.pair
    return {
        "ok": True, "mint": d.mint, "name": d.name, "symbol": d.symbol, "fetched_ms": d.fetched_ms,
        "level": str(d.level),
        "badges": [{"key": b.key, "level": str(b.level), "label": b.label, "reason": b.reason} for b in d.badges],
        "notes": list(d.notes),
        "mint_account": None if f is None else {
            "program": f.program, "token_2022": f.token_2022, "decimals": f.decimals, "supply": str(f.supply),
            "mint_authority": f.mint_authority, "freeze_authority": f.freeze_authority,
            "extensions": list(f.extension_names), "permanent_delegate": f.permanent_delegate,
            "transfer_hook_program": f.transfer_hook_program,
            "transfer_fee": None if f.transfer_fee is None else {
                "older_bps": f.transfer_fee.older_bps, "newer_bps": f.transfer_fee.newer_bps,
                "newer_epoch": f.transfer_fee.newer_epoch, "newer_maximum": str(f.transfer_fee.newer_maximum),
                "authority": f.transfer_fee.authority},
            "default_frozen": f.default_frozen, "non_transferable": f.non_transferable,
            "confidential_transfers": f.confidential_transfers, "pausable_authority": f.pausable_authority,
            "paused": f.paused},
        "curve": None if c is None else {
            "address": c.address, "token_account": c.token_account, "progress_bps": c.progress_bps,
            "graduated": c.graduated, "creator": c.account.creator, "mayhem": c.account.is_mayhem_mode,
            "cashback": c.account.is_cashback_coin, "quote_mint": c.account.quote_mint,
            "virtual_token_reserves": str(c.account.virtual_token_reserves),
            "virtual_quote_reserves": str(c.account.virtual_quote_reserves),
            "real_token_reserves": str(c.account.real_token_reserves),
            "real_quote_reserves": str(c.account.real_quote_reserves),
            "market_cap_lamports": _amount(c.market_cap_lamports), "price_sol": _num(c.price_sol)},
        "holders": {
            "top10_bps": h.top10_bps, "top10_amount": _amount(h.top10_amount), "unknown_reason": h.reason,
            "top": [{"account": x.account, "owner": x.owner, "amount": str(x.amount), "bps": x.bps} for x in h.top],
            "excluded": [{"account": x.account, "owner": x.owner, "amount": str(x.amount)} for x in h.excluded]},
        "creator": None if d.creator is None else {
            "address": d.creator.address, "amount": str(d.creator.amount), "bps": d.creator.bps},
        "market": {
            "price_sol": _num(d.price_sol), "price_usd": _num(d.price_usd), "market_cap_usd": _num(d.market_cap_usd),
            "sol_usd": _num(m.sol_usd), "sol_usd_source": m.sol_usd_source, "jupiter_status": m.jupiter_status,
            "jupiter_usd": _num(m.jupiter.usd_price) if m.jupiter else None, "pair_count": m.pair_count,
            "pair": None if pair is None else {
                "dex": pair.dex_id, "address": pair.pair_address, "url": pair.url, "quote": pair.quote.symbol,
                "price_usd": _num(pair.price_usd), "price_native": _num(pair.price_native),
                "market_cap_usd": _num(pair.market_cap_usd), "fdv_usd": _num(pair.fdv_usd),
                "liquidity_usd": _num(pair.liquidity.usd) if pair.liquidity else None,
                "volume_usd": {k: _num(v) for k, v in pair.volume_usd.items()},
                "txns": {k: {"buys": v.buys, "sells": v.sells} for k, v in pair.txns.items()},
                "price_change_pct": {k: _num(v) for k, v in pair.price_change_pct.items()},
                "created_ms": pair.created_ms}},
    }


def _usd(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if value >= 1 else f"${value:.4g}"


def describe(d: TokenDetails) -> str:
    """Return the details as text for a terminal."""
    f, c, m = d.mint_facts, d.curve, d.market
    title = " ".join(x for x in (d.symbol, f"({d.name})" if d.name else "") if x) or "Unknown token"
    lines = [f"{title}  {d.mint}"]
    if f is not None:
        program = "Token-2022" if f.token_2022 else "SPL Token"
        lines.append(f"  {program}, supply {format_units(f.supply, f.decimals)} ({f.decimals} decimals)"
                     + (f", extensions: {', '.join(f.extension_names)}" if f.extensions else ""))
    if c is not None:
        state = "graduated" if c.graduated else f"{format_bps(c.progress_bps)} of the curve sold"
        mcap = f", market cap {format_sol(c.market_cap_lamports, places=2)} SOL" if c.market_cap_lamports else ""
        lines.append(f"  Bonding curve {c.address}: {state}{mcap}")
    lines.append(f"  Price: {_num(d.price_sol) or '—'} SOL, {_usd(d.price_usd)}; market cap {_usd(d.market_cap_usd)}"
                 f"; SOL {_usd(m.sol_usd)}" + (f" ({m.sol_usd_source})" if m.sol_usd_source else ""))
    if m.pair is not None:
        p = m.pair
        volume = p.volume_usd.get("h24")
        txns = p.txns.get("h24")
        lines.append(f"  {p.dex_id} pair {p.pair_address}: liquidity "
                     f"{_usd(p.liquidity.usd) if p.liquidity else '— (curve)'}, 24 h volume {_usd(volume)}"
                     + (f", {txns.buys} buys / {txns.sells} sells" if txns else ""))
    lines += [f"  {_MARKS[str(b.level)]} {b.label}: {b.reason}" for b in d.badges]
    lines += [f"  note: {n}" for n in d.notes]
    return "\n".join(lines)
