"""``desk --self-test``: prove this installation works, offline, without touching the user's data.

Runs in a temporary data directory: SQLCipher really encrypts, a vault round-trips a key, a backup
restores, and the main window builds every panel offscreen. Exit code 0 means healthy.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import orjson

from desk.logs import redact

Check = Callable[[Path], Coroutine[Any, Any, str]]


async def _sqlcipher(home: Path) -> str:
    import sqlcipher3

    from desk.vault.db import ensure_sqlcipher

    conn = sqlcipher3.connect(":memory:")
    ensure_sqlcipher(conn)
    version = conn.execute("PRAGMA cipher_version").fetchone()[0]
    conn.close()
    return f"SQLCipher {version}"


async def _vault_round_trip(home: Path) -> str:
    from solders.keypair import Keypair

    from desk.core.wallets import WalletKind
    from desk.vault.backup import create_backup, restore_backup
    from desk.vault.keyfile import KdfParams
    from desk.vault.lifecycle import create_vault, unlock_vault
    from desk.vault.repos.wallets import NewWallet

    password = "self-test password 1"
    kp = Keypair()
    vault = await create_vault(home / "vault", password, KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1))
    await vault.wallets.add_many([NewWallet("self-test", WalletKind.GENERATED, str(kp.pubkey()), bytes(kp))])
    await create_backup(vault, home / "backup.deskbak")
    await vault.lock()
    await restore_backup(home / "restored", home / "backup.deskbak", password)
    vault = await unlock_vault(home / "restored", password)
    [wallet] = await vault.wallets.list()
    ok = bytes(await vault.wallets.private_key(wallet.id)) == bytes(kp)
    chain = await vault.activity.verify_chain()
    await vault.lock()
    if not ok or chain is not None:
        raise RuntimeError("the restored vault does not hold the stored key")
    for path in (home / "vault").rglob("*"):
        if path.is_file() and (str(kp).encode() in path.read_bytes() or bytes(kp) in path.read_bytes()):
            raise RuntimeError(f"a private key was found in plaintext in {path.name}")
    return "create, store key, backup, restore, unlock: ok"


async def _gui(home: Path) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desk.app import self_test_window

    summary: str = await self_test_window(home / "gui")
    return summary


CHECKS: list[tuple[str, Check]] = [
    ("sqlcipher", _sqlcipher),
    ("vault", _vault_round_trip),
    ("gui", _gui),
]


def run_self_test(*, json_output: bool) -> int:
    """Run every check and print a report; return 0 when all pass."""
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="desk-self-test-") as tmp:
        for name, check in CHECKS:
            started = time.perf_counter()
            detail: str
            try:
                detail = asyncio.run(check(Path(tmp)))
                ok = True
            except Exception as e:  # noqa: BLE001 - a self-test reports every failure, whatever it is
                detail = redact(f"{type(e).__name__}: {e}")
                if not json_output:
                    traceback.print_exc(file=sys.stderr)
                ok = False
            results.append({"check": name, "ok": ok, "detail": detail,
                            "seconds": round(time.perf_counter() - started, 3)})
    healthy = all(r["ok"] for r in results)
    if json_output:
        sys.stdout.write(orjson.dumps({"ok": healthy, "checks": results}).decode() + "\n")
    else:
        for r in results:
            sys.stdout.write(f"{'ok  ' if r['ok'] else 'FAIL'} {r['check']:<10} {r['detail']}\n")
        sys.stdout.write("Healthy.\n" if healthy else "Self-test FAILED.\n")
    return 0 if healthy else 1
