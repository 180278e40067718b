"""The market feed: PumpPortal events and RPC-log trades, merged, deduplicated and published.

The feed owns its sources. New tokens and migrations always come from PumpPortal's free streams.
A token's trades come from PumpPortal's metered stream when an API key is configured (and not
refused), otherwise from an RPC ``logsSubscribe`` on the mint, decoded from pump.fun's TradeEvents.
Both kinds of events pass one dedupe memory, so a trade seen by both sources is published once.

Subscribers are plain callables run on the loop thread for each event; they must not block or await
(a UI hands events to a coalescing model, the CLI puts them in a bounded queue). A subscriber that
raises is logged and counted, never allowed to stop the receive loop.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from types import MethodType, TracebackType
from typing import Self

from desk.chain.ws import Connect, LinkStatus, LogsNotification, ReconnectPolicy, SolanaWs, StatusKind, StreamCounters
from desk.core.errors import VenueError
from desk.core.market import EventSource, MarketEvent, dedupe_key
from desk.venues.pumpfun.events import EventDecodeError, PumpTradeEvent, decode_event, program_data, trade_from_event
from desk.venues.pumpportal.data import DEFAULT_TRADE_KEY_BUDGET, PUMPPORTAL_POLICY, PumpPortalData
from desk.venues.pumpportal.messages import RecentKeys

log = logging.getLogger(__name__)

EventCallback = Callable[[MarketEvent], None]
StatusCallback = Callable[[LinkStatus], None]


class Feed:
    """Merged live market events with dedupe, counters and non-blocking fan-out.

    Args:
        pumpportal_url: PumpPortal data websocket (``DESK_PUMPPORTAL_WS``).
        rpc_ws_url: Solana RPC websocket (``DESK_RPC_WS_URL``) for trades without an API key; None disables.
        api_key: PumpPortal API key for the metered trade streams.
        connect: Opens websockets (tests inject one); default ``websockets``.
        pumpportal_policy: PumpPortal reconnect policy (including the 60 s no-create watchdog).
        rpc_policy: RPC websocket reconnect policy.
        trade_key_budget: Most keys on PumpPortal's metered streams at once.
        dedupe_capacity: Events remembered for dedupe.
        commitment: Commitment of RPC log subscriptions.
    """

    def __init__(self, pumpportal_url: str, rpc_ws_url: str | None = None, *, api_key: str | None = None,
                 connect: Connect | None = None, pumpportal_policy: ReconnectPolicy = PUMPPORTAL_POLICY,
                 rpc_policy: ReconnectPolicy | None = None, trade_key_budget: int = DEFAULT_TRADE_KEY_BUDGET,
                 dedupe_capacity: int = 200_000, commitment: str = "confirmed") -> None:
        self._seen = RecentKeys(dedupe_capacity)
        self._subscribers: tuple[Callable[[], EventCallback | None], ...] = ()  # each returns its callback
        self._status_subscribers: tuple[StatusCallback, ...] = ()
        self.statuses: dict[str, LinkStatus] = {}
        self.rpc_counters = StreamCounters()
        self.subscriber_errors = 0
        self.pumpportal = PumpPortalData(pumpportal_url, self._publish, api_key=api_key, on_status=self._on_status,
                                         connect=connect, policy=pumpportal_policy, trade_key_budget=trade_key_budget,
                                         seen=self._seen)
        self.rpc = (SolanaWs(rpc_ws_url, connect=connect, policy=rpc_policy, on_status=self._on_status,
                             commitment=commitment) if rpc_ws_url else None)
        self._routes: dict[str, EventSource] = {}
        self._running = False

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect the sources (the RPC websocket only once a mint needs it)."""
        self._running = True
        self.pumpportal.start()
        if self.rpc is not None and self.rpc.subscriptions:
            self.rpc.start()

    async def stop(self) -> None:
        """Disconnect every source and wait for their tasks to end."""
        self._running = False
        await self.pumpportal.stop()
        if self.rpc is not None:
            await self.rpc.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    # --- subscribers ----------------------------------------------------------------------------

    def subscribe(self, callback: EventCallback, *, weak: bool = False) -> Callable[[], None]:
        """Call ``callback(event)`` for every new event; return a function that unsubscribes it.

        Args:
            callback: Runs on the loop thread; must return quickly and never await.
            weak: Hold a bound method weakly (a closed panel then unsubscribes by being collected).
        """
        entry: Callable[[], EventCallback | None]
        if weak and isinstance(callback, MethodType):
            entry = weakref.WeakMethod(callback)
        else:
            def entry() -> EventCallback:
                return callback
        self._subscribers = (*self._subscribers, entry)

        def unsubscribe() -> None:
            self._subscribers = tuple(e for e in self._subscribers if e is not entry)

        return unsubscribe

    def subscribe_status(self, callback: StatusCallback) -> Callable[[], None]:
        """Call ``callback(status)`` on every link status change; return the unsubscribe function."""
        self._status_subscribers = (*self._status_subscribers, callback)

        def unsubscribe() -> None:
            self._status_subscribers = tuple(c for c in self._status_subscribers if c is not callback)

        return unsubscribe

    def counters(self) -> dict[str, dict[str, int]]:
        """Return per-source counts, plus the feed's own (subscriber errors, dedupe memory size)."""
        result = {"pumpportal": self.pumpportal.counters.snapshot(), "rpc-logs": self.rpc_counters.snapshot()}
        if self.rpc is not None:
            result["rpc"] = self.rpc.counters.snapshot()
        result["feed"] = {"subscriber_errors": self.subscriber_errors, "remembered": len(self._seen),
                          "watched": len(self._routes)}
        return result

    # --- trade streams --------------------------------------------------------------------------

    @property
    def watched(self) -> dict[str, EventSource]:
        """Mints whose trades are streamed, with the source serving each."""
        return dict(self._routes)

    def watch_trades(self, mint: str) -> EventSource:
        """Stream ``mint``'s trades; return which source serves them.

        Raises:
            TradeBudgetError: PumpPortal's metered-stream budget is used up.
            VenueError: there is neither an API key nor an RPC websocket to get trades from.
        """
        route = self._routes.get(mint)
        if route is not None:
            return route
        if self.pumpportal.trades_enabled and not self.pumpportal.trades_refused:
            self.pumpportal.watch(mint)
            route = EventSource.PUMPPORTAL
        else:
            self._watch_logs(mint)
            route = EventSource.RPC_LOGS
        self._routes[mint] = route
        return route

    def unwatch(self, mint: str) -> None:
        """Stop streaming ``mint``'s trades (and paying for them)."""
        route = self._routes.pop(mint, None)
        if route is EventSource.PUMPPORTAL:
            self.pumpportal.unwatch(mint)
        elif route is EventSource.RPC_LOGS and self.rpc is not None:
            self.rpc.logs_unsubscribe(mint)

    def _watch_logs(self, mint: str) -> None:
        if self.rpc is None:
            raise VenueError("No source for trades: set a PumpPortal API key or an RPC websocket URL.")
        self.rpc.logs_subscribe(mint, self._on_logs)
        if self._running:
            self.rpc.start()

    # --- inbound --------------------------------------------------------------------------------

    def _on_logs(self, notification: LogsNotification) -> None:
        c = self.rpc_counters
        c.received += 1
        if notification.err is not None:
            c.ignored += 1  # a failed transaction moved nothing
            return
        for data in program_data(notification.logs):
            try:
                event = decode_event(data)
            except EventDecodeError as e:
                c.malformed += 1
                log.debug("undecodable pump event in %s: %s", notification.signature, e)
                continue
            if not isinstance(event, PumpTradeEvent):
                continue
            c.parsed += 1
            trade = trade_from_event(event, notification.signature)
            if not self._seen.add(dedupe_key(trade)):
                c.duplicates += 1
                continue
            c.delivered += 1
            self._publish(trade)

    def _publish(self, event: MarketEvent) -> None:
        dead = False
        for entry in self._subscribers:
            callback = entry()
            if callback is None:
                dead = True
                continue
            try:
                callback(event)
            except Exception:  # one broken subscriber must not starve the others or the socket
                self.subscriber_errors += 1
                log.exception("feed subscriber failed")
        if dead:
            self._subscribers = tuple(e for e in self._subscribers if e() is not None)

    def _on_status(self, status: LinkStatus) -> None:
        self.statuses[status.source] = status
        if (status.source == "pumpportal" and status.kind is StatusKind.REFUSED and self.pumpportal.trades_refused
                and self.rpc is not None):
            self._fall_back_to_logs()
        for callback in self._status_subscribers:
            try:
                callback(status)
            except Exception:  # a broken status listener must not take a link down
                log.exception("feed status subscriber failed")

    def _fall_back_to_logs(self) -> None:
        moved = [mint for mint, route in self._routes.items() if route is EventSource.PUMPPORTAL]
        for mint in moved:
            self.pumpportal.unwatch(mint)
            self._watch_logs(mint)
            self._routes[mint] = EventSource.RPC_LOGS
        if moved:
            log.info("pumpportal refused trade streams; %d mint(s) moved to RPC logs", len(moved))
