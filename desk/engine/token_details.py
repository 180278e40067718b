"""The token details model: frozen facts from the chain and the venues, with safety badges.

Units: amounts are integers (lamports, token atomic units); prices, market caps and the SOL/USD rate
are :class:`~decimal.Decimal` display values derived from venue figures or reserves, never amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from desk.chain.mints import MintFacts
from desk.core.safety import Badge, Level, worst
from desk.venues.dexscreener.parse import Pair
from desk.venues.jupiter.price import JupiterPrice
from desk.venues.pumpfun.curve_account import BondingCurveAccount


@dataclass(frozen=True, slots=True)
class Holder:
    """One token account among the largest.

    Attributes:
        account: Token account address.
        owner: Wallet or program address owning it, None when it could not be read.
        amount: Balance in atomic units.
        bps: Share of total supply in basis points.
    """

    account: str
    owner: str | None
    amount: int
    bps: int


@dataclass(frozen=True, slots=True)
class HolderStats:
    """The largest holders, with the curve and pools left out.

    Attributes:
        top: The ten largest counted holders.
        top10_amount: Their total (atomic units), None when unknown.
        top10_bps: Their share of total supply, None when unknown.
        excluded: Accounts left out (the curve's token account, pool vaults).
        reason: Why the figures are unknown ("" when known).
    """

    top: tuple[Holder, ...] = ()
    top10_amount: int | None = None
    top10_bps: int | None = None
    excluded: tuple[Holder, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CurveFacts:
    """The pump.fun bonding curve, at the address derived from the mint.

    Attributes:
        address: Bonding-curve PDA.
        token_account: The curve's own token account.
        account: Decoded account.
        progress_bps: Progress in basis points.
        graduated: The curve is complete.
        market_cap_lamports: Market cap from reserves (SOL-quoted curves), else None.
        price_sol: SOL per whole token from reserves (SOL-quoted curves), else None.
    """

    address: str
    token_account: str
    account: BondingCurveAccount
    progress_bps: int
    graduated: bool
    market_cap_lamports: int | None
    price_sol: Decimal | None


@dataclass(frozen=True, slots=True)
class CreatorFacts:
    """The creator's holdings of this token.

    Attributes:
        address: Creator wallet (from the curve account).
        amount: Tokens held across all its accounts of this mint (atomic units).
        bps: Share of total supply, None when the supply is unknown or zero.
    """

    address: str
    amount: int
    bps: int | None


@dataclass(frozen=True, slots=True)
class MarketFacts:
    """What the venues say.

    Attributes:
        pair: The pair shown (most liquid with the token as base), None when DexScreener has none.
        pair_count: Pairs DexScreener lists with the token as base.
        jupiter: Jupiter's price, None without a key or a price.
        jupiter_status: How the Jupiter request went ("off" without a client).
        sol_usd: USD per SOL, None when unknown.
        sol_usd_source: "jupiter", "dexscreener-sol-pair", "dexscreener-ratio" or "".
    """

    pair: Pair | None = None
    pair_count: int = 0
    jupiter: JupiterPrice | None = None
    jupiter_status: str = "off"
    sol_usd: Decimal | None = None
    sol_usd_source: str = ""


@dataclass(frozen=True, slots=True)
class TokenDetails:
    """Everything the desk knows about one token at ``fetched_ms``.

    Attributes:
        mint: Mint address.
        fetched_ms: When the details were assembled.
        mint_facts: Mint account facts, None when it could not be read.
        curve: Bonding curve, None when the token has none (or it could not be read).
        holders: Largest holders.
        creator: Creator holdings, None when there is no curve or they could not be read.
        market: Venue data.
        price_sol: SOL per whole token.
        price_usd: USD per whole token.
        market_cap_usd: Price × supply.
        badges: Safety badges, most severe first.
        notes: What could not be read, and why.
    """

    mint: str
    fetched_ms: int
    mint_facts: MintFacts | None
    curve: CurveFacts | None
    holders: HolderStats
    creator: CreatorFacts | None
    market: MarketFacts
    price_sol: Decimal | None
    price_usd: Decimal | None
    market_cap_usd: Decimal | None
    badges: tuple[Badge, ...]
    notes: tuple[str, ...]

    @property
    def level(self) -> Level:
        """The most severe badge level."""
        return worst(self.badges)

    @property
    def name(self) -> str:
        """Name from DexScreener, else Token-2022 metadata ("" when neither)."""
        pair = self.market.pair
        return (pair.base.name if pair else "") or (self.mint_facts.name if self.mint_facts else "")

    @property
    def symbol(self) -> str:
        """Symbol from DexScreener, else Token-2022 metadata ("" when neither)."""
        pair = self.market.pair
        return (pair.base.symbol if pair else "") or (self.mint_facts.symbol if self.mint_facts else "")
