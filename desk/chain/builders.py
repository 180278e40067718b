"""Transaction builders for sweeps and distributions, packed to the 1232-byte packet limit.

Builders return unsigned messages plus the arithmetic the plan shows (amounts, fees); nothing here
touches a key. Each builder packs as many transfers per transaction as fit, measured on the real
serialized size rather than a table of guesses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import spl.token.instructions as spl
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from spl.token.models import CloseAccountParams, TransferCheckedParams

PACKET_LIMIT = 1232
BASE_FEE_PER_SIGNATURE = 5000


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """Priority fee settings applied to every transaction a builder makes.

    Attributes:
        micro_lamports_per_cu: Compute-unit price (0 = no priority fee).
    """

    micro_lamports_per_cu: int = 0


@dataclass(frozen=True, slots=True)
class SolTransfer:
    """Move ``lamports`` from ``source`` to ``destination``."""

    source: str
    destination: str
    lamports: int


@dataclass(frozen=True, slots=True)
class TokenSweepItem:
    """Empty one token account into the receiver's associated account and close it.

    Attributes:
        owner: Wallet owning the token account (signs).
        account: The token account.
        mint: Its mint.
        amount: Atomic units to move (the whole balance).
        decimals: Mint decimals.
        program: Token or Token-2022 program id.
        rent_lamports: Rent the close returns to the receiver.
    """

    owner: str
    account: str
    mint: str
    amount: int
    decimals: int
    program: str
    rent_lamports: int


@dataclass(frozen=True, slots=True)
class PlannedTx:
    """One transaction of a plan, unsigned.

    Attributes:
        fee_payer: Who pays the fee.
        signers: Every public key that must sign (fee payer first).
        instructions: The instructions, compute budget first.
        compute_units: The compute-unit limit requested.
        fee_lamports: Base fee plus priority fee.
        moves: The transfers or sweeps it carries (for the plan's display).
    """

    fee_payer: str
    signers: tuple[str, ...]
    instructions: tuple[Instruction, ...]
    compute_units: int
    fee_lamports: int
    moves: tuple[SolTransfer | TokenSweepItem, ...]

    def message(self, blockhash: Hash) -> MessageV0:
        """Compile the message against ``blockhash``."""
        return MessageV0.try_compile(Pubkey.from_string(self.fee_payer), list(self.instructions), [], blockhash)


def fee_for(signatures: int, compute_units: int, fees: FeePolicy) -> int:
    """Return base fee plus priority fee, as the runtime charges it."""
    priority = -(-compute_units * fees.micro_lamports_per_cu // 1_000_000)
    return BASE_FEE_PER_SIGNATURE * signatures + priority


def serialized_size(fee_payer: str, instructions: Sequence[Instruction]) -> int:
    """Return the signed size in bytes of a transaction with these instructions."""
    message = MessageV0.try_compile(Pubkey.from_string(fee_payer), list(instructions), [], Hash.default())
    signatures = [Signature.default()] * message.header.num_required_signatures
    return len(bytes(VersionedTransaction.populate(message, signatures)))


def _budget(units: int, fees: FeePolicy) -> list[Instruction]:
    ixs = [set_compute_unit_limit(units)]
    if fees.micro_lamports_per_cu:
        ixs.append(set_compute_unit_price(fees.micro_lamports_per_cu))
    return ixs


def _transfer_ix(move: SolTransfer) -> Instruction:
    return transfer(TransferParams(from_pubkey=Pubkey.from_string(move.source),
                                   to_pubkey=Pubkey.from_string(move.destination), lamports=move.lamports))


def _sol_units(count: int) -> int:
    return 600 + 300 * count


def pack_sol_transfers(fee_payer: str, moves: Sequence[SolTransfer], fees: FeePolicy) -> list[PlannedTx]:
    """Pack SOL transfers into as few transactions as fit, all paid by ``fee_payer``.

    The fee payer signs every transaction; each distinct source signs the ones it appears in.
    """
    out: list[PlannedTx] = []
    batch: list[SolTransfer] = []

    def build(chunk: list[SolTransfer]) -> list[Instruction]:
        return [*_budget(_sol_units(len(chunk)), fees), *(_transfer_ix(m) for m in chunk)]

    def flush() -> None:
        if not batch:
            return
        signers = tuple(dict.fromkeys([fee_payer, *(m.source for m in batch)]))
        units = _sol_units(len(batch))
        out.append(PlannedTx(fee_payer, signers, tuple(build(batch)), units,
                             fee_for(len(signers), units, fees), tuple(batch)))
        batch.clear()

    for move in moves:
        if batch and serialized_size(fee_payer, build([*batch, move])) > PACKET_LIMIT:
            flush()
        batch.append(move)
    flush()
    return out


def _token_ixs(receiver: str, items: Sequence[TokenSweepItem]) -> tuple[list[Instruction], int]:
    receiver_key = Pubkey.from_string(receiver)
    ixs: list[Instruction] = []
    created: set[tuple[str, str]] = set()
    units = 1000
    for item in items:
        mint, program = Pubkey.from_string(item.mint), Pubkey.from_string(item.program)
        owner, account = Pubkey.from_string(item.owner), Pubkey.from_string(item.account)
        if item.amount:
            dest = spl.get_associated_token_address(receiver_key, mint, program)
            if (item.mint, item.program) not in created:
                ixs.append(spl.create_idempotent_associated_token_account(receiver_key, receiver_key, mint, program))
                created.add((item.mint, item.program))
                units += 40_000
            ixs.append(spl.transfer_checked(TransferCheckedParams(
                program_id=program, source=account, mint=mint, dest=dest, owner=owner,
                amount=item.amount, decimals=item.decimals)))
        ixs.append(spl.close_account(CloseAccountParams(program_id=program, account=account, dest=receiver_key,
                                                        owner=owner)))
        units += 15_000
    return ixs, units


def pack_token_sweeps(receiver: str, items: Sequence[TokenSweepItem], fees: FeePolicy) -> list[PlannedTx]:
    """Pack token sweeps (transfer all + close) into as few transactions as fit; the receiver pays."""
    out: list[PlannedTx] = []
    batch: list[TokenSweepItem] = []

    def build(chunk: list[TokenSweepItem]) -> list[Instruction]:
        ixs, units = _token_ixs(receiver, chunk)
        return [*_budget(units, fees), *ixs]

    def flush() -> None:
        if not batch:
            return
        _, units = _token_ixs(receiver, batch)
        signers = tuple(dict.fromkeys([receiver, *(i.owner for i in batch)]))
        out.append(PlannedTx(receiver, signers, tuple(build(batch)), units,
                             fee_for(len(signers), units, fees), tuple(batch)))
        batch.clear()

    for item in items:
        if batch and serialized_size(receiver, build([*batch, item])) > PACKET_LIMIT:
            flush()
        batch.append(item)
    flush()
    return out
