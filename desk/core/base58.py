"""Bitcoin-alphabet base58 for whole byte strings (transactions, bundles); solders only covers keys and signatures.

Pure and bounded: :func:`decode` refuses text longer than ``max_chars`` before doing any big-integer
work, so a hostile answer cannot make it spend quadratic time.
"""

from __future__ import annotations

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INVALID = 0xFF
#: Byte → digit value, or ``_INVALID``.
_TABLE = bytes(ALPHABET.find(chr(b)) if chr(b) in ALPHABET else _INVALID for b in range(256))
#: A Solana packet (1232 bytes) is at most 1684 base58 characters; a little headroom on top.
DEFAULT_MAX_CHARS = 2048


def encode(data: bytes) -> str:
    """Return ``data`` as base58 text; each leading zero byte becomes a leading ``1``."""
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def decode(text: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> bytes:
    """Return the bytes that base58 ``text`` encodes; each leading ``1`` becomes a zero byte.

    Args:
        text: Base58 text, without surrounding whitespace.
        max_chars: Longest text accepted.

    Raises:
        ValueError: empty, longer than ``max_chars``, or a character outside the alphabet (the message
            gives the position, never the text).
    """
    if not text:
        raise ValueError("the base58 text is empty")
    if len(text) > max_chars:
        raise ValueError(f"the base58 text is {len(text)} characters long, more than {max_chars}")
    digits = text.encode("ascii").translate(_TABLE) if text.isascii() else None
    if digits is None or _INVALID in digits:
        position = next(i for i, c in enumerate(text, 1) if c not in ALPHABET)
        raise ValueError(f"character {position} is outside the base58 alphabet")
    number = 0
    for digit in digits:
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return bytes(zeros) + number.to_bytes((number.bit_length() + 7) // 8, "big")
