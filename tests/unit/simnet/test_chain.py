"""SimChain: cluster-like blockhashes, refusals, fees, history and the faucet on top of LiteSVM."""

from __future__ import annotations

import threading
import time

import pytest
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionErrorFieldless

from desk.simnet.chain import MAX_PROCESSING_AGE, SimChain
from desk.simnet.records import InvalidTransactionError, SimnetError, err_to_json

SOL = 1_000_000_000


def pay(source: Pubkey, dest: Pubkey, lamports: int) -> Instruction:
    return transfer(TransferParams(from_pubkey=source, to_pubkey=dest, lamports=lamports))


def build(chain: SimChain, payer: Keypair, ixs: list[Instruction], signers: list[Keypair] | None = None,
          blockhash: Hash | None = None) -> VersionedTransaction:
    message = MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash or chain.latest_blockhash()[0])
    return VersionedTransaction(message, signers or [payer])


def test_airdrop_funds_a_new_wallet_and_repeats_get_new_signatures(chain: SimChain) -> None:
    who = Keypair().pubkey()
    first = chain.airdrop(who, SOL)
    second = chain.airdrop(who, SOL)  # same amount in the same block: the faucet moves to a new block
    assert first != second
    assert chain.get_balance(who) == 2 * SOL
    assert chain.get_transaction(first) is not None


def test_airdrop_below_rent_minimum_to_new_account_raises(chain: SimChain) -> None:
    with pytest.raises(SimnetError, match="InsufficientFundsForRent"):
        chain.airdrop(Keypair().pubkey(), 1000)
    with pytest.raises(SimnetError):
        chain.airdrop(Keypair().pubkey(), 0)


def test_transfer_lands_with_history_and_balances(chain: SimChain, payer: Keypair) -> None:
    dest = Keypair().pubkey()
    result = chain.send_transaction(build(chain, payer, [pay(payer.pubkey(), dest, SOL)]))
    assert result.err is None and result.record is not None
    record = result.record
    assert record.fee == 5000
    assert record.pre_balances[:2] == (100 * SOL, 0)
    assert record.post_balances[:2] == (99 * SOL - 5000, SOL)
    assert record.logs[-1] == "Program 11111111111111111111111111111111 success"
    assert record.compute_units == 150
    meta = record.meta_json()
    assert meta["status"] == {"Ok": None} and meta["err"] is None
    assert chain.get_balance(dest) == SOL


def test_blockhash_a_few_blocks_old_still_lands(chain: SimChain, payer: Keypair) -> None:
    old, _ = chain.latest_blockhash()
    chain.advance(5)
    assert chain.latest_blockhash()[0] != old
    result = chain.send_transaction(build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)], blockhash=old))
    assert result.err is None


def test_blockhash_valid_through_last_valid_block_height_then_refused(chain: SimChain, payer: Keypair) -> None:
    old, last_valid = chain.latest_blockhash()
    chain.advance(last_valid - chain.block_height)
    assert chain.block_height == last_valid
    ok = chain.send_transaction(build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)], blockhash=old))
    assert ok.err is None
    chain.advance(1)
    late = chain.send_transaction(build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)], blockhash=old))
    assert late.err == TransactionErrorFieldless.BlockhashNotFound
    assert late.record is None
    assert chain.get_transaction(late.signature) is None


def test_expire_all_blockhashes_drops_prebuilt_transactions(chain: SimChain, payer: Keypair) -> None:
    tx = build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)])
    chain.expire_all_blockhashes()
    assert not chain.is_blockhash_valid(tx.message.recent_blockhash)
    result = chain.send_transaction(tx)
    assert result.err == TransactionErrorFieldless.BlockhashNotFound and result.record is None
    assert chain.get_balance(payer.pubkey()) == 100 * SOL


def test_unknown_blockhash_is_refused(chain: SimChain, payer: Keypair) -> None:
    tx = build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)], blockhash=Hash.new_unique())
    assert chain.send_transaction(tx).err == TransactionErrorFieldless.BlockhashNotFound


def test_resend_is_already_processed_and_charged_once(chain: SimChain, payer: Keypair) -> None:
    dest = Keypair().pubkey()
    tx = build(chain, payer, [pay(payer.pubkey(), dest, SOL)])
    assert chain.send_transaction(tx).err is None
    again = chain.send_transaction(tx)
    assert again.err == TransactionErrorFieldless.AlreadyProcessed and again.record is None
    assert chain.get_balance(dest) == SOL
    assert chain.get_balance(payer.pubkey()) == 99 * SOL - 5000


def test_bad_signature_never_executes(chain: SimChain, payer: Keypair) -> None:
    tx = build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)])
    forged = VersionedTransaction.populate(tx.message, [Signature.new_unique()])
    assert not chain.verify_signatures(forged)
    result = chain.send_transaction(forged)
    assert result.err == TransactionErrorFieldless.SignatureFailure and result.record is None
    assert chain.get_balance(payer.pubkey()) == 100 * SOL


def test_unfunded_payer_never_executes(chain: SimChain) -> None:
    broke = Keypair()
    result = chain.send_transaction(build(chain, broke, [pay(broke.pubkey(), Keypair().pubkey(), SOL)]))
    assert result.err == TransactionErrorFieldless.AccountNotFound
    assert result.record is None


def test_failed_execution_lands_with_error_and_fee(chain: SimChain, payer: Keypair) -> None:
    result = chain.send_transaction(build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), 1000 * SOL)]))
    assert result.record is not None
    assert err_to_json(result.err) == {"InstructionError": [0, {"Custom": 1}]}
    assert result.record.meta_json()["status"] == {"Err": {"InstructionError": [0, {"Custom": 1}]}}
    assert chain.get_balance(payer.pubkey()) == 100 * SOL - 5000


def test_oversize_transaction_is_refused_with_validator_text(chain: SimChain, payer: Keypair) -> None:
    ixs = [pay(payer.pubkey(), Keypair().pubkey(), SOL) for _ in range(22)]
    tx = build(chain, payer, ixs)
    assert len(bytes(tx)) > 1232
    expected = (f"decoded solana_transaction::versioned::VersionedTransaction too large: {len(bytes(tx))} bytes "
                "(max: 1232 bytes)")
    with pytest.raises(InvalidTransactionError) as info:
        chain.send_transaction(tx)
    assert str(info.value) == expected


def test_sweep_to_zero_with_receiver_paying_deletes_source(chain: SimChain, payer: Keypair) -> None:
    source = Keypair()
    chain.airdrop(source.pubkey(), SOL)
    everything = chain.get_balance(source.pubkey())
    tx = build(chain, payer, [pay(source.pubkey(), payer.pubkey(), everything)], signers=[payer, source])
    result = chain.send_transaction(tx)
    assert result.err is None and result.record is not None
    assert chain.get_account(source.pubkey()) is None
    assert chain.get_balance(source.pubkey()) == 0
    assert chain.get_balance(payer.pubkey()) == 100 * SOL + SOL - 10_000
    assert result.record.post_balances[1] == 0


def test_slot_advances_per_send_and_blockhash_rotates_per_block() -> None:
    chain = SimChain(txs_per_block=4)
    payer = Keypair()
    chain.airdrop(payer.pubkey(), 10 * SOL)
    start_slot, start_height = chain.slot, chain.block_height
    blockhash = chain.latest_blockhash()[0]
    slots = []
    for _ in range(4):
        result = chain.send_transaction(build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL // 10)]))
        assert result.record is not None
        slots.append(result.record.slot)
    assert slots == sorted(set(slots)) and slots[0] > start_slot
    assert chain.block_height > start_height
    assert chain.latest_blockhash()[0] != blockhash


def test_timed_blocks_rotate_lazily() -> None:
    chain = SimChain(block_time=0.01)
    height = chain.block_height
    time.sleep(0.05)
    assert chain.block_height >= height + 3


def test_long_idle_time_expires_everything_quickly() -> None:
    chain = SimChain(block_time=0.0001)
    old, last_valid = chain.latest_blockhash()
    time.sleep(0.1)  # ~1000 blocks
    assert chain.block_height > last_valid
    assert not chain.is_blockhash_valid(old)


@pytest.mark.parametrize(("ixs_factory", "signers"), [
    (lambda a, b: [pay(a, b, SOL)], 1),
    (lambda a, b: [set_compute_unit_limit(1000), set_compute_unit_price(50_000), pay(a, b, SOL)], 1),
    (lambda a, b: [set_compute_unit_price(1_000_000), pay(a, b, SOL)], 1),
    (lambda a, b: [set_compute_unit_limit(200_000), set_compute_unit_price(1_000_000), pay(a, b, SOL)], 1),
])
def test_fee_for_message_matches_the_charged_fee(chain: SimChain, payer: Keypair, ixs_factory: object,
                                                 signers: int) -> None:
    assert callable(ixs_factory)
    tx = build(chain, payer, ixs_factory(payer.pubkey(), Keypair().pubkey()))
    predicted = chain.fee_for_message(tx.message)
    before = chain.get_balance(payer.pubkey())
    result = chain.send_transaction(tx)
    assert result.record is not None and result.err is None
    assert result.record.fee == predicted
    assert before - chain.get_balance(payer.pubkey()) == predicted + SOL


def test_legacy_message_fee_counts_signatures(chain: SimChain, payer: Keypair) -> None:
    other = Keypair()
    ixs = [pay(payer.pubkey(), other.pubkey(), 1), pay(other.pubkey(), payer.pubkey(), 1)]
    message = Message.new_with_blockhash(ixs, payer.pubkey(), chain.latest_blockhash()[0])
    assert chain.fee_for_message(message) == 10_000


def test_finality_reports_confirmed_then_finalized() -> None:
    chain = SimChain(finality_blocks=2)
    payer = Keypair()
    signature = chain.airdrop(payer.pubkey(), SOL)
    record = chain.get_transaction(signature)
    assert record is not None
    assert chain.confirmation(record) == ("confirmed", 0)
    chain.advance(2)
    assert chain.confirmation(record) == ("finalized", None)


def test_history_limit_must_cover_the_blockhash_window() -> None:
    with pytest.raises(ValueError, match="history_limit"):
        SimChain(txs_per_block=10, history_limit=10 * MAX_PROCESSING_AGE)


def test_history_forgets_oldest_beyond_limit() -> None:
    chain = SimChain(txs_per_block=1, history_limit=MAX_PROCESSING_AGE + 1)
    first = chain.airdrop(Keypair().pubkey(), SOL)
    for _ in range(MAX_PROCESSING_AGE + 1):
        chain.airdrop(Keypair().pubkey(), SOL)
    assert chain.get_transaction(first) is None


def test_signatures_for_address_newest_first_with_paging(chain: SimChain, payer: Keypair) -> None:
    sigs = [chain.send_transaction(build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)])).signature
            for _ in range(5)]
    newest_first = [r.signature for r in chain.signatures_for_address(payer.pubkey(), limit=5)]
    assert newest_first == sigs[::-1]
    page = chain.signatures_for_address(payer.pubkey(), before=sigs[3], until=sigs[0])
    assert [r.signature for r in page] == [sigs[2], sigs[1]]


def test_simulation_changes_nothing_and_reports_logs(chain: SimChain, payer: Keypair) -> None:
    tx = build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)])
    sim = chain.simulate_transaction(tx, sig_verify=True)
    assert sim.err is None and sim.units_consumed == 150 and sim.fee == 5000
    assert sim.post_accounts is not None and payer.pubkey() in sim.post_accounts
    assert chain.get_balance(payer.pubkey()) == 100 * SOL
    unsigned = VersionedTransaction.populate(tx.message, [Signature.default()])
    assert chain.simulate_transaction(unsigned).err is None
    assert chain.simulate_transaction(unsigned, sig_verify=True).err == TransactionErrorFieldless.SignatureFailure


def test_simulation_replacing_blockhash_ignores_expiry(chain: SimChain, payer: Keypair) -> None:
    tx = build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)], blockhash=Hash.new_unique())
    assert chain.simulate_transaction(tx).err == TransactionErrorFieldless.BlockhashNotFound
    assert chain.simulate_transaction(tx, replace_blockhash=True).err is None


def test_preflight_refuses_without_executing(chain: SimChain, payer: Keypair) -> None:
    tx = build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), 1000 * SOL)])
    result = chain.send_transaction(tx, preflight=True)
    assert result.preflight is not None and result.record is None
    assert any("insufficient lamports" in line for line in result.preflight.logs)
    assert chain.get_balance(payer.pubkey()) == 100 * SOL


def test_concurrent_sends_from_threads_all_land(chain: SimChain, payer: Keypair) -> None:
    dests = [Keypair().pubkey() for _ in range(40)]
    txs = [build(chain, payer, [pay(payer.pubkey(), d, SOL // 10)]) for d in dests]
    results: list[object] = []

    def send(tx: VersionedTransaction) -> None:
        results.append(chain.send_transaction(tx).err)

    threads = [threading.Thread(target=send, args=(tx,)) for tx in txs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [None] * 40
    assert all(chain.get_balance(d) == SOL // 10 for d in dests)


def test_unsanitary_transaction_is_refused_before_anything(chain: SimChain, payer: Keypair) -> None:
    tx = build(chain, payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)])
    unsigned = VersionedTransaction.populate(tx.message, [])
    with pytest.raises(InvalidTransactionError, match="sanitize"):
        chain.send_transaction(unsigned)
    with pytest.raises(InvalidTransactionError, match="sanitize"):
        chain.simulate_transaction(unsigned)
