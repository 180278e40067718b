"""``desk vault init | check | passwd | backup | restore``."""

from __future__ import annotations

import argparse
from pathlib import Path

from desk.commands.common import Context, read_new_password, read_password
from desk.core.errors import VaultExistsError
from desk.vault.backup import create_backup, restore_backup
from desk.vault.files import VaultPaths
from desk.vault.keyfile import KdfParams
from desk.vault.lifecycle import change_password, create_vault, unlock_vault
from desk.vault.session import Vault


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             parent: argparse.ArgumentParser) -> None:
    """Add the ``vault`` subcommands."""
    vault = sub.add_parser("vault", help="create, check, re-key, back up and restore the vault",
                           parents=[parent])
    actions = vault.add_subparsers(dest="vault_action", required=True, metavar="ACTION")
    init = actions.add_parser("init", help="create a new vault", parents=[parent])
    init.add_argument("--kdf-memory-mib", type=int, help="Argon2id memory in MiB (default 256)")
    actions.add_parser("check", help="unlock and verify every page and the activity chain", parents=[parent])
    passwd = actions.add_parser("passwd", help="change the password (DESK_NEW_PASSWORD)", parents=[parent])
    passwd.add_argument("--kdf-memory-mib", type=int, help="raise Argon2id memory to this many MiB")
    backup = actions.add_parser("backup", help="write an encrypted backup file", parents=[parent])
    backup.add_argument("file", type=Path)
    restore = actions.add_parser("restore", help="replace the vault with a backup", parents=[parent])
    restore.add_argument("file", type=Path)
    vault.set_defaults(handler=run)


async def run(ctx: Context, args: argparse.Namespace) -> int:
    """Dispatch one ``vault`` action."""
    action = args.vault_action
    home = ctx.config.home
    if action == "init":
        if VaultPaths(home).exists():
            raise VaultExistsError(f"A vault already exists in {home}; nothing was changed.")
        password = read_new_password(ctx, "DESK_PASSWORD", "Choose a vault password: ")
        kdf = KdfParams(memory_kib=args.kdf_memory_mib * 1024) if args.kdf_memory_mib else None
        vault = await create_vault(home, password, kdf)
        params = vault.keyfile.kdf
        await vault.lock(reason="cli")
        ctx.emit(
            {"ok": True, "home": str(home), "vault_id": vault.vault_id,
             "kdf": {"m_kib": params.memory_kib, "t": params.time_cost, "p": params.parallelism}},
            f"Vault created in {home}.\nKeep the password safe: without it the vault cannot be opened.",
        )
        if params.weaker_than_recommended:
            ctx.note("Warning: the key derivation is weaker than recommended (64 MiB, 3 passes).")
        return 0
    if action == "restore":
        password = read_password("Password of the backup: ")
        info = await restore_backup(home, args.file, password)
        ctx.emit({"ok": True, "vault_id": info.vault_id, "backup_created_ms": info.created_ms,
                  "schema": info.schema},
                 f"Vault restored from {args.file}. A replaced vault, if any, is kept in {home / 'replaced'}.")
        return 0

    password = read_password()
    vault = await unlock_vault(home, password)
    try:
        if action == "check":
            return await _check(ctx, vault)
        if action == "passwd":
            new = read_new_password(ctx, "DESK_NEW_PASSWORD")
            kdf = KdfParams(memory_kib=args.kdf_memory_mib * 1024) if args.kdf_memory_mib else None
            await change_password(vault, password, new, kdf)
            ctx.emit({"ok": True}, "Password changed. The old password no longer opens the vault.")
            return 0
        if action == "backup":
            info = await create_backup(vault, args.file)
            ctx.emit({"ok": True, "file": str(info.path), "bytes": info.db_bytes, "schema": info.schema},
                     f"Backup written to {info.path} ({info.db_bytes:,} bytes). "
                     "It opens with the current password.")
            return 0
    finally:
        await vault.lock(reason="cli")
    raise AssertionError(action)  # pragma: no cover - argparse restricts the choices


async def _check(ctx: Context, vault: Vault) -> int:
    integrity = await vault.db.run(lambda conn: [r[0] for r in conn.execute("PRAGMA integrity_check")])
    broken = await vault.activity.verify_chain()
    wallets = await vault.wallets.list(include_archived=True)
    schema = await vault.db.run(lambda conn: conn.execute("PRAGMA user_version").fetchone()[0])
    healthy = integrity == ["ok"] and broken is None
    doc = {"ok": healthy, "vault_id": vault.vault_id, "schema": schema, "integrity": integrity,
           "activity_chain": "intact" if broken is None else f"broken at entry {broken}",
           "wallets": len(wallets)}
    lines = [f"Vault {vault.vault_id}", f"  schema version   {schema}",
             f"  pages            {'ok' if integrity == ['ok'] else '; '.join(integrity)}",
             f"  activity chain   {doc['activity_chain']}", f"  wallets          {len(wallets)}",
             "Healthy." if healthy else "PROBLEMS FOUND: restore a backup."]
    ctx.emit(doc, "\n".join(lines))
    return 0 if healthy else 1
