"""The command line contract: vault commands, --json, and the exit codes 0/1/2/3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desk import __version__
from tests.factories import PASSWORD


def desk(home: Path, *args: str, password: str | None = PASSWORD, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DESK_HOME": str(home), **env}
    environ.pop("DESK_PASSWORD", None)
    if password is not None:
        environ["DESK_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "desk", *args], capture_output=True, text=True,
                          env=environ, stdin=subprocess.DEVNULL, timeout=120)


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "desk", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout


def test_vault_lifecycle_through_the_cli(home: Path, tmp_path: Path) -> None:
    init = desk(home, "vault", "init", "--json")
    assert init.returncode == 0, init.stderr
    assert json.loads(init.stdout)["ok"] is True

    check = desk(home, "--json", "vault", "check")
    assert check.returncode == 0 and json.loads(check.stdout)["activity_chain"] == "intact"

    backup = tmp_path / "v.deskbak"
    assert desk(home, "vault", "backup", str(backup)).returncode == 0

    passwd = desk(home, "vault", "passwd", DESK_NEW_PASSWORD="new pass phrase 123")
    assert passwd.returncode == 0, passwd.stderr
    assert desk(home, "vault", "check").returncode == 3
    assert desk(home, "vault", "check", password="new pass phrase 123").returncode == 0

    restore = desk(home, "vault", "restore", str(backup))
    assert restore.returncode == 0, restore.stderr
    assert desk(home, "vault", "check").returncode == 0


def test_wrong_password_exits_3_with_plain_message(home: Path) -> None:
    assert desk(home, "vault", "init").returncode == 0
    result = desk(home, "vault", "check", password="nope nope nope")
    assert result.returncode == 3
    assert "Wrong password" in result.stderr


def test_init_twice_fails_with_exit_1(home: Path) -> None:
    assert desk(home, "vault", "init").returncode == 0
    again = desk(home, "vault", "init")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_missing_password_without_terminal_is_usage_error(home: Path) -> None:
    result = desk(home, "vault", "init", password=None)
    assert result.returncode == 2 and "DESK_PASSWORD" in result.stderr


@pytest.mark.parametrize("args", [["vault"], ["vault", "bogus"], ["nonsense"]])
def test_bad_usage_exits_2(home: Path, args: list[str]) -> None:
    assert desk(home, *args).returncode == 2


def test_too_short_password_is_refused(home: Path) -> None:
    result = desk(home, "vault", "init", password="short")
    assert result.returncode == 2 and "at least" in result.stderr
    assert not (home / "vault.keys.json").exists()


def test_damaged_key_file_exits_1_with_message(home: Path) -> None:
    assert desk(home, "vault", "init").returncode == 0
    (home / "vault.keys.json").write_text("{")
    result = desk(home, "--json", "vault", "check")
    assert result.returncode == 1
    assert "key file" in json.loads(result.stdout.splitlines()[0])["error"]
