"""Market events as the desk sees them: integer base units, stamped with local arrival time.

Every source (the PumpPortal websocket, RPC program logs, the simnet) normalizes into these, so the
feed, candles and chart never see a source's wire format. SOL amounts are lamports; token amounts are
atomic units (pump.fun tokens have 6 decimals).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PUMP_TOKEN_DECIMALS = 6
PUMP_TOKEN_UNIT = 1_000_000  # atomic units per whole token
TOKEN_TOTAL_SUPPLY = 1_000_000_000_000_000  # 1e9 tokens × 1e6


class Side(StrEnum):
    """Trade direction from the trader's point of view."""

    BUY = "buy"
    SELL = "sell"


class EventSource(StrEnum):
    """Where an event came from."""

    PUMPPORTAL = "pumpportal"
    RPC_LOGS = "rpc-logs"
    SIMNET = "simnet"


@dataclass(frozen=True, slots=True)
class TokenCreated:
    """A new token on a launchpad.

    Attributes:
        signature: Creating transaction.
        mint: Token mint.
        creator: Dev wallet (fee payer of the create).
        name: Metadata name ("" when the message had none).
        symbol: Metadata symbol.
        uri: Metadata URI.
        pool: Launchpad / venue (pump, bonk, ...).
        initial_buy: Tokens the dev bought in the create (atomic units).
        sol_amount: Lamports the dev spent.
        v_sol: Virtual SOL reserve after the create (lamports), if known.
        v_tokens: Virtual token reserve after the create (atomic units), if known.
        market_cap: Market cap in lamports, if known.
        bonding_curve: Curve address as the message gave it (derive it yourself before trusting it).
        mayhem: pump.fun "mayhem mode" coin.
        received_ms: Local arrival time.
        source: Which feed delivered it.
    """

    signature: str
    mint: str
    creator: str
    name: str
    symbol: str
    uri: str
    pool: str
    initial_buy: int
    sol_amount: int
    v_sol: int | None
    v_tokens: int | None
    market_cap: int | None
    bonding_curve: str | None
    mayhem: bool
    received_ms: int
    source: EventSource = EventSource.PUMPPORTAL

    @property
    def type(self) -> str:
        """``create``."""
        return "create"


@dataclass(frozen=True, slots=True)
class Trade:
    """A buy or sell of a token.

    Attributes:
        signature: Transaction.
        mint: Token mint.
        trader: Wallet that traded.
        side: Buy or sell.
        token_amount: Tokens moved (atomic units).
        sol_amount: Lamports moved, when the source reports it.
        new_token_balance: Trader's token balance after the trade, if known.
        v_sol: Virtual SOL reserve after the trade (lamports), while on the curve.
        v_tokens: Virtual token reserve after the trade (atomic units), while on the curve.
        market_cap: Market cap in lamports, if known.
        pool: Venue (pump, pump-amm, bonk, ...), "" when absent.
        received_ms: Local arrival time (or the on-chain timestamp × 1000 for log-decoded trades).
        source: Which feed delivered it.
    """

    signature: str
    mint: str
    trader: str
    side: Side
    token_amount: int
    sol_amount: int | None
    new_token_balance: int | None
    v_sol: int | None
    v_tokens: int | None
    market_cap: int | None
    pool: str
    received_ms: int
    source: EventSource = EventSource.PUMPPORTAL

    @property
    def type(self) -> str:
        """``trade``."""
        return "trade"

    def price_lamports_per_token(self) -> float | None:
        """Price in lamports per whole token: curve reserves when known, else the trade's own ratio."""
        if self.v_sol and self.v_tokens:
            return self.v_sol * PUMP_TOKEN_UNIT / self.v_tokens
        if self.sol_amount and self.token_amount:
            return self.sol_amount * PUMP_TOKEN_UNIT / self.token_amount
        return None


@dataclass(frozen=True, slots=True)
class Migration:
    """A token left its bonding curve for an AMM pool.

    Attributes:
        signature: Migrating transaction.
        mint: Token mint.
        pool: Destination venue (e.g. pump-amm).
        received_ms: Local arrival time.
        source: Which feed delivered it.
    """

    signature: str
    mint: str
    pool: str
    received_ms: int
    source: EventSource = EventSource.PUMPPORTAL

    @property
    def type(self) -> str:
        """``migrate``."""
        return "migrate"


MarketEvent = TokenCreated | Trade | Migration


def dedupe_key(event: MarketEvent) -> tuple[str, str, str, str]:
    """Identity of an event: (signature, type, mint, trader); one transaction may hold several trades."""
    trader = event.trader if isinstance(event, Trade) else event.creator if isinstance(event, TokenCreated) else ""
    kind = event.side.value if isinstance(event, Trade) else event.type
    return (event.signature, kind, event.mint, trader)
