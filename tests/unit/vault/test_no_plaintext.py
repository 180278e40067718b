"""No secret reaches any file in the data directory, in any common encoding."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from solders.keypair import Keypair

from desk.logs import setup_logging
from desk.vault.backup import create_backup
from desk.vault.lifecycle import create_vault, unlock_vault
from tests.factories import FAST_KDF, PASSWORD, new_wallet

API_KEY = "ppk-9f3b7c1d2e4a6b8c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c"


def encodings_of(keypair: Keypair) -> dict[str, bytes]:
    raw = bytes(keypair)
    return {
        "raw": raw,
        "seed": raw[:32],
        "base58": str(keypair).encode(),
        "hex": raw.hex().encode(),
        "seed-hex": raw[:32].hex().encode(),
        "base64": base64.b64encode(raw),
        "cli-json": json.dumps(list(raw)).encode(),
        "cli-json-compact": json.dumps(list(raw), separators=(",", ":")).encode(),
        "api-key": API_KEY.encode(),
        "api-key-utf16": API_KEY.encode("utf-16-le"),
    }


def all_files(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if p.is_file()]


async def test_stored_private_key_and_api_key_appear_in_no_file(home: Path, tmp_path: Path) -> None:
    keypair = Keypair()
    setup_logging(home / "logs")
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    [wallet] = await vault.wallets.add_many([new_wallet("secret-holder", keypair=keypair, api_key=API_KEY)])
    # exercise paths that touch the secret: decrypt for signing, a backup, a log line with the wallet
    assert bytes(await vault.wallets.private_key(wallet.id)) == bytes(keypair)
    logging.getLogger("desk.test").info("signing with %s key %s", wallet.pubkey, str(keypair))
    await create_backup(vault, home / "backup.deskbak")
    await vault.lock()
    vault = await unlock_vault(home, PASSWORD)
    await vault.db.run(lambda conn: conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall())
    files = all_files(home)  # while open: the WAL and shm files are there too
    await vault.lock()
    files += all_files(home)
    for handler in logging.getLogger().handlers:
        handler.flush()

    assert any(p.name == "desk.log" for p in files)
    needles = encodings_of(keypair)
    for path in set(files):
        if not path.exists():
            continue
        content = path.read_bytes()
        for name, needle in needles.items():
            assert needle not in content, f"{name} of a secret found in {path.name}"


async def test_imported_wallet_secrets_appear_in_no_file(home: Path) -> None:
    from desk.engine.wallets import apply_import
    from desk.vault.importers import parse_import, plan_import

    keypairs = [Keypair() for _ in range(3)]
    legacy = json.dumps([
        {"label": "bot", "publicKey": str(keypairs[0].pubkey()), "privateKey": str(keypairs[0]), "apiKey": API_KEY,
         "type": "pumpportal", "active": True},
        {"label": "snake", "public_key": str(keypairs[1].pubkey()), "private_key": str(keypairs[1])},
    ]).encode()
    cli_file = json.dumps(list(bytes(keypairs[2]))).encode()
    setup_logging(home / "logs")
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    for data in (legacy, cli_file):
        preview = parse_import(data)
        logging.getLogger("desk.test").info("preview %r", preview)
        await apply_import(vault, plan_import(preview, await vault.wallets.list(include_archived=True)))
    assert len(await vault.wallets.list()) == 3
    await vault.lock()
    for handler in logging.getLogger().handlers:
        handler.flush()
    for path in all_files(home):
        content = path.read_bytes()
        for keypair in keypairs:
            for name, needle in encodings_of(keypair).items():
                assert needle not in content, f"{name} of an imported secret found in {path.name}"
