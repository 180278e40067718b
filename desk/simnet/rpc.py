"""Solana JSON-RPC over HTTP for the simulated chain, in mainnet response shapes, on 127.0.0.1.

A stdlib ``ThreadingHTTPServer`` (one thread per connection, HTTP/1.1 keep-alive, a listen backlog of
1024 and Nagle off: both needed for concurrent clients, see reference/chain.md §6.4) in front of
``RpcMethods``. Unmodified solana-py ``AsyncClient`` and plain httpx clients both work against it.
Hostile input never stops the server: bodies over the cap get HTTP 413, anything else gets a JSON-RPC
error.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from desk.simnet.chain import SimChain
from desk.simnet.methods import RpcError, RpcMethods

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
_DRAIN_LIMIT = 64 * 1024 * 1024  # oversized bodies up to this size are read and dropped before the 413


class _HttpServer(ThreadingHTTPServer):
    request_queue_size = 1024  # the default backlog of 5 resets connections under asyncio.gather
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, rpc: RpcServer) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.rpc = rpc
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.sockets_lock:
                self.open_sockets.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("simnet rpc connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 300  # idle keep-alive connections are dropped after 5 minutes
    server: _HttpServer

    def do_POST(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._reply(411, b'{"error":"Content-Length required"}', close=True)
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._reply(411, b'{"error":"Content-Length required"}', close=True)
            return
        if length < 0 or length > self.server.rpc.max_body_bytes:
            self._discard(length)  # a client still writing its body would see a reset instead of the 413
            body = orjson.dumps({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Request body too large"},
                                 "id": None})
            self._reply(413, body, close=True)
            return
        data = self.rfile.read(length)
        if len(data) < length:
            self.close_connection = True
            return
        self._reply(200, self.server.rpc.handle(data))

    def _discard(self, length: int) -> None:
        remaining = min(max(length, 0), _DRAIN_LIMIT)
        while remaining > 0:
            chunk = self.rfile.read(min(65536, remaining))
            if not chunk:
                break
            remaining -= len(chunk)

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/health":
            self._reply(200, b"ok", content_type="text/plain")
        else:
            self._reply(405, b'{"error":"Used HTTP Method is not allowed. POST or OPTIONS is required"}')

    def _reply(self, status: int, body: bytes, *, content_type: str = "application/json", close: bool = False) -> None:
        if close:
            self.close_connection = True
        phrase = self.responses.get(status, ("",))[0]
        head = (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                f"{'Connection: close' if self.close_connection else 'Connection: keep-alive'}\r\n\r\n")
        self.wfile.write(head.encode("latin-1") + body)  # one write: no header/body split on the wire

    def log_message(self, format: str, *args: Any) -> None:
        return


class RpcServer:
    """The simnet JSON-RPC endpoint, served from a background thread.

    Args:
        chain: The chain to serve (a fresh ``SimChain`` if omitted).
        port: TCP port on 127.0.0.1; 0 picks a free one.
        max_body_bytes: Larger request bodies are refused with HTTP 413.
    """

    def __init__(self, chain: SimChain | None = None, *, port: int = 0, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self._chain = chain or SimChain()
        self._methods = RpcMethods(self._chain)
        self._requested_port = port
        self.max_body_bytes = max_body_bytes
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def chain(self) -> SimChain:
        """The chain behind this endpoint."""
        return self._chain

    @property
    def methods(self) -> RpcMethods:
        """The method table this endpoint dispatches to."""
        return self._methods

    @property
    def port(self) -> int:
        """The bound port (after ``start``)."""
        if self._http is None:
            raise RuntimeError("the simnet RPC server is not started")
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        """The HTTP endpoint, e.g. ``http://127.0.0.1:8899``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RpcServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._http is None:
            self._http = _HttpServer(self._requested_port, self)
            self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="simnet-rpc", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections."""
        http, self._http = self._http, None
        if http is None:
            return
        http.shutdown()
        http.server_close()
        with http.sockets_lock:
            for sock in list(http.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> RpcServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
