"""DexScreener's token endpoints for the simulated market, in DexScreener's pair shape (protocols.md §6).

``GET /tokens/v1/solana/{addresses}`` and ``GET /token-pairs/v1/solana/{address}`` answer a JSON array of
pairs; ``GET /latest/dex/tokens/{addresses}`` answers ``{"schemaVersion": "1.0.0", "pairs": [...]}``
(``null`` when nothing matched). Up to 30 comma-separated addresses; more get HTTP 400 (the documented
limit; strict so that a client which does not chunk fails in tests). A token on its curve is one
``pumpfun`` pair (no ``liquidity``, ``pairAddress`` = the bonding curve); a migrated one adds a
``pumpswap`` pair with ``liquidity``. ``GET /latest/dex/pairs/solana/{pairs}`` and
``GET /latest/dex/search?q=`` (name, symbol or mint) answer the ``{"schemaVersion", "pairs"}`` wrapper.
Prices are strings with 4 significant digits; USD figures use a fixed SOL price.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from desk.core.curve import CurveState
from desk.core.market import PUMP_TOKEN_UNIT
from desk.simnet.events import MarketToken, SimTrade
from desk.simnet.httpserver import LocalHandler, LocalHttpServer, TrackingHttpServer
from desk.simnet.market import SOL, SimMarket

log = logging.getLogger(__name__)

MAX_ADDRESSES = 30
WSOL_MINT = "So11111111111111111111111111111111111111112"
_WINDOWS = (("m5", 5 * 60_000), ("h1", 3_600_000), ("h6", 6 * 3_600_000), ("h24", 24 * 3_600_000))


class DexScreenerError(Exception):
    """A request DexScreener would refuse: ``status`` and a JSON-serializable ``body``."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status, self.body = status, body


def significant(value: Decimal, digits: int = 4) -> str:
    """Return ``value`` rounded to ``digits`` significant digits, in plain notation ("0.0000001004")."""
    if value == 0:
        return "0"
    quantum = Decimal(1).scaleb(value.adjusted() - digits + 1)
    return format(value.quantize(quantum, rounding=ROUND_HALF_EVEN), "f")


def _usd(lamports: int | Decimal, sol_usd: Decimal) -> float:
    return float((Decimal(lamports) / SOL * sol_usd).quantize(Decimal("0.01")))


def _price(state: CurveState) -> Decimal:
    """SOL per whole token."""
    return Decimal(state.virtual_sol) * PUMP_TOKEN_UNIT / (Decimal(state.virtual_token) * SOL)


def _windows(trades: list[SimTrade], now_ms: int, price_now: Decimal) -> dict[str, Any]:
    txns: dict[str, dict[str, int]] = {}
    volume: dict[str, int] = {}
    change: dict[str, float] = {}
    for name, span in _WINDOWS:
        start = now_ms - span
        first = next((i for i, t in enumerate(trades) if t.time_ms >= start), len(trades))
        window = trades[first:]
        buys = sum(1 for t in window if t.is_buy)
        txns[name] = {"buys": buys, "sells": len(window) - buys}
        volume[name] = sum(t.sol for t in window)
        if window:
            before = _price(trades[first - 1].state) if first else _price(CurveState())
            change[name] = float(((price_now / before - 1) * 100).quantize(Decimal("0.01")))
    return {"txns": txns, "volume": volume, "priceChange": change}


def pairs_for(token: MarketToken, trades: list[SimTrade], now_ms: int, sol_usd: Decimal) -> list[dict[str, Any]]:
    """Return the DexScreener pairs of one simulated token (its AMM pair first once migrated)."""
    meta = token.token
    base = {"address": str(meta.mint), "name": meta.name, "symbol": meta.symbol}
    quote = {"address": WSOL_MINT, "name": "Wrapped SOL", "symbol": "SOL"}
    pairs = []
    migration = token.migration
    if migration is not None:
        price = Decimal(migration.pool_sol) * PUMP_TOKEN_UNIT / (Decimal(migration.pool_tokens) * SOL)
        cap = _usd(price * token.state.total_supply / PUMP_TOKEN_UNIT * SOL, sol_usd)
        pool = str(migration.pool)
        pairs.append({
            "chainId": "solana", "dexId": "pumpswap", "url": f"https://dexscreener.com/solana/{pool.lower()}",
            "pairAddress": pool, "baseToken": base, "quoteToken": quote, "priceNative": significant(price),
            "priceUsd": significant(price * sol_usd),
            "txns": {name: {"buys": 0, "sells": 0} for name, _ in _WINDOWS},
            "volume": {name: 0 for name, _ in _WINDOWS}, "priceChange": {},
            "liquidity": {"usd": _usd(migration.pool_sol * 2, sol_usd),
                          "base": float(Decimal(migration.pool_tokens) / PUMP_TOKEN_UNIT),
                          "quote": float(Decimal(migration.pool_sol) / SOL)},
            "fdv": cap, "marketCap": cap, "pairCreatedAt": migration.time_ms})
    price = _price(token.state)  # a migrated curve keeps its final virtual reserves
    stats = _windows(trades, now_ms, price)
    curve = str(meta.accounts.bonding_curve)
    cap = _usd(token.state.market_cap, sol_usd)
    pairs.append({
        "chainId": "solana", "dexId": "pumpfun", "url": f"https://dexscreener.com/solana/{curve.lower()}",
        "pairAddress": curve, "baseToken": base, "quoteToken": quote, "priceNative": significant(price),
        "priceUsd": significant(price * sol_usd), "txns": stats["txns"],
        "volume": {name: _usd(lamports, sol_usd) for name, lamports in stats["volume"].items()},
        "priceChange": stats["priceChange"], "fdv": cap, "marketCap": cap, "pairCreatedAt": meta.created_ms})
    return pairs


class DexScreenerApi:
    """The request logic, separate from HTTP.

    Args:
        market: The market to describe.
        sol_usd: USD per SOL for ``priceUsd``, volumes and market caps.
        clock: Wall clock in seconds (the rolling windows).
    """

    def __init__(self, market: SimMarket, *, sol_usd: Decimal = Decimal(150),
                 clock: Callable[[], float] = time.time) -> None:
        self.market, self.sol_usd, self._clock = market, sol_usd, clock

    def get(self, path: str) -> Any:
        """Answer a GET of ``path``.

        Raises:
            DexScreenerError: Unknown route or too many addresses.
        """
        parts = [unquote(p) for p in urlsplit(path).path.strip("/").split("/")]
        if len(parts) == 4 and parts[:2] == ["tokens", "v1"]:
            return self._pairs(parts[2], parts[3], limit=MAX_ADDRESSES)
        if len(parts) == 4 and parts[:2] == ["token-pairs", "v1"]:
            return self._pairs(parts[2], parts[3], limit=1)
        if len(parts) == 4 and parts[:3] == ["latest", "dex", "tokens"]:
            pairs = self._pairs("solana", parts[3], limit=MAX_ADDRESSES)
            return {"schemaVersion": "1.0.0", "pairs": pairs or None}
        if len(parts) == 5 and parts[:3] == ["latest", "dex", "pairs"]:
            wanted = set(_addresses(parts[4], limit=MAX_ADDRESSES))
            found = [p for p in self._all() if p["pairAddress"] in wanted] if parts[3] == "solana" else []
            return {"schemaVersion": "1.0.0", "pairs": found or None}
        if parts == ["latest", "dex", "search"]:
            query = (parse_qs(urlsplit(path).query).get("q") or [""])[0].strip().lower()
            found = [p for p in self._all() if query and any(
                query in str(v).lower() for v in p["baseToken"].values())] if query else []
            return {"schemaVersion": "1.0.0", "pairs": found[:30]}
        raise DexScreenerError(404, {"error": "Not found"})

    def _all(self) -> list[dict[str, Any]]:
        now = int(self._clock() * 1000)
        return [pair for token in reversed(self.market.tokens())
                for pair in pairs_for(token, self.market.recent_trades(token.token.mint), now, self.sol_usd)]

    def _pairs(self, chain: str, addresses: str, *, limit: int) -> list[dict[str, Any]]:
        wanted = _addresses(addresses, limit=limit)
        if chain != "solana":
            return []
        now = int(self._clock() * 1000)
        found: list[dict[str, Any]] = []
        for address in wanted:
            token = self.market.token(address)
            if token is not None:
                found += pairs_for(token, self.market.recent_trades(token.token.mint), now, self.sol_usd)
        return found


def _addresses(text: str, *, limit: int) -> list[str]:
    wanted = list(dict.fromkeys(a.strip() for a in text.split(",") if a.strip()))
    if len(wanted) > limit:
        raise DexScreenerError(400, {"error": f"Too many addresses (at most {limit})."})
    return wanted


class _Handler(LocalHandler):
    extra_headers = ("Access-Control-Allow-Origin: *",)
    server: TrackingHttpServer[DexScreenerServer]

    def do_GET(self) -> None:
        try:
            status, body = 200, self.server.owner.api.get(self.path)
        except DexScreenerError as e:
            status, body = e.status, e.body
        except Exception:
            log.exception("simnet dexscreener %s failed", self.path)
            status, body = 500, {"error": "Internal error"}
        self.reply(status, orjson.dumps(body))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 1 << 20:
            self.rfile.read(length)
        else:
            self.close_connection = True
        self.reply(405, b'{"error":"Method not allowed"}')


class DexScreenerServer(LocalHttpServer):
    """The DexScreener-compatible HTTP endpoint, served from a background thread.

    Args:
        market: The market to describe.
        port: TCP port on 127.0.0.1; 0 picks a free one.
        sol_usd: USD per SOL.
    """

    handler = _Handler
    thread_name = "simnet-dexscreener"
    title = "simnet DexScreener"

    def __init__(self, market: SimMarket, *, port: int = 0, sol_usd: Decimal = Decimal(150)) -> None:
        super().__init__(port=port)
        self.api = DexScreenerApi(market, sol_usd=sol_usd)

    @property
    def url(self) -> str:
        """The API base, e.g. ``http://127.0.0.1:PORT`` (the desk appends ``/tokens/v1/...``)."""
        return self.base_url
