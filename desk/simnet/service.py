"""The simnet as one set of services: the chain's JSON-RPC, and optionally the simulated market.

``desk simnet`` runs it as servers for scripts and tests; ``desk --simnet`` runs it inside the GUI
process. Either way the desk reaches it only through the endpoint URLs it publishes (``env()``).

With ``market=True`` it also runs the pump.fun-like market (``SimMarket``) with simulated traders
(``SimTraders``), the PumpPortal data websocket, the DexScreener token endpoints and a websocket RPC
(``logsSubscribe`` / ``signatureSubscribe``) and PumpPortal's trading API (trade-local, Lightning,
create-wallet; ``venues.py``; no rate limit unless ``venue_rate_limit`` is given). Start order: chain →
RPC → market → traders' funding → servers (subscribed to the market) → traders' thread; ``stop`` runs
it backwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from desk.simnet.chain import SimChain
from desk.simnet.dexscreener import DexScreenerServer
from desk.simnet.market import SimMarket
from desk.simnet.pumpportal_ws import PumpPortalServer
from desk.simnet.rpc import RpcServer
from desk.simnet.rpc_ws import RpcWsServer
from desk.simnet.traders import Activity, SimTraders
from desk.simnet.venues import VenueServer

# A slot every 0.4 s, as on mainnet, so blockhashes age and expire in real time.
SIMNET_BLOCK_TIME = 0.4


@dataclass
class MarketServices:
    """The simulated market and the servers that publish it.

    Attributes:
        market: Tokens, curves and the trading API.
        traders: The simulated traders (their thread runs only if started with ``run_traders``).
        pumpportal: The PumpPortal data websocket.
        dexscreener: The DexScreener token endpoints.
        rpc_ws: The websocket RPC.
        venues: PumpPortal's trading API (trade-local, Lightning, create-wallet).
    """

    market: SimMarket
    traders: SimTraders
    pumpportal: PumpPortalServer
    dexscreener: DexScreenerServer
    rpc_ws: RpcWsServer
    venues: VenueServer

    def env(self) -> dict[str, str]:
        """The ``DESK_*`` variables of these servers."""
        return {"DESK_RPC_WS_URL": self.rpc_ws.url, "DESK_PUMPPORTAL_WS": self.pumpportal.url,
                "DESK_DEXSCREENER_API": self.dexscreener.url, "DESK_PUMPPORTAL_API": self.venues.url}

    def stop(self) -> None:
        """Stop the traders, then every server."""
        self.traders.stop()
        self.venues.stop()
        self.pumpportal.stop()
        self.rpc_ws.stop()
        self.dexscreener.stop()


@dataclass
class Simnet:
    """Running simnet services.

    Attributes:
        chain: The LiteSVM-backed chain.
        rpc: Its JSON-RPC server.
        market: The simulated market and its servers, when started with ``market=True``.
    """

    chain: SimChain
    rpc: RpcServer
    extra_env: dict[str, str] = field(default_factory=dict)
    market: MarketServices | None = None

    @classmethod
    def start(cls, *, rpc_port: int = 0, block_time: float | None = SIMNET_BLOCK_TIME, market: bool = False,
              activity: Activity | None = None, run_traders: bool = True,
              venue_rate_limit: int | None = None) -> Simnet:
        """Start the chain and its RPC server on 127.0.0.1, and the market if asked.

        Args:
            rpc_port: RPC port (0 = any free port).
            block_time: Seconds per block (None = a block every 32 transactions or on demand).
            market: Also run the simulated market and its servers.
            activity: Market activity (rates, traders, seed); the defaults when omitted.
            run_traders: Start the traders' thread (False: drive ``market.traders.step()`` by hand;
                then also call ``market.market.poll()`` to settle trade-local transactions).
            venue_rate_limit: Requests per second per address on the PumpPortal trading API
                (``venueapi.PUMPPORTAL_RATE_LIMIT`` = PumpPortal's 25); None = unlimited.
        """
        chain = SimChain(block_time=block_time)
        rpc = RpcServer(chain, port=rpc_port).start()
        simnet = cls(chain, rpc)
        if market:
            try:
                simnet.market = _start_market(chain, activity or Activity(), run_traders, venue_rate_limit)
            except BaseException:
                rpc.stop()
                raise
        return simnet

    def env(self) -> dict[str, str]:
        """The ``DESK_*`` variables that point a desk at this simnet."""
        return {
            "DESK_RPC_URL": self.rpc.url,
            "DESK_NETWORK": "simnet",
            "DESK_RPC_RATE_LIMIT": "off",
            **(self.market.env() if self.market is not None else {}),
            **self.extra_env,
        }

    def stop(self) -> None:
        """Stop every server."""
        if self.market is not None:
            self.market.stop()
        self.rpc.stop()


def _start_market(chain: SimChain, activity: Activity, run_traders: bool,
                  venue_rate_limit: int | None) -> MarketServices:
    market = SimMarket(chain, seed=activity.seed)
    traders = SimTraders(market, activity)
    started: list[PumpPortalServer | DexScreenerServer | RpcWsServer | VenueServer] = []
    try:
        pumpportal = PumpPortalServer(market).start()
        started.append(pumpportal)
        dexscreener = DexScreenerServer(market).start()
        started.append(dexscreener)
        rpc_ws = RpcWsServer(chain, market).start()
        started.append(rpc_ws)
        venues = VenueServer(market, rate_limit=venue_rate_limit).start()
        started.append(venues)
    except BaseException:
        for server in started:
            server.stop()
        raise
    services = MarketServices(market, traders, pumpportal, dexscreener, rpc_ws, venues)
    if run_traders:
        traders.start()
    return services
