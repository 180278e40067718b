"""DexScreener parsing: every recorded sample, and hostile shapes that must never crash the desk."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from desk.core.errors import VenueError
from desk.venues.dexscreener.parse import best_pair, parse_pair, parse_pairs, parse_profiles
from desk.venues.rest import to_decimal
from tests.unit.venues.fakevenue import sample

CURVE_MINT = "B3cHPmFf6pokbEi1Y5ZyLSUSnXfrLQjMS5kFLEz7pump"
BONK = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"


def curve_pair() -> dict[str, Any]:
    payload: dict[str, Any] = sample("dexscreener", "pair_pumpfun_bonding_curve.json")
    return payload


def test_pumpfun_curve_pair_parses_without_liquidity() -> None:
    pair = parse_pair(curve_pair())
    assert pair is not None
    assert pair.on_pump_curve and pair.liquidity is None
    assert pair.pair_address == "7QTji8uCcbKZyssFKuSzXB1qQnopU5JgiyyC4RVVBjRS"
    assert pair.base.address == CURVE_MINT and pair.quote.symbol == "SOL"
    assert pair.price_native == Decimal("0.0000001004") and pair.price_usd == Decimal("0.000008201")
    assert pair.market_cap_usd == pair.fdv_usd == Decimal("8201.27")
    assert pair.txns["h24"].buys == 2067 and pair.txns["m5"].sells == 9
    assert pair.volume_usd["h1"] == Decimal("3306.29")
    assert pair.price_change_pct["m5"] == Decimal("-21.81")
    assert pair.created_ms == 1783072140000
    assert [link.kind for link in pair.links] == ["twitter", "instagram"]


def test_latest_dex_tokens_sample_parses_every_pair() -> None:
    payload = sample("dexscreener", "latest_dex_tokens_bonk_full.json")
    pairs = parse_pairs(payload)
    assert len(pairs) == len(payload["pairs"]) > 1
    first = pairs[0]
    assert first.dex_id == "meteora" and first.labels == ("DLMM",)
    assert first.liquidity is not None and first.liquidity.usd == Decimal("112792311.02")
    assert first.price_change_pct["h24"] == Decimal(500822)
    assert first.links[0].kind == "Website"
    assert all(p.base.address == BONK or p.quote.address == BONK for p in pairs)


def test_best_pair_prefers_liquidity_then_volume() -> None:
    pairs = parse_pairs(sample("dexscreener", "latest_dex_tokens_bonk_full.json"))
    best = best_pair(pairs, BONK)
    assert best is not None
    top = max((p.liquidity.usd for p in pairs if p.base.address == BONK and p.liquidity and p.liquidity.usd),
              default=None)
    assert best.liquidity is not None and best.liquidity.usd == top


def test_best_pair_falls_back_to_the_curve_pair_and_ignores_other_tokens() -> None:
    curve = parse_pairs([curve_pair()])
    assert best_pair(curve, CURVE_MINT) is curve[0]
    assert best_pair(curve, BONK) is None


def test_profiles_and_boosts_samples_parse() -> None:
    profiles = parse_profiles(sample("dexscreener", "token_profiles_latest_first2.json"))
    assert [p.token_address for p in profiles] == ["CpGGAEFodyaECLXW6D4qb7YpmD5184ZPb436KN8Jpump",
                                                   "gLWXWsdtGv3PwpFcxxyFDjvABAFeUKV3HkL88Bxpump"]
    assert profiles[0].boost_amount is None and profiles[1].links[0].kind == "Website"
    boosts = parse_profiles(sample("dexscreener", "token_boosts_latest_first2.json"))
    assert boosts[0].boost_amount == Decimal(30) and boosts[0].boost_total == Decimal(30)
    assert boosts[1].chain_id == "robinhood"


@pytest.mark.parametrize("payload", [None, 42, "pairs", {"schemaVersion": "1.0.0"}, {"pairs": "x"}, {"pairs": 5}])
def test_documents_of_the_wrong_shape_raise_a_venue_error(payload: Any) -> None:
    with pytest.raises(VenueError, match="not a pair list"):
        parse_pairs(payload)


def test_pairs_null_means_no_pairs() -> None:
    assert parse_pairs({"schemaVersion": "1.0.0", "pairs": None}) == []


@pytest.mark.parametrize("payload", [None, {}, [1], "x"])
def test_profile_feed_of_the_wrong_shape_raises(payload: Any) -> None:
    if isinstance(payload, list):
        assert parse_profiles(payload) == []
    else:
        with pytest.raises(VenueError):
            parse_profiles(payload)


@pytest.mark.parametrize("mutate", [
    lambda p: p.pop("pairAddress"),
    lambda p: p.update(pairAddress=12),
    lambda p: p.update(pairAddress="x" * 500),
    lambda p: p.pop("baseToken"),
    lambda p: p.update(baseToken={"address": None}),
    lambda p: p.update(baseToken="B3cH"),
])
def test_pairs_without_identity_are_dropped(mutate: Any) -> None:
    raw = curve_pair()
    mutate(raw)
    assert parse_pair(raw) is None
    assert parse_pairs([raw, curve_pair(), 7, None]) == parse_pairs([curve_pair()])


@pytest.mark.parametrize(("field", "value"), [
    ("priceUsd", "NaN"), ("priceUsd", "Infinity"), ("priceUsd", "-1"), ("priceUsd", "1e999999"),
    ("priceUsd", True), ("priceUsd", {"x": 1}), ("priceUsd", "12abc"), ("priceUsd", "9" * 100),
    ("priceNative", None), ("marketCap", -5), ("marketCap", float("nan")), ("fdv", [1]),
])
def test_garbage_numbers_become_none(field: str, value: Any) -> None:
    raw = curve_pair()
    raw[field] = value
    pair = parse_pair(raw)
    assert pair is not None
    assert {"priceUsd": pair.price_usd, "priceNative": pair.price_native, "marketCap": pair.market_cap_usd,
            "fdv": pair.fdv_usd}[field] is None


def test_hostile_nested_shapes_are_tolerated() -> None:
    raw = curve_pair()
    raw.update(txns={"m5": {"buys": -1, "sells": 2}, "h1": {"buys": True, "sells": 1}, "h24": "lots"},
               volume=[1, 2], priceChange={"m5": "down", "h1": float("inf"), "h6": -50},
               liquidity={"usd": "lots", "base": 5}, info={"websites": "x", "socials": [{"url": 5}, "y"]},
               labels=[1, "CLMM", None], boosts={"active": "many"}, pairCreatedAt=-3, quoteToken=None,
               chainId=["solana"], url=None)
    pair = parse_pair(raw)
    assert pair is not None
    assert pair.txns == {} and pair.volume_usd == {} and pair.price_change_pct == {"h6": Decimal(-50)}
    assert pair.liquidity is not None and pair.liquidity.usd is None and pair.liquidity.base == Decimal(5)
    assert pair.links == () and pair.labels == ("CLMM",) and pair.boosts_active == 0
    assert pair.created_ms is None and pair.quote.address == "" and pair.chain_id == "" and pair.url == ""


def test_long_text_is_truncated() -> None:
    raw = copy.deepcopy(curve_pair())
    raw["baseToken"]["name"] = "n" * 10_000
    pair = parse_pair(raw)
    assert pair is not None and len(pair.base.name) == 200


@pytest.mark.parametrize(("value", "expected"), [
    ("0.0000001004", Decimal("0.0000001004")), (8201.27, Decimal("8201.27")), (3, Decimal(3)),
    (4.492159735952627e-06, Decimal("4.492159735952627E-6")), (" 1.5 ", Decimal("1.5")), ("", None),
    (10**50, None), (False, None),
])
def test_to_decimal_edges(value: Any, expected: Decimal | None) -> None:
    assert to_decimal(value) == expected
