"""Jito block engine JSON-RPC: send a signed bundle, follow its status, and build the tip that makes it count.

``POST {engine}/api/v1/bundles`` takes ``sendBundle`` with up to five fully signed transactions
(base64 with ``{"encoding": "base64"}``; base58, the default, is "slow, DEPRECATED" per Jito's docs)
and answers a bundle id; ``getBundleStatuses`` reports landed bundles, ``getInflightBundleStatuses``
the last five minutes (the only place a *failed* bundle shows). A bundle is only considered if one of
its transactions transfers at least 1000 lamports to one of the eight tip accounts, never through an
address lookup table. Resending the same signed bundle is harmless (same signatures), so timeouts
and 5xx are retried. Default limit: 5 requests per second per IP and region.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import httpx
import orjson
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from desk.chain.builders import PACKET_LIMIT
from desk.chain.fills import JITO_TIP_ACCOUNTS
from desk.chain.ratelimit import RateLimit, SlidingWindowLimiter
from desk.core import base58
from desk.core.errors import ValidationError, VenueError
from desk.venues.rest import VenueRateLimitedError
from desk.venues.wire import Wire, describe_body, error_text, status_error

DEFAULT_ENGINE = "https://mainnet.block-engine.jito.wtf"
BUNDLES_PATH = "/api/v1/bundles"
VENUE = "Jito"
TIP_ACCOUNTS: tuple[str, ...] = tuple(sorted(JITO_TIP_ACCOUNTS))
MIN_TIP_LAMPORTS = 1_000
MAX_BUNDLE = 5
DEFAULT_LIMIT = RateLimit(5, 1.0)
MAX_BODY = 256 * 1024
Encoding = Literal["base64", "base58"]


class JitoRpcError(VenueError):
    """The block engine answered a JSON-RPC error.

    Attributes:
        code: The JSON-RPC error code, if given.
        status: The HTTP status.
    """

    def __init__(self, message: str, code: int | None, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class InflightStatus(StrEnum):
    """Where an in-flight bundle is (last five minutes)."""

    PENDING = "Pending"
    LANDED = "Landed"
    FAILED = "Failed"
    INVALID = "Invalid"


@dataclass(frozen=True, slots=True)
class BundleStatus:
    """A bundle that landed.

    Attributes:
        bundle_id: Its id.
        signatures: Its transactions' signatures, base58.
        slot: Slot it landed in.
        confirmation_status: ``processed``, ``confirmed`` or ``finalized``, if given.
        error: Jito's error text, or None when ``err`` is ``{"Ok": null}``.
    """

    bundle_id: str
    signatures: tuple[str, ...]
    slot: int | None
    confirmation_status: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class BundleInflight:
    """A bundle's in-flight state.

    Attributes:
        bundle_id: Its id.
        status: Pending, landed, failed or invalid (unknown to Jito).
        landed_slot: Slot it landed in, when landed.
    """

    bundle_id: str
    status: InflightStatus
    landed_slot: int | None


def pick_tip_account() -> str:
    """Return one of the tip accounts at random (Jito asks for random picks, to spread write locks)."""
    return secrets.choice(TIP_ACCOUNTS)


def tip_instruction(payer: str, lamports: int, tip_account: str | None = None) -> Instruction:
    """Return a System transfer of ``lamports`` from ``payer`` to a Jito tip account.

    Put it in the bundle's main transaction (an unbundled tip transaction can be paid without the
    trade), and never reference the tip account through a lookup table.

    Raises:
        ValidationError: below the 1000-lamport minimum, or ``tip_account`` is not a tip account.
    """
    if type(lamports) is not int or lamports < MIN_TIP_LAMPORTS:
        raise ValidationError(f"A Jito tip is at least {MIN_TIP_LAMPORTS} lamports.")
    account = tip_account or pick_tip_account()
    if account not in JITO_TIP_ACCOUNTS:
        raise ValidationError(f"{account[:44]!r} is not a Jito tip account.")
    return transfer(TransferParams(from_pubkey=Pubkey.from_string(payer), to_pubkey=Pubkey.from_string(account),
                                   lamports=lamports))


def _has_tip(tx: VersionedTransaction) -> bool:
    return any(str(key) in JITO_TIP_ACCOUNTS for key in tx.message.account_keys)


def encode_bundle(transactions: Sequence[VersionedTransaction], *, encoding: Encoding = "base64",
                  require_tip: bool = True) -> list[str]:
    """Check a bundle and return its transactions as text for ``sendBundle``.

    Raises:
        ValidationError: no transactions or more than five, one over the packet limit, one not fully
            and validly signed, or (with ``require_tip``) no transaction touching a tip account.
    """
    if not 1 <= len(transactions) <= MAX_BUNDLE:
        raise ValidationError(f"A Jito bundle holds 1 to {MAX_BUNDLE} transactions, not {len(transactions)}.")
    out = []
    for index, tx in enumerate(transactions, 1):
        raw = bytes(tx)
        if len(raw) > PACKET_LIMIT:
            raise ValidationError(f"Bundle transaction {index} is {len(raw)} bytes; Solana allows {PACKET_LIMIT}.")
        checks = tx.verify_with_results()
        if not checks or not all(checks) or len(checks) != tx.message.header.num_required_signatures:
            raise ValidationError(f"Bundle transaction {index} is not fully signed.")
        out.append(base64.b64encode(raw).decode() if encoding == "base64" else base58.encode(raw))
    if require_tip and not any(_has_tip(tx) for tx in transactions):
        raise ValidationError("No transaction in the bundle pays a Jito tip account; Jito would ignore it.")
    return out


def parse_rpc_reply(status: int, content_type: str, body: bytes, method: str) -> Any:
    """Return the ``result`` of a block-engine JSON-RPC answer.

    Raises:
        VenueRateLimitedError: HTTP 429.
        JitoRpcError: a JSON-RPC error object (the engine's words in the message).
        VenueRefusedError: another 4xx.
        VenueError: 5xx, or an answer that is not JSON-RPC.
    """
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if error is not None:
        text = error_text(error)
        code = error.get("code") if isinstance(error, dict) and type(error.get("code")) is int else None
        if status == 429:
            raise VenueRateLimitedError(f"{VENUE} is rate-limiting this desk (HTTP 429): {text}.")
        raise JitoRpcError(f"{VENUE} refused {method}: {text}.", code, status)
    if status != 200:
        raise status_error(VENUE, f"answer {method}", status, content_type, body)
    if not isinstance(payload, dict) or "result" not in payload:
        raise VenueError(f"{VENUE} answered {method} with {describe_body(content_type, body)} instead of JSON-RPC.")
    return payload["result"]


def parse_bundle_id(result: Any) -> str:
    """Check ``sendBundle``'s result: a short printable id."""
    if not isinstance(result, str) or not 1 <= len(result) <= 128 or not result.isalnum():
        raise VenueError(f"{VENUE} accepted the bundle but its id is unusable: {error_text(result, 80)}.")
    return result


def _int(value: Any) -> int | None:
    return value if type(value) is int and 0 <= value < 2**63 else None


def _entries(result: Any, method: str) -> list[dict[str, Any]]:
    if result is None:
        return []
    value = result.get("value") if isinstance(result, dict) else None
    if not isinstance(value, list):
        raise VenueError(f"{VENUE} answered {method} without a list of statuses.")
    return [entry for entry in value if isinstance(entry, dict) and isinstance(entry.get("bundle_id"), str)]


def parse_bundle_statuses(result: Any) -> dict[str, BundleStatus]:
    """Parse ``getBundleStatuses``: landed bundles by id (bundles not found are absent)."""
    out = {}
    for entry in _entries(result, "getBundleStatuses"):
        err = entry.get("err")
        error = None if err is None or err == {"Ok": None} else error_text(err)
        signatures = entry.get("transactions")
        confirmation = entry.get("confirmation_status", entry.get("confirmationStatus"))
        out[entry["bundle_id"]] = BundleStatus(
            bundle_id=entry["bundle_id"],
            signatures=tuple(s for s in signatures if isinstance(s, str)) if isinstance(signatures, list) else (),
            slot=_int(entry.get("slot")),
            confirmation_status=confirmation if confirmation in ("processed", "confirmed", "finalized") else None,
            error=error,
        )
    return out


def parse_inflight_statuses(result: Any) -> dict[str, BundleInflight]:
    """Parse ``getInflightBundleStatuses``: bundles by id; an unknown status word is skipped."""
    out = {}
    for entry in _entries(result, "getInflightBundleStatuses"):
        try:
            status = InflightStatus(str(entry.get("status")))
        except ValueError:
            continue
        out[entry["bundle_id"]] = BundleInflight(entry["bundle_id"], status, _int(entry.get("landed_slot")))
    return out


class JitoClient:
    """Send bundles to a Jito block engine and follow them.

    Args:
        engine_url: Block engine base (``DESK_JITO_URL``), e.g. a regional ``https://ny.mainnet.block-engine.jito.wtf``.
        auth_uuid: Optional ``x-jito-auth`` key for a raised rate limit.
        transport: Injected httpx transport.
        limiter: Request budget; defaults to Jito's 5 per second.
        timeout: Seconds per network step.
        retries: Extra attempts after 429, 5xx, timeouts or dropped connections.
        backoff: First backoff in seconds.
    """

    def __init__(self, engine_url: str = DEFAULT_ENGINE, *, auth_uuid: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, limiter: SlidingWindowLimiter | None = None,
                 timeout: float = 5.0, retries: int = 2, backoff: float = 0.25) -> None:
        headers = {"accept": "application/json"}
        if auth_uuid:
            headers["x-jito-auth"] = auth_uuid
        self._wire = Wire(VENUE, engine_url, transport=transport, headers=headers, timeout=timeout, retries=retries,
                          backoff=backoff, max_body=MAX_BODY, limiter=limiter or SlidingWindowLimiter(DEFAULT_LIMIT))
        self._ids = itertools.count(1)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._wire.aclose()

    async def _call(self, method: str, params: list[Any]) -> Any:
        body = orjson.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        reply = await self._wire.exchange("POST", BUNDLES_PATH, body=body, content_type="application/json")
        return parse_rpc_reply(reply.status, reply.content_type, reply.body, method)

    async def send_bundle(self, transactions: Sequence[VersionedTransaction], *, encoding: Encoding = "base64",
                          require_tip: bool = True) -> str:
        """Submit signed transactions as one atomic bundle and return its id.

        An id means Jito received the bundle, not that it landed: follow it with
        :meth:`get_inflight_bundle_statuses` and the signatures' statuses on chain.

        Raises:
            ValidationError: see :func:`encode_bundle`.
            VenueRateLimitedError: 429 after every retry.
            VenueRefusedError: Jito refused the bundle (its words in the message).
            VenueError: unreachable, 5xx, or an unusable answer.
        """
        encoded = encode_bundle(transactions, encoding=encoding, require_tip=require_tip)
        return parse_bundle_id(await self._call("sendBundle", [encoded, {"encoding": encoding}]))

    async def get_bundle_statuses(self, bundle_ids: Sequence[str]) -> dict[str, BundleStatus | None]:
        """Return the landed status of up to five bundles; None for a bundle Jito has not seen land."""
        ids = _check_ids(bundle_ids)
        found = parse_bundle_statuses(await self._call("getBundleStatuses", [ids]))
        return {bundle_id: found.get(bundle_id) for bundle_id in ids}

    async def get_inflight_bundle_statuses(self, bundle_ids: Sequence[str]) -> dict[str, BundleInflight | None]:
        """Return the in-flight state of up to five bundles sent in the last five minutes."""
        ids = _check_ids(bundle_ids)
        found = parse_inflight_statuses(await self._call("getInflightBundleStatuses", [ids]))
        return {bundle_id: found.get(bundle_id) for bundle_id in ids}


def _check_ids(bundle_ids: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(bundle_ids))
    if not 1 <= len(ids) <= MAX_BUNDLE or not all(isinstance(i, str) and 1 <= len(i) <= 128 for i in ids):
        raise ValidationError(f"Ask about 1 to {MAX_BUNDLE} bundle ids at a time.")
    return ids
