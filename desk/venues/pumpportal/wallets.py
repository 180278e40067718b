"""PumpPortal's create-wallet endpoint: a new bot wallet with its API key (protocols.md §3.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from solders.keypair import Keypair

from desk.core.errors import VenueError


@dataclass(frozen=True, slots=True)
class CreatedWallet:
    """A wallet PumpPortal created.

    Attributes:
        pubkey: ``walletPublicKey``.
        private_key: 64-byte keypair derived from ``privateKey`` (never shown in repr).
        api_key: ``apiKey`` for Lightning trades and metered data (never shown in repr).
    """

    pubkey: str
    private_key: bytes = field(repr=False)
    api_key: str = field(repr=False)


def parse_create_wallet(payload: Any) -> CreatedWallet:
    """Validate a create-wallet answer: all three fields present and the key matching the address."""
    if not isinstance(payload, dict):
        raise VenueError("PumpPortal's create-wallet answer is not a JSON object.")
    pubkey, secret, api_key = payload.get("walletPublicKey"), payload.get("privateKey"), payload.get("apiKey")
    if not (isinstance(pubkey, str) and isinstance(secret, str) and isinstance(api_key, str) and api_key):
        raise VenueError("PumpPortal's create-wallet answer lacks walletPublicKey, privateKey or apiKey.")
    if not 80 <= len(secret) <= 90 or not secret.isalnum():
        raise VenueError("PumpPortal's create-wallet answer has a malformed private key.")
    try:
        keypair = Keypair.from_base58_string(secret)
    except ValueError as e:
        raise VenueError("PumpPortal's create-wallet answer has an invalid private key.") from e
    if str(keypair.pubkey()) != pubkey:
        raise VenueError("PumpPortal's create-wallet answer has a private key that does not match its address.")
    return CreatedWallet(pubkey, bytes(keypair), api_key)


async def create_wallet(http: httpx.AsyncClient, api_base: str) -> CreatedWallet:
    """Call ``GET {api_base}/create-wallet`` and return the validated wallet."""
    try:
        response = await http.get(f"{api_base.rstrip('/')}/create-wallet", timeout=20.0)
    except httpx.HTTPError as e:
        raise VenueError(f"PumpPortal could not be reached ({type(e).__name__}).") from e
    if response.status_code != 200:
        raise VenueError(f"PumpPortal refused to create a wallet (HTTP {response.status_code}).")
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError as e:
        raise VenueError("PumpPortal answered create-wallet with something that is not JSON.") from e
    return parse_create_wallet(payload)
