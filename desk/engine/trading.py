"""What an order is, what a venue must provide, and the pre-sign checks for trade transactions.

A venue turns one wallet's leg into a transaction (or, for Lightning, executes it itself). Before any
signature the engine checks the transaction statically (fee payer, programs, transfers) and by
simulation: the wallet's SOL and token balances afterwards must match what the user asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from solders.transaction import VersionedTransaction

from desk.chain.fills import JITO_TIP_ACCOUNTS
from desk.chain.policy import TRANSFER_PROGRAMS, Intent, PolicyViolationError
from desk.chain.rpc import RpcClient
from desk.chain.rpctypes import AccountInfo
from desk.chain.txerrors import describe
from desk.core.errors import ValidationError
from desk.core.market import Side
from desk.core.wallets import Wallet

PUMP_PROGRAM = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
PUMP_AMM_PROGRAM = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"
PUMP_FEE_PROGRAM = "pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ"
JUPITER_PROGRAM = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"
TRADE_PROGRAMS = TRANSFER_PROGRAMS | {PUMP_PROGRAM, PUMP_AMM_PROGRAM, PUMP_FEE_PROGRAM, JUPITER_PROGRAM}
ATA_RENT_ALLOWANCE = 2_100_000  # a new token account's rent (2,039,280 on SPL Token) with a margin


class LegState(StrEnum):
    """Where one leg stands."""

    BUILDING = "building"
    SIGNED = "signed"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    EXPIRED = "expired"


# Allowed transitions. EXPIRED → BUILDING starts a new attempt: only a transaction known dead is replaced.
LEG_TRANSITIONS: dict[LegState, frozenset[LegState]] = {
    LegState.BUILDING: frozenset({LegState.SIGNED, LegState.SENT, LegState.FAILED}),
    LegState.SIGNED: frozenset({LegState.SENT, LegState.FAILED}),
    LegState.SENT: frozenset({LegState.CONFIRMED, LegState.FAILED, LegState.EXPIRED}),
    LegState.EXPIRED: frozenset({LegState.BUILDING}),
    LegState.CONFIRMED: frozenset(),
    LegState.FAILED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One order for every selected wallet.

    Attributes:
        side: Buy or sell.
        mint: Token.
        sol_each: Buy: lamports to spend per wallet (before fees).
        percent: Sell: percent of each wallet's holding (1-100).
        tokens_each: Sell: atomic units per wallet (instead of a percent).
        slippage_bps: Allowed slippage in basis points.
        priority_fee: Lamports of priority fee per transaction.
        tip: Lamports of Jito tip per transaction (0 = none).
        venue: pumpportal, lightning, jupiter, or auto.
        pool: Venue pool hint (pump, pump-amm, auto...).
        signal_id: The signal that caused the order, if any.
    """

    side: Side
    mint: str
    sol_each: int = 0
    percent: int = 0
    tokens_each: int = 0
    slippage_bps: int = 1000
    priority_fee: int = 0
    tip: int = 0
    venue: str = "auto"
    pool: str = "pump"
    signal_id: str | None = None

    def check(self) -> None:
        """Raise ValidationError unless the request is complete and sane."""
        if self.side is Side.BUY and self.sol_each <= 0:
            raise ValidationError("A buy needs a SOL amount per wallet.")
        if self.side is Side.SELL and not (1 <= self.percent <= 100 or self.tokens_each > 0):
            raise ValidationError("A sell needs a percentage (1-100) or a token amount.")
        if not 0 <= self.slippage_bps <= 5000:
            raise ValidationError("Slippage must be between 0 and 50 %.")
        if self.priority_fee < 0 or self.tip < 0:
            raise ValidationError("Fees cannot be negative.")


@dataclass(frozen=True, slots=True)
class Leg:
    """One wallet's part of an order, sized.

    Attributes:
        wallet: The wallet.
        sol_in: Buy: lamports to spend (before fees).
        tokens_out: Sell: atomic units to sell.
        token_accounts: The wallet's token accounts of the mint (for the simulation check).
        quoted: Tokens a buy should get, or lamports a sell should get (before slippage), from the live curve if
            every other leg of the order fills first; None when no quote was possible (the simulation then
            bounds only what leaves the wallet).
        best_quote: The same if this leg fills first (caps the venue's fee on a sell).
    """

    wallet: Wallet
    sol_in: int = 0
    tokens_out: int = 0
    token_accounts: tuple[str, ...] = ()
    quoted: int | None = None
    best_quote: int | None = None


@dataclass(frozen=True, slots=True)
class Built:
    """A venue's answer for one leg.

    Attributes:
        tx: The transaction to check and sign, or None when the venue executed it itself.
        signature: The venue's transaction signature when it executed it itself (Lightning).
        fee_allowance: Lamports the venue may take as its own fee by a plain transfer.
    """

    tx: VersionedTransaction | None = None
    signature: str | None = None
    fee_allowance: int = 0


class Venue(Protocol):
    """Builds one leg's transaction."""

    name: str

    async def build(self, leg: Leg, request: OrderRequest) -> Built:
        """Return the leg's transaction (or the signature of one the venue sent itself)."""
        ...


def trade_intent(leg: Leg, request: OrderRequest, built: Built) -> Intent:
    """The static policy for a trade: our fee payer, trade programs only, tips capped, plain transfers capped.

    A buy may pay its whole budget by plain transfers (a curve settled that way, as on simnet, or a venue
    fee); whether it got the tokens for it is the simulation's job. A sell may pay only the venue's fee.
    """
    allowance = max_sol_out(leg, request, built) if request.side is Side.BUY else built.fee_allowance
    return Intent(our_wallets=frozenset({leg.wallet.pubkey}), destinations=frozenset(), programs=TRADE_PROGRAMS,
                  max_priority_fee=max(request.priority_fee, 0) + 1, fee_allowance=allowance,
                  tip_accounts=JITO_TIP_ACCOUNTS, max_tip=request.tip, token_destinations_checked=False)


def max_sol_out(leg: Leg, request: OrderRequest, built: Built) -> int:
    """Most lamports the wallet may lose in this transaction: size plus slippage, curve fee, rent, fees."""
    costs = request.priority_fee + request.tip + built.fee_allowance + 10_000 + ATA_RENT_ALLOWANCE
    if request.side is Side.BUY:
        with_slippage = leg.sol_in * (10_000 + request.slippage_bps) // 10_000
        return with_slippage + leg.sol_in * 200 // 10_000 + costs  # pump.fun's 1.25% curve fee, with headroom
    return costs


async def simulate_check(rpc: RpcClient, leg: Leg, request: OrderRequest, built: Built,
                         before: Mapping[str, AccountInfo | None] | None = None) -> None:
    """Simulate the unsigned transaction and refuse it unless the wallet's outflows match the intent.

    ``before`` holds the accounts as they are now, when the caller fetched them for many legs at once.

    Raises:
        PolicyViolationError: the simulation fails, or SOL or tokens would leave beyond the intent.
    """
    assert built.tx is not None
    accounts = [leg.wallet.pubkey, *leg.token_accounts]
    if before is None:
        before = await rpc.get_multiple_accounts(accounts)
    sim = await rpc.simulate(bytes(built.tx), accounts)
    if sim.err is not None:
        raise PolicyViolationError(f"Refused: the transaction would fail ({describe(sim.err)}).")
    pre_account = before[leg.wallet.pubkey]
    pre_sol = pre_account.lamports if pre_account else 0
    post = sim.accounts[leg.wallet.pubkey]
    spent = pre_sol - (post.lamports if post else 0)
    limit = max_sol_out(leg, request, built)
    if spent > limit:
        raise PolicyViolationError(f"Refused: the transaction would take {spent} lamports from "
                                   f"{leg.wallet.label}, more than the {limit} this order allows.")
    tokens_before = sum(_token_amount(before.get(a)) for a in leg.token_accounts)
    tokens_after = sum(_token_amount(sim.accounts.get(a)) for a in leg.token_accounts)
    allowed = leg.tokens_out if request.side is Side.SELL else 0
    if tokens_before - tokens_after > allowed:
        raise PolicyViolationError(f"Refused: the transaction would move {tokens_before - tokens_after} tokens out "
                                   f"of {leg.wallet.label}, more than the {allowed} this order allows.")
    if leg.quoted is None:
        return
    floor = leg.quoted * (10_000 - request.slippage_bps) // 10_000
    if request.side is Side.BUY and leg.token_accounts and tokens_after - tokens_before < floor:
        raise PolicyViolationError(f"Refused: {leg.wallet.label} would get {tokens_after - tokens_before} tokens, "
                                   f"less than the {floor} the curve quote allows after slippage.")
    costs = request.priority_fee + request.tip + built.fee_allowance + 10_000
    if request.side is Side.SELL and -spent + costs < floor:
        raise PolicyViolationError(f"Refused: {leg.wallet.label} would receive {max(-spent, 0)} lamports for its "
                                   f"tokens, less than the quote ({leg.quoted}) allows after slippage and fees.")


def _token_amount(account: object) -> int:
    data = getattr(account, "data", b"")
    return int.from_bytes(data[64:72], "little") if len(data) >= 72 else 0
