"""Solana's websocket RPC for simnet: ``logsSubscribe`` over the simulated pump.fun market and ``signatureSubscribe``.

``logsSubscribe`` (``"all"``, ``"allWithVotes"`` or ``{"mentions": [one pubkey]}``) delivers a
``logsNotification`` in the mainnet shape for each market transaction that mentions the key: its real
simnet signature and slot, and logs as pump.fun's program writes them, including ``Program data:`` with
the TradeEvent (``pumpwire.py``). Only market transactions produce logs here; other transactions are
found through ``signatureSubscribe``, which notifies once any transaction with that signature executed
on the chain (polled every 50 ms; at once if it already had), then ends, as on a real node.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import Any, Self

import orjson
from solders.pubkey import Pubkey
from solders.signature import Signature

from desk.simnet import pumpwire
from desk.simnet.chain import SimChain
from desk.simnet.events import SimCreate, SimEvent, SimTrade
from desk.simnet.market import SimMarket
from desk.simnet.settlement import token_account
from desk.simnet.wsbase import WsClient, WsServer

log = logging.getLogger(__name__)

SIGNATURE_POLL_SECONDS = 0.05
MAX_SUBSCRIPTIONS_PER_CONNECTION = 10_000
_SYSTEM = "11111111111111111111111111111111"


@dataclass(frozen=True, slots=True)
class _LogsSub:
    client: WsClient
    mention: str | None  # None = every transaction


@dataclass(frozen=True, slots=True)
class _SignatureSub:
    client: WsClient
    signature: Signature
    received: bool


def _error(rid: Any, code: int, message: str) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": rid})


def mentions(event: SimEvent) -> set[str]:
    """Return every account a market transaction mentions (what ``{"mentions": [key]}`` matches)."""
    a = event.token.accounts if isinstance(event, SimCreate) else event.accounts
    keys = {a.mint, a.bonding_curve, a.vault, a.vault_tokens, a.creator_vault, a.fee_recipient, a.token_program}
    if isinstance(event, SimTrade):
        keys |= {event.trader, token_account(event.trader, a)}
    elif isinstance(event, SimCreate):
        keys |= {a.creator, token_account(a.creator, a)}
    else:
        keys |= {event.pool, token_account(event.pool, a)}
    return {str(k) for k in keys} | {str(pumpwire.PUMP_PROGRAM_ID), _SYSTEM}


def event_logs(event: SimEvent) -> list[str]:
    """Return the transaction logs of a market event."""
    if isinstance(event, SimTrade):
        return pumpwire.trade_logs(event)
    if isinstance(event, SimCreate):
        return pumpwire.create_logs(event)
    return pumpwire.migrate_logs(event)


class RpcWsServer(WsServer):
    """The simnet's websocket RPC endpoint.

    Args:
        chain: The chain whose signatures are watched.
        market: The market whose transactions produce logs (optional).
        port: TCP port on 127.0.0.1; 0 picks a free one.
    """

    def __init__(self, chain: SimChain, market: SimMarket | None = None, *, port: int = 0) -> None:
        super().__init__(port=port, name="simnet-rpc-ws")
        self._chain = chain
        self._ids = itertools.count(1)
        self._logs: dict[int, _LogsSub] = {}
        self._signatures: dict[int, _SignatureSub] = {}
        self._owned: dict[WsClient, set[int]] = {}
        self._wake = asyncio.Event()
        self._unsubscribe = market.subscribe(self._on_event) if market is not None else None

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:PORT``."""
        return self.base_url

    def start(self) -> Self:
        """Serve, and watch signatures from the server's loop."""
        super().start()
        self.call_soon(lambda: self.spawn(self._watch_signatures()))
        return self

    def stop(self) -> None:
        """Stop logs and close every connection."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        super().stop()

    # --- logs -----------------------------------------------------------------------------------------

    def _on_event(self, event: SimEvent) -> None:
        self.call_soon(self._dispatch, event)

    def _dispatch(self, event: SimEvent) -> None:
        if not self._logs:
            return
        keys = mentions(event)
        value: dict[str, Any] | None = None
        slot = event.slot
        for sub_id, sub in list(self._logs.items()):
            if sub.mention is not None and sub.mention not in keys:
                continue
            if value is None:
                value = {"signature": event.signature, "err": None, "logs": event_logs(event)}
            sub.client.send(orjson.dumps({"jsonrpc": "2.0", "method": "logsNotification", "params": {
                "subscription": sub_id, "result": {"context": {"slot": slot}, "value": value}}}))

    # --- signatures -----------------------------------------------------------------------------------

    async def _watch_signatures(self) -> None:
        while True:
            if not self._signatures:
                self._wake.clear()
                await self._wake.wait()
            for sub_id, sub in list(self._signatures.items()):
                record = self._chain.get_transaction(sub.signature)
                if record is None or sub_id not in self._signatures:
                    continue
                del self._signatures[sub_id]
                self._owned.get(sub.client, set()).discard(sub_id)
                if sub.received:
                    sub.client.send(self._signature_note(sub_id, record.slot, "receivedSignature"))
                sub.client.send(self._signature_note(sub_id, record.slot, {"err": record.err_json}))
            await asyncio.sleep(SIGNATURE_POLL_SECONDS)

    @staticmethod
    def _signature_note(sub_id: int, slot: int, value: Any) -> bytes:
        return orjson.dumps({"jsonrpc": "2.0", "method": "signatureNotification", "params": {
            "result": {"context": {"slot": slot}, "value": value}, "subscription": sub_id}})

    # --- requests -------------------------------------------------------------------------------------

    async def serve_client(self, client: WsClient) -> None:
        """Answer JSON-RPC subscription requests."""
        self._owned[client] = set()
        async for frame in client.connection:
            client.send(self._request(client, frame))

    def on_disconnect(self, client: WsClient) -> None:
        """Drop the client's subscriptions."""
        for sub_id in self._owned.pop(client, set()):
            self._logs.pop(sub_id, None)
            self._signatures.pop(sub_id, None)

    def _request(self, client: WsClient, frame: str | bytes) -> bytes:
        try:
            request = orjson.loads(frame)
        except orjson.JSONDecodeError:
            return _error(None, -32700, "Parse error")
        if not isinstance(request, dict):
            return _error(None, -32600, "Invalid request")
        rid = request.get("id")
        method, params = request.get("method"), request.get("params", [])
        if not isinstance(params, list):
            return _error(rid, -32602, "Invalid params")
        if method == "logsSubscribe":
            return self._logs_subscribe(client, rid, params)
        if method == "signatureSubscribe":
            return self._signature_subscribe(client, rid, params)
        if method in ("logsUnsubscribe", "signatureUnsubscribe"):
            table: dict[int, Any] = self._logs if method == "logsUnsubscribe" else self._signatures
            sub_id = params[0] if params else None
            if not isinstance(sub_id, int) or sub_id not in self._owned.get(client, set()) or sub_id not in table:
                return _error(rid, -32602, "Invalid subscription id.")
            del table[sub_id]
            self._owned[client].discard(sub_id)
            return orjson.dumps({"jsonrpc": "2.0", "result": True, "id": rid})
        return _error(rid, -32601, "Method not found")

    def _new_id(self, client: WsClient) -> int | None:
        owned = self._owned.setdefault(client, set())
        if len(owned) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            return None
        sub_id = next(self._ids)
        owned.add(sub_id)
        return sub_id

    def _logs_subscribe(self, client: WsClient, rid: Any, params: list[Any]) -> bytes:
        target = params[0] if params else None
        mention: str | None = None
        if isinstance(target, dict):
            keys = target.get("mentions")
            if not isinstance(keys, list) or len(keys) != 1:
                return _error(rid, -32602, "Invalid Request: Only 1 address supported")
            try:
                mention = str(Pubkey.from_string(keys[0]))
            except (ValueError, TypeError):
                return _error(rid, -32602, "Invalid params: Invalid pubkey")
        elif target not in ("all", "allWithVotes"):
            return _error(rid, -32602, "Invalid params")
        sub_id = self._new_id(client)
        if sub_id is None:
            return _error(rid, -32602, "Too many subscriptions")
        self._logs[sub_id] = _LogsSub(client, mention)
        return orjson.dumps({"jsonrpc": "2.0", "result": sub_id, "id": rid})

    def _signature_subscribe(self, client: WsClient, rid: Any, params: list[Any]) -> bytes:
        try:
            signature = Signature.from_string(params[0])
        except (ValueError, TypeError, IndexError):
            return _error(rid, -32602, "Invalid params: Invalid signature")
        config = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        sub_id = self._new_id(client)
        if sub_id is None:
            return _error(rid, -32602, "Too many subscriptions")
        self._signatures[sub_id] = _SignatureSub(client, signature, bool(config.get("enableReceivedNotification")))
        self._wake.set()
        return orjson.dumps({"jsonrpc": "2.0", "result": sub_id, "id": rid})
