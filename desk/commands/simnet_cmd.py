"""``desk simnet``: run the simulated network until interrupted, printing how to point a desk at it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from desk.commands.common import Context, UsageError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    """Add the ``simnet`` command."""
    simnet = sub.add_parser("simnet", help="run the offline simulated network (LiteSVM chain + services)",
                            parents=[parent])
    simnet.add_argument("--port", type=int, default=0, help="RPC port on 127.0.0.1 (default: any free port)")
    simnet.add_argument("--market", action="store_true",
                        help="also run the simulated pump.fun market: traders, PumpPortal websocket, DexScreener, "
                             "websocket RPC")
    simnet.add_argument("--block-time", type=float, default=0.4, help="seconds per block (0 = advance per tx)")
    simnet.add_argument("--seed", type=int, default=None, help="market: reproducible traders and keys")
    simnet.add_argument("--traders", type=int, default=24, help="market: simulated wallets (default 24)")
    simnet.add_argument("--creates-per-min", type=float, default=12.0, help="market: token launches per minute")
    simnet.add_argument("--trades-per-sec", type=float, default=4.0, help="market: curve trades per second")
    simnet.set_defaults(handler=run)


async def run(ctx: Context, args: argparse.Namespace) -> int:
    """Start the simnet, print its endpoints, and serve until SIGINT or SIGTERM."""
    from desk.simnet.service import Simnet
    from desk.simnet.traders import Activity

    if args.traders < 1 or args.creates_per_min < 0 or args.trades_per_sec < 0:
        raise UsageError("--traders must be at least 1 and the rates must not be negative.")
    activity = Activity(seed=args.seed, traders=args.traders, creates_per_minute=args.creates_per_min,
                        trades_per_second=args.trades_per_sec)
    simnet = Simnet.start(rpc_port=args.port, block_time=args.block_time or None, market=args.market,
                          activity=activity)
    try:
        env = simnet.env()
        ctx.emit(env, "\n".join(f"export {k}={v}" for k, v in env.items())
                 + "\n# simnet running; Ctrl+C stops it. Fund a wallet: desk airdrop PUBKEY 10"
                 + ("\n# market: simulated traders are launching and trading tokens" if args.market else ""))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still raises KeyboardInterrupt
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        simnet.stop()
    return 0
