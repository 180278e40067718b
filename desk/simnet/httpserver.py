"""The HTTP plumbing the simnet's HTTP services share: a threaded server on 127.0.0.1 and its lifecycle.

A stdlib ``ThreadingHTTPServer`` (one daemon thread per connection, HTTP/1.1 keep-alive, a listen backlog of
1024 and Nagle off: both needed for concurrent clients, see reference/chain.md §6.4) that tracks its open
sockets so ``stop`` can drop idle keep-alive connections. A service subclasses ``LocalHttpServer`` and
names a ``LocalHandler`` subclass, whose ``server.owner`` is the service.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, Self, TypeVar

log = logging.getLogger(__name__)

OwnerT = TypeVar("OwnerT", bound="LocalHttpServer")


class TrackingHttpServer(ThreadingHTTPServer, Generic[OwnerT]):
    """A threaded HTTP server on 127.0.0.1 that remembers its open connections.

    Args:
        port: TCP port; 0 picks a free one.
        handler: The request handler class.
        owner: The service the handler answers for (``self.server.owner`` in the handler).
    """

    request_queue_size = 1024  # the default backlog of 5 resets connections under asyncio.gather
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, handler: type[LocalHandler], owner: OwnerT) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.owner = owner
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
        log.debug("%s connection from %s ended with an error", self.owner.title, client_address, exc_info=True)

    def drop_connections(self) -> None:
        """Shut every open connection down (their threads then see end of file)."""
        with self.sockets_lock:
            for sock in list(self.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class LocalHandler(BaseHTTPRequestHandler):
    """The request handler settings and reply helpers the simnet services share.

    Attributes:
        extra_headers: Header lines (``"Name: value"``) added to every reply after ``Content-Type``.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 300  # idle keep-alive connections are dropped after 5 minutes
    extra_headers: ClassVar[tuple[str, ...]] = ()

    def chunked(self) -> bool:
        """Return whether the request body is sent chunked."""
        return "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()

    def content_length(self, default: int | None = None) -> int | None:
        """Return the declared body length: ``default`` when absent or empty, None when not a number."""
        text = self.headers.get("Content-Length") or ""
        if not text:
            return default
        try:
            return int(text)
        except ValueError:
            return None

    def read_capped(self, cap: int) -> bytes | None:
        """Read a body of at most ``cap`` bytes (none declared = empty); None, unread, when it may be larger."""
        length = self.content_length(0)
        if length is None or not 0 <= length <= cap:
            return None
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: bytes, *, content_type: str = "application/json", close: bool = False) -> None:
        """Write one response; ``close`` ends the connection after it."""
        if close:
            self.close_connection = True
        phrase = self.responses.get(status, ("",))[0]
        extra = "".join(f"{line}\r\n" for line in self.extra_headers)
        head = (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: {content_type}\r\n{extra}"
                f"Content-Length: {len(body)}\r\n"
                f"{'Connection: close' if self.close_connection else 'Connection: keep-alive'}\r\n\r\n")
        self.wfile.write(head.encode("latin-1") + body)  # one write: no header/body split on the wire

    def log_message(self, format: str, *args: Any) -> None:
        return


class LocalHttpServer:
    """Base of the simnet HTTP services: bind on 127.0.0.1 and serve from a daemon thread.

    Subclasses set ``handler`` (their ``LocalHandler``), ``thread_name`` and ``title`` (for messages).

    Args:
        port: TCP port on 127.0.0.1; 0 picks a free one.
    """

    handler: ClassVar[type[LocalHandler]]
    thread_name = "simnet-http"
    title = "simnet HTTP"

    def __init__(self, *, port: int = 0) -> None:
        self._requested_port = port
        self._http: TrackingHttpServer[Self] | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (after ``start``)."""
        if self._http is None:
            raise RuntimeError(f"the {self.title} server is not started")
        return int(self._http.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (after ``start``)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self."""
        if self._http is None:
            self._http = TrackingHttpServer(self._requested_port, self.handler, self)
            self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections."""
        http, self._http = self._http, None
        if http is None:
            return
        http.shutdown()
        http.server_close()
        http.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
