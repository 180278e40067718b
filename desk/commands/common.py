"""What every command handler shares: output in text or JSON, passwords, and opening the vault."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from desk.config import AppConfig
from desk.core.errors import DeskError
from desk.core.passwords import estimate
from desk.vault.lifecycle import unlock_vault
from desk.vault.session import Vault


class UsageError(DeskError):
    """The command was called wrongly (exit code 2)."""


@dataclass(frozen=True, slots=True)
class Context:
    """One command invocation.

    Attributes:
        config: Data directory and endpoints.
        json: Print one JSON document (or JSON lines) instead of text.
        assume_yes: Do not ask for confirmation.
    """

    config: AppConfig
    json: bool = False
    assume_yes: bool = False

    def emit(self, document: Any, text: str) -> None:
        """Print ``document`` as JSON with ``--json``, otherwise ``text``."""
        if self.json:
            sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
        else:
            sys.stdout.write(text.rstrip("\n") + "\n")
        sys.stdout.flush()

    def note(self, text: str) -> None:
        """Tell the user something on stderr (keeps stdout clean for JSON)."""
        sys.stderr.write(text.rstrip("\n") + "\n")


def read_password(prompt: str = "Vault password: ", env: str = "DESK_PASSWORD") -> str:
    """Return the password from ``env`` or an interactive prompt."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin or not sys.stdin.isatty():
        raise UsageError(f"No password: set {env} or run in a terminal to be asked.")
    return getpass.getpass(prompt)


def read_new_password(ctx: Context, env: str, prompt: str = "New password: ") -> str:
    """Return a new password from ``env`` or a prompt with confirmation, after the strength check."""
    value = os.environ.get(env)
    if value is None:
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError(f"No new password: set {env} or run in a terminal to be asked.")
        value = getpass.getpass(prompt)
        if getpass.getpass("Repeat it: ") != value:
            raise UsageError("The two passwords differ; nothing was changed.")
    strength = estimate(value)
    if not strength.acceptable:
        raise UsageError(f"Password {strength.label}: {strength.hint}")
    ctx.note(f"Password strength: {strength.label}. {strength.hint}")
    return value


@asynccontextmanager
async def unlocked(ctx: Context) -> AsyncIterator[Vault]:
    """Unlock the vault for one command and lock it again afterwards, whatever happens."""
    vault = await unlock_vault(ctx.config.home, read_password())
    try:
        yield vault
    finally:
        await vault.lock(reason="cli")


def confirm(ctx: Context, question: str) -> None:
    """Ask before doing something irreversible; ``--yes`` answers for the user.

    Raises:
        UsageError: no terminal to ask and no ``--yes``, or the user said no.
    """
    if ctx.assume_yes:
        return
    if not sys.stdin or not sys.stdin.isatty():
        raise UsageError(f"{question} Re-run with --yes to confirm (no terminal to ask).")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise UsageError("Cancelled; nothing was done.")
