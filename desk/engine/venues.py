"""The venues the order engine can use, adapted from the venue clients, and the choice between them.

* PumpPortal local (default): PumpPortal builds an unsigned transaction, the desk checks and signs it.
  Its 0.5% fee is a plain transfer, allowed by the policy up to exactly that share.
* Lightning: PumpPortal signs and sends from the custodial wallet bound to the wallet's API key
  (pumpportal-kind wallets only); the desk only watches the signature.
* Jupiter: for graduated tokens; the desk signs the swap transaction Jupiter builds.
"""

from __future__ import annotations

from dataclasses import dataclass

from desk.core.errors import DeskError
from desk.core.market import Side
from desk.core.wallets import WalletKind
from desk.engine.trading import Built, Leg, OrderRequest, Venue
from desk.vault.fieldcrypt import wipe
from desk.vault.session import Vault
from desk.venues.jupiter.swap import JupiterSwapClient
from desk.venues.pumpportal.lightning import LightningClient
from desk.venues.pumpportal.trade_local import Pool, TradeAction, TradeLocalClient, TradeRequest

WSOL_MINT = "So11111111111111111111111111111111111111112"
PUMPPORTAL_LOCAL_FEE_BPS = 50
PUMPPORTAL_LIGHTNING_FEE_BPS = 100


def _trade_request(leg: Leg, request: OrderRequest) -> TradeRequest:
    buying = request.side is Side.BUY
    return TradeRequest(
        public_key=leg.wallet.pubkey, action=TradeAction.BUY if buying else TradeAction.SELL, mint=request.mint,
        amount=leg.sol_in if buying else leg.tokens_out, denominated_in_sol=buying,
        slippage_pct=max(1, -(-request.slippage_bps // 100)), priority_fee_lamports=request.priority_fee,
        pool=Pool(request.pool) if request.pool in {p.value for p in Pool} else Pool.PUMP,
        decimals=None if buying else 6)


def _venue_fee(leg: Leg, request: OrderRequest, bps: int) -> int:
    """The venue's fee cap: its share of the SOL side of the trade, plus one lamport.

    For a sell the fee is charged on the gross proceeds, before pump.fun's 1.25%, so the net quote is grossed
    up, and the price may have moved in our favour by up to the slippage since the quote.
    """
    if leg.sol_in:
        return leg.sol_in * bps // 10_000 + 1
    gross = (leg.best_quote or leg.quoted or 0) * 10_000 // 9_875
    return gross * (10_000 + request.slippage_bps) // 10_000 * bps // 10_000 + 1


@dataclass
class PumpPortalLocalVenue:
    """PumpPortal trade-local: unsigned transactions the desk signs."""

    client: TradeLocalClient
    name: str = "pumpportal"

    async def build(self, leg: Leg, request: OrderRequest) -> Built:
        """Ask trade-local for this leg's transaction."""
        tx = await self.client.build(_trade_request(leg, request))
        return Built(tx=tx, fee_allowance=_venue_fee(leg, request, PUMPPORTAL_LOCAL_FEE_BPS))


@dataclass
class LightningVenue:
    """PumpPortal Lightning: the venue signs with the custodial key bound to the wallet's API key."""

    client: LightningClient
    vault: Vault
    name: str = "lightning"

    async def build(self, leg: Leg, request: OrderRequest) -> Built:
        """Send the trade through Lightning and return its signature."""
        if not leg.wallet.has_api_key:
            raise DeskError(f"{leg.wallet.label} has no PumpPortal API key, so Lightning cannot trade for it.")
        secret = await self.vault.wallets.api_key(leg.wallet.id)
        try:
            signature = await self.client.trade(_trade_request(leg, request), secret.decode())
        finally:
            wipe(secret)
        return Built(signature=signature)


@dataclass
class JupiterVenue:
    """Jupiter swap for graduated tokens: quote, then the swap transaction the desk signs."""

    client: JupiterSwapClient
    name: str = "jupiter"

    async def build(self, leg: Leg, request: OrderRequest) -> Built:
        """Quote and build the swap for this leg."""
        if request.side is Side.BUY:
            quote = await self.client.quote(WSOL_MINT, request.mint, leg.sol_in, request.slippage_bps)
        else:
            quote = await self.client.quote(request.mint, WSOL_MINT, leg.tokens_out, request.slippage_bps)
        swap = await self.client.swap(quote, leg.wallet.pubkey)
        return Built(tx=swap.transaction)


@dataclass
class VenueSet:
    """Every configured venue and the rule that picks one.

    Attributes:
        local: PumpPortal trade-local.
        lightning: PumpPortal Lightning, if configured.
        jupiter: Jupiter, if configured.
    """

    local: PumpPortalLocalVenue
    lightning: LightningVenue | None = None
    jupiter: JupiterVenue | None = None

    def choose(self, request: OrderRequest, wallet: object) -> Venue:
        """Pick the venue: the requested one, or auto (Jupiter once graduated, else PumpPortal local)."""
        wanted = request.venue
        if wanted == "lightning" or (wanted == "auto" and getattr(wallet, "kind", None) == WalletKind.PUMPPORTAL
                                     and not getattr(wallet, "has_private_key", True)):
            if self.lightning is None:
                raise DeskError("Lightning is not configured.")
            return self.lightning
        if wanted == "jupiter" or (wanted == "auto" and request.pool == "pump-amm" and self.jupiter):
            if self.jupiter is None:
                raise DeskError("Jupiter is not configured: set an API key in settings.")
            return self.jupiter
        return self.local
