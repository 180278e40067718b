"""Money at the edges: SOL text to lamports and back. Below the UI every amount is an integer."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from desk.core.errors import ValidationError

LAMPORTS_PER_SOL = 1_000_000_000
MAX_SOL = Decimal(600_000_000)  # above total supply: a typo, not an amount


def parse_sol(text: str | float | Decimal) -> int:
    """Return lamports for a SOL amount written by a person (``"0.5"``, ``"1e-3"``).

    Raises:
        ValidationError: not a number, negative, NaN/infinite, absurdly large, or finer than a lamport.
    """
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation as e:
        raise ValidationError(f"{text!r} is not an amount of SOL.") from e
    if not value.is_finite() or value < 0:
        raise ValidationError(f"{text!r} is not a positive amount of SOL.")
    if value > MAX_SOL:
        raise ValidationError(f"{text} SOL is more SOL than exists.")
    lamports = value * LAMPORTS_PER_SOL
    if lamports != lamports.to_integral_value():
        raise ValidationError(f"{text} SOL has more than 9 decimal places.")
    return int(lamports)


def format_sol(lamports: int, *, places: int = 9) -> str:
    """Return lamports as SOL text with up to ``places`` decimals, trailing zeros trimmed."""
    sign = "-" if lamports < 0 else ""
    whole, frac = divmod(abs(lamports), LAMPORTS_PER_SOL)
    digits = f"{frac:09d}"[:places].rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def format_units(amount: int, decimals: int) -> str:
    """Return token atomic units as text with the mint's decimals, trailing zeros trimmed."""
    if decimals == 0:
        return str(amount)
    whole, frac = divmod(amount, 10**decimals)
    digits = f"{frac:0{decimals}d}".rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)
