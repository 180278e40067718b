"""Wallet and group commands through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

from solders.keypair import Keypair

from tests.unit.test_cli import desk


def init(home: Path) -> None:
    assert desk(home, "vault", "init").returncode == 0


def test_new_list_rename_and_toggle(home: Path) -> None:
    init(home)
    assert desk(home, "groups", "create", "snipers").returncode == 0
    made = desk(home, "--json", "wallets", "new", "--count", "3", "--label", "Sniper", "--group", "snipers")
    assert made.returncode == 0, made.stderr
    listed = json.loads(desk(home, "--json", "wallets", "list").stdout)
    assert [w["label"] for w in listed] == ["Sniper 1", "Sniper 2", "Sniper 3"]
    for wallet in listed:
        assert {"id", "label", "kind", "pubkey", "active", "groups", "sol"} <= wallet.keys()
        assert wallet["groups"] == ["snipers"] and wallet["sol"] is None and wallet["kind"] == "generated"
    assert desk(home, "wallets", "rename", "Sniper 1", "Main").returncode == 0
    assert desk(home, "wallets", "deactivate", "--group", "snipers").returncode == 0
    listed = json.loads(desk(home, "--json", "wallets", "list").stdout)
    assert listed[0]["label"] == "Main" and not any(w["active"] for w in listed)
    assert desk(home, "wallets", "activate", "--all").returncode == 0
    assert all(w["active"] for w in json.loads(desk(home, "--json", "wallets", "list").stdout))


def test_import_previews_then_applies_once(home: Path, tmp_path: Path) -> None:
    init(home)
    keys = [Keypair() for _ in range(3)]
    path = tmp_path / "keys.txt"
    path.write_text("\n".join([str(keys[0]), str(keys[1]), "not-a-key!", str(keys[0]), str(keys[2])]) + "\n")
    preview = json.loads(desk(home, "--json", "wallets", "import", str(path), "--dry-run").stdout)
    assert len(preview["added"]) == 3 and preview["invalid"][0]["line"] == 3 and len(preview["duplicates"]) == 1
    assert json.loads(desk(home, "--json", "wallets", "list").stdout) == []

    refused = desk(home, "wallets", "import", str(path))
    assert refused.returncode == 2 and "--yes" in refused.stderr
    applied = desk(home, "--json", "--yes", "wallets", "import", str(path))
    assert applied.returncode == 0, applied.stderr
    again = json.loads(desk(home, "--json", "--yes", "wallets", "import", str(path)).stdout)
    assert again["added"] == [] and again["applied"] is False
    pubkeys = {w["pubkey"] for w in json.loads(desk(home, "--json", "wallets", "list").stdout)}
    assert pubkeys == {str(k.pubkey()) for k in keys}


def test_export_requires_consent_and_password(home: Path) -> None:
    init(home)
    desk(home, "wallets", "new", "--label", "Hot")
    assert desk(home, "wallets", "export", "Hot").returncode == 2
    result = desk(home, "--json", "wallets", "export", "Hot", "--i-understand", "--format", "cli-json")
    assert result.returncode == 0, result.stderr
    secret = json.loads(json.loads(result.stdout)["private_key"])
    wallet = json.loads(desk(home, "--json", "wallets", "list").stdout)[0]
    assert str(Keypair.from_bytes(bytes(secret)).pubkey()) == wallet["pubkey"]
    assert "WARNING" in result.stderr


def test_unknown_wallet_is_a_clear_failure(home: Path) -> None:
    init(home)
    result = desk(home, "wallets", "rename", "ghost", "x")
    assert result.returncode == 1 and "No wallet called 'ghost'" in result.stderr
