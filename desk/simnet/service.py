"""The simnet as one set of services: the chain's JSON-RPC now, the simulated market and venues later.

``desk simnet`` runs it as servers for scripts and tests; ``desk --simnet`` runs it inside the GUI
process. Either way the desk reaches it only through the endpoint URLs it publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from desk.simnet.chain import SimChain
from desk.simnet.rpc import RpcServer

# A slot every 0.4 s, as on mainnet, so blockhashes age and expire in real time.
SIMNET_BLOCK_TIME = 0.4


@dataclass
class Simnet:
    """Running simnet services.

    Attributes:
        chain: The LiteSVM-backed chain.
        rpc: Its JSON-RPC server.
    """

    chain: SimChain
    rpc: RpcServer
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, *, rpc_port: int = 0, block_time: float | None = SIMNET_BLOCK_TIME) -> Simnet:
        """Start the chain and its RPC server on 127.0.0.1."""
        chain = SimChain(block_time=block_time)
        rpc = RpcServer(chain, port=rpc_port).start()
        return cls(chain, rpc)

    def env(self) -> dict[str, str]:
        """The ``DESK_*`` variables that point a desk at this simnet."""
        return {
            "DESK_RPC_URL": self.rpc.url,
            "DESK_NETWORK": "simnet",
            "DESK_RPC_RATE_LIMIT": "off",
            **self.extra_env,
        }

    def stop(self) -> None:
        """Stop every server."""
        self.rpc.stop()
