"""Recorded venue answers (tests/data, copied from the shared samples with their wrapper) and a fake venue server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "data"
Reply = tuple[int, bytes, dict[str, str]]


def sample(folder: str, name: str) -> Any:
    """Return the ``payload`` of a recorded sample."""
    return json.loads((DATA / folder / name).read_text(encoding="utf-8"))["payload"]


class FakeVenue:
    """A local HTTP server answering GETs from a script: ``script(n, path, headers) -> Reply | None``.

    None means silence past the client's timeout. Every request's path and headers are recorded.
    """

    def __init__(self, script: Callable[[int, str, dict[str, str]], Reply | None]) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stamps: list[float] = []
        venue = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                venue.requests.append((self.path, headers))
                venue.stamps.append(time.monotonic())
                reply = script(len(venue.requests), self.path, headers)
                if reply is None:
                    time.sleep(1.0)
                    return
                status, body, extra = reply
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
