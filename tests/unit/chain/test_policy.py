"""The pre-sign policy refuses what the user did not intend, and signs only what it allows."""

from __future__ import annotations

import pytest
import spl.token.instructions as spl
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.models import ApproveParams, TransferCheckedParams

from desk.chain.policy import Intent, PolicyViolationError, check
from desk.chain.signer import SigningError, sign

ours, receiver, stranger = Keypair(), Keypair(), Keypair()


def msg(payer: Pubkey, *ixs: Instruction) -> MessageV0:
    return MessageV0.try_compile(payer, list(ixs), [], Hash.default())


def send(src: Keypair, dst: Pubkey, lamports: int = 10) -> Instruction:
    return transfer(TransferParams(from_pubkey=src.pubkey(), to_pubkey=dst, lamports=lamports))


INTENT = Intent(our_wallets=frozenset({str(ours.pubkey()), str(receiver.pubkey())}),
                destinations=frozenset({str(receiver.pubkey())}))


def test_transfer_to_the_receiver_passes() -> None:
    check(msg(receiver.pubkey(), send(ours, receiver.pubkey())), INTENT)


def test_foreign_fee_payer_is_refused() -> None:
    with pytest.raises(PolicyViolationError, match="fee payer"):
        check(msg(stranger.pubkey(), send(ours, receiver.pubkey())), INTENT)


def test_sol_to_an_unknown_address_is_refused() -> None:
    with pytest.raises(PolicyViolationError, match="unknown address"):
        check(msg(receiver.pubkey(), send(ours, stranger.pubkey())), INTENT)


def test_unknown_program_is_refused() -> None:
    rogue = Instruction(Pubkey.new_unique(), b"\x01", [AccountMeta(ours.pubkey(), True, True)])
    with pytest.raises(PolicyViolationError, match="program"):
        check(msg(receiver.pubkey(), rogue), INTENT)


def test_token_approval_is_never_signed() -> None:
    account = spl.get_associated_token_address(ours.pubkey(), Pubkey.new_unique())
    approve = spl.approve(ApproveParams(program_id=TOKEN_PROGRAM_ID, source=account, delegate=stranger.pubkey(),
                                        owner=ours.pubkey(), amount=1))
    with pytest.raises(PolicyViolationError, match="approvals"):
        check(msg(receiver.pubkey(), approve), INTENT)


def test_tokens_to_an_unknown_account_are_refused() -> None:
    mint = Pubkey.new_unique()
    ix = spl.transfer_checked(TransferCheckedParams(
        program_id=TOKEN_PROGRAM_ID, source=spl.get_associated_token_address(ours.pubkey(), mint), mint=mint,
        dest=spl.get_associated_token_address(stranger.pubkey(), mint), owner=ours.pubkey(), amount=5, decimals=6))
    with pytest.raises(PolicyViolationError, match="unknown address"):
        check(msg(receiver.pubkey(), ix), INTENT)


def test_outflow_above_the_intended_amount_is_refused() -> None:
    intent = Intent(INTENT.our_wallets, INTENT.destinations, max_sol_out={str(ours.pubkey()): 5})
    with pytest.raises(PolicyViolationError, match="more than"):
        check(msg(receiver.pubkey(), send(ours, receiver.pubkey(), 6)), intent)


def test_signer_refuses_before_signing_anything() -> None:
    with pytest.raises(PolicyViolationError):
        sign(msg(stranger.pubkey(), send(ours, receiver.pubkey())), {str(ours.pubkey()): ours}, INTENT,
             require_complete=False)


def test_signer_keeps_signatures_already_present_and_adds_ours() -> None:
    message = msg(receiver.pubkey(), send(ours, receiver.pubkey()))
    tx = sign(message, {str(receiver.pubkey()): receiver}, INTENT, require_complete=False)
    assert tx.signatures[1] == Signature.default()
    full = sign(message, {str(ours.pubkey()): ours}, INTENT, existing=list(tx.signatures))
    assert full.signatures[0] == tx.signatures[0] and all(full.verify_with_results())


def test_signer_reports_a_missing_signature() -> None:
    with pytest.raises(SigningError, match="needs a signature"):
        sign(msg(receiver.pubkey(), send(ours, receiver.pubkey())), {str(receiver.pubkey()): receiver}, INTENT)
