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

import logging

from desk.simnet.httpserver import LocalHandler, LocalHttpServer, TrackingHttpServer
from desk.simnet.market import SimMarket
from desk.simnet.tradeform import Reply
from desk.simnet.venueapi import PumpPortalVenue

log = logging.getLogger(__name__)

MAX_REQUEST = 64 * 1024  # five trade requests are about 2 KiB


class _Handler(LocalHandler):
    timeout = 60
    server: TrackingHttpServer[VenueServer]

    def do_GET(self) -> None:
        self._serve("GET", b"")

    def do_POST(self) -> None:
        if self.chunked():
            self._reply(Reply.text("Send a Content-Length; chunked bodies are not accepted.", 411), close=True)
            return
        body = self.read_capped(MAX_REQUEST)
        if body is None:
            self._reply(Reply.text(f"The request body must be at most {MAX_REQUEST} bytes.", 413), close=True)
            return
        self._serve("POST", body)

    def do_PUT(self) -> None:
        self._serve("PUT", self._drain())

    def do_DELETE(self) -> None:
        self._serve("DELETE", self._drain())

    def _drain(self) -> bytes:
        body = self.read_capped(MAX_REQUEST)
        if body is None:
            self.close_connection = True
        return body or b""

    def _serve(self, method: str, body: bytes) -> None:
        try:
            reply = self.server.owner.venue.handle(method, self.path, self.headers.get("Content-Type") or "", body,
                                                   self.client_address[0])
        except Exception:
            log.exception("simnet PumpPortal %s %s failed", method, self.path)
            reply = Reply.text("Internal server error", 500)
        self._reply(reply)

    def _reply(self, reply: Reply, *, close: bool = False) -> None:
        self.reply(reply.status, reply.body, content_type=reply.content_type, close=close)


class VenueServer(LocalHttpServer):
    """The PumpPortal-compatible trading endpoint, served from a background thread.

    Args:
        market: The market trades settle on.
        port: TCP port on 127.0.0.1; 0 picks a free one.
        rate_limit: Requests per second per client address; None (the default) = unlimited.
    """

    handler = _Handler
    thread_name = "simnet-pumpportal-api"
    title = "simnet PumpPortal"

    def __init__(self, market: SimMarket, *, port: int = 0, rate_limit: int | None = None) -> None:
        super().__init__(port=port)
        self.venue = PumpPortalVenue(market, rate_limit=rate_limit)

    @property
    def url(self) -> str:
        """The API base, ``http://127.0.0.1:PORT/api`` (the desk appends ``/trade-local`` and so on)."""
        return f"{self.base_url}/api"
