"""Multi-wallet order execution: one request, one leg per wallet, every leg journaled from chain truth.

Per round, every leg is built by its venue, checked (static policy, then simulation), signed with
only the wallet's own key, and submitted concurrently; confirmation is one batched status query for
all of them. A leg whose transaction is known dead (its blockhash expired with no status) is rebuilt
in the next round; a leg is never sent as a second transaction while the first might still land.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from solders.hash import Hash
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from spl.token.instructions import get_associated_token_address

from desk.chain.fills import fill_for, parse_transaction
from desk.chain.policy import check as policy_check
from desk.chain.rpc import RpcClient
from desk.chain.rpctypes import AccountInfo
from desk.chain.sender import Outcome, Sender
from desk.chain.signer import sign
from desk.core.activity import ActivityKind
from desk.core.clock import now_ms
from desk.core.curve import CurveState
from desk.core.curve import buy as curve_buy
from desk.core.curve import sell as curve_sell
from desk.core.errors import DeskError
from desk.core.market import Side
from desk.core.positions import TradeFill
from desk.core.wallets import Wallet
from desk.engine.keys import keypairs_for
from desk.engine.trading import (
    LEG_TRANSITIONS,
    Built,
    Leg,
    LegState,
    OrderRequest,
    Venue,
    simulate_check,
    trade_intent,
)
from desk.vault.repos.journal import LegRecord, OrderRecord
from desk.vault.session import Vault
from desk.venues.pumpfun.curve_account import bonding_curve_address, decode_bonding_curve

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LegUpdate:
    """A leg's state, as the order-legs panel shows it.

    Attributes:
        order_id: Order.
        leg_id: Leg attempt id.
        wallet_id: Wallet.
        wallet_label: Wallet label.
        attempt: Attempt number.
        state: building, signed, sent, confirmed, failed, expired.
        signature: Transaction signature once known.
        reason: Plain words for a failure.
    """

    order_id: str
    leg_id: str
    wallet_id: str
    wallet_label: str
    attempt: int
    state: LegState
    signature: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderResult:
    """How an order ended.

    Attributes:
        order_id: Order.
        legs: The final state of each wallet's leg.
        fills: Fills journaled from the confirmed legs.
    """

    order_id: str
    legs: tuple[LegUpdate, ...]
    fills: tuple[TradeFill, ...] = field(default=())

    @property
    def status(self) -> str:
        """filled, partial or failed."""
        done = sum(leg.state is LegState.CONFIRMED for leg in self.legs)
        return "filled" if done == len(self.legs) else "partial" if done else "failed"


VenueChooser = Callable[[OrderRequest, Wallet], Venue]


@dataclass
class _LegRun:
    leg: Leg
    update: LegUpdate
    tx: VersionedTransaction | None = None
    last_valid: int = 0


class OrderEngine:
    """Executes orders across wallets.

    Args:
        vault: The unlocked vault (keys, journal).
        rpc: The chain.
        network: Network name for every stored row.
        choose_venue: Picks the venue for a request and wallet.
        on_update: Called (on the loop) with every leg state change.
        max_attempts: Transactions per leg at most (a new one only after the previous is known dead).
        sender: Sends and confirms (a default one over ``rpc``).
    """

    def __init__(self, vault: Vault, rpc: RpcClient, network: str, choose_venue: VenueChooser, *,
                 on_update: Callable[[LegUpdate], None] | None = None, max_attempts: int = 2,
                 sender: Sender | None = None) -> None:
        self._vault = vault
        self._rpc = rpc
        self._network = network
        self._choose = choose_venue
        self._on_update = on_update
        self._max_attempts = max_attempts
        self._sender = sender or Sender(rpc)
        self._dirty: dict[str, _LegRun] = {}

    async def place(self, request: OrderRequest, wallets: Sequence[Wallet]) -> OrderResult:
        """Run ``request`` on every wallet and return the outcome, fills journaled."""
        request.check()
        if not wallets:
            raise DeskError("Select at least one wallet for the order.")
        order_id = str(uuid.uuid4())
        venue_name = self._choose(request, wallets[0]).name
        await self._vault.journal.add_order(OrderRecord(
            order_id, self._network, request.side.value, request.mint, venue_name,
            {"sol_each": request.sol_each, "percent": request.percent, "tokens_each": request.tokens_each,
             "slippage_bps": request.slippage_bps, "priority_fee": request.priority_fee, "tip": request.tip,
             "wallets": len(wallets)}, "running", request.signal_id, now_ms()))
        runs = [self._start(order_id, leg) for leg in await self._size(request, wallets)]
        await self._flush()
        pending = [r for r in runs if r.update.state is LegState.BUILDING]
        for attempt in range(1, self._max_attempts + 1):
            if not pending:
                break
            if attempt > 1:
                pending = [self._move(r, LegState.BUILDING, attempt=attempt, new_leg=True) for r in pending]
            await self._build_round(pending, request)
            await self._flush()  # signatures and expiry heights are stored before anything is submitted
            pending = await self._send([r for r in pending if r.update.state in (LegState.SIGNED, LegState.SENT)])
            await self._flush()
        for run in pending:
            self._move(run, LegState.FAILED, reason="its transactions expired without landing; not retried")
        await self._flush()
        fills = await self._journal(order_id, request, [r for r in runs if r.update.state is LegState.CONFIRMED])
        result = OrderResult(order_id, tuple(r.update for r in runs), tuple(fills))
        await self._vault.journal.set_order_status(order_id, result.status)
        await self._vault.activity.append(ActivityKind.ORDER_PLACED, {
            "order": order_id, "side": request.side.value, "mint": request.mint, "venue": venue_name,
            "wallets": len(wallets), "confirmed": sum(r.update.state is LegState.CONFIRMED for r in runs),
            "network": self._network, "signal": request.signal_id})
        return result

    async def _size(self, request: OrderRequest, wallets: Sequence[Wallet]) -> list[Leg]:
        """Size each wallet's leg and quote it on the live curve (when the token is still on one)."""
        mint_key = Pubkey.from_string(request.mint)
        curve_key = str(bonding_curve_address(mint_key))
        accounts = await self._rpc.get_multiple_accounts([request.mint, curve_key])
        mint_account, curve_account = accounts[request.mint], accounts[curve_key]
        if mint_account is None:
            raise DeskError(f"The token {request.mint} does not exist on {self._network}.")
        curve = _curve_state(curve_account.data if curve_account else b"")
        program = Pubkey.from_string(mint_account.owner)
        # Each wallet's associated token account: one request for up to 100 wallets. Tokens held in other
        # token accounts (rare for pump.fun tokens) are not sold and not counted.
        atas = [str(get_associated_token_address(Pubkey.from_string(w.pubkey), mint_key, program)) for w in wallets]
        held: dict[str, AccountInfo | None] = (
            await self._rpc.get_multiple_accounts(atas) if request.side is Side.SELL else {})
        sized: list[tuple[Wallet, int, tuple[str, ...]]] = []
        for wallet, ata in zip(wallets, atas, strict=True):
            if request.side is Side.BUY:
                amount = request.sol_each
            else:
                account = held.get(ata)
                balance = int.from_bytes(account.data[64:72], "little") if account and len(account.data) >= 72 else 0
                amount = min(request.tokens_each, balance) if request.tokens_each else balance * request.percent // 100
            sized.append((wallet, amount, (ata,)))
        total = sum(amount for _, amount, _ in sized)
        legs: list[Leg] = []
        for wallet, amount, watched in sized:
            # the venue may fill this leg after every other leg of the order: quote that worst case
            if request.side is Side.BUY:
                legs.append(Leg(wallet, sol_in=amount, token_accounts=watched,
                                quoted=_quote(curve, Side.BUY, amount, total - amount),
                                best_quote=_quote(curve, Side.BUY, amount, 0)))
            else:
                legs.append(Leg(wallet, tokens_out=amount, token_accounts=watched,
                                quoted=_quote(curve, Side.SELL, amount, total - amount),
                                best_quote=_quote(curve, Side.SELL, amount, 0)))
        return legs

    def _start(self, order_id: str, leg: Leg) -> _LegRun:
        run = _LegRun(leg, LegUpdate(order_id, str(uuid.uuid4()), leg.wallet.id, leg.wallet.label, 1,
                                     LegState.BUILDING))
        self._dirty[run.update.leg_id] = run
        if not leg.wallet.has_private_key and leg.wallet.kind.value != "pumpportal":
            self._move(run, LegState.FAILED, reason="watch-only wallet: no key to sign with")
        elif leg.sol_in == 0 and leg.tokens_out == 0:
            self._move(run, LegState.FAILED, reason="the wallet holds none of this token")
        elif self._on_update:
            self._on_update(run.update)  # every leg is reported from its first state on
        return run

    async def _build_round(self, runs: list[_LegRun], request: OrderRequest) -> None:
        """Get every leg's transaction from its venue, then check and sign each against one fresh blockhash.

        The blockhash is read after the venues answered, so it is never older than theirs: its expiry
        height is an upper bound for any venue transaction that keeps its own blockhash.
        """
        built = await asyncio.gather(*(self._venue_build(r, request) for r in runs))
        ready = [(r, b) for r, b in zip(runs, built, strict=True) if b is not None]
        if not ready:
            return
        try:
            blockhash, last_valid = await self._rpc.get_latest_blockhash()
            before = await self._rpc.get_multiple_accounts(
                list(dict.fromkeys(k for r, _ in ready for k in (r.leg.wallet.pubkey, *r.leg.token_accounts))))
        except DeskError as e:
            for run, _ in ready:
                self._move(run, LegState.FAILED, reason=str(e))
            return
        await asyncio.gather(*(self._check_and_sign(r, b, request, blockhash, last_valid, before) for r, b in ready))

    async def _venue_build(self, run: _LegRun, request: OrderRequest) -> Built | None:
        try:
            built = await self._choose(request, run.leg.wallet).build(run.leg, request)
        except DeskError as e:
            self._move(run, LegState.FAILED, reason=str(e))
            return None
        if built.signature is not None:  # the venue signed and sent it (Lightning)
            try:
                run.last_valid = await self._rpc.get_block_height() + 150
            except DeskError:
                run.last_valid = 2**62  # unknown: wait for a status rather than ever re-sending
            self._move(run, LegState.SENT, signature=built.signature)
            return None
        return built

    async def _check_and_sign(self, run: _LegRun, built: Built, request: OrderRequest, blockhash: str,
                              last_valid: int, before: dict[str, AccountInfo | None]) -> None:
        try:
            assert built.tx is not None
            tx = _fresh_blockhash(built.tx, blockhash)
            built = replace(built, tx=tx)
            intent = trade_intent(run.leg, request, built)
            policy_check(tx.message, intent)  # type: ignore[arg-type]
            await simulate_check(self._rpc, run.leg, request, built, before)
            async with keypairs_for(self._vault, [run.leg.wallet]) as keypairs:
                signed = sign(tx.message, keypairs, intent, existing=list(tx.signatures))  # type: ignore[arg-type]
            run.tx, run.last_valid = signed, last_valid
            self._move(run, LegState.SIGNED, signature=str(signed.signatures[0]))
        except DeskError as e:
            self._move(run, LegState.FAILED, reason=str(e))

    async def _send(self, runs: list[_LegRun]) -> list[_LegRun]:
        """Send every signed leg, wait for all; return the legs whose transaction is known dead."""
        if not runs:
            return []
        by_sig = {r.update.signature: r for r in runs if r.update.signature}
        to_send = [(r.tx, r.last_valid) for r in runs if r.tx is not None and r.update.state is LegState.SIGNED]
        for run in runs:
            if run.update.state is LegState.SIGNED:
                self._move(run, LegState.SENT)
        outcomes: list[Outcome] = []
        if to_send:
            outcomes += await self._sender.send_all([(tx, lv) for tx, lv in to_send if tx is not None])
        already: dict[str, tuple[bytes | None, int]] = {
            str(r.update.signature): (None, r.last_valid) for r in runs if r.tx is None}
        if already:
            settled: dict[str, Outcome] = {}
            outcomes += await self._sender.wait(already, settled, lambda o: settled.__setitem__(o.signature, o))
        dead: list[_LegRun] = []
        for outcome in outcomes:
            run = by_sig[outcome.signature]
            if outcome.state == "confirmed":
                self._move(run, LegState.CONFIRMED)
            elif outcome.state == "expired" or (outcome.state == "failed" and outcome.err == "BlockhashNotFound"):
                self._move(run, LegState.EXPIRED, reason=outcome.reason)
                dead.append(run)
            elif outcome.state == "failed":
                self._move(run, LegState.FAILED, reason=outcome.reason)
            else:
                log.info("leg %s still unconfirmed when waiting stopped", run.update.leg_id)
        return dead

    async def _journal(self, order_id: str, request: OrderRequest, runs: list[_LegRun]) -> list[TradeFill]:
        fills: list[TradeFill] = []
        for run in runs:
            for _ in range(20):
                result = await self._rpc.get_transaction(str(run.update.signature))
                if result is not None:
                    fill = fill_for(parse_transaction(result), wallet=run.leg.wallet.pubkey,
                                    wallet_id=run.leg.wallet.id, mint=request.mint, network=self._network)
                    if fill is not None:
                        fills.append(fill)
                    break
                await asyncio.sleep(0.25)
        await self._vault.journal.add_fills(fills, order_id=order_id)
        return fills

    def _move(self, run: _LegRun, state: LegState, *, signature: str | None = None, reason: str = "",
              attempt: int | None = None, new_leg: bool = False) -> _LegRun:
        if state not in LEG_TRANSITIONS[run.update.state] and state is not run.update.state:
            raise DeskError(f"A leg cannot go from {run.update.state} to {state}.")
        update = replace(run.update, state=state, reason=reason,
                         signature=signature or (None if new_leg else run.update.signature),
                         attempt=attempt or run.update.attempt,
                         leg_id=str(uuid.uuid4()) if new_leg else run.update.leg_id)
        run.update = update
        if new_leg:
            run.tx = None
        self._dirty[update.leg_id] = run
        if self._on_update:
            self._on_update(update)
        return run

    async def _flush(self) -> None:
        """Store every leg changed since the last flush, in one transaction."""
        if not self._dirty:
            return
        dirty, self._dirty = list(self._dirty.values()), {}
        await self._vault.journal.save_legs([
            LegRecord(r.update.leg_id, r.update.order_id, r.update.wallet_id, r.update.attempt, r.update.signature,
                      r.last_valid or None, r.update.state.value, r.update.reason or None) for r in dirty])

def _quote(curve: CurveState | None, side: Side, amount: int, others: int) -> int | None:
    """Tokens a buy gets or net lamports a sell gets after ``others`` of the same side traded first.

    None when there is no live curve, nothing to trade, or the trade does not fit the curve.
    """
    if curve is None or amount <= 0:
        return None
    try:
        before = _after(curve, side, others)
        return curve_buy(before, amount).tokens if side is Side.BUY else curve_sell(before, amount).seller_receives
    except DeskError:
        return None


def _after(curve: CurveState, side: Side, amount: int) -> CurveState:
    """The curve after the rest of the order's legs traded ``amount`` (lamports to buy, tokens to sell)."""
    if amount <= 0:
        return curve
    return (curve_buy(curve, amount) if side is Side.BUY else curve_sell(curve, amount)).state


def _curve_state(data: bytes) -> CurveState | None:
    """Decode a live bonding curve; None if there is none or it has graduated."""
    if not data:
        return None
    try:
        account = decode_bonding_curve(data)
    except DeskError:
        return None
    if account.complete:
        return None
    return CurveState(account.virtual_token_reserves, account.virtual_quote_reserves, account.real_token_reserves,
                      account.real_quote_reserves, account.token_total_supply, account.complete)


def _fresh_blockhash(tx: VersionedTransaction, blockhash: str) -> VersionedTransaction:
    """Put our own recent blockhash into an unsigned venue transaction, so its expiry height is known exactly.

    A transaction that already carries a signature keeps its blockhash (changing it would void that
    signature); the engine then uses a later blockhash's expiry, which is never earlier than the real one.
    """
    if any(sig != Signature.default() for sig in tx.signatures):
        return tx
    message = tx.message
    if not isinstance(message, MessageV0):
        return tx
    fresh = MessageV0(message.header, message.account_keys, Hash.from_string(blockhash), message.instructions,
                      message.address_table_lookups)
    return VersionedTransaction.populate(fresh, list(tx.signatures))

