"""The network-facing services one desk session uses, built in one place from the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from desk.chain.ratelimit import RateLimit
from desk.chain.rpc import RpcClient
from desk.config import AppConfig
from desk.engine.txrun import RunContext
from desk.vault.session import Vault

if TYPE_CHECKING:
    from desk.engine.venues import VenueSet


@dataclass
class ChainServices:
    """The RPC client and network name for the current profile.

    Attributes:
        rpc: JSON-RPC client for ``DESK_RPC_URL``.
        network: Network name stamped on chain-derived rows.
    """

    rpc: RpcClient
    network: str

    @classmethod
    def from_config(cls, config: AppConfig) -> ChainServices:
        """Build the client with the configured endpoint and rate limit."""
        rpc = RpcClient(config.endpoints.get("DESK_RPC_URL"), rate_limit=RateLimit.parse(config.rpc_rate_limit))
        return cls(rpc, config.network)

    def run_context(self, vault: Vault, purpose: str, ref: str) -> RunContext:
        """Return the context for one run of transactions."""
        return RunContext(vault, self.rpc, self.network, purpose, ref)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.rpc.aclose()


def build_venues(config: AppConfig, vault: Vault) -> VenueSet:
    """Build the trading venues from the configured endpoints (DESK_PUMPPORTAL_API, DESK_JUPITER_API)."""
    import os

    from desk.engine.venues import JupiterVenue, LightningVenue, PumpPortalLocalVenue, VenueSet
    from desk.venues.jupiter.swap import JupiterSwapClient
    from desk.venues.pumpportal.lightning import LightningClient
    from desk.venues.pumpportal.trade_local import TradeLocalClient

    api = config.endpoints.get("DESK_PUMPPORTAL_API")
    jupiter_key = os.environ.get("DESK_JUPITER_KEY") or None
    jupiter = JupiterVenue(JupiterSwapClient(config.endpoints.get("DESK_JUPITER_API"), jupiter_key))
    return VenueSet(PumpPortalLocalVenue(TradeLocalClient(api)), LightningVenue(LightningClient(api), vault), jupiter)
