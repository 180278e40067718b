"""PumpPortal's data websocket (``wss://pumpportal.fun/api/data``) for the simulated market.

Speaks the real protocol (protocols.md §1.2–1.5): ``{"method": ...}`` requests, ``{"message": ...}``
acknowledgements with the captured wording, and ``create`` / ``buy`` / ``sell`` / ``migrate`` payloads
in the verbatim shapes, SOL and token amounts as JSON numbers in SOL and UI units, no timestamp.
Trade streams need ``?api-key=`` on the URL (any non-empty key; nothing is metered) and get the real
refusal text without one. Many connections are allowed here (the real service asks for one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from desk.core.market import PUMP_TOKEN_UNIT
from desk.simnet.events import MIGRATED_POOL, PUMP_POOL, SimCreate, SimEvent, SimMigration, SimTrade
from desk.simnet.market import SOL, SimMarket
from desk.simnet.wsbase import WsClient, WsServer

log = logging.getLogger(__name__)

PATH = "/api/data"
MAX_KEYS_PER_MESSAGE = 5000  # PumpPortal FAQ
MAX_KEYS_PER_CONNECTION = 100_000
ACK_NEW_TOKEN = "Successfully subscribed to token creation events."
ACK_MIGRATION = "Subscribed to 'migration' events."
ACK_KEYS = "Successfully subscribed to keys."
REFUSED_WITHOUT_KEY = ("'subscribeTokenTrade' and 'subscribeAccountTrade' methods are only available when "
                       "connecting with an API key funded with at least 0.02 SOL.")
# Wording not captured from the real service (unsubscribe acks, our own refusals): control traffic all the same.
ACK_UNSUB_NEW_TOKEN = "Unsubscribed from token creation events."
ACK_UNSUB_KEYS = "Unsubscribed from keys."
TOO_MANY_KEYS = f"Too many keys in one message (at most {MAX_KEYS_PER_MESSAGE})."


def js_number(value: float) -> int | float:
    """Return ``value`` as JavaScript's JSON would print it: integral values without a fraction."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _sol(lamports: int) -> int | float:
    return js_number(lamports / SOL)


def _tokens(atomic: int) -> int | float:
    return js_number(atomic / PUMP_TOKEN_UNIT)


def _curve_fields(bonding_curve: str, v_sol: int, v_tokens: int) -> dict[str, Any]:
    sol, tokens = v_sol / SOL, v_tokens / PUMP_TOKEN_UNIT
    return {"bondingCurveKey": bonding_curve, "vTokensInBondingCurve": js_number(tokens),
            "vSolInBondingCurve": js_number(sol), "marketCapSol": js_number(sol / tokens * 1e9)}


def create_message(event: SimCreate) -> dict[str, Any]:
    """Return the PumpPortal ``create`` payload (pool ``pump``) for a simulated launch."""
    dev = event.dev_buy
    token = event.token
    tokens, sol = (dev.tokens, dev.sol) if dev else (0, 0)
    return {"signature": event.signature, "mint": str(token.mint), "traderPublicKey": str(token.accounts.creator),
            "txType": "create", "initialBuy": _tokens(tokens), "solAmount": _sol(sol),
            **_curve_fields(str(token.accounts.bonding_curve), event.state.virtual_sol, event.state.virtual_token),
            "name": token.name, "symbol": token.symbol, "uri": token.uri, "is_mayhem_mode": False, "pool": PUMP_POOL}


def trade_message(trade: SimTrade) -> dict[str, Any]:
    """Return the PumpPortal ``buy``/``sell`` payload for a curve trade."""
    return {"signature": trade.signature, "mint": str(trade.mint), "traderPublicKey": str(trade.trader),
            "txType": trade.side.value, "tokenAmount": _tokens(trade.tokens), "solAmount": _sol(trade.sol),
            "newTokenBalance": _tokens(trade.new_token_balance),
            **_curve_fields(str(trade.accounts.bonding_curve), trade.state.virtual_sol, trade.state.virtual_token),
            "pool": PUMP_POOL}


def migrate_message(event: SimMigration) -> dict[str, Any]:
    """Return the PumpPortal ``migrate`` payload (always exactly four keys)."""
    return {"signature": event.signature, "mint": str(event.mint), "txType": "migrate", "pool": MIGRATED_POOL}


def _ack(text: str) -> bytes:
    return orjson.dumps({"message": text})


@dataclass
class _Subscriptions:
    keyed: bool
    new_tokens: bool = False
    migrations: bool = False
    tokens: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)


class PumpPortalServer(WsServer):
    """The simulated PumpPortal data websocket, fed by a ``SimMarket``.

    Args:
        market: The market whose events are streamed.
        port: TCP port on 127.0.0.1; 0 picks a free one.
    """

    def __init__(self, market: SimMarket, *, port: int = 0) -> None:
        super().__init__(port=port, paths=(PATH,), name="simnet-pumpportal")
        self._market = market
        self._subs: dict[WsClient, _Subscriptions] = {}
        self._unsubscribe = market.subscribe(self._on_event)

    @property
    def url(self) -> str:
        """The data endpoint, ``ws://127.0.0.1:PORT/api/data`` (append ``?api-key=...`` for trade streams)."""
        return self.base_url + PATH

    def stop(self) -> None:
        """Stop streaming and close every connection."""
        self._unsubscribe()
        super().stop()

    def _on_event(self, event: SimEvent) -> None:
        self.call_soon(self._dispatch, event)

    def _dispatch(self, event: SimEvent) -> None:
        payload: bytes | None = None
        for client, subs in list(self._subs.items()):
            if not self._wants(subs, event):
                continue
            if payload is None:
                payload = orjson.dumps(self._message(event))
            client.send(payload)

    @staticmethod
    def _message(event: SimEvent) -> dict[str, Any]:
        if isinstance(event, SimTrade):
            return trade_message(event)
        if isinstance(event, SimCreate):
            return create_message(event)
        return migrate_message(event)

    @staticmethod
    def _wants(subs: _Subscriptions, event: SimEvent) -> bool:
        if isinstance(event, SimTrade):
            return subs.keyed and (str(event.mint) in subs.tokens or str(event.trader) in subs.accounts)
        if isinstance(event, SimCreate):
            return subs.new_tokens or (subs.keyed and str(event.token.accounts.creator) in subs.accounts)
        return subs.migrations

    async def serve_client(self, client: WsClient) -> None:
        """Answer subscription requests; events flow from ``_dispatch``."""
        query = parse_qs(urlsplit(client.path).query)
        subs = _Subscriptions(keyed=any(v.strip() for v in query.get("api-key", [])))
        self._subs[client] = subs
        async for frame in client.connection:
            reply = self._request(subs, frame)
            if reply is not None:
                client.send(reply)

    def on_disconnect(self, client: WsClient) -> None:
        """Drop the client's subscriptions."""
        self._subs.pop(client, None)

    def _request(self, subs: _Subscriptions, frame: str | bytes) -> bytes | None:
        try:
            request = orjson.loads(frame)
        except orjson.JSONDecodeError:
            log.debug("pumpportal simnet: ignoring a frame that is not JSON")
            return None
        method = request.get("method") if isinstance(request, dict) else None
        if method == "subscribeNewToken":
            subs.new_tokens = True
            return _ack(ACK_NEW_TOKEN)
        if method == "unsubscribeNewToken":
            subs.new_tokens = False
            return _ack(ACK_UNSUB_NEW_TOKEN)
        if method == "subscribeMigration":
            subs.migrations = True
            return _ack(ACK_MIGRATION)
        if method in ("subscribeTokenTrade", "subscribeAccountTrade", "unsubscribeTokenTrade",
                      "unsubscribeAccountTrade"):
            return self._keys(subs, method, request.get("keys"))
        log.debug("pumpportal simnet: ignoring method %r", method)
        return None

    def _keys(self, subs: _Subscriptions, method: str, keys: Any) -> bytes | None:
        if method.startswith("subscribe") and not subs.keyed:
            return _ack(REFUSED_WITHOUT_KEY)
        if not isinstance(keys, list):
            return None
        if len(keys) > MAX_KEYS_PER_MESSAGE:
            return _ack(TOO_MANY_KEYS)
        valid = {k for k in keys if isinstance(k, str) and 32 <= len(k) <= 44}
        target = subs.tokens if method.endswith("TokenTrade") else subs.accounts
        if method.startswith("unsubscribe"):
            target.difference_update(valid)
            return _ack(ACK_UNSUB_KEYS)
        room = MAX_KEYS_PER_CONNECTION - len(subs.tokens) - len(subs.accounts)
        target.update(list(valid)[: max(0, room)])
        return _ack(ACK_KEYS)
