"""Wallets and wallet groups as the desk's domain sees them (no key material here)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WalletKind(StrEnum):
    """Where a wallet's key came from and what it can do."""

    GENERATED = "generated"
    IMPORTED = "imported"
    WATCH_ONLY = "watch_only"
    PUMPPORTAL = "pumpportal"


@dataclass(frozen=True, slots=True)
class Wallet:
    """A wallet's public facts. Its private key and API key stay encrypted in the vault.

    Attributes:
        id: Stable uuid.
        label: User-facing name, unique among non-archived wallets.
        kind: Origin of the wallet.
        pubkey: Base58 public key.
        active: Whether orders and bulk actions include it by default.
        has_private_key: A private key is stored (false for watch-only wallets).
        has_api_key: A PumpPortal API key is stored.
        note: Free text.
        created_ms: Creation time, Unix ms.
        updated_ms: Last change, Unix ms.
        archived_ms: When archived, or None while in use.
    """

    id: str
    label: str
    kind: WalletKind
    pubkey: str
    active: bool = True
    has_private_key: bool = False
    has_api_key: bool = False
    note: str = ""
    created_ms: int = 0
    updated_ms: int = 0
    archived_ms: int | None = None

    @property
    def short_address(self) -> str:
        """Return the first and last four characters of the public key."""
        return f"{self.pubkey[:4]}…{self.pubkey[-4:]}"


class GroupStatus(StrEnum):
    """Where a group's last automated run stands."""

    IDLE = "idle"
    RUNNING = "running"
    ERROR = "error"


class MemberRole(StrEnum):
    """A wallet's part in a group: consolidation moves funds from sources to the receiver."""

    SOURCE = "source"
    RECEIVER = "receiver"


@dataclass(frozen=True, slots=True)
class WalletGroup:
    """A named set of wallets.

    Attributes:
        id: Stable uuid.
        name: Unique name.
        status: Idle, running or error.
        last_consolidated_ms: When funds were last consolidated, or None.
        rules: Stored JSON for later automation.
        sources: Wallet ids in the source role.
        receivers: Wallet ids in the receiver role.
    """

    id: str
    name: str
    status: GroupStatus = GroupStatus.IDLE
    last_consolidated_ms: int | None = None
    rules: str = "{}"
    sources: tuple[str, ...] = ()
    receivers: tuple[str, ...] = ()

    @property
    def members(self) -> tuple[str, ...]:
        """Every wallet id in the group, sources first, without repeats."""
        return tuple(dict.fromkeys((*self.sources, *self.receivers)))
