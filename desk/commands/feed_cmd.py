"""``desk feed [--limit N] [--trades MINT...]``: print live market events (JSON lines with ``--json``).

Endpoints come from ``DESK_PUMPPORTAL_WS`` and ``DESK_RPC_WS_URL``; a PumpPortal API key for the metered
trade streams from ``DESK_PUMPPORTAL_API_KEY`` (without one, trades come from RPC program logs).
Link status changes go to stderr, so stdout carries only events.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any

import orjson

from desk.commands.common import Context, UsageError
from desk.core.errors import VenueError
from desk.core.market import PUMP_TOKEN_DECIMALS, MarketEvent, TokenCreated, Trade
from desk.core.money import format_sol, format_units

if TYPE_CHECKING:  # the network stack loads on first use, keeping the CLI's start short
    from desk.chain.ws import LinkStatus

API_KEY_ENV = "DESK_PUMPPORTAL_API_KEY"
QUEUE_SIZE = 10_000


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    """Add the ``feed`` command."""
    feed = sub.add_parser("feed", help="stream new tokens, trades and migrations", parents=[parent])
    feed.add_argument("--limit", type=int, metavar="N", help="stop after N events (default: run until interrupted)")
    feed.add_argument("--trades", nargs="+", default=[], metavar="MINT",
                      help="stream these tokens' trades (and migrations) instead of new tokens")
    feed.set_defaults(handler=run)


async def run(ctx: Context, args: argparse.Namespace) -> int:
    """Stream events until ``--limit`` is reached (or forever); return 0."""
    from desk.chain.ws import LinkStatus, StatusKind
    from desk.engine.feed import Feed

    limit: int | None = args.limit
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1.")
    mints = _check_mints(args.trades)
    endpoints = ctx.config.endpoints
    feed = Feed(endpoints.get("DESK_PUMPPORTAL_WS"), endpoints.get("DESK_RPC_WS_URL") or None,
                api_key=os.environ.get(API_KEY_ENV) or None)
    queue: asyncio.Queue[MarketEvent | LinkStatus] = asyncio.Queue(QUEUE_SIZE)
    dropped = 0

    def on_event(event: MarketEvent) -> None:
        nonlocal dropped
        if mints and event.mint not in mints:
            return
        try:
            queue.put_nowait(event)
        except asyncio.QueueFull:  # stdout is slower than the feed: drop rather than block the socket
            dropped += 1

    def on_status(status: LinkStatus) -> None:
        ctx.note(f"{status.source}: {status.kind.value}: {status.text}")
        if status.kind is StatusKind.FAILED:  # a link gave up, e.g. on a malformed URL
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(status)

    feed.subscribe(on_event)
    feed.subscribe_status(on_status)
    printed = 0
    async with feed:
        for mint in mints:
            source = feed.watch_trades(mint)
            ctx.note(f"trades of {mint} from {source.value}")
        while limit is None or printed < limit:
            item = await queue.get()
            if isinstance(item, LinkStatus):
                raise VenueError(f"The feed stopped: {item.source}: {item.text}")
            _print(ctx, item)
            printed += 1
    if dropped:
        ctx.note(f"{dropped} event(s) dropped because output could not keep up.")
    return 0


def _check_mints(mints: list[str]) -> set[str]:
    from solders.pubkey import Pubkey

    for mint in mints:
        try:
            Pubkey.from_string(mint)
        except ValueError as e:
            raise UsageError(f"{mint!r} is not a token mint address.") from e
    return set(mints)


def event_document(event: MarketEvent) -> dict[str, Any]:
    """Return an event as a JSON-ready dict: ``type``, ``mint``, ``signature``, then its own fields."""
    doc: dict[str, Any] = {"type": event.type, "mint": event.mint, "signature": event.signature,
                           "source": event.source.value, "received_ms": event.received_ms}
    if isinstance(event, TokenCreated):
        doc.update(name=event.name, symbol=event.symbol, uri=event.uri, creator=event.creator, pool=event.pool,
                   market_cap_sol=_sol(event.market_cap), market_cap_lamports=event.market_cap,
                   initial_buy=event.initial_buy, sol_amount=event.sol_amount, v_sol=event.v_sol,
                   v_tokens=event.v_tokens, bonding_curve=event.bonding_curve, mayhem=event.mayhem)
    elif isinstance(event, Trade):
        doc.update(side=event.side.value, trader=event.trader, token_amount=event.token_amount,
                   sol_amount=event.sol_amount, market_cap_sol=_sol(event.market_cap),
                   market_cap_lamports=event.market_cap, v_sol=event.v_sol, v_tokens=event.v_tokens,
                   new_token_balance=event.new_token_balance, pool=event.pool,
                   price_lamports_per_token=event.price_lamports_per_token())
    else:
        doc["pool"] = event.pool
    return doc


def _sol(lamports: int | None) -> float | None:
    return None if lamports is None else lamports / 1_000_000_000


def _print(ctx: Context, event: MarketEvent) -> None:
    if ctx.json:
        sys.stdout.write(orjson.dumps(event_document(event)).decode() + "\n")
    elif isinstance(event, TokenCreated):
        cap = "?" if event.market_cap is None else format_sol(event.market_cap, places=2)
        sys.stdout.write(f"create   {event.symbol[:10]:<10} {event.name[:24]:<24} mcap {cap:>8} SOL  "
                         f"{event.mint}  by {event.creator}\n")
    elif isinstance(event, Trade):
        sol = "?" if event.sol_amount is None else format_sol(event.sol_amount, places=4)
        sys.stdout.write(f"{event.side.value:<8} {format_units(event.token_amount, PUMP_TOKEN_DECIMALS):>20} for "
                         f"{sol:>10} SOL  {event.mint}  by {event.trader}\n")
    else:
        sys.stdout.write(f"migrate  {event.mint} → {event.pool or '?'}\n")
    sys.stdout.flush()
