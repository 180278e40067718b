"""Positions and P&L from fills: FIFO lots, fees in the cost basis, idempotent by fill id.

A position only ever changes through :meth:`Position.apply`; applying the same fill twice is a no-op.
Amounts are integers: tokens in atomic units, SOL in lamports. A buy's cost is the SOL it spent plus
its fees; a sell's proceeds are the SOL it received minus its fees; realized P&L is proceeds minus the
FIFO cost of the tokens sold. Over a full round trip that is exactly the SOL that came back minus the
SOL that went in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from desk.core.errors import ValidationError
from desk.core.market import Side


@dataclass(frozen=True, slots=True)
class TradeFill:
    """One executed leg, as the journal records it from chain truth.

    Attributes:
        network: mainnet, simnet, ...
        signature: Transaction signature.
        leg_index: Position of this fill within the transaction (several wallets may share one).
        wallet_id: Wallet that traded.
        mint: Token.
        side: Buy or sell.
        tokens: Tokens bought or sold (atomic units, positive).
        sol: Lamports paid for a buy or received for a sell, before fees (positive).
        network_fee: Base signature fee charged to this wallet.
        priority_fee: Compute-unit price fee.
        tip: Jito or other tip.
        ts_ms: Block time (or confirmation time) in ms.
    """

    network: str
    signature: str
    leg_index: int
    wallet_id: str
    mint: str
    side: Side
    tokens: int
    sol: int
    network_fee: int = 0
    priority_fee: int = 0
    tip: int = 0
    ts_ms: int = 0

    def __post_init__(self) -> None:
        if self.tokens <= 0 or self.sol < 0 or min(self.network_fee, self.priority_fee, self.tip) < 0:
            raise ValidationError("A fill needs a positive token amount and non-negative SOL and fees.")

    @property
    def fill_id(self) -> tuple[str, str, int]:
        """Identity: applying a fill with the same id twice changes nothing."""
        return (self.network, self.signature, self.leg_index)

    @property
    def fees(self) -> int:
        """Every fee this fill paid, in lamports."""
        return self.network_fee + self.priority_fee + self.tip

    @property
    def sol_flow(self) -> int:
        """Signed SOL change of the wallet caused by this fill, fees included."""
        return (self.sol - self.fees) if self.side is Side.SELL else -(self.sol + self.fees)


@dataclass(slots=True)
class Lot:
    """Tokens bought together, with what they cost (fees included)."""

    tokens: int
    cost: int


@dataclass(slots=True)
class Position:
    """One wallet's (or an aggregate's) holding of one token.

    Attributes:
        mint: Token.
        lots: Open FIFO lots, oldest first.
        realized: Realized P&L in lamports.
        fees: Fees paid on every applied fill.
        bought: Tokens bought in total.
        sold: Tokens sold in total.
        sol_in: Lamports spent on buys, fees included.
        sol_out: Lamports received from sells, net of fees.
    """

    mint: str
    lots: deque[Lot] = field(default_factory=deque)
    realized: int = 0
    fees: int = 0
    bought: int = 0
    sold: int = 0
    sol_in: int = 0
    sol_out: int = 0
    _seen: set[tuple[str, str, int]] = field(default_factory=set)

    @property
    def tokens(self) -> int:
        """Tokens held now."""
        return sum(lot.tokens for lot in self.lots)

    @property
    def cost_basis(self) -> int:
        """Remaining cost of the tokens held (lamports)."""
        return sum(lot.cost for lot in self.lots)

    def apply(self, fill: TradeFill) -> bool:
        """Apply one fill; return False (and change nothing) if it was applied before.

        A sell larger than the holding (tokens bought outside the desk) realizes the unmatched part at
        zero cost rather than failing, so the journal never rejects chain truth.
        """
        if fill.mint != self.mint:
            raise ValidationError("A fill for another token cannot change this position.")
        fill_id = (fill.network, fill.signature, fill.leg_index)
        if fill_id in self._seen:
            return False
        self._seen.add(fill_id)
        fees = fill.network_fee + fill.priority_fee + fill.tip
        self.fees += fees
        if fill.side is Side.BUY:
            cost = fill.sol + fees
            self.lots.append(Lot(fill.tokens, cost))
            self.bought += fill.tokens
            self.sol_in += cost
            return True
        proceeds = fill.sol - fees
        lots = self.lots
        remaining, matched_cost = fill.tokens, 0
        while remaining and lots:
            lot = lots[0]
            if remaining >= lot.tokens:  # the whole lot goes
                matched_cost += lot.cost
                remaining -= lot.tokens
                lots.popleft()
            else:  # part of it: cost pro rata, rounded down; the remainder stays with the lot
                part = lot.cost * remaining // lot.tokens
                matched_cost += part
                lot.tokens -= remaining
                lot.cost -= part
                remaining = 0
        self.realized += proceeds - matched_cost
        self.sold += fill.tokens
        self.sol_out += proceeds
        return True

    def unrealized(self, price_lamports_per_token_unit: float) -> int:
        """Unrealized P&L (lamports) marked at a price in lamports per atomic token unit."""
        return round(self.tokens * price_lamports_per_token_unit) - self.cost_basis
