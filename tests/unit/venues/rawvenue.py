"""A local HTTP venue for the trade clients: scripted raw answers to GET and POST, silence, dropped sockets.

Also builds the transactions such a venue would answer (solders MessageV0 for a random fee payer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

OCTET = {"content-type": "application/octet-stream"}
JSON = {"content-type": "application/json"}
HTML = {"content-type": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a status and body, or ``hang`` (silence) or ``drop`` (close the socket)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    drop: bool = False


HANG = Answer(hang=True)
DROP = Answer(drop=True)


@dataclass(frozen=True)
class Seen:
    """A request the venue received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Script = Callable[[int, Seen], Answer]


class RawVenue:
    """A ThreadingHTTPServer on 127.0.0.1 answering from ``script(n, request)``; use it as a context manager."""

    def __init__(self, script: Script, hang_seconds: float = 1.0) -> None:
        self.requests: list[Seen] = []
        venue = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                            self.rfile.read(length) if length else b"")
                venue.requests.append(seen)
                answer = script(len(venue.requests), seen)
                if answer.hang:
                    time.sleep(hang_seconds)
                    self.close_connection = True
                    return
                if answer.drop:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _serve  # noqa: N815 - http.server's naming

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> RawVenue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def unsigned_tx(payer: Pubkey | None = None, *, extra_signers: tuple[Pubkey, ...] = (),
                to: Pubkey | None = None) -> VersionedTransaction:
    """Return an unsigned v0 transfer paid by ``payer`` (random if None), with default signature slots."""
    payer = payer or Keypair().pubkey()
    ix = transfer(TransferParams(from_pubkey=payer, to_pubkey=to or Pubkey.new_unique(), lamports=1_000))
    ixs = [ix]
    if extra_signers:
        ixs.append(Instruction(Pubkey.new_unique(), b"\x01",
                               [AccountMeta(s, is_signer=True, is_writable=True) for s in extra_signers]))
    message = MessageV0.try_compile(payer, ixs, [], Hash.new_unique())
    slots = message.header.num_required_signatures
    return VersionedTransaction.populate(message, [Signature.default()] * slots)


def signed_tx(keypair: Keypair, *, to: Pubkey | None = None) -> VersionedTransaction:
    """Return a transfer paid and signed by ``keypair``."""
    ix = transfer(TransferParams(from_pubkey=keypair.pubkey(), to_pubkey=to or Pubkey.new_unique(), lamports=5_000))
    return VersionedTransaction(MessageV0.try_compile(keypair.pubkey(), [ix], [], Hash.new_unique()), [keypair])
