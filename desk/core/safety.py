"""Safety badges for a token: pure rules from on-chain and holder facts to short labels with reasons.

Each badge has a level (ok, warn, danger), a short label for a chip ("Top 10 hold 42.0%") and a reason
in plain words for a tooltip. Thresholds are data (:class:`Thresholds`). Unknown facts produce no
badge, except the top-10 share, whose absence is itself worth a warning (market.md §4.8).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How worried a trader should be."""

    OK = "ok"
    WARN = "warn"
    DANGER = "danger"


_RANK = {Level.DANGER: 0, Level.WARN: 1, Level.OK: 2}
# Extensions that change nothing about who controls a holder's tokens.
BENIGN_EXTENSIONS = frozenset({
    "metadataPointer", "tokenMetadata", "groupPointer", "tokenGroup", "groupMemberPointer", "tokenGroupMember",
    "mintCloseAuthority",
})
# Extensions that get a badge of their own.
_OWN_BADGE = frozenset({
    "transferFeeConfig", "permanentDelegate", "transferHook", "defaultAccountState", "nonTransferable",
    "confidentialTransferMint", "confidentialTransferFeeConfig", "confidentialMintBurn", "pausable",
})


@dataclass(frozen=True, slots=True)
class Badge:
    """One safety finding.

    Attributes:
        key: Stable identifier ("mint-authority", "top10", ...).
        level: Ok, warn or danger.
        label: Short text for a chip.
        reason: One or two sentences saying why it matters.
    """

    key: str
    level: Level
    label: str
    reason: str


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where shares and fees turn into warnings (basis points of total supply or of a transfer).

    Attributes:
        top10_warn_bps: Top-10 share that warns.
        top10_danger_bps: Top-10 share that is dangerous.
        creator_warn_bps: Creator share that warns.
        creator_danger_bps: Creator share that is dangerous.
        fee_danger_bps: Transfer fee that is dangerous (any fee warns).
    """

    top10_warn_bps: int = 3_000
    top10_danger_bps: int = 5_000
    creator_warn_bps: int = 500
    creator_danger_bps: int = 2_000
    fee_danger_bps: int = 500


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class SafetyFacts:
    """What the rules look at. None means unknown.

    Attributes:
        mint_read: Whether the mint account was read (authority and extension rules apply only then).
        mint_authority: Mint authority, None when revoked.
        freeze_authority: Freeze authority, None when absent.
        extensions: Token-2022 extension names present.
        transfer_fee_bps: Highest configured transfer fee, None without the extension.
        transfer_fee_authority: Who can change the fee.
        permanent_delegate: Permanent delegate address.
        transfer_hook_program: Program run on every transfer.
        default_frozen: New accounts start frozen.
        non_transferable: Tokens cannot move.
        confidential_transfers: Balances can be encrypted.
        pausable: Transfers can be paused by an authority.
        paused: Transfers are paused now.
        top10_bps: Top-10 holders' share (curve and pools excluded), None when unknown.
        top10_unknown_reason: Why the top-10 share is unknown.
        creator_bps: The creator's share, None when unknown.
        curve_progress_bps: Bonding-curve progress, None when not a pump.fun curve.
        graduated: The curve is complete, None when not a pump.fun curve.
        mayhem: pump.fun mayhem-mode coin.
    """

    mint_read: bool = False
    mint_authority: str | None = None
    freeze_authority: str | None = None
    extensions: tuple[str, ...] = ()
    transfer_fee_bps: int | None = None
    transfer_fee_authority: str | None = None
    permanent_delegate: str | None = None
    transfer_hook_program: str | None = None
    default_frozen: bool = False
    non_transferable: bool = False
    confidential_transfers: bool = False
    pausable: bool = False
    paused: bool = False
    top10_bps: int | None = None
    top10_unknown_reason: str = ""
    creator_bps: int | None = None
    curve_progress_bps: int | None = None
    graduated: bool | None = None
    mayhem: bool = False


def format_bps(bps: int) -> str:
    """Return basis points as a percentage with one decimal ("12.3%")."""
    whole, rest = divmod(max(0, bps), 100)
    return f"{whole}.{rest // 10}%"


def _share(key: str, bps: int, label: str, warn: int, danger: int, reason: str) -> Badge:
    level = Level.DANGER if bps >= danger else Level.WARN if bps >= warn else Level.OK
    return Badge(key, level, label, reason)


def _mint_badges(f: SafetyFacts, t: Thresholds) -> list[Badge]:
    out = [
        Badge("mint-authority", Level.DANGER, "Mint authority active: supply can grow",
              "Someone can still mint new tokens and dilute every holder.") if f.mint_authority else
        Badge("mint-authority", Level.OK, "Mint authority revoked", "Nobody can mint more tokens."),
        Badge("freeze-authority", Level.DANGER, "Freeze authority set: your tokens can be frozen",
              "The freeze authority can freeze your token account so you cannot sell.") if f.freeze_authority else
        Badge("freeze-authority", Level.OK, "No freeze authority", "Nobody can freeze holders' token accounts."),
    ]
    if f.permanent_delegate:
        out.append(Badge("permanent-delegate", Level.DANGER, "Permanent delegate: tokens can be taken",
                         "A permanent delegate can transfer or burn tokens from any holder, without approval."))
    if f.transfer_hook_program:
        out.append(Badge("transfer-hook", Level.DANGER, "Transfer hook",
                         "A program runs on every transfer and can make sells fail."))
    elif "transferHook" in f.extensions:
        out.append(Badge("transfer-hook", Level.WARN, "Transfer hook (not set)",
                         "No hook program is set now, but its authority can add one later."))
    if f.transfer_fee_bps is not None and (f.transfer_fee_bps > 0 or f.transfer_fee_authority):
        level = Level.DANGER if f.transfer_fee_bps >= t.fee_danger_bps else Level.WARN
        reason = f"Every transfer, including your sell, pays {format_bps(f.transfer_fee_bps)} to the fee authority."
        if f.transfer_fee_authority:
            reason += " The fee authority can raise it."
        out.append(Badge("transfer-fee", level, f"Transfer fee {format_bps(f.transfer_fee_bps)}", reason))
    if f.default_frozen:
        out.append(Badge("default-frozen", Level.DANGER, "New accounts start frozen",
                         "Buyers' token accounts are frozen until the freeze authority thaws them."))
    if f.non_transferable:
        out.append(Badge("non-transferable", Level.DANGER, "Non-transferable",
                         "The token cannot be transferred, so it cannot be sold."))
    if f.paused:
        out.append(Badge("pausable", Level.DANGER, "Transfers paused",
                         "The pause authority has stopped all transfers."))
    elif f.pausable:
        out.append(Badge("pausable", Level.WARN, "Pausable",
                         "The pause authority can stop all transfers, sells included."))
    if f.confidential_transfers:
        out.append(Badge("confidential", Level.WARN, "Confidential transfers",
                         "Balances and transfers can be encrypted, so holder figures may be incomplete."))
    other = [e for e in f.extensions if e not in BENIGN_EXTENSIONS and e not in _OWN_BADGE]
    if other:
        out.append(Badge("extensions", Level.WARN, "Unusual Token-2022 extensions",
                         f"The mint uses {', '.join(other)}; check what they allow before trading."))
    return out


def assess(facts: SafetyFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> tuple[Badge, ...]:
    """Return the badges for ``facts``, most severe first (stable within a level)."""
    t = thresholds
    out = _mint_badges(facts, t) if facts.mint_read else []
    if facts.top10_bps is not None:
        out.append(_share("top10", facts.top10_bps, f"Top 10 hold {format_bps(facts.top10_bps)}",
                          t.top10_warn_bps, t.top10_danger_bps,
                          "Share of total supply in the ten largest accounts, excluding the bonding curve "
                          "and pools. A few wallets holding much can dump on everyone."))
    else:
        out.append(Badge("top10", Level.WARN, "Top 10 holders unknown",
                         facts.top10_unknown_reason or "The largest holders could not be read."))
    if facts.creator_bps is not None:
        out.append(_share("creator", facts.creator_bps, f"Creator holds {format_bps(facts.creator_bps)}",
                          t.creator_warn_bps, t.creator_danger_bps,
                          "Share of total supply held by the wallet that created the token."))
    if facts.mayhem:
        out.append(Badge("mayhem", Level.WARN, "Mayhem mode",
                         "An agent can mint extra supply and move the curve's reserves; progress is not comparable."))
    if facts.graduated:
        out.append(Badge("graduated", Level.OK, "Graduated",
                         "The bonding curve is complete; the token trades on its AMM pool."))
    elif facts.curve_progress_bps is not None:
        out.append(Badge("curve", Level.OK, f"Curve {format_bps(facts.curve_progress_bps)}",
                         "Share of the bonding curve's sale tokens sold so far; it graduates at 100%."))
    return tuple(sorted(out, key=lambda b: _RANK[b.level]))


def worst(badges: tuple[Badge, ...] | list[Badge]) -> Level:
    """Return the most severe level among ``badges`` (ok for none)."""
    return min((b.level for b in badges), key=_RANK.__getitem__, default=Level.OK)
