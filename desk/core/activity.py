"""The activity log's entries and its hash chain, which makes tampering with history detectable."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

GENESIS_HASH = "0" * 64


class ActivityKind(StrEnum):
    """What happened. Values are stored, so they never change meaning."""

    VAULT_CREATED = "vault_created"
    VAULT_UNLOCKED = "vault_unlocked"
    UNLOCK_FAILED = "unlock_failed"
    VAULT_LOCKED = "vault_locked"
    PASSWORD_CHANGED = "password_changed"
    BACKUP_CREATED = "backup_created"
    BACKUP_RESTORED = "backup_restored"
    KEY_EXPORTED = "key_exported"
    WALLETS_ADDED = "wallets_added"
    WALLETS_ARCHIVED = "wallets_archived"
    WALLETS_IMPORTED = "wallets_imported"
    CONSOLIDATED = "consolidated"
    DISTRIBUTED = "distributed"
    ORDER_PLACED = "order_placed"
    SIGNAL_RECEIVED = "signal_received"
    LAUNCHED = "launched"


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    """One line of the append-only activity log.

    Attributes:
        seq: Position in the log, starting at 1.
        ts_ms: Unix time in milliseconds.
        kind: What happened.
        detail: Non-secret facts about it (counts, file names, reasons).
        prev_hash: ``hash`` of the previous entry, or ``GENESIS_HASH`` for the first.
        hash: SHA-256 over the previous hash and this entry's content.
    """

    seq: int
    ts_ms: int
    kind: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""


def entry_hash(prev_hash: str, seq: int, ts_ms: int, kind: str, detail: Mapping[str, Any]) -> str:
    """Return the chain hash of an entry with this content after ``prev_hash``."""
    body = json.dumps([prev_hash, seq, ts_ms, kind, detail], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def first_broken_link(entries: Iterable[ActivityEntry]) -> int | None:
    """Return the seq of the first entry whose hash or link is wrong, or None if the chain holds."""
    prev = GENESIS_HASH
    expected_seq = None
    for entry in entries:
        if expected_seq is not None and entry.seq != expected_seq:
            return entry.seq
        if entry.prev_hash != prev:
            return entry.seq
        if entry.hash != entry_hash(entry.prev_hash, entry.seq, entry.ts_ms, entry.kind, entry.detail):
            return entry.seq
        prev = entry.hash
        expected_seq = entry.seq + 1
    return None
