"""DexScreener: pairs, prices, volume and liquidity by token, under the public API's rate limits."""

from desk.venues.dexscreener.client import DexScreenerClient
from desk.venues.dexscreener.parse import Pair, TokenProfile, best_pair, parse_pairs, parse_profiles

__all__ = ["DexScreenerClient", "Pair", "TokenProfile", "best_pair", "parse_pairs", "parse_profiles"]
