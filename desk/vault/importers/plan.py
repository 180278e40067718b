"""``plan_import``: merge a preview's repeated keys and decide what is new, upgraded or a duplicate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from desk.core.wallets import Wallet, WalletKind
from desk.vault.importers.model import (
    Duplicate,
    ImportedWallet,
    ImportPlan,
    ImportPreview,
    PlannedWallet,
    Renamed,
    Upgrade,
)
from desk.vault.importers.records import resolve_kind
from desk.vault.repos.wallets import NewWallet

GENERATED_LABEL = "Imported {}"


@dataclass(frozen=True, slots=True)
class _Merged:
    wallet: ImportedWallet
    stated: frozenset[WalletKind]


def plan_import(preview: ImportPreview, existing: Sequence[Wallet]) -> ImportPlan:
    """Plan an import against the wallets already in the vault. Nothing is changed.

    Every entry of the preview ends up in exactly one of ``to_add``, ``upgrades``, ``duplicates``
    or ``invalid``:

    * A public key repeated in the file is merged into its first entry: the first label, active
      flag, group and note win, and missing secrets, label, group or note are filled from later
      entries. The kind follows the merged secrets (PumpPortal if any entry was). The later entries
      are duplicates of "earlier line N".
    * A public key already in the vault (archived or not) never becomes a second wallet. If the
      import brings a private key or API key the wallet lacks, it is an upgrade; otherwise a
      duplicate. The existing wallet's label, note and active flag are left alone.
    * New wallets get unique labels: missing ones become "Imported 1", "Imported 2", … and a
      label already used by a live wallet or earlier in the file gets " (2)", " (3)", …
      (compared case-insensitively). File labels are claimed before generated ones.

    Args:
        preview: The parsed file.
        existing: All wallets in the vault, including archived ones.

    Returns:
        The plan.
    """
    merged, duplicates = _merge(preview)
    by_pubkey = {w.pubkey: w for w in existing}
    fresh: list[ImportedWallet] = []
    upgrades: list[Upgrade] = []
    for item in merged:
        wallet = item.wallet
        found = by_pubkey.get(wallet.pubkey)
        if found is None:
            fresh.append(wallet)
            continue
        private_key = wallet.private_key if not found.has_private_key else None
        api_key = wallet.api_key if not found.has_api_key else None
        if private_key is None and api_key is None:
            state = "archived wallet" if found.archived_ms is not None else "vault"
            duplicates.append(Duplicate(wallet.line, wallet.pubkey, found.id, f"nothing new: already in the {state}"))
            continue
        kind = wallet.kind if found.kind is WalletKind.WATCH_ONLY else found.kind
        upgrades.append(Upgrade(line=wallet.line, wallet_id=found.id, wallet_label=found.label,
                                pubkey=wallet.pubkey, private_key=private_key, api_key=api_key, kind=kind))
    to_add, renamed = _label(fresh, existing)
    return ImportPlan(
        format=preview.format,
        to_add=tuple(to_add),
        upgrades=tuple(upgrades),
        duplicates=tuple(sorted(duplicates, key=lambda d: d.line)),
        invalid=preview.invalid,
        renamed=tuple(renamed),
        warnings=preview.warnings,
    )


def _merge(preview: ImportPreview) -> tuple[list[_Merged], list[Duplicate]]:
    merged: dict[str, _Merged] = {}
    duplicates: list[Duplicate] = []
    for wallet in preview.wallets:
        first = merged.get(wallet.pubkey)
        if first is None:
            merged[wallet.pubkey] = _Merged(wallet, frozenset({wallet.kind}))
            continue
        combined, what = _fill(first.wallet, wallet)
        stated = first.stated | {wallet.kind}
        kind = resolve_kind(
            WalletKind.PUMPPORTAL if WalletKind.PUMPPORTAL in stated else combined.kind,
            has_private_key=combined.private_key is not None,
            has_api_key=combined.api_key is not None,
        )
        merged[wallet.pubkey] = _Merged(replace(combined, kind=kind), stated)
        duplicates.append(Duplicate(wallet.line, wallet.pubkey, f"earlier {preview.where(first.wallet.line)}", what))
    return list(merged.values()), duplicates


def _fill(first: ImportedWallet, later: ImportedWallet) -> tuple[ImportedWallet, str]:
    added: list[str] = []
    updates: dict[str, object] = {}
    for name, what in (("private_key", "private key"), ("api_key", "API key"), ("label", "label"),
                       ("group", "group"), ("note", "note")):
        mine, theirs = getattr(first, name), getattr(later, name)
        if not mine and theirs:
            updates[name] = theirs
            added.append(what)
    merged = replace(first, **updates)  # type: ignore[arg-type]  # names are ImportedWallet fields
    description = ", ".join(added) if added else "nothing new"
    if first.api_key and later.api_key and first.api_key != later.api_key:
        description += " (a different API key was ignored; the first one is kept)"
    return merged, description


def _label(fresh: list[ImportedWallet], existing: Sequence[Wallet]) -> tuple[list[PlannedWallet], list[Renamed]]:
    taken = {w.label.casefold() for w in existing if w.archived_ms is None}

    def claim(wanted: str) -> str:
        label, n = wanted, 2
        while label.casefold() in taken:
            label, n = f"{wanted} ({n})", n + 1
        taken.add(label.casefold())
        return label

    labels: dict[int, str] = {}
    renamed: list[Renamed] = []
    for i, wallet in enumerate(fresh):
        if wallet.label:
            labels[i] = claim(wallet.label)
            if labels[i] != wallet.label:
                renamed.append(Renamed(wallet.line, wallet.label, labels[i]))
    counter = 1
    for i, wallet in enumerate(fresh):
        if not wallet.label:
            while GENERATED_LABEL.format(counter).casefold() in taken:
                counter += 1
            labels[i] = claim(GENERATED_LABEL.format(counter))
    planned = [
        PlannedWallet(
            line=w.line,
            wallet=NewWallet(label=labels[i], kind=w.kind, pubkey=w.pubkey, private_key=w.private_key,
                             api_key=w.api_key, active=w.active, note=w.note),
            group=w.group,
        )
        for i, w in enumerate(fresh)
    ]
    return planned, renamed
