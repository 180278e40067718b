"""Value types of a wallet import: the parsed preview and the plan against the vault."""

from __future__ import annotations

from dataclasses import dataclass, field

from desk.core.wallets import WalletKind
from desk.vault.repos.wallets import NewWallet

#: Formats whose positions are array entries rather than text lines.
JSON_FORMATS = frozenset({"cli-json", "mayhem-json", "pumpportal"})


@dataclass(frozen=True, slots=True)
class ImportedWallet:
    """One valid wallet read from an import file. Secrets never appear in its repr.

    Attributes:
        line: 1-based line (text formats) or array entry (JSON formats) it came from.
        label: Label given in the file, or None to have one generated.
        pubkey: Base58 public key (derived from the secret when one is given).
        private_key: 64-byte Solana keypair (seed + public key), or None.
        api_key: PumpPortal API key, or None.
        kind: WATCH_ONLY, IMPORTED or PUMPPORTAL.
        active: Whether the wallet starts active.
        group: Name of the group to put it in, or None.
        note: Free text.
    """

    line: int
    label: str | None
    pubkey: str
    private_key: bytes | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    kind: WalletKind = WalletKind.IMPORTED
    active: bool = True
    group: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class InvalidEntry:
    """An entry that was rejected.

    Attributes:
        line: 1-based line or array entry.
        reason: Why, in plain words; never contains key material.
    """

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What a file holds, before anything is compared with the vault.

    Attributes:
        format: The format that was parsed (never "auto").
        wallets: Valid entries in file order; a public key may repeat (``plan_import`` merges).
        invalid: Rejected entries in file order.
        warnings: Things that were ignored or adjusted but did not reject an entry.
        source_name: File name used in messages, or "".
    """

    format: str
    wallets: tuple[ImportedWallet, ...]
    invalid: tuple[InvalidEntry, ...] = ()
    warnings: tuple[str, ...] = ()
    source_name: str = ""

    @property
    def unit(self) -> str:
        """Return "entry" for JSON formats and "line" for text formats."""
        return "entry" if self.format in JSON_FORMATS else "line"

    def where(self, line: int) -> str:
        """Return a position as the user should read it, e.g. "line 3" or "entry 3"."""
        return f"{self.unit} {line}"


@dataclass(frozen=True, slots=True, repr=False)
class PlannedWallet:
    """A wallet the import will add, with the group it should join.

    Attributes:
        line: Line or entry it came from (the first, if it was merged from several).
        wallet: What to pass to ``WalletRepo.add_many`` (its label is final and unique).
        group: Group name to add it to, or None.
    """

    line: int
    wallet: NewWallet
    group: str | None = None

    def __repr__(self) -> str:
        w = self.wallet
        return (f"PlannedWallet(line={self.line}, label={w.label!r}, pubkey={w.pubkey!r}, kind={w.kind.value!r}, "
                f"has_private_key={w.private_key is not None}, has_api_key={w.api_key is not None}, "
                f"active={w.active}, group={self.group!r})")


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An entry whose public key was already seen, so it adds no new wallet.

    Attributes:
        line: Line or entry of the duplicate.
        pubkey: The repeated public key.
        existing: The vault wallet's id, or "earlier line N" / "earlier entry N" within the file.
        merged: What the duplicate contributed, e.g. "API key" or "nothing new".
    """

    line: int
    pubkey: str
    existing: str
    merged: str


@dataclass(frozen=True, slots=True)
class Upgrade:
    """Secrets the import adds to a wallet that is already in the vault (never a second wallet).

    Attributes:
        line: Line or entry it came from.
        wallet_id: The vault wallet to update.
        wallet_label: Its current label (unchanged by the import).
        pubkey: Its public key.
        private_key: 64-byte keypair to store, or None if it already has one.
        api_key: API key to store, or None if it already has one.
        kind: The wallet's kind after the upgrade (a watch-only wallet stops being watch-only).
    """

    line: int
    wallet_id: str
    wallet_label: str
    pubkey: str
    private_key: bytes | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    kind: WalletKind = WalletKind.IMPORTED

    @property
    def adds_private_key(self) -> bool:
        """Return whether a private key is added."""
        return self.private_key is not None

    @property
    def adds_api_key(self) -> bool:
        """Return whether an API key is added."""
        return self.api_key is not None


@dataclass(frozen=True, slots=True)
class Renamed:
    """A label that was taken, and the unique one used instead.

    Attributes:
        line: Line or entry of the wallet.
        wanted: The label in the file.
        label: The label the wallet will get.
    """

    line: int
    wanted: str
    label: str


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """How many entries end up where. Every entry is counted exactly once.

    Attributes:
        added: New wallets.
        upgraded: Existing wallets that gain a private key or API key.
        duplicates: Entries that add no wallet (repeated in the file or already in the vault).
        invalid: Rejected entries.
    """

    added: int
    upgraded: int
    duplicates: int
    invalid: int

    @property
    def total(self) -> int:
        """Return the number of entries read from the file."""
        return self.added + self.upgraded + self.duplicates + self.invalid

    def __str__(self) -> str:
        return (f"{self.added} to add, {self.upgraded} to upgrade, {self.duplicates} duplicate(s), "
                f"{self.invalid} invalid")


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What applying an import would do; nothing has been changed yet.

    Attributes:
        format: The parsed format.
        to_add: New wallets in file order, with unique labels.
        upgrades: Existing wallets that gain secrets.
        duplicates: Entries that add nothing new, in file order.
        invalid: Rejected entries, from the preview.
        renamed: Labels that were made unique.
        warnings: Warnings from the preview.
    """

    format: str
    to_add: tuple[PlannedWallet, ...]
    upgrades: tuple[Upgrade, ...]
    duplicates: tuple[Duplicate, ...]
    invalid: tuple[InvalidEntry, ...]
    renamed: tuple[Renamed, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def new_wallets(self) -> tuple[NewWallet, ...]:
        """Return the wallets to pass to ``WalletRepo.add_many``."""
        return tuple(p.wallet for p in self.to_add)

    @property
    def groups(self) -> dict[str, tuple[str, ...]]:
        """Return group name → public keys of new wallets that join it, in file order."""
        out: dict[str, list[str]] = {}
        for p in self.to_add:
            if p.group is not None:
                out.setdefault(p.group, []).append(p.wallet.pubkey)
        return {name: tuple(keys) for name, keys in out.items()}

    @property
    def summary(self) -> ImportSummary:
        """Return the counts of each outcome."""
        return ImportSummary(len(self.to_add), len(self.upgrades), len(self.duplicates), len(self.invalid))
