"""Field encryption is bound to its table, row and column."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from desk.core.errors import FieldDecryptionError
from desk.vault.fieldcrypt import FieldCipher
from desk.vault.lifecycle import create_vault
from tests.factories import FAST_KDF, PASSWORD, new_wallet


def test_round_trip() -> None:
    cipher = FieldCipher(secrets.token_bytes(32))
    sealed = cipher.encrypt("wallets", "id-1", "enc_privkey", b"secret")
    assert bytes(cipher.decrypt("wallets", "id-1", "enc_privkey", sealed)) == b"secret"


@pytest.mark.parametrize(("table", "row", "column"), [
    ("wallets", "id-2", "enc_privkey"), ("wallets", "id-1", "enc_api_key"), ("other", "id-1", "enc_privkey"),
])
def test_ciphertext_moved_elsewhere_fails(table: str, row: str, column: str) -> None:
    cipher = FieldCipher(secrets.token_bytes(32))
    sealed = cipher.encrypt("wallets", "id-1", "enc_privkey", b"secret")
    with pytest.raises(FieldDecryptionError):
        cipher.decrypt(table, row, column, sealed)


def test_forgotten_cipher_refuses() -> None:
    cipher = FieldCipher(secrets.token_bytes(32))
    sealed = cipher.encrypt("t", "r", "c", b"x")
    cipher.forget()
    with pytest.raises(FieldDecryptionError, match="locked"):
        cipher.decrypt("t", "r", "c", sealed)


async def test_swapping_keys_between_wallet_rows_is_detected(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    a, b = await vault.wallets.add_many([new_wallet("a"), new_wallet("b")])

    def swap(conn: object) -> None:
        rows = dict(conn.execute("SELECT id, enc_privkey FROM wallets").fetchall())
        conn.execute("UPDATE wallets SET enc_privkey = ? WHERE id = ?", (rows[b.id], a.id))

    await vault.db.run(swap)
    with pytest.raises(FieldDecryptionError, match="tampered"):
        await vault.wallets.private_key(a.id)
    await vault.lock()
