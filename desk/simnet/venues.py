"""PumpPortal's trading API for the simulated market, served over HTTP on 127.0.0.1 (protocols.md §2-3).

Paths match ``https://pumpportal.fun/api``: ``POST /api/trade-local``, ``POST /api/trade?api-key=KEY``
(Lightning) and ``GET /api/create-wallet``; the desk's ``DESK_PUMPPORTAL_API`` is ``url`` (ending in
``/api``). The request logic, fees and answers are in ``venueapi.py``; request parsing in ``tradeform.py``.

Robustness: bodies over ``MAX_REQUEST`` bytes get 413 and a closed connection, chunked bodies 411,
and nothing a client sends can stop the server (unexpected errors answer 500). PumpPortal limits
trading "and other endpoints" to 25 requests per second; the simnet does so only when started with
``rate_limit`` (``venueapi.PUMPPORTAL_RATE_LIMIT``), since the desk runs against it with its own
limiter and tests start many wallets at once. Over the limit: 429 with a plain-text body.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from desk.simnet.market import SimMarket
from desk.simnet.tradeform import Reply
from desk.simnet.venueapi import PumpPortalVenue

log = logging.getLogger(__name__)

MAX_REQUEST = 64 * 1024  # five trade requests are about 2 KiB


class _HttpServer(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, venue: PumpPortalVenue) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.venue = venue
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
        log.debug("simnet PumpPortal connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60
    server: _HttpServer

    def do_GET(self) -> None:
        self._serve("GET", b"")

    def do_POST(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self._reply(Reply.text("Send a Content-Length; chunked bodies are not accepted.", 411))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_REQUEST:
            self.close_connection = True
            self._reply(Reply.text(f"The request body must be at most {MAX_REQUEST} bytes.", 413))
            return
        self._serve("POST", self.rfile.read(length) if length else b"")

    def do_PUT(self) -> None:
        self._serve("PUT", self._drain())

    def do_DELETE(self) -> None:
        self._serve("DELETE", self._drain())

    def _drain(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if 0 <= length <= MAX_REQUEST:
            return self.rfile.read(length) if length else b""
        self.close_connection = True
        return b""

    def _serve(self, method: str, body: bytes) -> None:
        try:
            reply = self.server.venue.handle(method, self.path, self.headers.get("Content-Type") or "", body,
                                             self.client_address[0])
        except Exception:
            log.exception("simnet PumpPortal %s %s failed", method, self.path)
            reply = Reply.text("Internal server error", 500)
        self._reply(reply)

    def _reply(self, reply: Reply) -> None:
        phrase = self.responses.get(reply.status, ("",))[0]
        head = (f"HTTP/1.1 {reply.status} {phrase}\r\nContent-Type: {reply.content_type}\r\n"
                f"Content-Length: {len(reply.body)}\r\n"
                f"{'Connection: close' if self.close_connection else 'Connection: keep-alive'}\r\n\r\n")
        self.wfile.write(head.encode("latin-1") + reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class VenueServer:
    """The PumpPortal-compatible trading endpoint, served from a background thread.

    Args:
        market: The market trades settle on.
        port: TCP port on 127.0.0.1; 0 picks a free one.
        rate_limit: Requests per second per client address; None (the default) = unlimited.
    """

    def __init__(self, market: SimMarket, *, port: int = 0, rate_limit: int | None = None) -> None:
        self.venue = PumpPortalVenue(market, rate_limit=rate_limit)
        self._requested_port = port
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The API base, ``http://127.0.0.1:PORT/api`` (the desk appends ``/trade-local`` and so on)."""
        if self._http is None:
            raise RuntimeError("the simnet PumpPortal server is not started")
        return f"http://127.0.0.1:{self._http.server_address[1]}/api"

    def start(self) -> VenueServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._http is None:
            self._http = _HttpServer(self._requested_port, self.venue)
            self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="simnet-pumpportal-api", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        http, self._http = self._http, None
        if http is not None:
            http.shutdown()
            http.server_close()
            with http.sockets_lock:
                for sock in list(http.open_sockets):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
