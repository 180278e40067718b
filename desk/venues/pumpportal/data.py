"""PumpPortal's data websocket: new tokens and migrations always, metered trade streams within a budget.

One connection per process and endpoint (PumpPortal blacklists clients that open many, protocols.md
§1.1). ``subscribeNewToken`` and ``subscribeMigration`` are free and always on. ``subscribeTokenTrade``
and ``subscribeAccountTrade`` need an API key on the URL and cost 0.01 SOL per 10,000 events, so the
keys they cover are capped by a budget and unsubscribed as soon as nobody watches them. After every
reconnect everything is subscribed again, at most 5,000 keys per message and 200 messages a second.
A link that delivers no create for 60 s is treated as dead (creates normally arrive every few
seconds). The API key is a secret: it is never logged, put in a status text, or shown in an error.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from enum import StrEnum
from typing import ClassVar, Final
from urllib.parse import quote, urlsplit

from desk.chain.ws import Connect, LinkStatus, ReconnectPolicy, StatusKind, SupervisedWs, WsConnection
from desk.core.clock import now_ms
from desk.core.errors import VenueError
from desk.core.market import MarketEvent, TokenCreated, dedupe_key
from desk.venues.pumpportal.messages import (
    EVENT_TYPES,
    MAX_FRAME_CHARS,
    ControlKind,
    ControlMessage,
    DropReason,
    RecentKeys,
    parse_frame,
)

log = logging.getLogger(__name__)

MAX_KEYS_PER_MESSAGE: Final = 5000
MAX_MESSAGES_PER_SECOND: Final = 200
DEFAULT_TRADE_KEY_BUDGET: Final = 100
PUMPPORTAL_POLICY: Final = ReconnectPolicy(initial=1.0, maximum=30.0, healthy_after=30.0, refused_delay=60.0,
                                           silence=60.0)


class TradeStream(StrEnum):
    """A metered stream and its subscribe / unsubscribe methods."""

    TOKEN = "TokenTrade"
    ACCOUNT = "AccountTrade"


class TradeBudgetError(VenueError):
    """Watching one more key would exceed the metered-stream budget."""


class TradeKeyRequiredError(VenueError):
    """Trade streams need a PumpPortal API key and none is configured."""


class PumpPortalData(SupervisedWs):
    """The PumpPortal data websocket client.

    Events go to ``sink`` on the receive loop, already deduplicated; ``sink`` must not block or await.

    Args:
        url: Data endpoint (``DESK_PUMPPORTAL_WS``), without the key.
        sink: Receives each new market event.
        api_key: Enables the metered trade streams (added to the URL as ``api-key``).
        on_status: Receives status changes (connecting, live, reconnecting, refused, notices).
        connect: Opens a connection; default ``websockets``.
        policy: Backoff and the no-create watchdog.
        trade_key_budget: Most mints plus accounts on the metered streams at once.
        seen: Dedupe memory, shared with other sources when given.
        clock: Arrival stamp in Unix ms.
        max_frame_chars: Frames longer than this are skipped unparsed.
    """

    silence_text: ClassVar[str] = "no new token"
    # Endpoint → the client holding it. Weak, so a client dropped without stop() frees its endpoint.
    _open_endpoints: ClassVar[weakref.WeakValueDictionary[str, PumpPortalData]] = weakref.WeakValueDictionary()

    def __init__(self, url: str, sink: Callable[[MarketEvent], None], *, api_key: str | None = None,
                 on_status: Callable[[LinkStatus], None] | None = None, connect: Connect | None = None,
                 policy: ReconnectPolicy = PUMPPORTAL_POLICY, trade_key_budget: int = DEFAULT_TRADE_KEY_BUDGET,
                 seen: RecentKeys | None = None, clock: Callable[[], int] = now_ms,
                 max_frame_chars: int = MAX_FRAME_CHARS) -> None:
        full_url = url
        if api_key:
            full_url += ("&" if urlsplit(url).query else "?") + "api-key=" + quote(api_key, safe="")
        super().__init__("pumpportal", full_url, connect=connect, policy=policy, on_status=on_status,
                         sends_per_second=MAX_MESSAGES_PER_SECOND)
        if api_key:
            self._secrets = (*self._secrets, api_key, quote(api_key, safe=""))
        parts = urlsplit(url)
        self._endpoint = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self._sink, self._clock, self._max_chars = sink, clock, max_frame_chars
        self._has_key = bool(api_key) or "api-key=" in parts.query  # a key may come inside the URL too
        self._seen = seen if seen is not None else RecentKeys()
        self.trade_key_budget = trade_key_budget
        self.trades_refused = False
        self._watched: dict[TradeStream, dict[str, None]] = {s: {} for s in TradeStream}
        self._on_wire: dict[TradeStream, set[str]] = {s: set() for s in TradeStream}
        self._to_add: dict[TradeStream, dict[str, None]] = {s: {} for s in TradeStream}
        self._to_drop: dict[TradeStream, dict[str, None]] = {s: {} for s in TradeStream}
        self._wake: asyncio.Event | None = None

    @property
    def trades_enabled(self) -> bool:
        """Whether an API key is configured (the metered streams can be used)."""
        return self._has_key

    def start(self) -> None:
        """Connect and keep the link up.

        Raises:
            VenueError: another client of this process already holds a connection to this endpoint.
        """
        if self.running:
            return
        holder = PumpPortalData._open_endpoints.get(self._endpoint)
        if holder is not None and holder is not self and holder.running:
            raise VenueError("PumpPortal allows one data connection per process, and one is already open.")
        PumpPortalData._open_endpoints[self._endpoint] = self
        super().start()

    async def stop(self) -> None:
        """Close the link."""
        await super().stop()
        if PumpPortalData._open_endpoints.get(self._endpoint) is self:
            del PumpPortalData._open_endpoints[self._endpoint]

    def watched(self, stream: TradeStream = TradeStream.TOKEN) -> list[str]:
        """Return the keys on a metered stream, oldest first."""
        return list(self._watched[stream])

    def watch(self, key: str, stream: TradeStream = TradeStream.TOKEN) -> None:
        """Subscribe a mint (``TOKEN``) or wallet (``ACCOUNT``) to its trade stream.

        Raises:
            TradeKeyRequiredError: no API key is configured.
            TradeBudgetError: the budget of watched keys is used up.
        """
        if not self._has_key:
            raise TradeKeyRequiredError("PumpPortal trade streams need an API key; none is configured.")
        watched = self._watched[stream]
        if key in watched:
            return
        used = sum(len(keys) for keys in self._watched.values())
        if used >= self.trade_key_budget:
            text = (f"Trade stream budget reached: {used} of {self.trade_key_budget} keys watched. "
                    "Stop watching a token or raise the budget.")
            self._publish(StatusKind.NOTICE, text)
            raise TradeBudgetError(text)
        watched[key] = None
        self._to_drop[stream].pop(key, None)
        if key not in self._on_wire[stream]:
            self._to_add[stream][key] = None
        self._poke()

    def unwatch(self, key: str, stream: TradeStream = TradeStream.TOKEN) -> None:
        """Stop a key's trade stream (unsubscribing it, so it stops costing)."""
        watched = self._watched[stream]
        if key not in watched:
            return
        del watched[key]
        self._to_add[stream].pop(key, None)
        if key in self._on_wire[stream]:
            self._to_drop[stream][key] = None
            self._poke()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _session_started(self, ws: WsConnection) -> None:
        self._wake = wake = asyncio.Event()
        for stream in TradeStream:
            self._on_wire[stream].clear()
            self._to_drop[stream].clear()
            self._to_add[stream] = dict(self._watched[stream]) if self._has_key else {}
        await self._send(ws, {"method": "subscribeNewToken"})
        await self._send(ws, {"method": "subscribeMigration"})
        while True:
            wake.clear()
            for stream in TradeStream:
                await self._flush(ws, stream, self._to_add, "subscribe")
                await self._flush(ws, stream, self._to_drop, "unsubscribe")
            await wake.wait()

    async def _flush(self, ws: WsConnection, stream: TradeStream,
                     pending: dict[TradeStream, dict[str, None]], verb: str) -> None:
        keys = list(pending[stream])
        pending[stream].clear()
        for start in range(0, len(keys), MAX_KEYS_PER_MESSAGE):
            chunk = keys[start:start + MAX_KEYS_PER_MESSAGE]
            # Book the wire state before awaiting the send, so an unwatch meanwhile queues its unsubscribe.
            if verb == "subscribe":
                self._on_wire[stream].update(chunk)
            else:
                self._on_wire[stream].difference_update(chunk)
            await self._send(ws, {"method": f"{verb}{stream.value}", "keys": chunk})

    def _on_frame(self, raw: str | bytes) -> None:
        c = self.counters
        c.received += 1
        if type(raw) is not str:
            c.malformed += 1
            self._note_malformed(DropReason.BINARY)
            return
        result = parse_frame(raw, self._clock(), max_chars=self._max_chars)
        if isinstance(result, EVENT_TYPES):
            c.parsed += 1
            if result.__class__ is TokenCreated:
                self._alive()
            if not self._seen.add(dedupe_key(result)):
                c.duplicates += 1
                return
            c.delivered += 1
            try:
                self._sink(result)
            except Exception:  # the sink is the feed's; a bug there must not stop the receive loop
                log.exception("pumpportal event sink failed")
        elif isinstance(result, ControlMessage):
            c.control += 1
            self._on_control(result)
        elif result.reason is DropReason.SUSPECT:
            c.suspect += 1
            self._alive()  # a (bad) create still proves the link carries creates
        elif result.reason is DropReason.UNKNOWN_TYPE:
            c.ignored += 1
        else:
            c.malformed += 1
            self._note_malformed(result.reason, result.detail)

    def _on_control(self, message: ControlMessage) -> None:
        if message.kind is ControlKind.REFUSED:
            self.trades_refused = True
            self._publish(StatusKind.REFUSED, message.text)
        elif message.kind is ControlKind.ACK_KEYS:
            self.trades_refused = False
        elif message.kind is ControlKind.INFO:
            self._publish(StatusKind.NOTICE, message.text)

    def _note_malformed(self, reason: DropReason, detail: str = "") -> None:
        count = self.counters.malformed
        if count & (count - 1) == 0:  # the 1st, 2nd, 4th, 8th ...: visible in the log, never a flood
            log.info("pumpportal: skipped a malformed frame (%s %s); %d so far", reason.value, detail, count)

