"""Solana JSON-RPC over HTTP for the simulated chain, in mainnet response shapes, on 127.0.0.1.

A threaded HTTP server (``httpserver.py``: one thread per connection, HTTP/1.1 keep-alive, a listen
backlog of 1024 and Nagle off) in front of ``RpcMethods``. Unmodified solana-py ``AsyncClient`` and plain
httpx clients both work against it. Hostile input never stops the server: bodies over the cap get HTTP 413,
anything else gets a JSON-RPC error.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from desk.simnet.chain import SimChain
from desk.simnet.httpserver import LocalHandler, LocalHttpServer, TrackingHttpServer
from desk.simnet.methods import RpcError, RpcMethods

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
_DRAIN_LIMIT = 64 * 1024 * 1024  # oversized bodies up to this size are read and dropped before the 413


class _Handler(LocalHandler):
    server: TrackingHttpServer[RpcServer]

    def do_POST(self) -> None:
        length = None if self.chunked() else self.content_length()
        if length is None:
            self.reply(411, b'{"error":"Content-Length required"}', close=True)
            return
        if length < 0 or length > self.server.owner.max_body_bytes:
            self._discard(length)  # a client still writing its body would see a reset instead of the 413
            body = orjson.dumps({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Request body too large"},
                                 "id": None})
            self.reply(413, body, close=True)
            return
        data = self.rfile.read(length)
        if len(data) < length:
            self.close_connection = True
            return
        self.reply(200, self.server.owner.handle(data))

    def _discard(self, length: int) -> None:
        remaining = min(max(length, 0), _DRAIN_LIMIT)
        while remaining > 0:
            chunk = self.rfile.read(min(65536, remaining))
            if not chunk:
                break
            remaining -= len(chunk)

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/health":
            self.reply(200, b"ok", content_type="text/plain")
        else:
            self.reply(405, b'{"error":"Used HTTP Method is not allowed. POST or OPTIONS is required"}')


class RpcServer(LocalHttpServer):
    """The simnet JSON-RPC endpoint, served from a background thread.

    Args:
        chain: The chain to serve (a fresh ``SimChain`` if omitted).
        port: TCP port on 127.0.0.1; 0 picks a free one.
        max_body_bytes: Larger request bodies are refused with HTTP 413.
    """

    handler = _Handler
    thread_name = "simnet-rpc"
    title = "simnet RPC"

    def __init__(self, chain: SimChain | None = None, *, port: int = 0, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        super().__init__(port=port)
        self._chain = chain or SimChain()
        self._methods = RpcMethods(self._chain)
        self.max_body_bytes = max_body_bytes

    @property
    def chain(self) -> SimChain:
        """The chain behind this endpoint."""
        return self._chain

    @property
    def methods(self) -> RpcMethods:
        """The method table this endpoint dispatches to."""
        return self._methods

    @property
    def url(self) -> str:
        """The HTTP endpoint, e.g. ``http://127.0.0.1:8899``."""
        return self.base_url

    def handle(self, body: bytes) -> bytes:
        """Answer one JSON-RPC request body (single or batch) without HTTP."""
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return orjson.dumps(_error(None, -32700, "Parse error"))
        if isinstance(payload, list):
            if not payload:
                return orjson.dumps(_error(None, -32600, "Invalid request"))
            return orjson.dumps([self._one(item) for item in payload])
        return orjson.dumps(self._one(payload))

    def _one(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            return _error(None, -32600, "Invalid request")
        rid = request.get("id")
        if isinstance(rid, bool) or not isinstance(rid, int | str | float | None):
            return _error(None, -32600, "Invalid request")
        method = request.get("method")
        params = request.get("params", [])
        if not isinstance(method, str) or request.get("jsonrpc", "2.0") != "2.0":
            return _error(rid, -32600, "Invalid request")
        handler = self._methods.table.get(method)
        if handler is None:
            return _error(rid, -32601, "Method not found")
        if params is None:
            params = []
        if not isinstance(params, list):
            return _error(rid, -32602, "Invalid params: expected an array of parameters")
        try:
            result = handler(params)
        except RpcError as e:
            return _error(rid, e.code, e.message, e.data)
        except Exception:
            log.exception("simnet rpc %s failed", method)
            return _error(rid, -32603, "Internal error")
        return {"jsonrpc": "2.0", "result": result, "id": rid}


def _error(rid: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": rid}
