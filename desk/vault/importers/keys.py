"""Key checks for imports: base58 and lengths are validated here before solders sees any byte.

solders can abort with ``pyo3_runtime.PanicException`` (a ``BaseException``) on hostile input, so it
is only ever handed exactly 64 bytes (``Keypair.from_bytes``, which reports a public half that does
not match the seed as ``ValueError``) or exactly 32 bytes (``Pubkey.from_bytes``, which accepts any).
"""

from __future__ import annotations

from solders.keypair import Keypair
from solders.pubkey import Pubkey

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_DIGITS = {c: i for i, c in enumerate(ALPHABET)}
_INVALID = 0xFF
#: Byte → base58 digit value, or ``_INVALID``.
_TABLE = bytes(_DIGITS.get(chr(b), _INVALID) for b in range(256))
#: A 64-byte secret is at most 88 base58 characters; anything far longer is not a key.
MAX_KEY_CHARS = 128


class EntryError(Exception):
    """An entry is invalid. The message says why and never quotes key material."""


def b58decode(text: str, what: str) -> bytes:
    """Decode base58 text.

    Args:
        text: The text, already stripped.
        what: Name used in messages, e.g. "private key".

    Returns:
        The decoded bytes.

    Raises:
        EntryError: The text is empty, too long, or has a character outside the alphabet.
    """
    if not text:
        raise EntryError(f"{what} is empty")
    if len(text) > MAX_KEY_CHARS:
        raise EntryError(f"{what} is {len(text)} characters long, too long for a key")
    digits = text.encode("ascii").translate(_TABLE) if text.isascii() else None
    if digits is None or _INVALID in digits:
        pos = next(i for i, c in enumerate(text, 1) if c not in _DIGITS)
        raise EntryError(f"{what} is not base58 (character {pos} is outside the base58 alphabet)")
    number = 0
    for digit in digits:
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return bytes(zeros) + number.to_bytes((number.bit_length() + 7) // 8, "big")


def is_base58(text: str) -> bool:
    """Return whether every character of a non-empty ``text`` is in the base58 alphabet."""
    return bool(text) and all(c in _DIGITS for c in text)


def keypair_from_secret(secret: bytes, what: str = "private key") -> tuple[bytes, str]:
    """Check a 64-byte Solana secret key and derive its public key.

    A 32-byte value is refused: it cannot be told apart from a public key, and treating an
    address as a seed would import a wallet nobody uses.

    Args:
        secret: The decoded secret.
        what: Name used in messages.

    Returns:
        The 64-byte keypair and its base58 public key.

    Raises:
        EntryError: Wrong length, or the public half does not belong to the private half.
    """
    if len(secret) == 32:
        raise EntryError(f"{what} is 32 bytes: a public key or a bare seed, not a 64-byte secret key")
    if len(secret) != 64:
        raise EntryError(f"{what} is {len(secret)} bytes; a Solana secret key is 64 bytes")
    try:
        Keypair.from_bytes(secret)
    except ValueError as e:
        raise EntryError(f"{what} is damaged: its public half does not belong to its private half") from e
    return secret, str(Pubkey.from_bytes(secret[32:]))


def secret_from_text(text: str, what: str = "private key") -> tuple[bytes, str]:
    """Decode a base58 secret key; see ``keypair_from_secret``."""
    return keypair_from_secret(b58decode(text, what), what)


def secret_from_numbers(values: list[object], what: str = "keypair") -> tuple[bytes, str]:
    """Decode a Solana CLI keypair (64 integers from 0 to 255); see ``keypair_from_secret``."""
    if len(values) != 64:
        raise EntryError(f"{what} has {len(values)} numbers; a Solana keypair has 64")
    for pos, value in enumerate(values, 1):
        if type(value) is not int or not 0 <= value <= 255:
            raise EntryError(f"{what} number {pos} is not a byte (0 to 255)")
    return keypair_from_secret(bytes(values), what)  # type: ignore[arg-type]  # checked ints above


def pubkey_from_text(text: str, what: str = "public key") -> str:
    """Check a base58 public key and return it in canonical form.

    Raises:
        EntryError: Not base58 or not 32 bytes.
    """
    raw = b58decode(text, what)
    if len(raw) == 64:
        raise EntryError(f"{what} is 64 bytes, the length of a secret key; put secrets in the private key field")
    if len(raw) != 32:
        raise EntryError(f"{what} is {len(raw)} bytes; a Solana public key is 32 bytes")
    return str(Pubkey.from_bytes(raw))
