"""pump.fun bonding-curve arithmetic in integers (protocols.md §7.5), exact to the lamport.

x·y = k on virtual reserves. A buy of ``sol_in`` lamports (fees on top) returns
``floor(sol_in × vTok / (vSol + sol_in))`` tokens; a sell of ``tok_in`` returns
``floor(tok_in × vSol / (vTok + tok_in))`` lamports (fees deducted). The curve completes when every
real token is sold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from desk.core.errors import ValidationError
from desk.core.market import TOKEN_TOTAL_SUPPLY

INITIAL_VIRTUAL_TOKEN_RESERVES = 1_073_000_000_000_000
INITIAL_VIRTUAL_SOL_RESERVES = 30_000_000_000
INITIAL_REAL_TOKEN_RESERVES = 793_100_000_000_000
PROTOCOL_FEE_BPS = 95
CREATOR_FEE_BPS = 30


@dataclass(frozen=True, slots=True)
class CurveState:
    """A bonding curve's reserves.

    Attributes:
        virtual_token: Virtual token reserve (atomic units).
        virtual_sol: Virtual SOL reserve (lamports).
        real_token: Tokens still for sale (atomic units).
        real_sol: Lamports actually held.
        total_supply: Token supply (atomic units).
        complete: Graduated: no more curve trading.
    """

    virtual_token: int = INITIAL_VIRTUAL_TOKEN_RESERVES
    virtual_sol: int = INITIAL_VIRTUAL_SOL_RESERVES
    real_token: int = INITIAL_REAL_TOKEN_RESERVES
    real_sol: int = 0
    total_supply: int = TOKEN_TOTAL_SUPPLY
    complete: bool = False

    @property
    def market_cap(self) -> int:
        """Market cap in lamports: price × supply."""
        return self.virtual_sol * self.total_supply // self.virtual_token

    @property
    def progress_bps(self) -> int:
        """Bonding-curve progress in basis points (10000 = graduated)."""
        sold = INITIAL_REAL_TOKEN_RESERVES - self.real_token
        return max(0, min(10_000, sold * 10_000 // INITIAL_REAL_TOKEN_RESERVES))


@dataclass(frozen=True, slots=True)
class Fill:
    """The result of one curve trade.

    Attributes:
        tokens: Tokens bought or sold (atomic units).
        sol: Lamports on the curve (before fees).
        fee: Protocol fee (lamports).
        creator_fee: Creator fee (lamports).
        state: The curve after the trade.
    """

    tokens: int
    sol: int
    fee: int
    creator_fee: int
    state: CurveState

    @property
    def buyer_pays(self) -> int:
        """Lamports a buyer pays in total."""
        return self.sol + self.fee + self.creator_fee

    @property
    def seller_receives(self) -> int:
        """Lamports a seller receives after fees."""
        return self.sol - self.fee - self.creator_fee


def fees_on(sol: int, fee_bps: int = PROTOCOL_FEE_BPS, creator_fee_bps: int = CREATOR_FEE_BPS) -> tuple[int, int]:
    """Return (protocol fee, creator fee) on a curve amount, rounded down as the program does."""
    return sol * fee_bps // 10_000, sol * creator_fee_bps // 10_000


def buy(state: CurveState, sol_in: int, *, fee_bps: int = PROTOCOL_FEE_BPS,
        creator_fee_bps: int = CREATOR_FEE_BPS) -> Fill:
    """Buy with ``sol_in`` lamports on the curve (fees are charged on top).

    When the curve has fewer tokens left than ``sol_in`` would buy, the buy takes the rest and pays
    only what those tokens cost.

    Raises:
        ValidationError: non-positive amount, or the curve is complete.
    """
    if sol_in <= 0:
        raise ValidationError("A buy needs a positive SOL amount.")
    if state.complete:
        raise ValidationError("The bonding curve is complete; the token trades on its AMM pool now.")
    tokens = sol_in * state.virtual_token // (state.virtual_sol + sol_in)
    if tokens >= state.real_token:
        tokens = state.real_token
        sol_in = -(-tokens * state.virtual_sol // (state.virtual_token - tokens))
    fee, creator_fee = fees_on(sol_in, fee_bps, creator_fee_bps)
    after = replace(state, virtual_token=state.virtual_token - tokens, virtual_sol=state.virtual_sol + sol_in,
                    real_token=state.real_token - tokens, real_sol=state.real_sol + sol_in)
    if after.real_token == 0:
        after = replace(after, complete=True)
    return Fill(tokens, sol_in, fee, creator_fee, after)


def sell(state: CurveState, tokens_in: int, *, fee_bps: int = PROTOCOL_FEE_BPS,
         creator_fee_bps: int = CREATOR_FEE_BPS) -> Fill:
    """Sell ``tokens_in`` atomic units into the curve (fees are deducted from the proceeds).

    Raises:
        ValidationError: non-positive amount, the curve is complete, or it holds too little SOL.
    """
    if tokens_in <= 0:
        raise ValidationError("A sell needs a positive token amount.")
    if state.complete:
        raise ValidationError("The bonding curve is complete; the token trades on its AMM pool now.")
    sol_out = tokens_in * state.virtual_sol // (state.virtual_token + tokens_in)
    if sol_out > state.real_sol:
        raise ValidationError("The curve holds too little SOL for that sell.")
    fee, creator_fee = fees_on(sol_out, fee_bps, creator_fee_bps)
    after = replace(state, virtual_token=state.virtual_token + tokens_in, virtual_sol=state.virtual_sol - sol_out,
                    real_token=state.real_token + tokens_in, real_sol=state.real_sol - sol_out)
    return Fill(tokens_in, sol_out, fee, creator_fee, after)
