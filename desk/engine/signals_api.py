"""The local signals HTTP API: HTTP/1.1 (h11) over asyncio streams, loopback only, one bearer token.

Every endpoint except ``GET /health`` needs ``Authorization: Bearer <token>``. The vault keeps only the
token's SHA-256 (setting ``signals.api_token``), so the token is shown once, when it is made; a presented
token's digest is compared in constant time, and no token is ever logged. Bodies are JSON objects of at most
``MAX_BODY`` bytes, numbers read as exact decimals. Errors are ``{"ok": false, "error": "..."}`` with 400
(malformed request or JSON), 401 (missing or wrong token), 404, 405, 413 (body too large), 421 (a Host that is
not loopback, against DNS rebinding) or 422 (well-formed but unacceptable); an unexpected failure is a plain
500, never a traceback.

Endpoints: ``POST /signals`` (``?wait=0`` answers 202 once stored and running), ``GET /signals?limit=N``,
``GET /signals/{id}``, ``POST /external/trades``, ``GET /external/positions?symbol=S``,
``GET /external/accounts/{name}/history``, ``GET /external/symbols/{symbol}/trades``, ``GET /health``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote

import h11
import orjson

from desk.core.errors import DeskError, NotFoundError, ValidationError
from desk.engine.signals import SignalService
from desk.engine.signals_docs import account_doc, position_doc, signal_doc, trade_doc
from desk.vault.session import Vault

log = logging.getLogger(__name__)

DEFAULT_PORT = 8787
TOKEN_SETTING = "signals.api_token"
MAX_BODY = 64 * 1024
MAX_HEADERS = 16 * 1024
IDLE_TIMEOUT = 30.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
_HOST_NAMES = frozenset({b"127.0.0.1", b"localhost", b"[::1]"})


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer: status and JSON body.

    Attributes:
        status: HTTP status code.
        body: JSON-able document.
        close: Close the connection afterwards.
    """

    status: int
    body: Any
    close: bool = False


def _error(status: int, message: str, *, close: bool = False) -> Reply:
    return Reply(status, {"ok": False, "error": message}, close)


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def token_digest(token: str | bytes) -> bytes:
    """Return the SHA-256 the vault keeps of an API token."""
    return hashlib.sha256(token.encode() if isinstance(token, str) else token).digest()


async def ensure_token(vault: Vault) -> tuple[bytes, str | None]:
    """Return the stored token digest, making a token on first use.

    Returns:
        The digest the server checks against, and the new token when one was just made (else None: a
        stored token is never shown again).
    """
    stored = await vault.settings.get(TOKEN_SETTING)
    if isinstance(stored, dict) and isinstance(stored.get("sha256"), str) and len(stored["sha256"]) == 64:
        return bytes.fromhex(stored["sha256"]), None
    token = await rotate_token(vault)
    return token_digest(token), token


async def rotate_token(vault: Vault) -> str:
    """Make a new random API token, keep its digest, and return it (the old token stops working)."""
    token = secrets.token_urlsafe(32)
    await vault.settings.set(TOKEN_SETTING, {"sha256": token_digest(token).hex()})
    return token


Route = Callable[[Mapping[str, list[str]], Any, list[str]], Awaitable[Reply]]


class SignalsApi:
    """The HTTP server in front of a :class:`SignalService`.

    Args:
        service: Accepts signals and answers external-account queries.
        token_sha256: SHA-256 of the bearer token clients must send (see :func:`ensure_token`).
        host: Loopback address to listen on (127.0.0.1 or ::1; anything else is refused).
        port: TCP port (0 = any free port; see :attr:`port`).
    """

    def __init__(self, service: SignalService, token_sha256: bytes, *, host: str = "127.0.0.1",
                 port: int = DEFAULT_PORT) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValidationError(f"The signals API listens on the loopback address only, not {host!r}.")
        if len(token_sha256) != 32:
            raise ValidationError("The signals API needs the SHA-256 digest of its token.")
        self._service = service
        self._token_sha256 = token_sha256
        self._host, self._port = host, port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._routes: list[tuple[str, tuple[str, ...], Route]] = [
            ("POST", ("signals",), self._post_signal),
            ("GET", ("signals",), self._list_signals),
            ("GET", ("signals", "*"), self._get_signal),
            ("POST", ("external", "trades"), self._post_trade),
            ("GET", ("external", "positions"), self._positions),
            ("GET", ("external", "accounts", "*", "history"), self._history),
            ("GET", ("external", "symbols", "*", "trades"), self._symbol_trades),
        ]

    @property
    def port(self) -> int:
        """The port actually listened on."""
        if self._server is None:
            return self._port
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """Base URL of the API."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._connection, self._host, self._port)
        log.info("signals API listening on %s", self.url)

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def close(self) -> None:
        """Stop listening, end open connections and wait for signals still running."""
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None
        await self._service.aclose()

    async def __aenter__(self) -> SignalsApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def handle(self, method: str, target: str, headers: Mapping[bytes, bytes], body: bytes) -> Reply:
        """Answer one request (transport-free: the connection loop calls this)."""
        host = headers.get(b"host")
        if host is not None and host.rsplit(b":", 1)[0].lower() not in _HOST_NAMES and host.lower() not in _HOST_NAMES:
            return _error(421, "This API answers only requests addressed to 127.0.0.1 or localhost.")
        path, _, query = target.partition("?")
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        if parts == ["health"]:
            return Reply(200, {"ok": True, "service": "mayhem-desk signals"}) if method == "GET" else _error(
                405, "Use GET.")
        denied = self._check_token(headers.get(b"authorization"))
        if denied is not None:
            return denied
        matched = [(m, route, [p for p, s in zip(parts, shape, strict=True) if s == "*"])
                   for m, shape, route in self._routes if len(shape) == len(parts)
                   and all(s in ("*", p) for p, s in zip(parts, shape, strict=True))]
        if not matched:
            return _error(404, f"No endpoint {path}.")
        chosen = next(((route, params) for m, route, params in matched if m == method), None)
        if chosen is None:
            return _error(405, f"Use {' or '.join(sorted({m for m, _, _ in matched}))} for {path}.")
        route, params = chosen
        try:
            doc = _json(body) if method == "POST" else None
            return await route(parse_qs(query), doc, params)
        except _HttpError as e:
            return _error(e.status, str(e))
        except DeskError as e:  # ValidationError, NotFoundError, ...: well-formed but unacceptable
            return _error(422, str(e))
        except Exception:
            log.exception("signals API: %s %s failed", method, path)
            return _error(500, "Internal error; see the desk log.")

    def _check_token(self, value: bytes | None) -> Reply | None:
        scheme, _, credential = (value or b"").strip().partition(b" ")
        if scheme.lower() != b"bearer" or not credential.strip():
            return _error(401, "Missing bearer token: send 'Authorization: Bearer <token>'.")
        if not hmac.compare_digest(token_digest(credential.strip()), self._token_sha256):
            return _error(401, "Invalid bearer token.")
        return None

    async def _post_signal(self, query: Mapping[str, list[str]], doc: Any, _: list[str]) -> Reply:
        wait = query.get("wait", ["1"])[-1].lower() not in ("0", "false", "no")
        accepted = await self._service.accept(_object(doc), wait=wait)
        status = 200 if accepted.duplicate else 201 if wait else 202
        return Reply(status, {"ok": True, "duplicate": accepted.duplicate, "signal": signal_doc(accepted.record)})

    async def _list_signals(self, query: Mapping[str, list[str]], _: Any, __: list[str]) -> Reply:
        limit = _int_param(query, "limit", 50, 1, 500)
        return Reply(200, {"ok": True, "signals": [signal_doc(r) for r in await self._service.recent(limit)]})

    async def _get_signal(self, _: Mapping[str, list[str]], __: Any, params: list[str]) -> Reply:
        record = await self._service.get(params[0])
        if record is None:
            raise _HttpError(404, f"No signal {params[0]!r}.")
        return Reply(200, {"ok": True, "signal": signal_doc(record)})

    async def _post_trade(self, _: Mapping[str, list[str]], doc: Any, __: list[str]) -> Reply:
        outcome = await self._service.external.report(_object(doc))
        return Reply(200 if outcome.duplicate else 201, {
            "ok": True, "duplicate": outcome.duplicate, "trade": trade_doc(outcome.trade, outcome.closed),
            "position": position_doc(outcome.position)})

    async def _positions(self, query: Mapping[str, list[str]], _: Any, __: list[str]) -> Reply:
        symbol = query.get("symbol", [""])[-1] or None
        positions = await self._service.external.positions(symbol)
        return Reply(200, {"ok": True, "positions": [position_doc(p) for p in positions]})

    async def _history(self, _: Mapping[str, list[str]], __: Any, params: list[str]) -> Reply:
        try:
            account, history, positions = await self._service.external.history(params[0])
        except NotFoundError as e:
            raise _HttpError(404, str(e)) from e
        return Reply(200, {"ok": True, "account": account_doc(account),
                           "trades": [trade_doc(t, closed) for t, closed in history],
                           "positions": [position_doc(p) for p in positions],
                           "realized_cents": sum(p.realized_cents for p in positions),
                           "net_cents": sum(p.net_cents for p in positions)})

    async def _symbol_trades(self, _: Mapping[str, list[str]], __: Any, params: list[str]) -> Reply:
        instrument = await self._service.external.instrument(params[0])
        if instrument is None:
            raise _HttpError(404, f"Unknown instrument {params[0]!r}.")
        history = await self._service.external.symbol_trades(instrument.symbol)
        return Reply(200, {"ok": True, "symbol": instrument.symbol,
                           "point_value_cents": instrument.point_value_cents,
                           "trades": [trade_doc(t, closed) for t, closed in history]})

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADERS)
        try:
            peer = writer.get_extra_info("peername")
            if peer and not ipaddress.ip_address(peer[0]).is_loopback:
                return
            while True:
                reply = await self._exchange(conn, reader, writer)
                if reply is not None and reply.close:
                    await _linger(reader, writer)
                if reply is None or reply.close or conn.our_state is h11.MUST_CLOSE:
                    break
                conn.start_next_cycle()
        except (ConnectionError, TimeoutError, h11.ProtocolError):
            pass
        except asyncio.CancelledError:
            pass  # close() ends the connection; asyncio 3.11 would log a cancelled stream handler as an error
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _exchange(self, conn: h11.Connection, reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> Reply | None:
        try:
            request = await _next_event(conn, reader)
            if not isinstance(request, h11.Request):
                return None
            headers = {name.lower(): value for name, value in request.headers}
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > MAX_BODY:
                reply = _error(413, f"The body is larger than {MAX_BODY} bytes.", close=True)
            else:
                if conn.they_are_waiting_for_100_continue:
                    writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b"")
                body = bytearray()
                while not isinstance(event := await _next_event(conn, reader), h11.EndOfMessage):
                    if not isinstance(event, h11.Data):
                        return None
                    body += event.data
                    if len(body) > MAX_BODY:
                        break
                if len(body) > MAX_BODY:
                    reply = _error(413, f"The body is larger than {MAX_BODY} bytes.", close=True)
                else:
                    reply = await self.handle(request.method.decode().upper(), request.target.decode("latin-1"),
                                              headers, bytes(body))
                log.info("signals API: %s %s → %d", request.method.decode(),
                         request.target.decode("latin-1").partition("?")[0][:80], reply.status)
        except h11.RemoteProtocolError as e:
            if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
                return None
            reply = _error(e.error_status_hint if e.error_status_hint >= 400 else 400, "Malformed HTTP request.",
                           close=True)
        await _send(conn, writer, reply)
        return reply


async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Half-close, then discard what the client is still sending.

    Closing a socket with unread input resets the connection, which can destroy the error reply
    before the client reads it.
    """
    if writer.can_write_eof():
        writer.write_eof()
    discarded = 0
    with contextlib.suppress(TimeoutError, ConnectionError):
        while discarded < 16 * MAX_BODY and (chunk := await asyncio.wait_for(reader.read(65_536), 1.0)):
            discarded += len(chunk)


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        data = await asyncio.wait_for(reader.read(65_536), IDLE_TIMEOUT)
        conn.receive_data(data)


async def _send(conn: h11.Connection, writer: asyncio.StreamWriter, reply: Reply) -> None:
    data = orjson.dumps(reply.body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
               (b"cache-control", b"no-store")]
    if reply.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="mayhem-desk"'))
    if reply.close:
        headers.append((b"connection", b"close"))
    writer.write(conn.send(h11.Response(status_code=reply.status, headers=headers)) or b"")
    writer.write(conn.send(h11.Data(data=data)) or b"")
    writer.write(conn.send(h11.EndOfMessage()) or b"")
    await writer.drain()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _json(body: bytes) -> Any:
    if not body.strip():
        raise _HttpError(400, "The request needs a JSON body.")
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _HttpError(400, "The body is not valid JSON.") from e


def _object(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise _HttpError(400, "The body must be a JSON object.")
    return doc


def _int_param(query: Mapping[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name, [str(default)])[-1]
    if not text.isdigit() or not low <= int(text) <= high:
        raise _HttpError(400, f"{name} must be a whole number from {low} to {high}.")
    return int(text)
