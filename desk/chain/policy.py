"""The pre-sign policy: what a transaction must look like before any of our keys signs it.

Checked on the compiled message, so it applies equally to transactions we built and ones a venue
handed us: the fee payer is ours, only allow-listed programs run, and every SOL or token outflow from
our wallets goes where the user intended and stays within the intended amount.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from solders.message import MessageV0

from desk.chain.rpctypes import TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from desk.core.errors import DeskError

SYSTEM_PROGRAM = "11111111111111111111111111111111"
COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111"
ASSOCIATED_TOKEN_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
MEMO_PROGRAM = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
TRANSFER_PROGRAMS = frozenset(
    {SYSTEM_PROGRAM, COMPUTE_BUDGET_PROGRAM, ASSOCIATED_TOKEN_PROGRAM, TOKEN_PROGRAM, TOKEN_2022_PROGRAM}
)

_SYSTEM_TRANSFER = 2
_TOKEN_TRANSFER, _TOKEN_CLOSE, _TOKEN_TRANSFER_CHECKED = 3, 9, 12
_CU_LIMIT, _CU_PRICE = 2, 3


class PolicyViolationError(DeskError):
    """A transaction failed the pre-sign policy; nothing was signed."""


@dataclass(frozen=True, slots=True)
class Intent:
    """What the user asked for, as the policy needs it.

    Attributes:
        our_wallets: Public keys whose keys the desk holds.
        destinations: Addresses that may receive SOL, tokens or closed-account rent from our wallets.
        programs: Programs the transaction may invoke.
        max_sol_out: Most lamports each of our wallets may send (fees excluded); missing = no limit.
        max_priority_fee: Most lamports of priority fee per transaction.
        fee_allowance: Lamports our wallets may send, in total, to addresses outside ``destinations``
            (a venue's own fee transfer, e.g. PumpPortal's 0.5%); 0 refuses any such transfer.
        tip_accounts: Addresses that count as tips, capped by ``max_tip``.
        max_tip: Most lamports of tips per transaction.
        token_destinations_checked: Refuse token transfers from our wallets to addresses outside
            ``destinations``. Trades turn this off because their token outflow is bounded by simulation.
    """

    our_wallets: frozenset[str]
    destinations: frozenset[str]
    programs: frozenset[str] = TRANSFER_PROGRAMS
    max_sol_out: Mapping[str, int] = field(default_factory=dict)
    max_priority_fee: int = 10_000_000
    fee_allowance: int = 0
    tip_accounts: frozenset[str] = frozenset()
    max_tip: int = 0
    token_destinations_checked: bool = True


def check(message: MessageV0, intent: Intent) -> None:
    """Raise PolicyViolationError with the reason unless ``message`` matches ``intent``."""
    keys = [str(k) for k in message.account_keys]
    if message.address_table_lookups:
        raise PolicyViolationError("Refused: the transaction uses address lookup tables the desk cannot inspect.")
    if not keys or keys[0] not in intent.our_wallets:
        raise PolicyViolationError(f"Refused: the fee payer {keys[0] if keys else '?'} is not one of your wallets.")
    sol_out: dict[str, int] = {}
    unknown = {"fee": 0, "tip": 0}
    cu_limit, cu_price = 200_000, 0
    for ix in message.instructions:
        program = keys[ix.program_id_index]
        if program not in intent.programs:
            raise PolicyViolationError(f"Refused: the transaction calls a program that is not allowed ({program}).")
        data = bytes(ix.data)
        accounts = [keys[i] for i in ix.accounts]
        if program == SYSTEM_PROGRAM:
            _check_system(data, accounts, intent, sol_out, unknown)
        elif program in (TOKEN_PROGRAM, TOKEN_2022_PROGRAM):
            _check_token(data, accounts, intent)
        elif program == ASSOCIATED_TOKEN_PROGRAM:
            _check_ata(accounts, intent)
        elif program == COMPUTE_BUDGET_PROGRAM and data[:1] == bytes([_CU_LIMIT]) and len(data) >= 5:
            cu_limit = struct.unpack_from("<I", data, 1)[0]
        elif program == COMPUTE_BUDGET_PROGRAM and data[:1] == bytes([_CU_PRICE]) and len(data) >= 9:
            cu_price = struct.unpack_from("<Q", data, 1)[0]
    priority = -(-cu_limit * cu_price // 1_000_000)
    if priority > intent.max_priority_fee:
        raise PolicyViolationError(f"Refused: the priority fee ({priority} lamports) is above the limit you set.")
    for wallet, amount in sol_out.items():
        limit = intent.max_sol_out.get(wallet)
        if limit is not None and amount > limit:
            raise PolicyViolationError(f"Refused: the transaction would send {amount} lamports from {wallet}, "
                                  f"more than the {limit} intended.")


def _check_system(data: bytes, accounts: list[str], intent: Intent, sol_out: dict[str, int],
                  unknown: dict[str, int]) -> None:
    if len(data) < 4:
        raise PolicyViolationError("Refused: a malformed System instruction.")
    (kind,) = struct.unpack_from("<I", data)
    if kind != _SYSTEM_TRANSFER or len(data) < 12 or len(accounts) < 2:
        raise PolicyViolationError(f"Refused: an unexpected System instruction (kind {kind}).")
    (lamports,) = struct.unpack_from("<Q", data, 4)
    source, dest = accounts[0], accounts[1]
    if source in intent.our_wallets:
        if dest in intent.tip_accounts:
            unknown["tip"] += lamports
            if unknown["tip"] > intent.max_tip:
                raise PolicyViolationError(f"Refused: the transaction tips {unknown['tip']} lamports, more than the "
                                           f"{intent.max_tip} you set.")
            return
        if dest not in intent.destinations:
            unknown["fee"] += lamports
            if unknown["fee"] > intent.fee_allowance:
                raise PolicyViolationError(f"Refused: the transaction sends SOL to an unknown address ({dest}).")
            return
        sol_out[source] = sol_out.get(source, 0) + lamports


def _check_token(data: bytes, accounts: list[str], intent: Intent) -> None:
    kind = data[0] if data else -1
    if kind == _TOKEN_TRANSFER_CHECKED and len(accounts) >= 4:
        dest, authority = accounts[2], accounts[3]
    elif (kind == _TOKEN_TRANSFER and len(accounts) >= 3) or (kind == _TOKEN_CLOSE and len(accounts) >= 3):
        dest, authority = accounts[1], accounts[2]
    else:
        raise PolicyViolationError(f"Refused: an unexpected token instruction (kind {kind}); approvals and authority "
                              "changes are never signed.")
    if authority in intent.our_wallets and intent.token_destinations_checked and dest not in intent.destinations:
        raise PolicyViolationError(f"Refused: the transaction moves tokens or rent to an unknown address ({dest}).")


def _check_ata(accounts: list[str], intent: Intent) -> None:
    # accounts: payer, associated account, wallet (owner), mint, system program, token program
    if len(accounts) < 3:
        raise PolicyViolationError("Refused: a malformed associated-token-account instruction.")
    payer, owner = accounts[0], accounts[2]
    if payer in intent.our_wallets and owner not in intent.destinations | intent.our_wallets:
        raise PolicyViolationError(
            f"Refused: the transaction pays rent for a token account of an unknown owner ({owner}).")
