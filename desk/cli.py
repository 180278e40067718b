"""The command line. With no subcommand it starts the GUI.

Exit codes: 0 ok, 1 failed (reason on stderr), 2 usage, 3 wrong password.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desk import __version__
from desk.config import AppConfig, Endpoints, default_home
from desk.core.errors import DeskError, WrongPasswordError
from desk.logs import redact, setup_logging

if TYPE_CHECKING:
    from desk.commands.common import Context

# Command modules, in help order. They are imported only when a subcommand is given, so the GUI's
# cold start does not pay for the chain and venue stacks.
COMMAND_MODULES = ("vault_cmd", "wallets_cmd", "groups_cmd", "chain_cmd", "simnet_cmd", "token_cmd", "feed_cmd",
                   "trade_cmd", "journal_cmd", "signals_cmd")
_VALUE_OPTIONS = {"--home"}

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_WRONG_PASSWORD = 0, 1, 2, 3

log = logging.getLogger("desk.cli")


def _common_options(*, suppress: bool) -> argparse.ArgumentParser:
    default = argparse.SUPPRESS if suppress else None
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--home", type=Path, default=default, help="data directory (or DESK_HOME)")
    parent.add_argument("--json", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="machine-readable output")
    parent.add_argument("--yes", "-y", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="do not ask for confirmation")
    return parent


def _has_command(argv: Sequence[str]) -> bool:
    """Whether ``argv`` names a subcommand (any positional word), as opposed to starting the GUI."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in _VALUE_OPTIONS:
            skip = True
        elif not token.startswith("-"):
            return True
    return False


def build_parser(*, with_commands: bool = True) -> argparse.ArgumentParser:
    """Return the parser for the whole command line (without subcommands for the GUI's fast path)."""
    parser = argparse.ArgumentParser(prog="desk", description="Mayhem Desk: a local-first Solana trading desk.",
                                     parents=[_common_options(suppress=False)])
    parser.add_argument("--version", action="version", version=f"Mayhem Desk {__version__}")
    parser.add_argument("--simnet", action="store_true", help="run against an in-process simulated network")
    parser.add_argument("--self-test", action="store_true", help="check this installation offline and exit")
    parser.add_argument("--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if with_commands:
        import importlib

        parent = _common_options(suppress=True)
        for name in COMMAND_MODULES:
            importlib.import_module(f"desk.commands.{name}").register(sub, parent)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desk with ``argv`` (default: the process arguments) and return the exit code."""
    if hasattr(os, "umask"):
        os.umask(0o077)  # every file the desk writes is readable by this user only
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(with_commands=_has_command(words) or "-h" in words or "--help" in words)
    try:
        args = parser.parse_args(words)
    except SystemExit as e:
        return int(e.code or 0) and EXIT_USAGE
    home = (args.home or default_home()).expanduser()
    config = AppConfig(home=home, endpoints=Endpoints.from_env(), simnet=args.simnet)
    if args.self_test:
        from desk.commands.selftest import run_self_test

        return run_self_test(json_output=args.json)
    if args.command is None:
        from desk.app import run_gui

        return run_gui(config, verbose=args.verbose)
    from desk.commands.common import Context, UsageError

    setup_logging(config.log_dir, verbose=args.verbose)
    ctx = Context(config=config, json=args.json, assume_yes=args.yes)
    try:
        return int(asyncio.run(args.handler(ctx, args)))
    except WrongPasswordError as e:
        _fail(ctx, str(e))
        return EXIT_WRONG_PASSWORD
    except UsageError as e:
        _fail(ctx, str(e))
        return EXIT_USAGE
    except DeskError as e:
        _fail(ctx, str(e))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _fail(ctx, "Interrupted.")
        return EXIT_FAILED


def _fail(ctx: Context, message: str) -> None:
    message = redact(message)
    log.info("command failed: %s", message)
    if ctx.json:
        import orjson

        sys.stdout.write(orjson.dumps({"ok": False, "error": message}).decode() + "\n")
    sys.stderr.write(f"desk: {message}\n")
