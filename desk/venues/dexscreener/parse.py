"""Pure parsing of DexScreener answers (protocols.md §6) into frozen values.

Prices, volumes and market caps are display figures derived by DexScreener: they arrive as strings
(``priceNative``, ``priceUsd``) or JSON numbers and become :class:`~decimal.Decimal` here, at the edge,
and stay Decimal. A field that is missing, not a number, NaN, infinite or negative becomes None; a
pair without ``pairAddress`` or ``baseToken.address`` is dropped. Nothing odd raises past this module
except :class:`~desk.core.errors.VenueError` for a document whose outer shape is wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desk.core.errors import VenueError
from desk.venues.rest import to_decimal

log = logging.getLogger(__name__)

WINDOWS = ("m5", "h1", "h6", "h24")
MAX_TEXT = 200
MAX_LINKS = 20


@dataclass(frozen=True, slots=True)
class TokenRef:
    """A token as a pair names it.

    Attributes:
        address: Mint address.
        name: Name ("" when absent).
        symbol: Symbol ("" when absent).
    """

    address: str
    name: str
    symbol: str


@dataclass(frozen=True, slots=True)
class TxnCount:
    """Buys and sells in one time window.

    Attributes:
        buys: Number of buys.
        sells: Number of sells.
    """

    buys: int
    sells: int


@dataclass(frozen=True, slots=True)
class Liquidity:
    """Pool liquidity (absent on pump.fun curve pairs).

    Attributes:
        usd: Total in USD.
        base: Base tokens in the pool (whole tokens).
        quote: Quote tokens in the pool (whole tokens).
    """

    usd: Decimal | None
    base: Decimal | None
    quote: Decimal | None


@dataclass(frozen=True, slots=True)
class Link:
    """A website or social link.

    Attributes:
        kind: ``type`` (twitter, telegram, ...) or ``label`` (Website), "" when neither.
        url: The URL.
    """

    kind: str
    url: str


@dataclass(frozen=True, slots=True)
class Pair:
    """One DexScreener pair.

    Attributes:
        chain_id: Chain ("solana").
        dex_id: Venue: "pumpfun" (still on the curve), "pumpswap" (graduated), "raydium", ...
        url: DexScreener page.
        pair_address: Pool address (for "pumpfun", the bonding-curve account).
        labels: Pool labels ("DLMM", "CLMM", ...).
        base: Base token.
        quote: Quote token.
        price_native: Price of one base token in quote tokens.
        price_usd: Price of one base token in USD.
        txns: Buys and sells per window (``m5``, ``h1``, ``h6``, ``h24``) present in the answer.
        volume_usd: Volume in USD per window.
        price_change_pct: Price change in percent per window (windows without trades are missing).
        liquidity: Pool liquidity, None on pump.fun curve pairs.
        fdv_usd: Fully diluted valuation.
        market_cap_usd: Market cap.
        created_ms: Pair creation time (epoch ms).
        image_url: Token image.
        links: Websites then socials.
        boosts_active: Active paid boosts.
    """

    chain_id: str
    dex_id: str
    url: str
    pair_address: str
    labels: tuple[str, ...]
    base: TokenRef
    quote: TokenRef
    price_native: Decimal | None
    price_usd: Decimal | None
    txns: dict[str, TxnCount]
    volume_usd: dict[str, Decimal]
    price_change_pct: dict[str, Decimal]
    liquidity: Liquidity | None
    fdv_usd: Decimal | None
    market_cap_usd: Decimal | None
    created_ms: int | None
    image_url: str | None
    links: tuple[Link, ...]
    boosts_active: int

    @property
    def on_pump_curve(self) -> bool:
        """Whether the pair is a pump.fun bonding curve (no pool, no liquidity figure)."""
        return self.dex_id == "pumpfun"


@dataclass(frozen=True, slots=True)
class TokenProfile:
    """An entry of the latest-profiles or boosts feeds.

    Attributes:
        chain_id: Chain.
        token_address: Mint address.
        url: DexScreener page.
        description: Free text ("" when absent; truncated).
        icon: Icon URL or id.
        links: Links.
        boost_amount: ``amount`` on boost feeds, else None.
        boost_total: ``totalAmount`` on boost feeds, else None.
    """

    chain_id: str
    token_address: str
    url: str
    description: str
    icon: str
    links: tuple[Link, ...]
    boost_amount: Decimal | None
    boost_total: Decimal | None


def _signed_decimal(value: Any) -> Decimal | None:
    return to_decimal(value, signed=True)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _token(value: Any) -> TokenRef | None:
    if not isinstance(value, dict):
        return None
    address = value.get("address")
    if not isinstance(address, str) or not address or len(address) > 64:
        return None
    return TokenRef(address, _text(value.get("name")), _text(value.get("symbol")))


def _windows(value: Any, parse: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    out = {}
    for window in WINDOWS:
        parsed = parse(value.get(window))
        if parsed is not None:
            out[window] = parsed
    return out


def _txn(value: Any) -> TxnCount | None:
    if not isinstance(value, dict):
        return None
    buys, sells = _count(value.get("buys")), _count(value.get("sells"))
    return TxnCount(buys, sells) if buys is not None and sells is not None else None


def _links(items: Any) -> list[Link]:
    out: list[Link] = []
    for item in items[:MAX_LINKS] if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            out.append(Link(_text(item.get("type")) or _text(item.get("label")), _text(item["url"], 500)))
    return out


def parse_pair(value: Any) -> Pair | None:
    """Parse one pair object; None if it lacks its address or its base token."""
    if not isinstance(value, dict):
        return None
    pair_address, base = value.get("pairAddress"), _token(value.get("baseToken"))
    if not isinstance(pair_address, str) or not pair_address or len(pair_address) > 64 or base is None:
        return None
    quote = _token(value.get("quoteToken")) or TokenRef("", "", "")
    liquidity_raw = value.get("liquidity")
    liquidity = (Liquidity(to_decimal(liquidity_raw.get("usd")), to_decimal(liquidity_raw.get("base")),
                           to_decimal(liquidity_raw.get("quote")))
                 if isinstance(liquidity_raw, dict) else None)
    info, boosts = _dict(value.get("info")), _dict(value.get("boosts"))
    labels = value.get("labels")
    labels = labels if isinstance(labels, list) else []
    image = info.get("imageUrl")
    return Pair(
        chain_id=_text(value.get("chainId")), dex_id=_text(value.get("dexId")), url=_text(value.get("url"), 500),
        pair_address=pair_address, labels=tuple(x[:40] for x in labels[:10] if isinstance(x, str)),
        base=base, quote=quote,
        price_native=to_decimal(value.get("priceNative")), price_usd=to_decimal(value.get("priceUsd")),
        txns=_windows(value.get("txns"), _txn), volume_usd=_windows(value.get("volume"), to_decimal),
        price_change_pct=_windows(value.get("priceChange"), _signed_decimal), liquidity=liquidity,
        fdv_usd=to_decimal(value.get("fdv")), market_cap_usd=to_decimal(value.get("marketCap")),
        created_ms=_count(value.get("pairCreatedAt")),
        image_url=image[:500] if isinstance(image, str) else None,
        links=tuple(_links(info.get("websites")) + _links(info.get("socials"))),
        boosts_active=_count(boosts.get("active")) or 0,
    )


def _pair_list(items: list[Any]) -> list[Pair]:
    pairs = [parse_pair(item) for item in items]
    dropped = sum(1 for p in pairs if p is None)
    if dropped:
        log.info("DexScreener: dropped %d malformed pair(s) of %d", dropped, len(items))
    return [p for p in pairs if p is not None]


def parse_pairs(payload: Any) -> list[Pair]:
    """Parse a pair list in either shape: ``[Pair]`` or ``{"schemaVersion", "pairs": [Pair] | null}``.

    Raises:
        VenueError: the document is neither shape.
    """
    if isinstance(payload, list):
        return _pair_list(payload)
    if isinstance(payload, dict) and "pairs" in payload:
        pairs = payload["pairs"]
        if pairs is None:  # an unknown address is answered with "pairs": null
            return []
        if isinstance(pairs, list):
            return _pair_list(pairs)
    raise VenueError("DexScreener answered with a document that is not a pair list.")


def parse_profiles(payload: Any) -> list[TokenProfile]:
    """Parse the token-profiles or token-boosts feeds (a top-level array).

    Raises:
        VenueError: the document is not an array.
    """
    if not isinstance(payload, list):
        raise VenueError("DexScreener answered with a document that is not a profile list.")
    out: list[TokenProfile] = []
    for item in payload:
        if not isinstance(item, dict):
            continue
        address = item.get("tokenAddress")
        if not isinstance(address, str) or not address or len(address) > 64:
            continue
        out.append(TokenProfile(
            chain_id=_text(item.get("chainId")), token_address=address, url=_text(item.get("url"), 500),
            description=_text(item.get("description"), 2000), icon=_text(item.get("icon"), 500),
            links=tuple(_links(item.get("links"))), boost_amount=to_decimal(item.get("amount")),
            boost_total=to_decimal(item.get("totalAmount")),
        ))
    return out


def best_pair(pairs: list[Pair], mint: str) -> Pair | None:
    """Return the pair to show for ``mint``: where it is the base token, most liquid, then most traded.

    Curve pairs have no liquidity figure and rank by volume among themselves; any pool with liquidity
    ranks above them.
    """
    mine = [p for p in pairs if p.base.address == mint and p.chain_id in ("solana", "")]
    if not mine:
        return None

    def rank(pair: Pair) -> tuple[Decimal, Decimal]:
        liquidity = pair.liquidity.usd if pair.liquidity and pair.liquidity.usd is not None else Decimal(-1)
        return liquidity, pair.volume_usd.get("h24", Decimal(0))

    return max(mine, key=rank)
