"""A websocket server for simnet services: one asyncio loop in a daemon thread, many clients.

Each client gets a bounded outgoing queue drained by its own writer task, so one slow reader never
holds up the others; a client whose queue overflows is disconnected (close code 1008), as busy real
feeds do. Publishing from other threads goes through ``call_soon`` (``loop.call_soon_threadsafe``).
Subclasses implement ``serve_client`` (read the client's frames) and may override ``on_disconnect``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Collection
from http import HTTPStatus
from typing import Any, Self

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

log = logging.getLogger(__name__)


class WsClient:
    """One connected client: its connection and outgoing queue.

    Args:
        connection: The websocket connection.
        max_queue: Frames that may wait to be written before the client is dropped.
    """

    def __init__(self, connection: ServerConnection, max_queue: int) -> None:
        self.connection = connection
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(max_queue)
        self._dropped = False
        self.closing: set[asyncio.Task[None]] = set()

    @property
    def path(self) -> str:
        """The request path including the query string."""
        request = self.connection.request
        return request.path if request is not None else ""

    def send(self, payload: bytes) -> None:
        """Queue one text frame (UTF-8 JSON); drop the client if it is too far behind."""
        if self._dropped:
            return
        try:
            self._queue.put_nowait(payload)
        except asyncio.QueueFull:
            self._dropped = True
            log.info("simnet websocket client too slow; disconnecting")
            task = asyncio.get_running_loop().create_task(self.connection.close(1008, "message queue overflow"))
            self.closing.add(task)
            task.add_done_callback(self.closing.discard)

    async def write_loop(self) -> None:
        """Write queued frames until the connection closes."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                payload = await self._queue.get()
                await self.connection.send(payload, text=True)


class WsServer:
    """Base of the simnet websocket services.

    Args:
        port: TCP port on 127.0.0.1; 0 picks a free one.
        paths: Request paths (without query) accepted; others get HTTP 404. Empty = any path.
        name: Thread name.
        max_message: Largest client frame accepted (bytes); larger ones close the connection (1009).
        max_queue: Outgoing frames buffered per client.
    """

    def __init__(self, *, port: int = 0, paths: Collection[str] = (), name: str = "simnet-ws",
                 max_message: int = 1 << 20, max_queue: int = 50_000) -> None:
        self._requested_port = port
        self._paths = frozenset(paths)
        self._name = name
        self._max_message = max_message
        self._max_queue = max_queue
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self.clients: set[WsClient] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def port(self) -> int:
        """The bound port (after ``start``)."""
        if self._server is None:
            raise RuntimeError(f"{self._name} is not started")
        return int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def base_url(self) -> str:
        """``ws://127.0.0.1:PORT``."""
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Bind and serve from a daemon thread; returns self once listening."""
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)
        return self

    async def _serve(self) -> Server:
        return await serve(self._handler, "127.0.0.1", self._requested_port, process_request=self._check_path,
                           max_size=self._max_message, compression=None, ping_interval=20, ping_timeout=20,
                           close_timeout=2)

    def stop(self) -> None:
        """Close every connection and stop the loop thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._server is not None:
            server = self._server
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._close(server), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = self._server = None

    async def _close(self, server: Server) -> None:
        server.close()
        await server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        """Run ``callback(*args)`` on the server's loop (safe from any thread; a no-op once stopped)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(callback, *args)

    def spawn(self, coro: Any) -> None:
        """Run a coroutine on the loop, keeping a strong reference until it finishes (loop thread only)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _check_path(self, connection: ServerConnection, request: Request) -> Response | None:
        if self._paths and request.path.split("?", 1)[0] not in self._paths:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        return None

    async def _handler(self, connection: ServerConnection) -> None:
        client = WsClient(connection, self._max_queue)
        writer = asyncio.get_running_loop().create_task(client.write_loop())
        self.clients.add(client)
        try:
            await self.serve_client(client)
        except ConnectionClosed:
            pass
        finally:
            self.clients.discard(client)
            self.on_disconnect(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def serve_client(self, client: WsClient) -> None:
        """Read and answer the client's frames until it disconnects."""
        raise NotImplementedError

    def on_disconnect(self, client: WsClient) -> None:
        """Forget whatever belongs to ``client``."""
