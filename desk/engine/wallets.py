"""Wallet use cases: create, export, bulk activation; every change that matters is logged."""

from __future__ import annotations

import json
from collections.abc import Sequence

import httpx
from solders.keypair import Keypair

from desk.core.activity import ActivityKind
from desk.core.errors import ValidationError
from desk.core.wallets import MemberRole, Wallet, WalletKind
from desk.vault.fieldcrypt import wipe
from desk.vault.importers import ImportPlan, ImportSummary
from desk.vault.repos.wallets import NewWallet
from desk.vault.session import Vault
from desk.venues.pumpportal.wallets import create_wallet

MAX_CREATE = 1000
EXPORT_FORMATS = ("base58", "cli-json")


def next_labels(prefix: str, count: int, taken: set[str]) -> list[str]:
    """Return ``count`` labels ``"<prefix> N"`` not in ``taken``, numbering on from the highest used."""
    labels: list[str] = []
    n = 1
    while len(labels) < count:
        label = f"{prefix} {n}"
        if label not in taken:
            labels.append(label)
        n += 1
    return labels


async def create_wallets(vault: Vault, count: int = 1, *, label: str = "Wallet", group: str | None = None
                         ) -> list[Wallet]:
    """Generate ``count`` keypairs locally and store them (in one transaction), optionally in a group."""
    if not 1 <= count <= MAX_CREATE:
        raise ValidationError(f"Create between 1 and {MAX_CREATE} wallets at a time.")
    taken = {w.label for w in await vault.wallets.list()}
    labels = [label] if count == 1 and label not in taken and label != "Wallet" else next_labels(label, count, taken)
    new: list[NewWallet] = []
    for name in labels:
        keypair = Keypair()
        new.append(NewWallet(name, WalletKind.GENERATED, str(keypair.pubkey()), bytes(keypair)))
    wallets = await vault.wallets.add_many(new)
    if group:
        target = await vault.groups.find(group)
        await vault.groups.add_members(target.id, [w.id for w in wallets], MemberRole.SOURCE)
    await vault.activity.append(ActivityKind.WALLETS_ADDED, {"count": len(wallets), "kind": "generated"})
    return wallets


async def export_key(vault: Vault, wallet: Wallet, fmt: str) -> str:
    """Return a wallet's private key as base58 or Solana-CLI JSON, and log the export.

    Callers must have re-confirmed the password and shown the warning first.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"Export format must be one of {', '.join(EXPORT_FORMATS)}.")
    if not wallet.has_private_key:
        raise ValidationError(f"Wallet {wallet.label} is watch-only: there is no key to export.")
    secret = await vault.wallets.private_key(wallet.id)
    try:
        text = str(Keypair.from_bytes(bytes(secret))) if fmt == "base58" else json.dumps(list(secret))
    finally:
        wipe(secret)
    await vault.activity.append(ActivityKind.KEY_EXPORTED, {"wallet": wallet.label, "format": fmt})
    return text


async def set_active(vault: Vault, wallets: Sequence[Wallet], active: bool) -> int:
    """Activate or deactivate many wallets; return how many changed."""
    return await vault.wallets.set_active([w.id for w in wallets], active)


async def archive_wallets(vault: Vault, wallets: Sequence[Wallet]) -> None:
    """Archive wallets and log which ones held a key (their keys stay in the vault, unused)."""
    await vault.wallets.archive([w.id for w in wallets])
    await vault.activity.append(ActivityKind.WALLETS_ARCHIVED, {
        "count": len(wallets), "with_keys": sum(w.has_private_key for w in wallets),
        "labels": [w.label for w in wallets][:50]})


async def apply_import(vault: Vault, plan: ImportPlan) -> ImportSummary:
    """Apply a previewed import in one transaction (nothing is half-imported) and log it."""
    await vault.wallets.import_batch(plan.new_wallets, plan.upgrades, plan.groups)
    summary = plan.summary
    await vault.activity.append(ActivityKind.WALLETS_IMPORTED, {
        "format": plan.format, "added": summary.added, "upgraded": summary.upgraded,
        "duplicates": summary.duplicates, "invalid": summary.invalid})
    return summary


async def create_pumpportal_wallet(vault: Vault, api_base: str, *, label: str = "PumpPortal",
                                   group: str | None = None, transport: httpx.AsyncBaseTransport | None = None
                                   ) -> Wallet:
    """Create a PumpPortal bot wallet through its create-wallet endpoint and store key and API key sealed."""
    async with httpx.AsyncClient(transport=transport) as http:
        created = await create_wallet(http, api_base)
    taken = {w.label for w in await vault.wallets.list()}
    name = label if label not in taken else next_labels(label, 1, taken)[0]
    [wallet] = await vault.wallets.add_many([NewWallet(name, WalletKind.PUMPPORTAL, created.pubkey,
                                                       created.private_key, created.api_key)])
    if group:
        target = await vault.groups.find(group)
        await vault.groups.add_members(target.id, [wallet.id], MemberRole.SOURCE)
    await vault.activity.append(ActivityKind.WALLETS_ADDED, {"count": 1, "kind": "pumpportal"})
    return wallet
