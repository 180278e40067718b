"""Safety badges: each rule, its level, its wording, and the ordering."""

from __future__ import annotations

import pytest

from desk.core.safety import Badge, Level, SafetyFacts, Thresholds, assess, format_bps, worst

KEY = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"


def by_key(badges: tuple[Badge, ...]) -> dict[str, Badge]:
    return {b.key: b for b in badges}


def test_clean_pump_token_gets_green_badges() -> None:
    badges = assess(SafetyFacts(mint_read=True, top10_bps=1_500, creator_bps=120, curve_progress_bps=4_321))
    found = by_key(badges)
    assert found["mint-authority"].label == "Mint authority revoked"
    assert found["freeze-authority"].label == "No freeze authority"
    assert found["top10"].label == "Top 10 hold 15.0%"
    assert found["creator"].label == "Creator holds 1.2%"
    assert found["curve"].label == "Curve 43.2%"
    assert worst(badges) is Level.OK


def test_authorities_are_dangerous() -> None:
    found = by_key(assess(SafetyFacts(mint_read=True, mint_authority=KEY, freeze_authority=KEY, top10_bps=0)))
    assert found["mint-authority"].level is Level.DANGER
    assert found["mint-authority"].label == "Mint authority active: supply can grow"
    assert found["freeze-authority"].label == "Freeze authority set: your tokens can be frozen"
    assert found["freeze-authority"].level is Level.DANGER


def test_token_2022_traps() -> None:
    facts = SafetyFacts(mint_read=True, extensions=("transferFeeConfig", "permanentDelegate", "transferHook",
                                                    "defaultAccountState", "nonTransferable", "pausable",
                                                    "confidentialTransferMint", "metadataPointer"),
                        transfer_fee_bps=250, transfer_fee_authority=KEY, permanent_delegate=KEY,
                        transfer_hook_program=KEY, default_frozen=True, non_transferable=True, pausable=True,
                        confidential_transfers=True, top10_bps=100)
    found = by_key(assess(facts))
    assert found["permanent-delegate"].label == "Permanent delegate: tokens can be taken"
    assert found["permanent-delegate"].level is Level.DANGER
    assert found["transfer-hook"].label == "Transfer hook" and found["transfer-hook"].level is Level.DANGER
    assert found["transfer-fee"].label == "Transfer fee 2.5%" and found["transfer-fee"].level is Level.WARN
    assert "can raise it" in found["transfer-fee"].reason
    assert found["default-frozen"].level is Level.DANGER and found["non-transferable"].level is Level.DANGER
    assert found["pausable"].level is Level.WARN and found["confidential"].level is Level.WARN
    assert "extensions" not in found  # all known or benign


def test_high_transfer_fee_is_dangerous_and_zero_fee_without_authority_is_silent() -> None:
    assert by_key(assess(SafetyFacts(mint_read=True, transfer_fee_bps=1_000)))["transfer-fee"].level is Level.DANGER
    assert "transfer-fee" not in by_key(assess(SafetyFacts(mint_read=True, transfer_fee_bps=0)))
    zero_but_changeable = by_key(assess(SafetyFacts(mint_read=True, transfer_fee_bps=0, transfer_fee_authority=KEY)))
    assert zero_but_changeable["transfer-fee"].level is Level.WARN


def test_hook_extension_without_a_program_warns_and_paused_is_dangerous() -> None:
    found = by_key(assess(SafetyFacts(mint_read=True, extensions=("transferHook",), pausable=True, paused=True)))
    assert found["transfer-hook"].level is Level.WARN and found["pausable"].label == "Transfers paused"
    assert found["pausable"].level is Level.DANGER


def test_unusual_extensions_warn_with_their_names() -> None:
    found = by_key(assess(SafetyFacts(mint_read=True, extensions=("interestBearingConfig", "tokenMetadata",
                                                                   "extension77"))))
    assert found["extensions"].level is Level.WARN
    assert "interestBearingConfig, extension77" in found["extensions"].reason


def test_no_mint_facts_means_no_authority_badges() -> None:
    found = by_key(assess(SafetyFacts(mint_read=False, top10_bps=10)))
    assert "mint-authority" not in found and "freeze-authority" not in found


def test_unknown_top10_warns_with_the_reason() -> None:
    found = by_key(assess(SafetyFacts(mint_read=True, top10_unknown_reason="The node is overloaded.")))
    assert found["top10"].label == "Top 10 holders unknown" and found["top10"].level is Level.WARN
    assert found["top10"].reason == "The node is overloaded."


@pytest.mark.parametrize(("bps", "level"), [(0, Level.OK), (2_999, Level.OK), (3_000, Level.WARN),
                                            (4_999, Level.WARN), (5_000, Level.DANGER), (10_000, Level.DANGER)])
def test_top10_thresholds(bps: int, level: Level) -> None:
    assert by_key(assess(SafetyFacts(top10_bps=bps)))["top10"].level is level


@pytest.mark.parametrize(("bps", "level"), [(499, Level.OK), (500, Level.WARN), (2_000, Level.DANGER)])
def test_creator_thresholds(bps: int, level: Level) -> None:
    assert by_key(assess(SafetyFacts(top10_bps=0, creator_bps=bps)))["creator"].level is level


def test_thresholds_are_data() -> None:
    strict = Thresholds(top10_warn_bps=100, top10_danger_bps=200)
    assert by_key(assess(SafetyFacts(top10_bps=150), strict))["top10"].level is Level.WARN


def test_graduated_replaces_curve_progress_and_mayhem_warns() -> None:
    found = by_key(assess(SafetyFacts(top10_bps=0, curve_progress_bps=10_000, graduated=True, mayhem=True)))
    assert found["graduated"].label == "Graduated" and found["graduated"].level is Level.OK
    assert "curve" not in found and found["mayhem"].level is Level.WARN


def test_badges_are_sorted_by_severity_stably() -> None:
    badges = assess(SafetyFacts(mint_read=True, freeze_authority=KEY, top10_bps=3_500, curve_progress_bps=10))
    levels = [b.level for b in badges]
    assert levels == sorted(levels, key=[Level.DANGER, Level.WARN, Level.OK].index)
    assert [b.key for b in badges] == ["freeze-authority", "top10", "mint-authority", "curve"]
    assert worst(badges) is Level.DANGER and worst(()) is Level.OK


@pytest.mark.parametrize(("bps", "text"), [(0, "0.0%"), (5, "0.0%"), (15, "0.1%"), (1_234, "12.3%"),
                                           (10_000, "100.0%"), (-5, "0.0%")])
def test_format_bps(bps: int, text: str) -> None:
    assert format_bps(bps) == text
