"""Signals in, orders out: idempotent by id, risk-checked per source, executed on every target account.

A signal is validated and resolved first (token or instrument, target wallets or accounts); bad input
raises ``ValidationError`` and stores nothing, so the sender can fix it and resend the same id. Then it
is stored once: a second signal with a known id is answered with the stored one and never executes
again, even if the first run was interrupted (a signal left ``running`` is not retried blindly).
Next the source's risk limits decide (a rejection is stored with its reason), and the signal runs:

* a token (``mint``, or a ticker known in the vault's ``tokens`` table) becomes one order through the
  injected executor (the real :class:`~desk.engine.orders.OrderEngine` in the app): buy ``size`` SOL
  per wallet, sell ``size`` percent of each holding, ``close`` sells 100 %; each wallet's leg state is
  stored on the signal;
* an external instrument (NQ, MNQ, ...) is journaled on every target external account at the signal's
  ``price``; ``close`` flattens each account's position.

Risk limits live in the vault setting ``signals.risk``: ``{source: limits, "*": default limits}``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from desk.config import AppConfig
from desk.core.activity import ActivityKind
from desk.core.clock import now_ms
from desk.core.errors import DeskError, ValidationError
from desk.core.futures import ExternalAccount, Instrument
from desk.core.market import Side
from desk.core.money import parse_sol
from desk.core.signals import (
    RiskDecision,
    RiskLimits,
    Signal,
    SignalAction,
    SignalExecution,
    SignalRecord,
    SignalStatus,
    check_futures_risk,
    check_token_risk,
    parse_signal,
    realized_since,
    utc_day_start,
)
from desk.core.wallets import Wallet
from desk.engine.futures import ExternalJournal
from desk.engine.trading import OrderRequest
from desk.vault.session import Vault

if TYPE_CHECKING:
    from desk.engine.orders import LegUpdate, OrderEngine, OrderResult
    from desk.engine.services import ChainServices

log = logging.getLogger(__name__)

RISK_SETTING = "signals.risk"
DEFAULT_SLIPPAGE_BPS = 1000
DEFAULT_PRIORITY_FEE = 50_000  # lamports, the CLI's default 0.00005 SOL
_RESULT_STATUS = {"filled": SignalStatus.DONE, "partial": SignalStatus.PARTIAL}


class Executor(Protocol):
    """Runs one order on the given wallets (the order engine's ``place``)."""

    def __call__(self, request: OrderRequest, wallets: Sequence[Wallet], /) -> Awaitable[OrderResult]:
        """Execute ``request`` on ``wallets``."""
        ...


@dataclass(frozen=True, slots=True)
class Accepted:
    """The answer to a submitted signal.

    Attributes:
        record: The signal as stored now, with its executions.
        duplicate: The id was known: nothing was executed.
    """

    record: SignalRecord
    duplicate: bool


@dataclass(frozen=True, slots=True)
class _TokenPlan:
    request: OrderRequest
    wallets: tuple[Wallet, ...]


@dataclass(frozen=True, slots=True)
class _FuturesPlan:
    instrument: Instrument
    accounts: tuple[ExternalAccount, ...]
    qty: int
    price: Decimal


class SignalService:
    """Accepts signals and runs them.

    Args:
        vault: The unlocked vault.
        executor: Runs token orders (the order engine's ``place``, or a stub in tests).
        network: Network of token orders, fills and ticker lookups.
        external: The external-account journal (one over ``vault`` by default).
        clock: Milliseconds now.
        on_change: Called with a signal id whenever that signal's state changes (for the signals panel).
    """

    def __init__(self, vault: Vault, executor: Executor, network: str, *, external: ExternalJournal | None = None,
                 clock: Callable[[], int] = now_ms, on_change: Callable[[str], None] | None = None) -> None:
        self._vault = vault
        self._executor = executor
        self._network = network
        self.external = external or ExternalJournal(vault, clock=clock)
        self._clock = clock
        self._on_change = on_change
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, doc: Mapping[str, Any], *, source: str = "api", wait: bool = True) -> Accepted:
        """Validate, store and run one signal (or return the stored one for a known id).

        Args:
            doc: The signal's JSON object.
            source: Source when the document names none.
            wait: Return after execution; otherwise return once it is stored and running. Either way the
                execution runs to its end even if the caller is cancelled.

        Raises:
            ValidationError: the signal is malformed or names something unknown; nothing was stored.
        """
        signal = parse_signal(doc, new_id=str(uuid.uuid4()), received_ms=self._clock(), source=source)
        known = await self._vault.signals.get(signal.id)
        if known is not None:
            return Accepted(known, True)
        plan = await self._plan(signal)
        if not await self._vault.signals.add(signal):
            return Accepted(await self._record(signal.id), True)
        targets = len(plan.wallets) if isinstance(plan, _TokenPlan) else len(plan.accounts)
        await self._vault.activity.append(ActivityKind.SIGNAL_RECEIVED, {
            "signal": signal.id, "source": signal.source, "action": signal.action.value, "targets": targets,
            "kind": "token" if isinstance(plan, _TokenPlan) else "external"})
        decision = await self._risk(signal, plan)
        if not decision.allowed:
            log.info("signal %s from %s rejected: %s", signal.id, signal.source, decision.reason)
            await self._status(signal.id, SignalStatus.REJECTED, decision.reason)
            return Accepted(await self._record(signal.id), False)
        await self._vault.signals.save_executions(self._pending(signal, plan))
        await self._status(signal.id, SignalStatus.RUNNING)
        # The run is a task of its own: a caller that goes away (a dropped HTTP connection) cannot cancel
        # an order half-way; close() waits for it.
        task = asyncio.create_task(self._run_owned(signal, plan), name=f"signal-{signal.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if wait:
            await asyncio.shield(task)
        return Accepted(await self._record(signal.id), False)

    async def get(self, signal_id: str) -> SignalRecord | None:
        """Return one stored signal, or None."""
        return await self._vault.signals.get(signal_id)

    async def recent(self, limit: int = 50) -> list[SignalRecord]:
        """Return the newest signals first."""
        return await self._vault.signals.recent(limit)

    async def limits_for(self, source: str) -> RiskLimits:
        """Return ``source``'s risk limits (its own, else the ``"*"`` default, else none)."""
        stored = await self._vault.settings.get(RISK_SETTING, {})
        stored = stored if isinstance(stored, dict) else {}
        return RiskLimits.from_json(stored.get(source, stored.get("*")))

    async def set_limits(self, source: str, limits: RiskLimits) -> None:
        """Store ``source``'s risk limits (``"*"`` sets the default for every source)."""
        stored = await self._vault.settings.get(RISK_SETTING, {})
        stored = dict(stored) if isinstance(stored, dict) else {}
        stored[source] = limits.to_json()
        await self._vault.settings.set(RISK_SETTING, stored)

    async def aclose(self) -> None:
        """Wait for signals still running in the background."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _plan(self, signal: Signal) -> _TokenPlan | _FuturesPlan:
        mint = signal.mint
        if signal.symbol is not None:
            instrument = await self.external.instrument(signal.symbol)
            if instrument is not None:
                return await self._futures_plan(signal, instrument)
            mints = await self._vault.signals.mints_for_symbol(self._network, signal.symbol)
            if len(mints) != 1:
                problem = f"matches {len(mints)} tokens" if mints else "is neither an instrument nor a known token"
                raise ValidationError(f"The symbol {signal.symbol!r} {problem}; send the mint instead.")
            mint = mints[0]
        assert mint is not None  # parse_signal demands a mint or a symbol
        return await self._token_plan(signal, mint)

    async def _token_plan(self, signal: Signal, mint: str) -> _TokenPlan:
        if signal.price is not None:
            raise ValidationError("price applies to external instruments only.")
        wallets = await self._wallets(signal)
        size = signal.size
        side, sol_each, percent = Side.SELL, 0, 100
        if signal.action is SignalAction.BUY:
            assert size is not None
            side, sol_each = Side.BUY, parse_sol(size)
        elif signal.action is SignalAction.SELL:
            assert size is not None
            if size != size.to_integral_value() or not 1 <= size <= 100:
                raise ValidationError("A sell's size is the percent of each wallet's holding, from 1 to 100.")
            percent = int(size)
        slippage = DEFAULT_SLIPPAGE_BPS if signal.slippage_bps is None else signal.slippage_bps
        priority = DEFAULT_PRIORITY_FEE if signal.priority_fee is None else signal.priority_fee
        request = OrderRequest(side, mint, sol_each=sol_each, percent=percent if side is Side.SELL else 0,
                               slippage_bps=slippage, priority_fee=priority, signal_id=signal.id)
        request.check()
        return _TokenPlan(request, tuple(wallets))

    async def _wallets(self, signal: Signal) -> list[Wallet]:
        if signal.accounts:
            return [await self._vault.wallets.find(ref) for ref in signal.accounts]
        every = await self._vault.wallets.list()
        members = set((await self._vault.groups.find(signal.group)).members) if signal.group else None
        chosen = [w for w in every if w.active and (members is None or w.id in members)]
        if not chosen:
            where = f"in the group {signal.group!r}" if signal.group else "in the vault"
            raise ValidationError(f"No active wallets {where} to trade from.")
        return chosen

    async def _futures_plan(self, signal: Signal, instrument: Instrument) -> _FuturesPlan:
        if signal.price is None:
            raise ValidationError(f"A {instrument.symbol} signal needs the fill price (price) to journal it.")
        instrument.check_price(signal.price)
        if signal.group is not None:
            raise ValidationError("Groups hold wallets; name external accounts with accounts.")
        qty = 0
        if signal.action is not SignalAction.CLOSE:
            assert signal.size is not None
            if signal.size != signal.size.to_integral_value():
                raise ValidationError(f"A {instrument.symbol} signal's size is a whole number of contracts.")
            qty = int(signal.size)
        if signal.accounts:
            accounts = [await self._vault.external.find_account(name) for name in signal.accounts]
        else:
            accounts = await self._vault.external.accounts(active_only=True)
            if not accounts:
                raise ValidationError("No active external accounts; add one with 'desk signals accounts add NAME'.")
        return _FuturesPlan(instrument, tuple(accounts), qty, signal.price)

    async def _risk(self, signal: Signal, plan: _TokenPlan | _FuturesPlan) -> RiskDecision:
        limits = await self.limits_for(signal.source)
        if limits == RiskLimits():
            return RiskDecision(True)
        if isinstance(plan, _FuturesPlan):
            return check_futures_risk(limits, signal.action, contracts=plan.qty,
                                      realized_today_cents=await self.external.realized_today(signal.source))
        fills = await self._vault.signals.source_fills(self._network, signal.source)
        return check_token_risk(limits, signal.action, sol_total=plan.request.sol_each * len(plan.wallets),
                                realized_today=realized_since(fills, utc_day_start(self._clock())))

    def _pending(self, signal: Signal, plan: _TokenPlan | _FuturesPlan) -> list[SignalExecution]:
        now = self._clock()
        if isinstance(plan, _TokenPlan):
            return [SignalExecution(signal.id, w.id, "wallet", w.label, "pending", updated_ms=now)
                    for w in plan.wallets]
        return [SignalExecution(signal.id, a.id, "external", a.name, "pending", updated_ms=now)
                for a in plan.accounts]

    async def _run(self, signal: Signal, plan: _TokenPlan | _FuturesPlan) -> None:
        pending = self._pending(signal, plan)
        try:
            if isinstance(plan, _FuturesPlan):
                executions = await self.external.execute(signal, plan.instrument, plan.accounts, plan.qty, plan.price)
                status, reason = SignalStatus.DONE, ""
            else:
                result = await self._executor(plan.request, plan.wallets)
                executions = _from_result(pending, result, self._clock())
                status, reason = _RESULT_STATUS.get(result.status, SignalStatus.FAILED), ""
        except DeskError as e:
            executions = [replace(p, status="failed", reason=str(e), updated_ms=self._clock()) for p in pending]
            status, reason = SignalStatus.FAILED, str(e)
        except Exception:
            await self._status(signal.id, SignalStatus.FAILED, "unexpected error; see the log")
            raise
        await self._vault.signals.save_executions(executions)
        await self._status(signal.id, status, reason)
        log.info("signal %s from %s: %s", signal.id, signal.source, status.value)

    async def _run_owned(self, signal: Signal, plan: _TokenPlan | _FuturesPlan) -> None:
        try:
            await self._run(signal, plan)
        except Exception:  # the signal is already marked failed with a pointer to the log
            log.exception("signal %s failed unexpectedly", signal.id)

    async def _status(self, signal_id: str, status: SignalStatus, reason: str = "") -> None:
        await self._vault.signals.set_status(signal_id, status, reason)
        if self._on_change is not None:
            self._on_change(signal_id)

    async def _record(self, signal_id: str) -> SignalRecord:
        record = await self._vault.signals.get(signal_id)
        if record is None:  # pragma: no cover - stored just before
            raise DeskError(f"The signal {signal_id} disappeared.")
        return record


def _from_result(pending: Sequence[SignalExecution], result: OrderResult, now: int) -> list[SignalExecution]:
    legs = {leg.wallet_id: leg for leg in result.legs}
    out = []
    for p in pending:
        leg = legs.get(p.account_ref)
        if leg is None:
            out.append(replace(p, status="failed", order_id=result.order_id, reason="no leg ran", updated_ms=now))
        else:
            out.append(replace(p, status=leg.state.value, order_id=result.order_id, signature=leg.signature,
                               reason=leg.reason, updated_ms=now))
    return out


class EngineExecutor:
    """The real executor: the order engine over the configured chain and venues, built on first use.

    Args:
        vault: The unlocked vault.
        config: Endpoints and network.
        on_update: Called with every leg state change.
    """

    def __init__(self, vault: Vault, config: AppConfig, *, on_update: Callable[[LegUpdate], None] | None = None
                 ) -> None:
        self._vault = vault
        self._config = config
        self._on_update = on_update
        self._engine: OrderEngine | None = None
        self._chain: ChainServices | None = None

    async def __call__(self, request: OrderRequest, wallets: Sequence[Wallet], /) -> OrderResult:
        """Place ``request`` on ``wallets`` through the order engine.

        Raises:
            DeskError: trading venues are not configured, or the order could not start.
        """
        if self._engine is None:
            self._engine = self._build()
        return await self._engine.place(request, wallets)

    def _build(self) -> OrderEngine:
        try:
            from desk.engine.orders import OrderEngine
            from desk.engine.services import ChainServices, build_venues

            chain = ChainServices.from_config(self._config)
            venues = build_venues(self._config, self._vault)
        except (ImportError, KeyError) as e:
            raise DeskError(f"Trading venues are not configured ({e}); token signals cannot execute.") from e
        self._chain = chain
        return OrderEngine(self._vault, chain.rpc, chain.network, venues.choose, on_update=self._on_update)

    async def aclose(self) -> None:
        """Close the chain client if one was opened."""
        if self._chain is not None:
            await self._chain.aclose()
            self._chain = None


def default_executor(vault: Vault, config: AppConfig, *,
                     on_update: Callable[[LegUpdate], None] | None = None) -> EngineExecutor:
    """Return the executor ``desk signals serve`` uses: the real order engine, built lazily.

    External-account signals never reach it; a token signal whose venues cannot be built fails with
    "Trading venues are not configured" stored on the signal.
    """
    return EngineExecutor(vault, config, on_update=on_update)
