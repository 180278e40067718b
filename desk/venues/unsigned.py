"""Check a transaction a venue built before anyone signs it: exact bytes, sane shape, the expected fee payer.

solders accepts more than a signer should: trailing bytes after the message, zero signature slots,
or a signature count that disagrees with the message header all deserialize. Every venue-built
transaction (PumpPortal trade-local, Jupiter swap) passes through :func:`decode_transaction`, which
refuses those, and anything over Solana's 1232-byte packet limit, with a sentence naming the venue.
"""

from __future__ import annotations

from collections.abc import Sequence

from solders.transaction import SanitizeError, VersionedTransaction

from desk.chain.builders import PACKET_LIMIT
from desk.core.errors import VenueError


def decode_transaction(raw: bytes, venue: str, *, fee_payer: str | None = None,
                       signers: Sequence[str] = ()) -> VersionedTransaction:
    """Deserialize and check one transaction from its wire bytes.

    Args:
        raw: The serialized ``VersionedTransaction`` (legacy or v0).
        venue: Name used in messages ("PumpPortal").
        fee_payer: When given, the first account key must be this address.
        signers: Addresses that must also sign (a create's new mint).

    Returns:
        The transaction, signature slots as the venue left them.

    Raises:
        VenueError: empty, larger than a packet, not a transaction, trailing bytes, no signature
            slots, a slot count that disagrees with the header, another fee payer, or a missing signer.
    """
    if not raw:
        raise VenueError(f"{venue} sent an empty transaction.")
    if len(raw) > PACKET_LIMIT:
        raise VenueError(f"{venue} sent a transaction of {len(raw)} bytes; Solana allows at most {PACKET_LIMIT}.")
    try:
        tx = VersionedTransaction.from_bytes(raw)
    except ValueError as e:
        raise VenueError(f"{venue} sent {len(raw)} bytes that are not a Solana transaction.") from e
    if bytes(tx) != raw:
        raise VenueError(f"{venue} sent a transaction followed by extra bytes; refusing to sign it.")
    slots = len(tx.signatures)
    if slots == 0:
        raise VenueError(f"{venue} sent a transaction with no signature slots; nobody could sign it.")
    if slots != tx.message.header.num_required_signatures:
        raise VenueError(f"{venue} sent a transaction with {slots} signature slots for "
                         f"{tx.message.header.num_required_signatures} required signers.")
    try:
        tx.sanitize()
    except SanitizeError as e:
        raise VenueError(f"{venue} sent a malformed transaction ({e}).") from e
    if fee_payer is not None and str(tx.message.account_keys[0]) != fee_payer:
        raise VenueError(f"{venue} built a transaction paid by {tx.message.account_keys[0]}, "
                         f"not by the wallet {fee_payer}; refusing to sign it.")
    signing = {str(key) for key in tx.message.account_keys[:slots]}
    missing = [s for s in signers if s not in signing]
    if missing:
        raise VenueError(f"{venue} built a transaction that {missing[0]} does not sign; refusing to sign it.")
    return tx
