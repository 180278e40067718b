"""pump.fun's BondingCurve account (protocols.md §7.4): PDA derivation and a decoder that reads by prefix.

The curve address is always derived from the mint (``["bonding-curve", mint]`` under the pump program),
never taken from a feed message. The layout after the 8-byte Anchor discriminator is
``virtual_token_reserves u64, virtual_quote_reserves u64, real_token_reserves u64,
real_quote_reserves u64, token_total_supply u64, complete bool, creator pubkey, is_mayhem_mode bool,
is_cashback_coin bool, quote_mint pubkey``. Older curves stop earlier, so fields past ``complete`` are
optional; 2026 accounts are 151 bytes with zero padding.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from desk.core.curve import INITIAL_REAL_TOKEN_RESERVES, CurveState
from desk.core.errors import VenueError

PUMP_PROGRAM_ID = Pubkey.from_string("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
PUMP_AMM_PROGRAM_ID = Pubkey.from_string("pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
BONDING_CURVE_SEED = b"bonding-curve"
BONDING_CURVE_DISCRIMINATOR = bytes.fromhex("17b7f83760d8ac60")
ACCOUNT_LEN_2026 = 151
_RESERVES = struct.Struct("<5Q")
_MIN_LEN = 8 + _RESERVES.size + 1  # discriminator, five u64, complete
_DEFAULT_KEY = bytes(32)


class CurveAccountError(VenueError):
    """Account data is not a pump.fun BondingCurve (wrong discriminator, too short, or malformed)."""


@dataclass(frozen=True, slots=True)
class BondingCurveAccount:
    """A decoded BondingCurve account. Reserves are integers in atomic units.

    Attributes:
        virtual_token_reserves: Virtual token reserve (token atomic units).
        virtual_quote_reserves: Virtual quote reserve (lamports on a SOL-quoted curve).
        real_token_reserves: Tokens still for sale.
        real_quote_reserves: Quote actually held.
        token_total_supply: Token supply the curve was created with.
        complete: Graduated: the curve no longer trades.
        creator: Creator (dev) wallet, if the account is long enough to hold it.
        is_mayhem_mode: Mayhem coin (reserves can be moved by an agent), if present.
        is_cashback_coin: Cashback coin, if present.
        quote_mint: Quote mint, None for SOL (default pubkey) or an account too short to say.
    """

    virtual_token_reserves: int
    virtual_quote_reserves: int
    real_token_reserves: int
    real_quote_reserves: int
    token_total_supply: int
    complete: bool
    creator: str | None = None
    is_mayhem_mode: bool | None = None
    is_cashback_coin: bool | None = None
    quote_mint: str | None = None

    @property
    def sol_quoted(self) -> bool:
        """Whether the curve trades against SOL (the default quote mint)."""
        return self.quote_mint is None

    @property
    def progress_bps(self) -> int:
        """Share of the 793.1M sale tokens sold, in basis points (10000 when complete).

        For mayhem coins the standard formula does not hold; callers should say so.
        """
        if self.complete:
            return 10_000
        sold = INITIAL_REAL_TOKEN_RESERVES - self.real_token_reserves
        return max(0, min(10_000, sold * 10_000 // INITIAL_REAL_TOKEN_RESERVES))

    def to_curve_state(self) -> CurveState:
        """Return the reserves as a :class:`CurveState` (quote units stand in for lamports)."""
        return CurveState(virtual_token=self.virtual_token_reserves, virtual_sol=self.virtual_quote_reserves,
                          real_token=self.real_token_reserves, real_sol=self.real_quote_reserves,
                          total_supply=self.token_total_supply, complete=self.complete)


def _as_pubkey(mint: Pubkey | str) -> Pubkey:
    if isinstance(mint, Pubkey):
        return mint
    try:
        return Pubkey.from_string(mint)
    except ValueError as e:
        raise CurveAccountError(f"{mint[:60]!r} is not a Solana address.") from e


def bonding_curve_address(mint: Pubkey | str) -> Pubkey:
    """Return the bonding-curve PDA of ``mint``.

    Raises:
        CurveAccountError: ``mint`` is not a valid address.
    """
    return Pubkey.find_program_address([BONDING_CURVE_SEED, bytes(_as_pubkey(mint))], PUMP_PROGRAM_ID)[0]


def associated_bonding_curve(curve: Pubkey, mint: Pubkey | str, token_program: Pubkey) -> Pubkey:
    """Return the curve's own token account: the associated token account of ``curve`` for ``mint``."""
    seeds = [bytes(curve), bytes(token_program), bytes(_as_pubkey(mint))]
    return Pubkey.find_program_address(seeds, ASSOCIATED_TOKEN_PROGRAM_ID)[0]


def _flag(data: bytes, offset: int, what: str) -> bool | None:
    if len(data) <= offset:
        return None
    if data[offset] > 1:
        raise CurveAccountError(f"The bonding curve's {what} flag is not a boolean.")
    return data[offset] == 1


def decode_bonding_curve(data: bytes) -> BondingCurveAccount:
    """Decode BondingCurve account data, reading only the fields the data is long enough to hold.

    Raises:
        CurveAccountError: wrong discriminator, shorter than the fixed reserves, or a flag byte > 1.
    """
    if len(data) < 8 or data[:8] != BONDING_CURVE_DISCRIMINATOR:
        raise CurveAccountError("The account is not a pump.fun bonding curve (discriminator differs).")
    if len(data) < _MIN_LEN:
        raise CurveAccountError(f"The bonding curve account is too short ({len(data)} bytes).")
    v_token, v_quote, r_token, r_quote, supply = _RESERVES.unpack_from(data, 8)
    complete = _flag(data, 48, "complete")
    creator_raw = data[49:81] if len(data) >= 81 else _DEFAULT_KEY
    creator = None if creator_raw == _DEFAULT_KEY else str(Pubkey.from_bytes(creator_raw))
    quote_raw = data[83:115] if len(data) >= 115 else None
    return BondingCurveAccount(
        virtual_token_reserves=v_token, virtual_quote_reserves=v_quote, real_token_reserves=r_token,
        real_quote_reserves=r_quote, token_total_supply=supply, complete=bool(complete), creator=creator,
        is_mayhem_mode=_flag(data, 81, "mayhem"), is_cashback_coin=_flag(data, 82, "cashback"),
        quote_mint=None if quote_raw is None or quote_raw == _DEFAULT_KEY else str(Pubkey.from_bytes(quote_raw)),
    )


def encode_bonding_curve(account: BondingCurveAccount, *, length: int = ACCOUNT_LEN_2026) -> bytes:
    """Return account data for ``account`` in the 2026 layout, zero-padded to ``length`` (simnet, tests)."""
    data = BONDING_CURVE_DISCRIMINATOR + _RESERVES.pack(
        account.virtual_token_reserves, account.virtual_quote_reserves, account.real_token_reserves,
        account.real_quote_reserves, account.token_total_supply) + bytes([account.complete])
    data += bytes(Pubkey.from_string(account.creator)) if account.creator else _DEFAULT_KEY
    data += bytes([bool(account.is_mayhem_mode), bool(account.is_cashback_coin)])
    data += bytes(Pubkey.from_string(account.quote_mint)) if account.quote_mint else _DEFAULT_KEY
    return data[:length] if length < len(data) else data.ljust(length, b"\0")
