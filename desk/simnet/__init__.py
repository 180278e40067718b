"""The offline simulated network: a LiteSVM-backed Solana chain and its JSON-RPC endpoint on 127.0.0.1."""

from desk.simnet.chain import SimChain
from desk.simnet.records import InvalidTransactionError, SendResult, SimnetError, SimulationResult, TxRecord
from desk.simnet.rpc import RpcServer

__all__ = [
    "InvalidTransactionError",
    "RpcServer",
    "SendResult",
    "SimChain",
    "SimnetError",
    "SimulationResult",
    "TxRecord",
]
