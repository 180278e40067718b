"""The exit runner: watches armed exits' prices, fires each exit's sell once, and stores every change.

Prices come from an injected :class:`~desk.engine.prices.PriceSource` polled every ``interval`` seconds
(a bonding-curve read by default), and from :meth:`ExitRunner.observe` whenever the feed reports a
trade. Sells go through an injected ``place`` function (the order engine), so they are journaled like
any other order.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from desk.core.clock import now_ms
from desk.core.errors import DeskError, ValidationError
from desk.core.wallets import Wallet
from desk.engine.exits import (
    KEEP_FINISHED,
    POLL_SECONDS,
    SETTINGS_PREFIX,
    ArmedExit,
    ExitRule,
    ExitState,
    PlaceFn,
    evaluate,
    exit_doc,
    exit_from_doc,
    move,
    sell_summary,
)
from desk.engine.prices import Price, PriceSource
from desk.vault.session import Vault

log = logging.getLogger(__name__)


class ExitRunner:
    """Arms, watches and fires exits for one network.

    Args:
        vault: Where exits are stored (settings) and wallets are looked up.
        network: Network of every exit.
        place: Places the sell (the order engine's ``place``, or the GUI's wrapper of it).
        prices: The price source polled for armed exits.
        interval: Seconds between polls.
        on_change: Called with every exit that changed.
        on_prices: Called with every batch of prices read.
    """

    def __init__(self, vault: Vault, network: str, place: PlaceFn, prices: PriceSource, *,
                 interval: float = POLL_SECONDS, on_change: Callable[[ArmedExit], None] | None = None,
                 on_prices: Callable[[dict[str, Price | None]], None] | None = None) -> None:
        self._vault = vault
        self._network = network
        self._place = place
        self._prices = prices
        self._interval = interval
        self._on_change = on_change
        self._on_prices = on_prices
        self._exits: dict[str, ArmedExit] = {}
        self._firing: set[asyncio.Task[None]] = set()
        self._save_lock = asyncio.Lock()

    @property
    def key(self) -> str:
        """The settings key the exits are stored under."""
        return f"{SETTINGS_PREFIX}{self._network}"

    def exits(self) -> list[ArmedExit]:
        """Return every known exit, newest first."""
        return sorted(self._exits.values(), key=lambda e: e.created_ms, reverse=True)

    def armed(self, mint: str | None = None) -> list[ArmedExit]:
        """Return the armed exits (of one token)."""
        return [e for e in self._exits.values() if e.state is ExitState.ARMED and (mint is None or e.mint == mint)]

    async def load(self) -> list[ArmedExit]:
        """Read the stored exits; one left *triggered* by a crash is failed, never fired again."""
        stored = await self._vault.settings.get(self.key, [])
        interrupted: list[ArmedExit] = []
        for doc in stored if isinstance(stored, list) else []:
            try:
                exit_ = exit_from_doc(doc)
            except ValidationError as e:
                log.warning("skipped a stored exit: %s", e)
                continue
            if exit_.state is ExitState.TRIGGERED:
                exit_ = move(exit_, ExitState.FAILED, reason="interrupted while selling: check the position")
                interrupted.append(exit_)
            self._exits[exit_.id] = exit_
        if interrupted:
            await self._save()
        for exit_ in self._exits.values():
            self._changed(exit_)
        return self.exits()

    async def arm(self, mint: str, wallets: Sequence[Wallet], rule: ExitRule, entry: Price, *,
                  slippage_bps: int = 1000, priority_fee: int = 0, tip: int = 0, venue: str = "auto") -> ArmedExit:
        """Arm an exit on ``wallets``' holding of ``mint`` bought at ``entry``.

        Raises:
            ValidationError: the rule is not sane, no wallet, or no entry price.
        """
        rule.check()
        if not wallets:
            raise ValidationError("An exit needs at least one wallet.")
        if entry <= 0:
            raise ValidationError("An exit needs a positive entry price.")
        stamp = now_ms()
        exit_ = ArmedExit(str(uuid.uuid4()), self._network, mint, tuple(w.id for w in wallets), rule, entry, entry,
                          slippage_bps=slippage_bps, priority_fee=priority_fee, tip=tip, venue=venue,
                          created_ms=stamp, updated_ms=stamp)
        self._exits[exit_.id] = exit_
        await self._save()
        self._changed(exit_)
        return exit_

    async def cancel(self, exit_id: str) -> ArmedExit:
        """Disarm an exit that has not fired.

        Raises:
            DeskError: unknown, or it already fired or ended.
        """
        exit_ = self._exits.get(exit_id)
        if exit_ is None:
            raise DeskError("No such exit.")
        exit_ = self._set(move(exit_, ExitState.CANCELLED, reason="cancelled"))
        await self._save()
        return exit_

    # -- prices ------------------------------------------------------------------------------

    async def poll_once(self) -> list[ArmedExit]:
        """Read the prices of every token with an armed exit and act on them; return the exits fired."""
        mints = sorted({e.mint for e in self.armed()})
        if not mints:
            return []
        prices = await self._prices.prices(mints)
        if self._on_prices is not None:
            self._on_prices(prices)
        fired: list[ArmedExit] = []
        raised = False
        for mint, price in prices.items():
            if price is not None:
                changed, now_fired = self._mark(mint, price)
                raised = raised or changed
                fired += now_fired
        if raised and not fired:
            await self._save()
        for exit_ in fired:
            self._start_fire(exit_)
        return fired

    def observe(self, mint: str, price: Price) -> list[ArmedExit]:
        """Act on a price reported by the feed; return the exits it fired (their sells start as tasks)."""
        _, fired = self._mark(mint, price)
        for exit_ in fired:
            self._start_fire(exit_)
        return fired

    def _mark(self, mint: str, price: Price) -> tuple[bool, list[ArmedExit]]:
        """Mark the mint's armed exits to ``price``; the ones that fire are *triggered* before any await."""
        fired: list[ArmedExit] = []
        raised = False
        for exit_ in self.armed(mint):
            updated, trigger = evaluate(exit_, price)
            raised = raised or updated.high != exit_.high
            if trigger is None:
                self._exits[updated.id] = updated
                if updated != exit_:
                    self._changed(updated)
                continue
            fired.append(self._set(move(updated, ExitState.TRIGGERED, trigger=trigger, trigger_price=price,
                                        reason=f"{trigger.value} at {_ratio(price, exit_.entry)} of entry")))
        return raised, fired

    async def run(self) -> None:
        """Poll prices every ``interval`` seconds while any exit is armed, until cancelled."""
        while True:
            if self.armed():
                try:
                    await self.poll_once()
                except DeskError as e:
                    log.info("exit prices not read: %s", e)
            await asyncio.sleep(self._interval)

    # -- firing ------------------------------------------------------------------------------

    def _start_fire(self, exit_: ArmedExit) -> None:
        task = asyncio.get_running_loop().create_task(self._fire(exit_), name=f"exit-{exit_.id}")
        self._firing.add(task)
        task.add_done_callback(self._firing.discard)

    async def _fire(self, exit_: ArmedExit) -> None:
        await self._save()  # stored as triggered before any sell is placed
        try:
            wanted = set(exit_.wallet_ids)
            wallets = [w for w in await self._vault.wallets.list() if w.id in wanted]
            if not wallets:
                raise DeskError("none of its wallets is in use any more")
            result = await self._place(exit_.sell_request(), wallets)
        except DeskError as e:
            self._set(move(self._exits[exit_.id], ExitState.FAILED, reason=f"{exit_.trigger}: sell failed: {e}"))
        except Exception as e:  # the automation's boundary: an exit must end, never stay triggered
            log.error("exit %s: the sell raised %s", exit_.id, type(e).__name__, exc_info=e)
            self._set(move(self._exits[exit_.id], ExitState.FAILED,
                           reason=f"{exit_.trigger}: sell failed ({type(e).__name__})"))
        else:
            current = self._exits[exit_.id]
            state = ExitState.FAILED if result.status == "failed" else ExitState.DONE
            self._set(move(current, state, order_id=result.order_id,
                           reason=f"{exit_.trigger}: {sell_summary(result)}"))
        await self._save()

    async def drain(self) -> None:
        """Wait until every sell started so far has ended."""
        while self._firing:
            await asyncio.gather(*list(self._firing), return_exceptions=True)

    # -- state -------------------------------------------------------------------------------

    def _set(self, exit_: ArmedExit) -> ArmedExit:
        self._exits[exit_.id] = exit_
        self._changed(exit_)
        return exit_

    def _changed(self, exit_: ArmedExit) -> None:
        if self._on_change is not None:
            self._on_change(exit_)

    async def _save(self) -> None:
        async with self._save_lock:
            every = self.exits()
            kept = [e for e in every if e.is_open] + [e for e in every if not e.is_open][:KEEP_FINISHED]
            docs: list[dict[str, Any]] = [exit_doc(e) for e in kept]
            await self._vault.settings.set(self.key, docs)


def _ratio(price: Price, entry: Price) -> str:
    return f"{float(price / entry):.3f}×"

