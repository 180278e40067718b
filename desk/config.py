"""Settings that exist before the vault opens: the data directory, endpoints and DESK_* overrides."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "MayhemDesk"

ENDPOINT_DEFAULTS: dict[str, str] = {
    "DESK_RPC_URL": "https://api.mainnet-beta.solana.com",
    "DESK_RPC_WS_URL": "wss://api.mainnet-beta.solana.com",
    "DESK_PUMPPORTAL_WS": "wss://pumpportal.fun/api/data",
    "DESK_PUMPPORTAL_API": "https://pumpportal.fun/api",
    "DESK_DEXSCREENER_API": "https://api.dexscreener.com",
    "DESK_JUPITER_API": "https://api.jup.ag",
    "DESK_IPFS_API": "https://pump.fun/api/ipfs",
    "DESK_JITO_URL": "https://mainnet.block-engine.jito.wtf",
    "DESK_SYNC_URL": "",
}


def default_home() -> Path:
    """Return the per-user data directory (``DESK_HOME`` wins)."""
    env = os.environ.get("DESK_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=True))


def resource_dir() -> Path:
    """Return the folder with themes and icons, inside the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Network endpoints, each overridable by its ``DESK_*`` variable.

    Attributes:
        urls: Variable name → URL.
    """

    urls: dict[str, str]

    @classmethod
    def from_env(cls) -> Endpoints:
        """Return the defaults with any ``DESK_*`` overrides from the environment."""
        return cls({name: os.environ.get(name, default) for name, default in ENDPOINT_DEFAULTS.items()})

    def get(self, name: str) -> str:
        """Return one endpoint URL by its variable name."""
        return self.urls[name]


@dataclass(frozen=True, slots=True)
class AppConfig:
    """What the desk needs to know before the vault opens.

    Attributes:
        home: Data directory.
        endpoints: Network endpoints.
        simnet: Run against an in-process simulated network.
    """

    home: Path
    endpoints: Endpoints
    simnet: bool = False

    @property
    def network(self) -> str:
        """Name every chain-derived row carries: ``DESK_NETWORK``, else simnet or mainnet."""
        return os.environ.get("DESK_NETWORK") or ("simnet" if self.simnet else "mainnet")

    @property
    def rpc_rate_limit(self) -> str:
        """Requests per window for the RPC (``DESK_RPC_RATE_LIMIT``, e.g. ``100/10``; ``off`` = none)."""
        default = "off" if self.network == "simnet" else "100/10"
        return os.environ.get("DESK_RPC_RATE_LIMIT", default)

    @property
    def log_dir(self) -> Path:
        """Where the rotating logs live."""
        return self.home / "logs"
