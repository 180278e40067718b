"""Settlement instruction builders: identical to spl.token's, and signers trimmed to those a message needs."""

from __future__ import annotations

import pytest
import spl.token.instructions as spl
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.models import TransferCheckedParams

from desk.core.curve import CurveState, Fill
from desk.simnet.chain import SimChain
from desk.simnet.events import CurveAccounts
from desk.simnet.settlement import (
    Settlement,
    SettlementError,
    move_tokens,
    open_token_account,
    pay,
    pubkey_of,
    sell_instructions,
    token_account,
)
from desk.simnet.tokens import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID


def accounts(program: Pubkey) -> CurveAccounts:
    keys = [Pubkey.new_unique() for _ in range(7)]
    return CurveAccounts(keys[0], program, keys[1], keys[2], keys[3], keys[4], keys[5], keys[6])


@pytest.mark.parametrize("program", [TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID])
def test_hand_built_token_instructions_equal_spl_tokens(program: Pubkey) -> None:
    curve = accounts(program)
    source, dest, owner = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    assert move_tokens(curve, source, dest, owner, 123_456_789) == spl.transfer_checked(TransferCheckedParams(
        program_id=program, source=source, mint=curve.mint, dest=dest, owner=owner, amount=123_456_789, decimals=6))
    payer = Pubkey.new_unique()
    assert open_token_account(payer, owner, curve) == spl.create_idempotent_associated_token_account(
        payer, owner, curve.mint, program)
    assert token_account(owner, curve) == spl.get_associated_token_address(owner, curve.mint, program)


def test_pubkey_cache_follows_the_keypair() -> None:
    a, b = Keypair(), Keypair()
    assert pubkey_of(a) == a.pubkey() and pubkey_of(b) == b.pubkey() and pubkey_of(a) == a.pubkey()


def test_a_sell_paying_nothing_needs_no_vault_signature() -> None:
    curve = accounts(TOKEN_PROGRAM_ID)
    fill = Fill(tokens=10, sol=0, fee=0, creator_fee=0, state=CurveState())
    ixs = sell_instructions(Pubkey.new_unique(), curve, fill)
    assert len(ixs) == 1 and ixs[0].program_id == TOKEN_PROGRAM_ID


def test_failures_raise_with_the_validator_error(chain: SimChain, payer: Keypair) -> None:
    settlement = Settlement(chain, payer)
    poor = Keypair()
    with pytest.raises(SettlementError, match="AccountNotFound"):
        settlement.send(poor, [pay(poor.pubkey(), payer.pubkey(), 1)], [poor], "transfer")
    # An extra signer the message does not need is left out rather than failing the send.
    landed = settlement.send(payer, [pay(payer.pubkey(), poor.pubkey(), 10**9)], [payer, poor], "transfer")
    assert chain.get_balance(poor.pubkey()) == 10**9
    assert landed.slot == chain.slot
