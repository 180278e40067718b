"""Wire-level pieces of the simulated chain: transaction decoding, error JSON, history records, results."""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from solders.account import Account
from solders.instruction import CompiledInstruction
from solders.message import Message, MessageV0, MessageV1
from solders.pubkey import Pubkey
from solders.rpc.responses import RpcSimulateTransactionResult
from solders.signature import Signature
from solders.transaction import SanitizeError, VersionedTransaction
from solders.transaction_metadata import InnerInstruction
from solders.transaction_status import TransactionErrorType

from desk.simnet.tokens import ui_token_amount

PACKET_DATA_SIZE = 1232
LAMPORTS_PER_SIGNATURE = 5000
_TX_TYPE = "solana_transaction::versioned::VersionedTransaction"
_ALT_META_SIZE = 56
_COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
_BUILTINS = frozenset(Pubkey.from_string(k) for k in (
    "11111111111111111111111111111111", "ComputeBudget111111111111111111111111111111",
    "Vote111111111111111111111111111111111111111", "Stake11111111111111111111111111111111111111",
    "Config1111111111111111111111111111111111111", "BPFLoader1111111111111111111111111111111111",
    "BPFLoader2111111111111111111111111111111111", "BPFLoaderUpgradeab1e11111111111111111111111",
    "LoaderV411111111111111111111111111111111111"))
_ERROR_TEXT = {
    "AccountInUse": "Account in use",
    "AccountNotFound": "Attempt to debit an account but found no record of a prior credit.",
    "ProgramAccountNotFound": "Attempt to load a program that does not exist",
    "InsufficientFundsForFee": "Insufficient funds for fee",
    "AlreadyProcessed": "This transaction has already been processed",
    "BlockhashNotFound": "Blockhash not found",
    "SignatureFailure": "Transaction did not pass signature verification",
    "SanitizeFailure": "Transaction failed to sanitize accounts offsets correctly",
}
_INSTRUCTION_ERROR_TEXT = {
    "InsufficientFunds": "insufficient funds for instruction",
    "InvalidAccountData": "invalid account data for instruction",
    "InvalidInstructionData": "invalid instruction data",
    "InvalidArgument": "invalid program argument",
    "IncorrectProgramId": "incorrect program id for instruction",
    "MissingRequiredSignature": "missing required signature for instruction",
    "AccountAlreadyInitialized": "instruction requires an uninitialized account",
    "UninitializedAccount": "instruction requires an initialized account",
    "NotEnoughAccountKeys": "insufficient account keys for instruction",
    "ComputationalBudgetExceeded": "Computational budget exceeded",
    "ProgramFailedToComplete": "Program failed to complete",
}
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


class SimnetError(Exception):
    """The simulated chain could not do what was asked (e.g. a faucet transfer failed)."""


class InvalidTransactionError(SimnetError):
    """A transaction was refused before execution; the message is the validator's -32602 text."""


def b58encode(data: bytes) -> str:
    """Return the base58 text of ``data``."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_B58[rem])
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Decode base58 ``text``; raises ValueError on a character outside the alphabet."""
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise ValueError(f"invalid base58 character {char!r}")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def err_to_json(err: TransactionErrorType | None) -> Any:
    """Return ``err`` in the validator's JSON form (e.g. ``{"InstructionError":[0,{"Custom":1}]}``)."""
    if err is None:
        return None
    return json.loads(RpcSimulateTransactionResult(err=err).to_json())["err"]


def oversize_text(raw_len: int) -> str:
    """Return the validator's -32602 text for a decoded transaction of ``raw_len`` > 1232 bytes."""
    return f"decoded {_TX_TYPE} too large: {raw_len} bytes (max: {PACKET_DATA_SIZE} bytes)"


def message_fee(message: Message | MessageV0 | MessageV1) -> int:
    """Return the fee in lamports: 5000 per signature plus ceil(CU limit x CU price / 1e6).

    Without a SetComputeUnitLimit instruction the limit is 3000 CU per builtin instruction and
    200,000 per other instruction (capped at 1.4M), as the runtime computes it.
    """
    keys = message.account_keys
    limit: int | None = None
    price = default_limit = 0
    for ix in message.instructions:
        program = keys[ix.program_id_index]
        data = bytes(ix.data)
        if program == _COMPUTE_BUDGET and len(data) >= 5 and data[0] == 2:
            limit = struct.unpack_from("<I", data, 1)[0]
        elif program == _COMPUTE_BUDGET and len(data) >= 9 and data[0] == 3:
            price = struct.unpack_from("<Q", data, 1)[0]
        default_limit += 3000 if program in _BUILTINS else 200_000
    units = min(default_limit if limit is None else limit, 1_400_000)
    return LAMPORTS_PER_SIGNATURE * message.header.num_required_signatures + -(-units * price // 1_000_000)


def loaded_addresses(message: Message | MessageV0 | MessageV1, get_account: Callable[[Pubkey], Account | None]
                     ) -> tuple[tuple[Pubkey, ...], tuple[Pubkey, ...]]:
    """Resolve a v0 message's lookup-table addresses into (writable, readonly) keys."""
    if not isinstance(message, MessageV0) or not message.address_table_lookups:
        return (), ()
    writable: list[Pubkey] = []
    readonly: list[Pubkey] = []
    for lookup in message.address_table_lookups:
        table = get_account(lookup.account_key)
        data = bytes(table.data) if table else b""
        count = max(0, (len(data) - _ALT_META_SIZE) // 32)
        for indexes, out in ((lookup.writable_indexes, writable), (lookup.readonly_indexes, readonly)):
            for i in bytes(indexes):
                if i < count:
                    start = _ALT_META_SIZE + 32 * i
                    out.append(Pubkey.from_bytes(data[start : start + 32]))
    return tuple(writable), tuple(readonly)


def _words(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()


def describe_error(err: Any) -> str:
    """Return the validator's Display text for a transaction error in JSON form."""
    if isinstance(err, str):
        return _ERROR_TEXT.get(err) or _words(err).capitalize()
    if isinstance(err, dict) and "InstructionError" in err:
        index, inner = err["InstructionError"]
        if isinstance(inner, dict) and "Custom" in inner:
            return f"Error processing Instruction {index}: custom program error: {inner['Custom']:#x}"
        text = (_INSTRUCTION_ERROR_TEXT.get(inner) or _words(inner)) if isinstance(inner, str) else str(inner)
        return f"Error processing Instruction {index}: {text}"
    if isinstance(err, dict) and "InsufficientFundsForRent" in err:
        index = err["InsufficientFundsForRent"].get("account_index")
        return f"Transaction results in an account ({index}) with insufficient funds for rent"
    return str(err)


def decode_transaction(raw: bytes) -> VersionedTransaction:
    """Deserialize a wire transaction the way the validator's RPC does.

    Raises:
        InvalidTransactionError: Over 1232 bytes, undecodable, or failing sanitization.
    """
    if len(raw) > PACKET_DATA_SIZE:
        raise InvalidTransactionError(oversize_text(len(raw)))
    try:
        tx = VersionedTransaction.from_bytes(raw)
    except ValueError as e:
        raise InvalidTransactionError(f"failed to deserialize {_TX_TYPE}: {e}") from None
    check_transaction(tx)
    return tx


def check_transaction(tx: VersionedTransaction) -> None:
    """Refuse a transaction a validator would not accept for processing at all.

    Raises:
        InvalidTransactionError: Over 1232 bytes serialized, or failing sanitization (e.g. missing signatures).
    """
    raw_len = len(bytes(tx))
    if raw_len > PACKET_DATA_SIZE:
        raise InvalidTransactionError(oversize_text(raw_len))
    try:
        tx.sanitize()
    except SanitizeError:
        raise InvalidTransactionError(
            "invalid transaction: Transaction failed to sanitize accounts offsets correctly") from None


@dataclass(frozen=True, slots=True)
class TokenBalance:
    """One entry of a transaction's pre/post token balances."""

    account_index: int
    mint: Pubkey
    owner: Pubkey
    program_id: Pubkey
    amount: int
    decimals: int

    def to_json(self) -> dict[str, Any]:
        """Return the RPC ``preTokenBalances``/``postTokenBalances`` entry."""
        return {"accountIndex": self.account_index, "mint": str(self.mint), "owner": str(self.owner),
                "programId": str(self.program_id),
                "uiTokenAmount": ui_token_amount(self.amount, self.decimals, zero_is_null=True)}


@dataclass(frozen=True, slots=True)
class TxRecord:
    """A transaction that executed (succeeded, or failed and paid its fee), with its status meta."""

    tx: VersionedTransaction
    slot: int
    block_height: int
    block_time: int
    err: TransactionErrorType | None
    err_json: Any
    fee: int
    account_keys: tuple[Pubkey, ...]
    loaded_writable: tuple[Pubkey, ...]
    loaded_readonly: tuple[Pubkey, ...]
    pre_balances: tuple[int, ...]
    post_balances: tuple[int, ...]
    pre_token_balances: tuple[TokenBalance, ...]
    post_token_balances: tuple[TokenBalance, ...]
    logs: tuple[str, ...]
    compute_units: int
    inner_instructions: tuple[tuple[InnerInstruction, ...], ...]
    return_data: tuple[Pubkey, bytes] | None

    @property
    def signature(self) -> Signature:
        """The transaction id (first signature)."""
        return self.tx.signatures[0]

    def meta_json(self, *, parsed: bool = False) -> dict[str, Any]:
        """Return the ``getTransaction`` meta object (``parsed``: inner instructions partially decoded)."""
        inner = inner_instructions_json(self.inner_instructions, self.account_keys, parsed=parsed)
        meta: dict[str, Any] = {
            "err": self.err_json, "status": {"Ok": None} if self.err is None else {"Err": self.err_json},
            "fee": self.fee, "preBalances": list(self.pre_balances), "postBalances": list(self.post_balances),
            "innerInstructions": inner, "logMessages": list(self.logs),
            "preTokenBalances": [b.to_json() for b in self.pre_token_balances],
            "postTokenBalances": [b.to_json() for b in self.post_token_balances], "rewards": [],
            "loadedAddresses": {"writable": [str(k) for k in self.loaded_writable],
                                "readonly": [str(k) for k in self.loaded_readonly]},
            "computeUnitsConsumed": self.compute_units,
        }
        if self.return_data is not None:
            meta["returnData"] = {"programId": str(self.return_data[0]),
                                  "data": [base64.b64encode(self.return_data[1]).decode(), "base64"]}
        return meta


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """What a simulation (or a preflight check) found; nothing was changed."""

    err: TransactionErrorType | None
    logs: tuple[str, ...] = ()
    units_consumed: int = 0
    inner_instructions: tuple[tuple[InnerInstruction, ...], ...] = ()
    post_accounts: dict[Pubkey, Account] | None = None
    fee: int = 0


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of a send.

    Attributes:
        signature: The transaction id.
        err: None if the transaction landed successfully, else why it failed or was refused.
        record: The history entry if the transaction executed (fee charged), else None (dropped).
        preflight: Set when a preflight check refused the transaction (nothing executed).
    """

    signature: Signature
    err: TransactionErrorType | None
    record: TxRecord | None
    preflight: SimulationResult | None = None




def inner_instructions_json(groups: Sequence[Sequence[InnerInstruction]], keys: Sequence[Pubkey], *,
                            parsed: bool) -> list[dict[str, Any]]:
    """Render inner instructions (``parsed``: with program ids and account keys instead of indexes)."""
    out: list[dict[str, Any]] = []
    for index, group in enumerate(groups):
        if group:
            out.append({"index": index, "instructions": [
                _instruction_json(ix.instruction(), keys, ix.stack_height(), parsed=parsed) for ix in group]})
    return out


def _instruction_json(ix: CompiledInstruction, keys: Sequence[Pubkey], stack_height: int | None, *,
                      parsed: bool) -> dict[str, Any]:
    if parsed:
        return {"programId": str(keys[ix.program_id_index]), "accounts": [str(keys[i]) for i in ix.accounts],
                "data": b58encode(ix.data), "stackHeight": stack_height}
    return {"programIdIndex": ix.program_id_index, "accounts": list(ix.accounts), "data": b58encode(ix.data),
            "stackHeight": stack_height}


def transaction_json(record: TxRecord, encoding: str) -> Any:
    """Render a recorded transaction in a ``getTransaction`` encoding (json, jsonParsed, base64, base58)."""
    tx = record.tx
    if encoding == "base64":
        return [base64.b64encode(bytes(tx)).decode(), "base64"]
    if encoding == "base58":
        return [b58encode(bytes(tx)), "base58"]
    msg = tx.message
    parsed = encoding == "jsonParsed"
    header = msg.header
    message: dict[str, Any] = {
        "recentBlockhash": str(msg.recent_blockhash),
        "instructions": [_instruction_json(ix, record.account_keys, None, parsed=parsed) for ix in msg.instructions],
    }
    static = msg.account_keys
    if parsed:
        signers, n = header.num_required_signatures, len(static)
        message["accountKeys"] = [
            {"pubkey": str(key), "signer": i < signers, "source": "transaction",
             "writable": i < signers - header.num_readonly_signed_accounts if i < signers
             else i < n - header.num_readonly_unsigned_accounts} for i, key in enumerate(static)
        ] + [{"pubkey": str(k), "signer": False, "source": "lookupTable", "writable": True}
             for k in record.loaded_writable
        ] + [{"pubkey": str(k), "signer": False, "source": "lookupTable", "writable": False}
             for k in record.loaded_readonly]
    else:
        message["header"] = {"numRequiredSignatures": header.num_required_signatures,
                             "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
                             "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts}
        message["accountKeys"] = [str(k) for k in static]
    if isinstance(msg, MessageV0):
        message["addressTableLookups"] = [
            {"accountKey": str(lookup.account_key), "writableIndexes": list(lookup.writable_indexes),
             "readonlyIndexes": list(lookup.readonly_indexes)} for lookup in msg.address_table_lookups]
    return {"signatures": [str(s) for s in tx.signatures], "message": message}
