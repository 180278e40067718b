"""Supervised websocket links and a Solana RPC subscription client (logsSubscribe, signatureSubscribe).

:class:`SupervisedWs` owns one connection at a time and keeps it up: exponential backoff with jitter,
a longer wait after an HTTP 401/403/429 on the upgrade, an optional silence watchdog, status changes
pushed to a callback, and every task held by the object. PumpPortal's data client builds on it too.
:class:`SolanaWs` speaks JSON-RPC itself (websockets + orjson) rather than solana-py's client, which
cannot parse some notifications that carry an ``err`` (protocols.md §7.3), and re-subscribes
everything after each reconnect. Secrets in URLs (API keys in the query or path) never reach a log
or a status text: only :func:`display_url` forms are shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, ClassVar, Final, Protocol
from urllib.parse import urlsplit

import orjson

log = logging.getLogger(__name__)
# websockets logs the request line (with any ?api-key=) and every frame at DEBUG: its logger for our
# connections stops at INFO, whatever the desk's own level (--verbose) is.
_transport_log = logging.getLogger(f"{__name__}.transport")
_transport_log.setLevel(logging.INFO)

TRANSPORT_MAX_BYTES: Final = 16 * 1024 * 1024  # larger frames close the link (1009); parsers cap far lower
RPC_MAX_FRAME_CHARS: Final = 1024 * 1024


class WsConnection(Protocol):
    """The part of a websocket connection the clients use (``websockets`` ClientConnection fits)."""

    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


Connect = Callable[[str], Awaitable[WsConnection]]


async def default_connect(url: str) -> WsConnection:
    """Open a websocket with ``websockets`` (protocol pings every 20 s, 16 MiB frame limit)."""
    from websockets.asyncio.client import connect

    return await connect(url, max_size=TRANSPORT_MAX_BYTES, ping_interval=20, ping_timeout=20, close_timeout=2,
                         open_timeout=None, logger=_transport_log)


def display_url(url: str) -> str:
    """Return ``url`` safe to show: scheme, host and port only; a path or query (keys live there) is elided."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a malformed port: show none rather than fail while reporting
        port = ""
    rest = "/…" if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


class StatusKind(StrEnum):
    """State of a link, as the UI's connection badge shows it."""

    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    REFUSED = "refused"
    NOTICE = "notice"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """A status change of one source.

    Attributes:
        source: Which link (``pumpportal``, ``rpc``).
        kind: New state.
        text: One line for the user; never contains a secret.
        retry_in: Seconds until the next attempt, when one is scheduled.
    """

    source: str
    kind: StatusKind
    text: str
    retry_in: float | None = None


@dataclass(slots=True)
class StreamCounters:
    """Frame and event counts of one source, since it was built.

    Attributes:
        received: Frames received.
        parsed: Frames that became events (duplicates included).
        delivered: Events handed on (parsed minus duplicates).
        duplicates: Events already seen (same dedupe key).
        malformed: Frames skipped as unparseable, oversized, binary or with a wrong field.
        suspect: Events dropped by a data-quality rule (e.g. a create naming the USDC mint).
        control: Acknowledgements, refusals and other non-event frames.
        ignored: Well-formed frames that carry nothing for us (unknown type, failed transaction).
        reconnects: Connections lost or refused and retried.
    """

    received: int = 0
    parsed: int = 0
    delivered: int = 0
    duplicates: int = 0
    malformed: int = 0
    suspect: int = 0
    control: int = 0
    ignored: int = 0
    reconnects: int = 0

    def snapshot(self) -> dict[str, int]:
        """Return the counts as a plain dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """How a link reconnects (seconds).

    Attributes:
        initial: First backoff.
        maximum: Backoff cap.
        jitter: Fraction of each delay randomized (±).
        healthy_after: A connection that lived this long resets the backoff.
        refused_delay: Minimum wait after the server refused the upgrade (HTTP 401/403/429).
        silence: Reconnect when the subclass reports no sign of life for this long; None disables.
        open_timeout: Limit on opening one connection.
    """

    initial: float = 1.0
    maximum: float = 30.0
    jitter: float = 0.2
    healthy_after: float = 30.0
    refused_delay: float = 60.0
    silence: float | None = None
    open_timeout: float = 10.0


class Backoff:
    """Exponential backoff with jitter, per :class:`ReconnectPolicy`."""

    def __init__(self, policy: ReconnectPolicy, rng: Callable[[], float] = random.random) -> None:
        self._policy, self._rng, self._attempt = policy, rng, 0

    def next_delay(self) -> float:
        """Return the wait before the next attempt and advance."""
        p = self._policy
        base = min(p.maximum, p.initial * 2.0 ** min(self._attempt, 30))
        self._attempt += 1
        return max(0.0, base * (1.0 + p.jitter * (2.0 * self._rng() - 1.0)))

    def reset(self) -> None:
        """Start over from the initial delay (after a healthy connection)."""
        self._attempt = 0


class Pacer:
    """Keeps outgoing control messages under ``per_second`` in any one-second window."""

    def __init__(self, per_second: int) -> None:
        self._limit, self._sent = per_second, deque[float]()

    async def wait(self) -> None:
        """Return when one more message may be sent."""
        while True:
            now = time.monotonic()
            while self._sent and now - self._sent[0] >= 1.0:
                self._sent.popleft()
            if len(self._sent) < self._limit:
                self._sent.append(now)
                return
            await asyncio.sleep(1.0 - (now - self._sent[0]))


def _seconds(delay: float) -> str:
    return f"{delay:.0f}" if delay >= 10 else f"{delay:.1f}"


def _refusal_status(e: BaseException) -> int | None:
    status = getattr(getattr(e, "response", None), "status_code", None)
    return status if status in (401, 403, 429) else None


def _close_code(e: BaseException) -> int | None:
    if type(e).__name__.startswith("ConnectionClosed"):
        rcvd = getattr(e, "rcvd", None)
        return int(getattr(rcvd, "code", 1006)) if rcvd is not None else 1006
    return None


class SupervisedWs:
    """One websocket kept up by a supervisor task; subclasses handle frames and (re)subscribe.

    Subclasses implement ``_on_frame`` (sync, called for every frame on the receive loop) and
    ``_session_started`` (async, runs beside the receive loop on each new connection), and call
    ``_alive`` when a frame proves the link healthy for the silence watchdog.

    Args:
        source: Name in statuses and logs.
        url: Endpoint (may carry a secret; it is shown only through :func:`display_url`).
        connect: Opens a connection; default :func:`default_connect`.
        policy: Backoff, refusal wait and silence watchdog.
        on_status: Receives every status change; must not block.
        sends_per_second: Cap on messages this client sends.
    """

    silence_text: ClassVar[str] = "no data"  # what the watchdog missed, for the status line

    def __init__(self, source: str, url: str, *, connect: Connect | None = None, policy: ReconnectPolicy,
                 on_status: Callable[[LinkStatus], None] | None = None, sends_per_second: int = 200) -> None:
        self.source = source
        self.counters = StreamCounters()
        self.status = LinkStatus(source, StatusKind.STOPPED, "not started")
        self._url, self._connect = url, connect or default_connect
        self._policy, self._on_status = policy, on_status
        self._pacer = Pacer(sends_per_second)
        self._task: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Timeout | None = None
        parts = urlsplit(url)  # keys hide in the query (?api-key=) or the path (/<token>/)
        self._secrets = tuple(s for s in (parts.query, parts.path.strip("/"), parts.password or "") if len(s) >= 8)

    @property
    def running(self) -> bool:
        """Whether the supervisor task is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the supervisor (idempotent); it runs until :meth:`stop`."""
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._supervise(), name=f"ws-{self.source}")

    async def stop(self) -> None:
        """Close the link and wait for the supervisor to end."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._publish(StatusKind.STOPPED, "stopped")

    # --- for subclasses -------------------------------------------------------------------------

    async def _session_started(self, ws: WsConnection) -> None:
        """Send what a new connection needs (subscriptions); runs beside the receive loop."""

    def _on_frame(self, raw: str | bytes) -> None:
        raise NotImplementedError

    def _alive(self) -> None:
        """Push the silence deadline back: the link just proved it carries data."""
        if self._watchdog is not None and self._policy.silence is not None:
            self._watchdog.reschedule(asyncio.get_running_loop().time() + self._policy.silence)

    async def _send(self, ws: WsConnection, document: Any) -> None:
        await self._pacer.wait()
        await ws.send(orjson.dumps(document).decode())

    def _publish(self, kind: StatusKind, text: str, retry_in: float | None = None) -> None:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        self.status = LinkStatus(self.source, kind, text, retry_in)
        level = logging.WARNING if kind is StatusKind.REFUSED else logging.INFO
        log.log(level, "%s %s: %s", self.source, kind.value, text)
        if self._on_status is not None:
            try:
                self._on_status(self.status)
            except Exception:
                log.exception("status listener failed")

    # --- the supervisor -------------------------------------------------------------------------

    async def _supervise(self) -> None:
        backoff, loop, shown = Backoff(self._policy), asyncio.get_running_loop(), display_url(self._url)
        while True:
            self._publish(StatusKind.CONNECTING, f"connecting to {shown}")
            try:
                ws = await asyncio.wait_for(self._connect(self._url), self._policy.open_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - every failed attempt is retried, whatever the transport raised
                if type(e).__name__ == "InvalidURI":
                    self._publish(StatusKind.FAILED, f"{shown} is not a websocket URL; not retrying")
                    return
                refused = _refusal_status(e)
                delay = backoff.next_delay()
                self.counters.reconnects += 1
                if refused is not None:
                    delay = max(delay, self._policy.refused_delay)
                    self._publish(StatusKind.REFUSED, f"server refused the connection (HTTP {refused}); "
                                  f"retrying in {_seconds(delay)} s", delay)
                else:
                    self._publish(StatusKind.RECONNECTING, f"{self._describe(e)}; reconnecting in {_seconds(delay)} s",
                                  delay)
                await asyncio.sleep(delay)
                continue
            opened = loop.time()
            reason = await self._session(ws)
            if loop.time() - opened >= self._policy.healthy_after:
                backoff.reset()
            delay = backoff.next_delay()
            self.counters.reconnects += 1
            self._publish(StatusKind.RECONNECTING, f"{reason}; reconnecting in {_seconds(delay)} s", delay)
            await asyncio.sleep(delay)

    async def _session(self, ws: WsConnection) -> str:
        self._publish(StatusKind.LIVE, "live")
        sender = asyncio.get_running_loop().create_task(self._run_sender(ws), name=f"ws-{self.source}-send")
        silence = self._policy.silence
        try:
            async with asyncio.timeout(silence) as watchdog:
                self._watchdog = watchdog
                on_frame = self._on_frame
                while True:
                    on_frame(await ws.recv())
        except TimeoutError:
            return f"{self.silence_text} for {silence:g} s"
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure of this connection means: reconnect
            code = _close_code(e)
            return f"connection closed ({code})" if code is not None else self._describe(e)
        finally:
            self._watchdog = None
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2.0)

    async def _run_sender(self, ws: WsConnection) -> None:
        try:
            await self._session_started(ws)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a failed send ends this connection, the supervisor reconnects
            log.info("%s: sending failed (%s); dropping the connection", self.source, self._describe(e))
            with contextlib.suppress(Exception):
                await ws.close(1011, "send failed")

    def _describe(self, e: BaseException) -> str:
        text = f"{type(e).__name__}: {e}"[:200]
        for secret in (self._url, *self._secrets):
            text = text.replace(secret, display_url(self._url) if secret == self._url else "***")
        return text


@dataclass(frozen=True, slots=True)
class LogsNotification:
    """One ``logsNotification``.

    Attributes:
        signature: Transaction.
        err: The transaction error, None when it succeeded.
        logs: Program log lines.
        slot: Slot of the notification context.
    """

    signature: str
    err: object
    logs: tuple[str, ...]
    slot: int


@dataclass(frozen=True, slots=True)
class SignatureNotification:
    """One ``signatureNotification``.

    Attributes:
        signature: The watched transaction.
        err: Its error, None when it succeeded (meaningless while ``received`` is True).
        slot: Slot of the notification context.
        received: True for the early "receivedSignature" notice; False for the final one.
    """

    signature: str
    err: object
    slot: int
    received: bool


@dataclass(slots=True)
class _Wanted:
    method: str
    params: list[Any]
    callback: Callable[[Any], None]


_UNSUBSCRIBE = {"logsSubscribe": "logsUnsubscribe", "signatureSubscribe": "signatureUnsubscribe"}


class SolanaWs(SupervisedWs):
    """Solana RPC websocket subscriptions that survive reconnects.

    Callbacks run on the receive loop and must not block. A subscription the node rejects is dropped
    with a NOTICE status.

    Args:
        url: ``ws(s)://`` RPC endpoint (``DESK_RPC_WS_URL``).
        connect: Opens a connection; default :func:`default_connect`.
        policy: Reconnect policy (no silence watchdog by default: a quiet mint is normal).
        on_status: Receives status changes.
        commitment: Default commitment for subscriptions.
        sends_per_second: Cap on subscription requests sent.
    """

    def __init__(self, url: str, *, connect: Connect | None = None, policy: ReconnectPolicy | None = None,
                 on_status: Callable[[LinkStatus], None] | None = None, commitment: str = "confirmed",
                 sends_per_second: int = 20) -> None:
        super().__init__("rpc", url, connect=connect, policy=policy or ReconnectPolicy(),
                         on_status=on_status, sends_per_second=sends_per_second)
        self.commitment = commitment
        self._wanted: dict[str, _Wanted] = {}
        self._ops: asyncio.Queue[tuple[str, str, int]] = asyncio.Queue()  # (op, key, server id)
        self._requests: dict[int, tuple[str, str]] = {}  # request id → (op, key)
        self._by_server_id: dict[int, str] = {}
        self._server_id: dict[str, int] = {}
        self._next_id = 1

    def logs_subscribe(self, mention: str, callback: Callable[[LogsNotification], None]) -> None:
        """Receive logs of transactions that mention ``mention`` (one pubkey, per the RPC's rule)."""
        self._want(f"logs:{mention}", _Wanted("logsSubscribe", [{"mentions": [mention]},
                                                                {"commitment": self.commitment}], callback))

    def logs_unsubscribe(self, mention: str) -> None:
        """Stop receiving logs for ``mention``."""
        self._unwant(f"logs:{mention}")

    def signature_subscribe(self, signature: str, callback: Callable[[SignatureNotification], None], *,
                            commitment: str | None = None, received: bool = False) -> None:
        """Be told when ``signature`` reaches ``commitment`` (one final notification, then it ends)."""
        config = {"commitment": commitment or self.commitment, "enableReceivedNotification": received}
        self._want(f"sig:{signature}", _Wanted("signatureSubscribe", [signature, config], callback))

    def signature_unsubscribe(self, signature: str) -> None:
        """Stop waiting for ``signature``."""
        self._unwant(f"sig:{signature}")

    @property
    def subscriptions(self) -> list[str]:
        """Keys of the wanted subscriptions (``logs:<pubkey>``, ``sig:<signature>``)."""
        return list(self._wanted)

    def _want(self, key: str, wanted: _Wanted) -> None:
        known = key in self._wanted
        self._wanted[key] = wanted
        if not known:
            self._ops.put_nowait(("sub", key, 0))

    def _unwant(self, key: str) -> None:
        if self._wanted.pop(key, None) is not None and key in self._server_id:
            server_id = self._server_id.pop(key)
            self._by_server_id.pop(server_id, None)
            self._ops.put_nowait(("unsub", key, server_id))

    async def _session_started(self, ws: WsConnection) -> None:
        self._requests.clear()
        self._by_server_id.clear()
        self._server_id.clear()
        self._ops = asyncio.Queue()
        for key in self._wanted:
            self._ops.put_nowait(("sub", key, 0))
        ops = self._ops
        while True:
            op, key, server_id = await ops.get()
            wanted = self._wanted.get(key)
            request_id, self._next_id = self._next_id, self._next_id + 1
            if op == "sub" and wanted is not None and key not in self._server_id:
                self._requests[request_id] = (op, key)
                await self._send(ws, {"jsonrpc": "2.0", "id": request_id, "method": wanted.method,
                                      "params": wanted.params})
            elif op == "unsub":
                method = _UNSUBSCRIBE["logsSubscribe" if key.startswith("logs:") else "signatureSubscribe"]
                await self._send(ws, {"jsonrpc": "2.0", "id": request_id, "method": method, "params": [server_id]})

    def _on_frame(self, raw: str | bytes) -> None:
        c = self.counters
        c.received += 1
        if type(raw) is not str or len(raw) > RPC_MAX_FRAME_CHARS:
            c.malformed += 1
            return
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            c.malformed += 1
            return
        if type(doc) is not dict:
            c.malformed += 1
            return
        params = doc.get("params")
        if type(params) is dict:
            self._on_notification(doc.get("method"), params)
        elif type(doc.get("id")) is int:
            c.control += 1
            self._on_response(doc)
        else:
            c.malformed += 1

    def _on_response(self, doc: dict[str, Any]) -> None:
        op, key = self._requests.pop(doc["id"], ("", ""))
        if op != "sub":
            return
        result, error = doc.get("result"), doc.get("error")
        if type(result) is int:
            if key in self._wanted and key not in self._server_id:
                self._server_id[key], self._by_server_id[result] = result, key
            else:  # dropped (or asked for twice) while the request was in flight
                self._ops.put_nowait(("unsub", key, result))
            return
        self._wanted.pop(key, None)
        message = error.get("message") if isinstance(error, dict) else None
        self._publish(StatusKind.NOTICE, f"subscription refused: {str(message or 'no reason given')[:160]}")

    def _on_notification(self, method: object, params: dict[str, Any]) -> None:
        c = self.counters
        key = self._by_server_id.get(params.get("subscription"))  # type: ignore[arg-type]
        result = params.get("result")
        wanted = self._wanted.get(key) if key is not None else None
        if wanted is None or type(result) is not dict:
            c.ignored += 1
            return
        context, value = result.get("context"), result.get("value")
        slot = context.get("slot") if type(context) is dict else None
        slot = slot if type(slot) is int else 0
        event: LogsNotification | SignatureNotification
        if method == "logsNotification" and type(value) is dict:
            signature, logs = value.get("signature"), value.get("logs")
            if type(signature) is not str or type(logs) is not list or not all(type(x) is str for x in logs):
                c.malformed += 1
                return
            event = LogsNotification(signature, value.get("err"), tuple(logs), slot)
        elif method == "signatureNotification" and key is not None and key.startswith("sig:"):
            received = value == "receivedSignature"
            err = value.get("err") if type(value) is dict else None
            event = SignatureNotification(key[4:], err, slot, received)
            if not received:  # the node ends the subscription after the final notification
                self._wanted.pop(key, None)
                self._by_server_id.pop(self._server_id.pop(key, 0), None)
        else:
            c.malformed += 1
            return
        c.parsed += 1
        c.delivered += 1
        try:
            wanted.callback(event)
        except Exception:  # a failing subscriber must not stop the receive loop
            log.exception("rpc subscription callback failed")
