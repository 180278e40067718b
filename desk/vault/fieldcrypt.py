"""Per-field encryption for private keys and API keys, bound to table, row and column.

A ciphertext moved to another row or column fails authentication, so a tampered database cannot
make the desk sign with the wrong wallet's key.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desk.core.errors import FieldDecryptionError

_VERSION = b"\x01"
_INFO = b"field-enc/v1"


class FieldCipher:
    """AES-256-GCM under ``HKDF(DEK, "field-enc/v1")`` with AAD ``table|row|column``."""

    def __init__(self, dek: bytes | bytearray) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(bytes(dek))
        self._aead: AESGCM | None = AESGCM(key)

    def encrypt(self, table: str, row: str, column: str, plaintext: bytes | bytearray) -> bytes:
        """Return the sealed value for one cell."""
        nonce = secrets.token_bytes(12)
        return _VERSION + nonce + self._cipher().encrypt(nonce, bytes(plaintext), _aad(table, row, column))

    def decrypt(self, table: str, row: str, column: str, sealed: bytes) -> bytearray:
        """Return the plaintext of one cell as a wipeable bytearray."""
        if len(sealed) < 1 + 12 + 16 or sealed[:1] != _VERSION:
            raise FieldDecryptionError(f"The encrypted {column} of {table} row is malformed.")
        try:
            plain = self._cipher().decrypt(sealed[1:13], sealed[13:], _aad(table, row, column))
        except InvalidTag as e:
            raise FieldDecryptionError(
                f"The encrypted {column} of a {table} row failed authentication (tampered or moved)."
            ) from e
        return bytearray(plain)

    def forget(self) -> None:
        """Drop the key; any later use raises."""
        self._aead = None

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            raise FieldDecryptionError("The vault is locked.")
        return self._aead


def _aad(table: str, row: str, column: str) -> bytes:
    return f"{table}|{row}|{column}".encode()


def wipe(buffer: bytearray) -> None:
    """Overwrite a secret held in a bytearray."""
    for i in range(len(buffer)):
        buffer[i] = 0
