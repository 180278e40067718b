"""``desk wallets import FILE``: preview, then apply only on confirmation."""

from __future__ import annotations

import argparse

from desk.commands.common import Context, UsageError, confirm, unlocked
from desk.core.errors import ValidationError
from desk.engine.wallets import apply_import
from desk.vault.importers import MAX_IMPORT_BYTES, ImportPlan, parse_import, plan_import


def describe(plan: ImportPlan, unit: str) -> str:
    """Return the preview as text: what is added, merged and rejected, with line numbers."""
    lines = [f"Format: {plan.format}. {plan.summary}."]
    lines += [f"  + {unit} {p.line}: {p.wallet.label} {p.wallet.pubkey} ({p.wallet.kind})" for p in plan.to_add[:200]]
    if len(plan.to_add) > 200:
        lines.append(f"  … and {len(plan.to_add) - 200} more")
    for u in plan.upgrades:
        gains = [what for what, yes in (("its private key", u.adds_private_key), ("an API key", u.adds_api_key)) if yes]
        lines.append(f"  ↑ {unit} {u.line}: {u.wallet_label} gains {' and '.join(gains)}")
    lines += [f"  = {unit} {d.line}: duplicate of {d.existing} ({d.merged})" for d in plan.duplicates[:100]]
    lines += [f"  ✗ {unit} {e.line}: {e.reason}" for e in plan.invalid[:200]]
    lines += [f"  ~ {unit} {r.line}: label {r.wanted!r} is taken, using {r.label!r}" for r in plan.renamed]
    lines += [f"  ! {w}" for w in plan.warnings]
    return "\n".join(lines)


def plan_doc(plan: ImportPlan) -> dict[str, object]:
    """The JSON shape of an import preview (no secrets)."""
    return {
        "format": plan.format,
        "added": [{"line": p.line, "label": p.wallet.label, "pubkey": p.wallet.pubkey, "kind": str(p.wallet.kind),
                   "group": p.group} for p in plan.to_add],
        "upgraded": [{"line": u.line, "wallet_id": u.wallet_id, "adds_private_key": u.adds_private_key,
                      "adds_api_key": u.adds_api_key} for u in plan.upgrades],
        "duplicates": [{"line": d.line, "pubkey": d.pubkey, "existing": d.existing, "merged": d.merged}
                       for d in plan.duplicates],
        "invalid": [{"line": e.line, "reason": e.reason} for e in plan.invalid],
        "warnings": list(plan.warnings),
    }


async def run_import(ctx: Context, args: argparse.Namespace) -> int:
    """Preview an import file and, unless ``--dry-run``, apply it after confirmation."""
    try:
        size = args.file.stat().st_size
    except OSError as e:
        raise UsageError(f"Cannot read {args.file}: {e.strerror}.") from e
    if size > MAX_IMPORT_BYTES:
        raise ValidationError(f"{args.file.name} is {size:,} bytes; imports are limited to {MAX_IMPORT_BYTES:,}.")
    preview = parse_import(args.file.read_bytes(), args.format, source_name=args.file.name)
    async with unlocked(ctx) as vault:
        plan = plan_import(preview, await vault.wallets.list(include_archived=True))
        text = describe(plan, preview.unit)
        if args.dry_run or not (plan.to_add or plan.upgrades):
            ctx.emit({**plan_doc(plan), "ok": True, "applied": False}, text)
            return 0
        if not ctx.json:
            ctx.note(text)
        confirm(ctx, f"Import {len(plan.to_add)} new wallet(s) and upgrade {len(plan.upgrades)}?")
        summary = await apply_import(vault, plan)
    ctx.emit({**plan_doc(plan), "ok": True, "applied": True},
             f"Imported: {summary.added} added, {summary.upgraded} upgraded, {summary.duplicates} duplicate(s), "
             f"{summary.invalid} invalid.")
    return 0
