"""A password strength hint: a rough entropy estimate with penalties for common patterns."""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass

_COMMON = {
    "password", "123456", "12345678", "qwerty", "letmein", "welcome", "admin", "iloveyou", "monkey",
    "dragon", "solana", "bitcoin", "crypto", "wallet", "pumpfun", "trading", "moon", "lambo",
}
MIN_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Strength:
    """How strong a password looks.

    Attributes:
        bits: Estimated entropy in bits.
        label: "too short", "weak", "fair", "good" or "strong".
        hint: One sentence the user can act on.
        acceptable: Whether the desk accepts it for a new vault.
    """

    bits: float
    label: str
    hint: str
    acceptable: bool


def estimate(password: str) -> Strength:
    """Estimate the strength of ``password``."""
    if len(password) < MIN_LENGTH:
        return Strength(0.0, "too short", f"Use at least {MIN_LENGTH} characters; a few random words work well.",
                        False)
    pool = 0
    if any(c in string.ascii_lowercase for c in password):
        pool += 26
    if any(c in string.ascii_uppercase for c in password):
        pool += 26
    if any(c in string.digits for c in password):
        pool += 10
    if any(c in string.punctuation or c == " " for c in password):
        pool += 33
    if any(ord(c) > 127 for c in password):
        pool += 100
    distinct = len(set(password))
    bits = min(len(password), distinct * 2) * math.log2(max(pool, 2))
    lowered = password.lower()
    if any(word in lowered for word in _COMMON):
        bits *= 0.5
    if re.fullmatch(r"(.)\1*", password) or re.search(r"(0123|1234|2345|3456|abcd|qwer|asdf)", lowered):
        bits *= 0.6
    if bits < 40:
        return Strength(bits, "weak", "Easy to guess. Add length: four or more random words.", True)
    if bits < 60:
        return Strength(bits, "fair", "Could be stronger: add another word or more characters.", True)
    if bits < 80:
        return Strength(bits, "good", "Good. Longer is still better for a vault that holds keys.", True)
    return Strength(bits, "strong", "Strong.", True)
