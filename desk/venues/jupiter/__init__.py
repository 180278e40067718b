"""Jupiter: Price API v3 (an API key from portal.jup.ag is optional; without one the desk does without)."""

from desk.venues.jupiter.price import JupiterPrice, JupiterPriceClient, PriceResult, PriceStatus, parse_price_v3

__all__ = ["JupiterPrice", "JupiterPriceClient", "PriceResult", "PriceStatus", "parse_price_v3"]
