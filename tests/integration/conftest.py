"""Integration fixtures for the simulated network."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desk.simnet import RpcServer, SimChain


@pytest.fixture
def simnet_rpc() -> Iterator[RpcServer]:
    """A started simnet JSON-RPC server on an ephemeral 127.0.0.1 port; its chain is ``.chain``."""
    server = RpcServer(SimChain()).start()
    try:
        yield server
    finally:
        server.stop()
