"""Signing: decrypt a key only for the signature, add only the signatures we own, keep the rest."""

from __future__ import annotations

from collections.abc import Mapping

from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from desk.chain.policy import Intent, check
from desk.core.errors import DeskError


class SigningError(DeskError):
    """A transaction could not be fully signed."""


def sign(message: MessageV0, keypairs: Mapping[str, Keypair], intent: Intent, *,
         existing: list[Signature] | None = None, require_complete: bool = True) -> VersionedTransaction:
    """Check ``message`` against the policy, then sign every signer slot we hold a key for.

    Args:
        message: The compiled message.
        keypairs: Our keypairs by base58 public key (only the ones this message needs).
        intent: What the user asked for; see :func:`desk.chain.policy.check`.
        existing: Signatures already on the transaction (e.g. a venue's); ours replace only default slots.
        require_complete: Refuse if a required signature would still be missing.

    Raises:
        PolicyViolationError: the transaction does not match the intent (nothing is signed).
        SigningError: a required signature is missing.
    """
    check(message, intent)
    count = message.header.num_required_signatures
    keys = [str(k) for k in message.account_keys[:count]]
    signatures = list(existing or [Signature.default()] * count)
    if len(signatures) != count:
        raise SigningError("The transaction carries the wrong number of signatures.")
    payload = to_bytes_versioned(message)
    for slot, key in enumerate(keys):
        keypair = keypairs.get(key)
        if keypair is not None:
            signatures[slot] = keypair.sign_message(payload)
        elif require_complete and signatures[slot] == Signature.default():
            raise SigningError(f"The transaction needs a signature from {key}, which this desk does not hold.")
    return VersionedTransaction.populate(message, signatures)
