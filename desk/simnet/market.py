"""The simulated pump.fun market: tokens on bonding curves, settled on the simnet chain, published as events.

``SimMarket`` is the one place curve state lives. Every trade is computed with ``desk.core.curve`` and
settled by a real transaction (``settlement.py``) before the curve moves, so the chain's balances always
equal the curve arithmetic. Simulated traders (``traders.py``) and outside callers use the same API.

Public API (thread-safe; every call runs under one market lock):

* Queries: ``tokens()``, ``token(mint)``, ``curve(mint)``, ``recent_trades(mint, since_ms=, limit=)``,
  ``quote_buy(mint, lamports)``, ``quote_sell(mint, tokens)``.
* Events: ``subscribe(callback)`` → an unsubscribe function. Callbacks get each ``SimCreate``,
  ``SimTrade`` and ``SimMigration`` in order, synchronously on the thread that caused it, under the
  market lock: they must return quickly (hand off with ``loop.call_soon_threadsafe``) and must not block.
* Keys simnet holds (simulated traders, PumpPortal Lightning wallets): ``create_token(creator, ...)``,
  ``buy(trader, mint, lamports)``, ``sell(trader, mint, tokens)`` settle at once, atomically.
* Keys simnet does not hold (trade-local): ``prepare_external(trader, mint, side, amount)`` returns a
  transaction with the trader as fee payer, already signed by the curve vault, whose fill is reserved on
  the curve at once. The desk signs its slot and sends it through the RPC like any transaction;
  ``poll()`` (run by the traders' thread every tick) publishes the trade when it lands, or releases the
  reservation when it failed or its blockhash expired. See ``external.py``.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from desk.core import curve
from desk.core.curve import CurveState, Fill
from desk.core.errors import ValidationError
from desk.core.market import Side
from desk.simnet import pumpwire
from desk.simnet.chain import SimChain
from desk.simnet.events import CurveAccounts, MarketToken, SimCreate, SimEvent, SimMigration, SimToken, SimTrade
from desk.simnet.external import ExternalOrders, PreparedTrade, unapply
from desk.simnet.records import b58encode
from desk.simnet.settlement import Landed, MarketError, Settlement, pubkey_of
from desk.simnet.tokens import TOKEN_PROGRAM_ID, associated_token_address

log = logging.getLogger(__name__)

SOL = 1_000_000_000
MIGRATION_FEE = 15_000_000  # 0.015 SOL (protocols.md §7.5)
MAX_NAME, MAX_SYMBOL, MAX_URI = 32, 10, 200
Callback = Callable[[SimEvent], None]


@dataclass
class _Book:
    token: SimToken
    vault: Keypair
    state: CurveState
    trades: deque[SimTrade]
    last_trade_ms: int
    migration: SimMigration | None = None
    holders: dict[Pubkey, int] = field(default_factory=dict)
    mirrored: CurveState | None = None


class SimMarket:
    """pump.fun-like bonding-curve market on a ``SimChain``.

    Args:
        chain: The chain trades settle on.
        seed: Seeds every key the market generates (mints, vaults), for reproducible tests. None = random.
        recent_trades: Trades kept per token (DexScreener windows and ``recent_trades``).
        clock: Wall clock in seconds (event times).
        fee_bps: Protocol fee on every curve trade.
        creator_fee_bps: Creator fee on every curve trade.
        mirror_interval: Most seconds between rewrites of the bonding-curve accounts (see ``poll``).
    """

    def __init__(self, chain: SimChain, *, seed: int | None = None, recent_trades: int = 5000,
                 clock: Callable[[], float] = time.time, fee_bps: int = curve.PROTOCOL_FEE_BPS,
                 creator_fee_bps: int = curve.CREATOR_FEE_BPS, mirror_interval: float = 0.5) -> None:
        self._chain = chain
        # Reproducible keys for tests; simnet keys only ever hold simnet SOL.
        self._rng = random.Random(f"simnet-market/{seed}") if seed is not None else None  # noqa: S311
        self._clock = clock
        self._recent = recent_trades
        self.fee_bps, self.creator_fee_bps = fee_bps, creator_fee_bps
        self._mirror_interval = mirror_interval
        self._mirrored_at = 0.0
        self._lock = threading.RLock()
        self._books: dict[Pubkey, _Book] = {}
        self._subscribers: list[Callback] = []
        operator = self.new_keypair()
        chain.airdrop(operator.pubkey(), 1000 * SOL)
        self._settlement = Settlement(chain, operator)
        self.fee_recipient = self.new_keypair().pubkey()
        chain.airdrop(self.fee_recipient, self._settlement.system_rent)
        self._orders = ExternalOrders(chain)

    @property
    def chain(self) -> SimChain:
        """The chain trades settle on."""
        return self._chain

    def new_keypair(self) -> Keypair:
        """Return a fresh keypair (derived from the seed when one was given)."""
        return Keypair.from_seed(self._rng.randbytes(32)) if self._rng else Keypair()

    # --- queries ----------------------------------------------------------------------------------------

    def token_count(self) -> int:
        """Return how many tokens the market holds in memory."""
        return len(self._books)

    def tokens(self) -> list[MarketToken]:
        """Return every token, oldest first."""
        with self._lock:
            return [self._snapshot(book) for book in self._books.values()]

    def token(self, mint: Pubkey | str) -> MarketToken | None:
        """Return one token, or None if the market does not know it."""
        with self._lock:
            book = self._lookup(mint)
            return self._snapshot(book) if book else None

    def curve(self, mint: Pubkey | str) -> CurveState | None:
        """Return the curve of ``mint`` now, or None."""
        with self._lock:
            book = self._lookup(mint)
            return book.state if book else None

    def recent_trades(self, mint: Pubkey | str, *, since_ms: int = 0, limit: int | None = None) -> list[SimTrade]:
        """Return the token's settled trades at or after ``since_ms``, oldest first (at most ``limit``, newest)."""
        with self._lock:
            book = self._lookup(mint)
            found = [t for t in book.trades if t.time_ms >= since_ms] if book else []
        return found[-limit:] if limit is not None else found

    def holders(self, mint: Pubkey | str) -> dict[Pubkey, int]:
        """Return the token balances of every wallet that traded ``mint`` here (creator included)."""
        with self._lock:
            book = self._lookup(mint)
            return dict(book.holders) if book else {}

    def quote_buy(self, mint: Pubkey | str, lamports: int) -> Fill:
        """Return what a buy of ``lamports`` (fees on top) would get now, without trading.

        Raises:
            MarketError: Unknown mint, completed curve or a non-positive amount.
        """
        with self._lock:
            return self._fill(self._book(mint), Side.BUY, lamports)

    def quote_sell(self, mint: Pubkey | str, tokens: int) -> Fill:
        """Return what a sell of ``tokens`` atomic units would pay now, without trading.

        Raises:
            MarketError: Unknown mint, completed curve, non-positive amount or too little SOL in the curve.
        """
        with self._lock:
            return self._fill(self._book(mint), Side.SELL, tokens)

    # --- events -----------------------------------------------------------------------------------------

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback`` with every future event; return a function that stops it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)
        return unsubscribe

    def _publish(self, event: SimEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("simnet market subscriber failed")

    # --- trading with keys simnet holds -----------------------------------------------------------------

    def create_token(self, creator: Keypair, *, name: str, symbol: str, uri: str = "", dev_buy: int = 0,
                     token_program: Pubkey = TOKEN_PROGRAM_ID, mint: Keypair | None = None) -> SimCreate:
        """Launch a token: mint, curve and optional dev buy of ``dev_buy`` lamports in one transaction.

        Raises:
            MarketError: Bad metadata or dev buy, or the create did not land (e.g. the creator is short of SOL).
        """
        if not (0 < len(name) <= MAX_NAME and 0 < len(symbol) <= MAX_SYMBOL and len(uri) <= MAX_URI):
            raise MarketError(f"A token needs a name of 1-{MAX_NAME} and a symbol of 1-{MAX_SYMBOL} characters.")
        mint_kp = mint or self.new_keypair()
        vault = self.new_keypair()
        key = mint_kp.pubkey()
        accounts = CurveAccounts(
            mint=key, token_program=token_program, bonding_curve=pumpwire.bonding_curve_address(key),
            vault=vault.pubkey(), vault_tokens=associated_token_address(vault.pubkey(), key, token_program),
            creator=creator.pubkey(), creator_vault=pumpwire.creator_vault_address(creator.pubkey()),
            fee_recipient=self.fee_recipient)
        with self._lock:
            if key in self._books:
                raise MarketError(f"The mint {key} already exists.")
            start = CurveState()
            fill = self._curve_fill(start, Side.BUY, dev_buy) if dev_buy else None
            landed = self._settlement.create(creator, mint_kp, vault, accounts, fill)
            now = self._now_ms()
            token = SimToken(key, name, symbol, uri or _metadata_uri(key), accounts, landed.signature, now)
            book = _Book(token, vault, fill.state if fill else start, deque(maxlen=self._recent), now)
            self._books[key] = book
            dev = self._record(book, creator.pubkey(), Side.BUY, fill, landed) if fill else None
            event = SimCreate(token, landed.slot, book.state, dev)
            self._publish(event)
            return event

    def buy(self, trader: Keypair, mint: Pubkey | str, lamports: int, *, min_tokens: int = 0) -> SimTrade:
        """Buy with ``lamports`` through the curve (fees on top), settled at once.

        Raises:
            MarketError: Unknown mint, completed curve, fewer than ``min_tokens`` out, or the transaction failed.
        """
        return self._trade(trader, mint, Side.BUY, lamports, min_tokens)

    def sell(self, trader: Keypair, mint: Pubkey | str, tokens: int, *, min_lamports: int = 0) -> SimTrade:
        """Sell ``tokens`` atomic units into the curve, settled at once.

        Raises:
            MarketError: Unknown mint, completed curve, less than ``min_lamports`` to the seller, or the
                transaction failed (e.g. the trader holds fewer tokens).
        """
        return self._trade(trader, mint, Side.SELL, tokens, min_lamports)

    def _trade(self, trader: Keypair, mint: Pubkey | str, side: Side, amount: int, minimum: int) -> SimTrade:
        with self._lock:
            book = self._book(mint)
            fill = self._fill_at_least(book, side, amount, minimum)
            settle = self._settlement.buy if side is Side.BUY else self._settlement.sell
            landed = settle(trader, book.vault, book.token.accounts, fill)
            book.state = fill.state
            trade = self._record(book, pubkey_of(trader), side, fill, landed)
            self._publish(trade)
            self._maybe_migrate(book)
            return trade

    # --- trading with keys simnet does not hold ---------------------------------------------------------

    def prepare_external(self, trader: Pubkey, mint: Pubkey | str, side: Side, amount: int, *,
                         priority_fee: int = 0, compute_unit_limit: int = 100_000, minimum: int = 0,
                         extra_instructions: Sequence[Instruction] = ()) -> PreparedTrade:
        """Reserve a trade and return its transaction for ``trader`` to sign and send (trade-local).

        Args:
            trader: The wallet that trades and pays the fee; its signature slot is left empty.
            mint: The token.
            side: Buy or sell.
            amount: Lamports to buy with (fees on top), or atomic tokens to sell.
            priority_fee: Lamports of priority fee (compute-unit price × ``compute_unit_limit``).
            compute_unit_limit: The compute-unit limit set when a priority fee is asked for.
            minimum: Fewest tokens a buy, or lamports a sell (after fees), may get (the slippage bound).
            extra_instructions: Run after the trade (e.g. a venue's fee transfer, a tip).

        Raises:
            MarketError: Unknown mint, completed curve, a bad amount, or less than ``minimum`` out.
        """
        with self._lock:
            book = self._book(mint)
            fill = self._fill_at_least(book, side, amount, minimum)
            prepared = self._orders.prepare(trader, book.token.accounts, book.vault, side, fill,
                                            priority_fee=priority_fee, compute_unit_limit=compute_unit_limit,
                                            extra_instructions=extra_instructions)
            book.state = fill.state
            return prepared

    def cancel_external(self, prepared: PreparedTrade) -> bool:
        """Release a reserved trade that was never handed out (not on chain); return whether it was released."""
        with self._lock:
            book = self._books.get(prepared.accounts.mint)
            if book is None or self._orders.cancel(prepared.reference) is None:
                return False
            book.state = unapply(book.state, prepared.side, prepared.fill)
            return True

    def reserved_tokens(self, trader: Pubkey, mint: Pubkey) -> int:
        """Return the net tokens ``trader``'s reserved, not yet landed trades on ``mint`` will move to it."""
        with self._lock:
            return self._orders.reserved_tokens(trader, mint)

    def poll(self, *, force_mirror: bool = False) -> int:
        """Settle landed external trades, release failed or expired ones, refresh curve accounts.

        Returns:
            How many external trades were published.
        """
        published = 0
        with self._lock:
            for order, outcome in self._orders.poll():
                book = self._books.get(order.accounts.mint)
                if book is None:
                    continue
                if outcome is None:
                    book.state = unapply(book.state, order.side, order.fill)
                    log.info("simnet trade-local %s on %s did not land; reservation released",
                             order.side.value, order.accounts.mint)
                    continue
                trade = self._record(book, order.trader, order.side, order.fill, outcome, state=order.fill.state)
                self._publish(trade)
                published += 1
            for book in self._books.values():
                if book.state.complete and book.migration is None:
                    self._maybe_migrate(book)
            self._mirror(force=force_mirror)
        return published

    # --- internals --------------------------------------------------------------------------------------

    def _lookup(self, mint: Pubkey | str) -> _Book | None:
        try:
            return self._books.get(mint if isinstance(mint, Pubkey) else Pubkey.from_string(mint))
        except (ValueError, TypeError):
            return None

    def _book(self, mint: Pubkey | str) -> _Book:
        book = self._lookup(mint)
        if book is None:
            raise MarketError(f"The market does not know the mint {mint}.")
        return book

    def _fill(self, book: _Book, side: Side, amount: int) -> Fill:
        if book.state.complete:
            raise MarketError("The bonding curve is complete; the token trades on its AMM pool now.")
        fill = self._curve_fill(book.state, side, amount)
        # Tokens of reserved sells are not in the curve's account yet: a buy may not take them (had it taken
        # them from the pool's reserve, releasing the sell would leave the curve short).
        if side is Side.BUY and fill.tokens > book.state.real_token - self._orders.pending_sell_tokens(book.token.mint):
            raise MarketError("The curve is settling reserved trades; try again in a moment.")
        return fill

    def _fill_at_least(self, book: _Book, side: Side, amount: int, minimum: int) -> Fill:
        fill = self._fill(book, side, amount)
        got = fill.tokens if side is Side.BUY else fill.seller_receives
        if got < minimum:
            raise MarketError(f"Slippage: the {side.value} would get {got}, less than the {minimum} required.")
        return fill

    def _curve_fill(self, state: CurveState, side: Side, amount: int) -> Fill:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise MarketError(f"The amount was {amount!r}; it must be an integer in base units.")
        try:
            if side is Side.BUY:
                return curve.buy(state, amount, fee_bps=self.fee_bps, creator_fee_bps=self.creator_fee_bps)
            return curve.sell(state, amount, fee_bps=self.fee_bps, creator_fee_bps=self.creator_fee_bps)
        except ValidationError as e:
            raise MarketError(str(e)) from e

    def _record(self, book: _Book, trader: Pubkey, side: Side, fill: Fill, landed: Landed, *,
                state: CurveState | None = None) -> SimTrade:
        balance = landed.balance_of(trader, book.token.mint)
        now = self._now_ms()
        trade = SimTrade(landed.signature, landed.slot, now, trader, side, fill.tokens, fill.sol, fill.fee,
                         fill.creator_fee, state or fill.state, balance, book.token.accounts, self.fee_bps,
                         self.creator_fee_bps)
        book.trades.append(trade)
        book.last_trade_ms = now
        book.holders[trader] = balance
        if not balance:
            del book.holders[trader]
        return trade

    def _maybe_migrate(self, book: _Book) -> None:
        if not book.state.complete or book.migration is not None or self._orders.pending_for(book.token.mint):
            return
        accounts = book.token.accounts
        pool = self.new_keypair().pubkey()
        reserved = book.state.total_supply - curve.INITIAL_REAL_TOKEN_RESERVES
        tokens = book.state.real_token + reserved
        fee = min(MIGRATION_FEE, book.state.real_sol)
        try:
            landed = self._settlement.migrate(book.vault, accounts, pool, book.state.real_sol, tokens, fee)
        except MarketError as e:
            log.warning("simnet migration of %s failed (retried on the next poll): %s", accounts.mint, e)
            return
        migration = SimMigration(landed.signature, landed.slot, self._now_ms(), accounts, pool,
                                 book.state.real_sol - fee, tokens)
        book.migration = migration
        book.state = replace(book.state, real_sol=0, real_token=0)
        self._publish(migration)

    def _mirror(self, *, force: bool) -> None:
        """Write each changed curve into its bonding-curve PDA account, at most every ``mirror_interval``.

        Rate-limited because every direct account write makes the chain re-index token accounts.
        """
        now = time.monotonic()
        if not force and now - self._mirrored_at < self._mirror_interval:
            return
        self._mirrored_at = now
        dirty = [book for book in self._books.values() if book.mirrored != book.state]
        if not dirty:
            return
        rent = self._chain.minimum_balance_for_rent_exemption(pumpwire.BONDING_CURVE_ACCOUNT_LEN)
        with self._chain.svm() as svm:
            for book in dirty:
                data = pumpwire.encode_bonding_curve(book.state, book.token.accounts.creator)
                svm.set_account(book.token.accounts.bonding_curve,
                                Account(rent, data, pumpwire.PUMP_PROGRAM_ID, False, 2**64 - 1))
                book.mirrored = book.state

    def _snapshot(self, book: _Book) -> MarketToken:
        return MarketToken(book.token, book.state, book.migration, book.last_trade_ms)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def forget(self, keep: int) -> None:
        """Drop all but the newest ``keep`` tokens from memory (they stay on the chain)."""
        with self._lock:
            for mint in list(self._books)[: max(0, len(self._books) - keep)]:
                if not self._orders.pending_for(mint):
                    del self._books[mint]


def _metadata_uri(mint: Pubkey) -> str:
    return "https://ipfs.io/ipfs/Qm" + b58encode(hashlib.sha256(bytes(mint)).digest())[:44]
