"""Creating a PumpPortal bot wallet through a local server speaking the create-wallet shape."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from solders.keypair import Keypair

from desk.core.errors import VenueError
from desk.core.wallets import WalletKind
from desk.engine.wallets import create_pumpportal_wallet
from desk.vault.lifecycle import create_vault
from tests.factories import FAST_KDF, PASSWORD


@pytest.fixture
def pumpportal() -> Iterator[tuple[str, list[bytes]]]:
    """A local create-wallet endpoint; append the next response body to the list."""
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.pop(0) if bodies else b"{}"
            self.send_response(200 if self.path == "/api/create-wallet" else 404)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api", bodies
    server.shutdown()
    server.server_close()


async def test_created_wallet_is_stored_with_sealed_key_and_api_key(home: Path, pumpportal) -> None:
    url, bodies = pumpportal
    kp = Keypair()
    bodies.append(json.dumps({"apiKey": "ppk-123", "walletPublicKey": str(kp.pubkey()),
                              "privateKey": str(kp)}).encode())
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    wallet = await create_pumpportal_wallet(vault, url, label="Bot")
    assert wallet.kind == WalletKind.PUMPPORTAL and wallet.pubkey == str(kp.pubkey()) and wallet.has_api_key
    assert bytes(await vault.wallets.private_key(wallet.id)) == bytes(kp)
    assert bytes(await vault.wallets.api_key(wallet.id)) == b"ppk-123"
    await vault.lock()


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"apiKey": "k"}', json.dumps(
    {"apiKey": "k", "walletPublicKey": str(Keypair().pubkey()), "privateKey": str(Keypair())}).encode()])
async def test_bad_answers_store_nothing(home: Path, pumpportal, body: bytes) -> None:
    url, bodies = pumpportal
    bodies.append(body)
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    with pytest.raises(VenueError):
        await create_pumpportal_wallet(vault, url)
    assert await vault.wallets.list() == []
    await vault.lock()
