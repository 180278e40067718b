"""What the simulated market publishes: creates, curve trades and migrations, in integer base units.

These carry everything the simnet's wire formats need (PumpPortal messages, pump.fun TradeEvent logs,
DexScreener pairs): the settled transaction, the curve after the trade and the accounts involved.
``to_core`` turns one into the desk's own ``desk.core.market`` event.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from desk.core.curve import CurveState
from desk.core.market import EventSource, MarketEvent, Migration, Side, TokenCreated, Trade

PUMP_POOL = "pump"
MIGRATED_POOL = "pump-amm"


@dataclass(frozen=True, slots=True)
class CurveAccounts:
    """Where one simulated bonding curve lives on the chain.

    Attributes:
        mint: The token mint (6 decimals, 1e9 supply, mint authority revoked).
        token_program: SPL Token or Token-2022.
        bonding_curve: The pump.fun bonding-curve PDA of the mint; simnet writes the curve's account
            data there (``BondingCurve`` layout) for readers, and PumpPortal messages name it
            ``bondingCurveKey``. It holds no SOL.
        vault: System account (a simnet-held keypair) holding the curve's SOL; it owns ``vault_tokens``
            and signs every transfer out of the curve.
        vault_tokens: The curve's token account (associated account of ``vault``).
        creator: The token's creator (dev wallet).
        creator_vault: Receives creator fees (the creator-vault PDA address of the creator).
        fee_recipient: Receives the protocol fee.
    """

    mint: Pubkey
    token_program: Pubkey
    bonding_curve: Pubkey
    vault: Pubkey
    vault_tokens: Pubkey
    creator: Pubkey
    creator_vault: Pubkey
    fee_recipient: Pubkey


@dataclass(frozen=True, slots=True)
class SimToken:
    """A token launched on the simulated curve.

    Attributes:
        mint: Token mint.
        name: Metadata name.
        symbol: Metadata symbol.
        uri: Metadata URI.
        accounts: Its curve's accounts.
        signature: The creating transaction.
        created_ms: Creation time (ms since the epoch).
    """

    mint: Pubkey
    name: str
    symbol: str
    uri: str
    accounts: CurveAccounts
    signature: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class SimTrade:
    """One settled curve trade.

    Attributes:
        signature: The transaction that moved the SOL and tokens.
        slot: Its slot.
        time_ms: When it landed (ms since the epoch).
        trader: Buyer or seller.
        side: Buy or sell.
        tokens: Tokens moved (atomic units).
        sol: Lamports through the curve, before fees (what pump.fun's TradeEvent calls ``sol_amount``).
        fee: Protocol fee (lamports).
        creator_fee: Creator fee (lamports).
        state: The curve after the trade.
        new_token_balance: The trader's token balance after the trade (atomic units).
        accounts: The curve's accounts.
        fee_bps: Protocol fee rate used.
        creator_fee_bps: Creator fee rate used.
    """

    signature: str
    slot: int
    time_ms: int
    trader: Pubkey
    side: Side
    tokens: int
    sol: int
    fee: int
    creator_fee: int
    state: CurveState
    new_token_balance: int
    accounts: CurveAccounts
    fee_bps: int
    creator_fee_bps: int

    @property
    def mint(self) -> Pubkey:
        """The token traded."""
        return self.accounts.mint

    @property
    def is_buy(self) -> bool:
        """True for a buy."""
        return self.side is Side.BUY


@dataclass(frozen=True, slots=True)
class SimCreate:
    """A token creation, with the creator's optional dev buy in the same transaction.

    Attributes:
        token: The new token.
        slot: Slot of the creating transaction.
        state: The curve after the create (after the dev buy, if any).
        dev_buy: The dev buy, if any (same signature as the create).
    """

    token: SimToken
    slot: int
    state: CurveState
    dev_buy: SimTrade | None

    @property
    def signature(self) -> str:
        """The creating transaction."""
        return self.token.signature

    @property
    def mint(self) -> Pubkey:
        """The new mint."""
        return self.token.mint


@dataclass(frozen=True, slots=True)
class SimMigration:
    """A completed curve moved to its AMM pool; the curve trades no more.

    Attributes:
        signature: The migrating transaction.
        slot: Its slot.
        time_ms: When it landed.
        accounts: The curve's accounts.
        pool: The pool account that received the curve's SOL and remaining tokens.
        pool_sol: Lamports moved to the pool.
        pool_tokens: Tokens moved to the pool (atomic units).
    """

    signature: str
    slot: int
    time_ms: int
    accounts: CurveAccounts
    pool: Pubkey
    pool_sol: int
    pool_tokens: int

    @property
    def mint(self) -> Pubkey:
        """The migrated mint."""
        return self.accounts.mint


SimEvent = SimCreate | SimTrade | SimMigration


@dataclass(frozen=True, slots=True)
class MarketToken:
    """A snapshot of one token: metadata, curve and where it trades.

    Attributes:
        token: The token and its curve accounts.
        state: The curve now (including reserved, not yet landed external trades).
        migration: Set once the curve completed and moved to its pool.
        last_trade_ms: Time of the latest trade (the creation time before any).
    """

    token: SimToken
    state: CurveState
    migration: SimMigration | None
    last_trade_ms: int


def to_core(event: SimEvent, received_ms: int) -> MarketEvent:
    """Return the desk's own market event for ``event``, stamped ``received_ms``."""
    if isinstance(event, SimTrade):
        return Trade(
            signature=event.signature, mint=str(event.mint), trader=str(event.trader), side=event.side,
            token_amount=event.tokens, sol_amount=event.sol, new_token_balance=event.new_token_balance,
            v_sol=event.state.virtual_sol, v_tokens=event.state.virtual_token, market_cap=event.state.market_cap,
            pool=PUMP_POOL, received_ms=received_ms, source=EventSource.SIMNET)
    if isinstance(event, SimCreate):
        dev = event.dev_buy
        return TokenCreated(
            signature=event.signature, mint=str(event.mint), creator=str(event.token.accounts.creator),
            name=event.token.name, symbol=event.token.symbol, uri=event.token.uri, pool=PUMP_POOL,
            initial_buy=dev.tokens if dev else 0, sol_amount=dev.sol if dev else 0,
            v_sol=event.state.virtual_sol, v_tokens=event.state.virtual_token, market_cap=event.state.market_cap,
            bonding_curve=str(event.token.accounts.bonding_curve), mayhem=False, received_ms=received_ms,
            source=EventSource.SIMNET)
    return Migration(signature=event.signature, mint=str(event.mint), pool=MIGRATED_POOL, received_ms=received_ms,
                     source=EventSource.SIMNET)
