"""Builders pack transfers up to the packet limit and compute the fees the runtime charges."""

from __future__ import annotations

from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from desk.chain.builders import (
    PACKET_LIMIT,
    FeePolicy,
    SolTransfer,
    TokenSweepItem,
    fee_for,
    pack_sol_transfers,
    pack_token_sweeps,
    serialized_size,
)
from desk.chain.rpctypes import TOKEN_PROGRAM

receiver = str(Keypair().pubkey())


def test_sol_sweep_packs_as_many_sources_as_fit() -> None:
    moves = [SolTransfer(str(Keypair().pubkey()), receiver, 1_000_000) for _ in range(30)]
    # chain.md measured 8 sources with both compute-budget instructions; without a price there is room for 9
    assert [len(t.moves) for t in pack_sol_transfers(receiver, moves, FeePolicy(1))] == [8, 8, 8, 6]
    txs = pack_sol_transfers(receiver, moves, FeePolicy())
    assert [len(t.moves) for t in txs] == [9, 9, 9, 3]
    for tx in txs:
        assert serialized_size(tx.fee_payer, tx.instructions) <= PACKET_LIMIT
        assert tx.fee_lamports == 5000 * (len(tx.moves) + 1)
        assert tx.signers[0] == receiver


def test_distribution_packs_many_recipients_per_transaction() -> None:
    payer = str(Keypair().pubkey())
    moves = [SolTransfer(payer, str(Keypair().pubkey()), 1_000_000) for _ in range(100)]
    txs = pack_sol_transfers(payer, moves, FeePolicy(1000))
    assert len(txs) <= 6 and sum(len(t.moves) for t in txs) == 100
    assert all(t.signers == (payer,) for t in txs)
    assert all(serialized_size(t.fee_payer, t.instructions) <= PACKET_LIMIT for t in txs)


def test_token_sweep_packs_within_the_limit_and_compiles() -> None:
    mint = str(Pubkey.new_unique())
    items = [TokenSweepItem(str(Keypair().pubkey()), str(Pubkey.new_unique()), mint, 5, 6, TOKEN_PROGRAM, 2_039_280)
             for _ in range(20)]
    txs = pack_token_sweeps(receiver, items, FeePolicy())
    assert sum(len(t.moves) for t in txs) == 20 and len(txs) >= 3
    for tx in txs:
        assert serialized_size(receiver, tx.instructions) <= PACKET_LIMIT
        tx.message(Hash.default())


def test_fee_includes_priority_rounded_up() -> None:
    assert fee_for(1, 1000, FeePolicy(50_000)) == 5050
    assert fee_for(2, 1, FeePolicy(1)) == 10_001
