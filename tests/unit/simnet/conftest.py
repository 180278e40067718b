"""Fixtures for the simulated chain: a fresh chain and a funded payer."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair

from desk.simnet.chain import SimChain

SOL = 1_000_000_000


@pytest.fixture
def chain() -> SimChain:
    """A fresh simulated chain (32 transactions per block, no timed blocks)."""
    return SimChain()


@pytest.fixture
def payer(chain: SimChain) -> Keypair:
    """A keypair holding 100 SOL on ``chain``."""
    kp = Keypair()
    chain.airdrop(kp.pubkey(), 100 * SOL)
    return kp
