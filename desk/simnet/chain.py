"""The simulated chain: solders' LiteSVM made to behave like a cluster where LiteSVM does not.

LiteSVM accepts only its single latest blockhash, does not enforce the 1232-byte packet limit and, with
its blockhash check off, does not even refuse a resent transaction. ``SimChain`` runs LiteSVM with
blockhash checking and signature verification off and does both itself, with a window of the 150 most
recent blockhashes (valid while the block height is at most ``lastValidBlockHeight``), its own
AlreadyProcessed check, a slot per executed transaction, a block (new blockhash) every
``txs_per_block`` transactions, every ``block_time`` seconds or on ``advance()``, a faucet, and a
transaction history that keeps what ``getTransaction`` needs (balances, token balances, logs).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from solders.account import Account
from solders.hash import Hash
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message, MessageV0, MessageV1
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata
from solders.transaction_status import TransactionErrorFieldless, TransactionErrorType

from desk.simnet.records import (
    SendResult,
    SimnetError,
    SimulationResult,
    TokenBalance,
    TxRecord,
    check_transaction,
    err_to_json,
    loaded_addresses,
    message_fee,
)
from desk.simnet.tokens import TOKEN_PROGRAMS, parse_mint, parse_token_account

MAX_PROCESSING_AGE = 150
_ADDRESS_HISTORY = 1000


class SimChain:
    """A thread-safe LiteSVM with cluster-like blockhashes, slots, limits, history and a faucet.

    Args:
        txs_per_block: Executed transactions per block; each block brings a new blockhash.
        block_time: If set, also produce a block every ``block_time`` seconds (lazily, on the next call).
        finality_blocks: Blocks after which a landed transaction reports "finalized" instead of "confirmed".
        history_limit: Executed transactions remembered (statuses, getTransaction, duplicate check).
        faucet_lamports: Starting balance of the faucet that ``airdrop`` pays from.
    """

    def __init__(self, *, txs_per_block: int = 32, block_time: float | None = None, finality_blocks: int = 0,
                 history_limit: int = 50_000, faucet_lamports: int = 10**17) -> None:
        if txs_per_block < 1 or history_limit < txs_per_block * (MAX_PROCESSING_AGE + 1):
            raise ValueError("history_limit must cover a full blockhash window of transactions")
        self._lock = threading.RLock()
        # LiteSVM's own history only feeds its duplicate check, which is off along with the blockhash check.
        self._svm = LiteSVM().with_blockhash_check(False).with_sigverify(False).with_transaction_history(0)
        self._txs_per_block = txs_per_block
        self._block_time = block_time
        self._finality_blocks = finality_blocks
        self._history_limit = history_limit
        self._history: dict[Signature, TxRecord] = {}
        self._by_address: dict[Pubkey, deque[Signature]] = {}
        self._token_owner: dict[Pubkey, Pubkey] = {}
        self._owner_tokens: dict[Pubkey, set[Pubkey]] = {}
        self._index_dirty = False
        self._slot = self._svm.get_clock().slot
        self._block_height = self._slot - 20_000_000  # a cluster's block height trails its slot
        self._txs_in_block = 0
        self._last_block_at = time.monotonic()
        self._window: dict[Hash, int] = {}
        self._faucet = Keypair()
        self._faucet_key = self._faucet.pubkey()  # Keypair.pubkey() is recomputed (~17 µs) on every call
        self._svm.set_account(self._faucet_key, Account(faucet_lamports, b"", SYSTEM_PROGRAM_ID))
        self._new_block()

    # --- clock and blockhashes ------------------------------------------------------------------------

    @property
    def slot(self) -> int:
        """The current slot."""
        with self._lock:
            self._tick()
            return self._slot

    @property
    def block_height(self) -> int:
        """The current block height (trails the slot, as on a cluster)."""
        with self._lock:
            self._tick()
            return self._block_height

    @property
    def faucet(self) -> Pubkey:
        """The account ``airdrop`` pays from."""
        return self._faucet_key

    def latest_blockhash(self) -> tuple[Hash, int]:
        """Return the newest blockhash and its ``lastValidBlockHeight`` (block height + 150)."""
        with self._lock:
            self._tick()
            return self._svm.latest_blockhash(), self._block_height + MAX_PROCESSING_AGE

    def is_blockhash_valid(self, blockhash: Hash) -> bool:
        """Tell whether a transaction built on ``blockhash`` would be accepted now."""
        with self._lock:
            self._tick()
            return self._blockhash_ok(blockhash)

    def advance(self, blocks: int = 1) -> None:
        """Produce ``blocks`` new blocks (new blockhashes; older ones age by as many blocks)."""
        with self._lock:
            self._advance(blocks)

    def expire_all_blockhashes(self) -> None:
        """Age every existing blockhash past its last valid block height (for expiry tests)."""
        with self._lock:
            self._block_height += MAX_PROCESSING_AGE
            self._new_block()

    def _blockhash_ok(self, blockhash: Hash) -> bool:
        height = self._window.get(blockhash)
        return height is not None and self._block_height <= height + MAX_PROCESSING_AGE

    def _tick(self) -> None:
        if self._block_time:
            blocks = int((time.monotonic() - self._last_block_at) / self._block_time)
            if blocks > 0:
                self._advance(blocks)
                self._last_block_at += blocks * self._block_time

    def _advance(self, blocks: int) -> None:
        if blocks > MAX_PROCESSING_AGE + 1:
            self._block_height += blocks - MAX_PROCESSING_AGE - 1
            self._slot += blocks - MAX_PROCESSING_AGE - 1
            blocks = MAX_PROCESSING_AGE + 1
        for _ in range(blocks):
            self._new_block()

    def _new_block(self) -> None:
        self._svm.expire_blockhash()
        self._block_height += 1
        self._txs_in_block = 0
        self._window[self._svm.latest_blockhash()] = self._block_height
        for old in [h for h, height in self._window.items() if height + MAX_PROCESSING_AGE < self._block_height]:
            del self._window[old]
        self._set_slot(self._slot + 1)

    def _set_slot(self, slot: int) -> None:
        self._slot = slot
        clock = self._svm.get_clock()
        clock.slot = slot
        clock.unix_timestamp = int(time.time())
        self._svm.set_clock(clock)

    # --- accounts -------------------------------------------------------------------------------------

    @contextmanager
    def svm(self) -> Iterator[LiteSVM]:
        """Hold the chain lock and yield the raw LiteSVM (e.g. to ``set_account`` or load a program)."""
        with self._lock:
            self._index_dirty = True
            yield self._svm

    def get_balance(self, pubkey: Pubkey) -> int:
        """Return the lamports of ``pubkey`` (0 for a missing account)."""
        with self._lock:
            return self._svm.get_balance(pubkey) or 0

    def get_account(self, pubkey: Pubkey) -> Account | None:
        """Return the account at ``pubkey``, or None."""
        with self._lock:
            return self._svm.get_account(pubkey)

    def get_accounts(self, pubkeys: Sequence[Pubkey]) -> list[Account | None]:
        """Return the accounts at ``pubkeys`` read atomically."""
        with self._lock:
            return [self._svm.get_account(k) for k in pubkeys]

    def minimum_balance_for_rent_exemption(self, data_len: int) -> int:
        """Return the rent-exempt minimum for an account of ``data_len`` bytes."""
        with self._lock:
            return self._svm.minimum_balance_for_rent_exemption(data_len)

    def token_accounts_by_owner(self, owner: Pubkey, *, mint: Pubkey | None = None,
                                program_id: Pubkey | None = None) -> list[tuple[Pubkey, Account]]:
        """Return ``owner``'s token accounts, optionally only of ``mint`` or only of ``program_id``."""
        with self._lock:
            if self._index_dirty:
                self._reindex()
            found = []
            for key in sorted(self._owner_tokens.get(owner, ()), key=bytes):
                account = self._svm.get_account(key)
                state = parse_token_account(account.owner, bytes(account.data)) if account else None
                if account is None or state is None or state.owner != owner:
                    continue
                if (mint is None or state.mint == mint) and (program_id is None or account.owner == program_id):
                    found.append((key, account))
            return found

    def token_accounts_by_mint(self, mint: Pubkey) -> list[tuple[Pubkey, Account]]:
        """Return every token account of ``mint`` (a full scan of its token program)."""
        with self._lock:
            program = self._svm.get_account(mint)
            if program is None or program.owner not in TOKEN_PROGRAMS:
                return []
            return [(key, acct) for key, acct in self._svm.get_program_accounts(program.owner)
                    if (state := parse_token_account(acct.owner, bytes(acct.data))) and state.mint == mint]

    def _reindex(self) -> None:
        self._token_owner.clear()
        self._owner_tokens.clear()
        for program in TOKEN_PROGRAMS:
            for key, account in self._svm.get_program_accounts(program):
                state = parse_token_account(program, bytes(account.data))
                if state is not None:
                    self._index_token(key, state.owner)
        self._index_dirty = False

    def _index_token(self, key: Pubkey, owner: Pubkey | None) -> None:
        previous = self._token_owner.pop(key, None)
        if previous is not None:
            self._owner_tokens[previous].discard(key)
        if owner is not None:
            self._token_owner[key] = owner
            self._owner_tokens.setdefault(owner, set()).add(key)

    # --- transactions ---------------------------------------------------------------------------------

    def fee_for_message(self, message: Message | MessageV0 | MessageV1) -> int:
        """Return the fee in lamports the chain would charge for ``message`` (see ``records.message_fee``)."""
        return message_fee(message)

    def verify_signatures(self, tx: VersionedTransaction) -> bool:
        """Tell whether every required signature of ``tx`` is present and valid."""
        header = tx.message.header
        return len(tx.signatures) == header.num_required_signatures and all(tx.verify_with_results())

    def send_transaction(self, tx: VersionedTransaction, *, preflight: bool = False) -> SendResult:
        """Execute ``tx`` as a cluster would, recording it if it executed.

        Args:
            tx: A signed transaction.
            preflight: First verify signatures and simulate; refuse (``SendResult.preflight``) on failure.

        Returns:
            The outcome. ``record`` is None when the transaction never executed (bad signature, unknown
            or expired blockhash, already processed, unfunded fee payer): it simply does not land.

        Raises:
            InvalidTransactionError: Larger than 1232 bytes, or failing sanitization.
        """
        check_transaction(tx)
        with self._lock:
            self._tick()
            if preflight:
                check = self._simulate(tx, sig_verify=True, replace_blockhash=False)
                if check.err is not None:
                    return SendResult(tx.signatures[0], check.err, None, check)
            return self._send(tx)

    def simulate_transaction(self, tx: VersionedTransaction, *, sig_verify: bool = False,
                             replace_blockhash: bool = False) -> SimulationResult:
        """Simulate ``tx`` against the current state without changing anything.

        Args:
            tx: The transaction (need not be signed unless ``sig_verify``).
            sig_verify: Fail with SignatureFailure on a missing or invalid signature.
            replace_blockhash: Ignore the transaction's blockhash (as if it used the latest).

        Raises:
            InvalidTransactionError: Larger than 1232 bytes, or failing sanitization.
        """
        check_transaction(tx)
        with self._lock:
            self._tick()
            return self._simulate(tx, sig_verify=sig_verify, replace_blockhash=replace_blockhash)

    def _refusal(self, tx: VersionedTransaction, *, sig_verify: bool, check_blockhash: bool
                 ) -> TransactionErrorType | None:
        if sig_verify and not self.verify_signatures(tx):
            return TransactionErrorFieldless.SignatureFailure
        if check_blockhash and tx.signatures and tx.signatures[0] in self._history:
            return TransactionErrorFieldless.AlreadyProcessed
        if check_blockhash and not self._blockhash_ok(tx.message.recent_blockhash):
            return TransactionErrorFieldless.BlockhashNotFound
        return None

    def _simulate(self, tx: VersionedTransaction, *, sig_verify: bool, replace_blockhash: bool) -> SimulationResult:
        refusal = self._refusal(tx, sig_verify=sig_verify, check_blockhash=not replace_blockhash)
        if refusal is not None:
            return SimulationResult(refusal)
        result = self._svm.simulate_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            meta = result.meta()
            return SimulationResult(result.err(), tuple(meta.logs()), meta.compute_units_consumed(),
                                    tuple(tuple(g) for g in meta.inner_instructions()), None, meta.fee())
        meta = result.meta()
        return SimulationResult(None, tuple(meta.logs()), meta.compute_units_consumed(),
                                tuple(tuple(g) for g in meta.inner_instructions()),
                                dict(result.post_accounts()), meta.fee())

    def _send(self, tx: VersionedTransaction) -> SendResult:
        signature = tx.signatures[0]
        refusal = self._refusal(tx, sig_verify=True, check_blockhash=True)
        if refusal is not None:
            return SendResult(signature, refusal, None)
        static = tuple(tx.message.account_keys)
        writable, readonly = loaded_addresses(tx.message, self._svm.get_account)
        keys = static + writable + readonly
        programs = {static[ix.program_id_index] for ix in tx.message.instructions}
        pre, pre_tokens = self._snapshot(keys, programs, reindex=False)
        self._set_slot(self._slot + 1)
        result = self._svm.send_transaction(tx)
        post, post_tokens = self._snapshot(keys, programs, reindex=True)
        meta = result.meta() if isinstance(result, FailedTransactionMetadata) else result
        err = result.err() if isinstance(result, FailedTransactionMetadata) else None
        if err is not None and post[0] == pre[0]:
            return SendResult(signature, err, None)  # the fee payer was not charged: it never executed
        ret = meta.return_data()
        record = TxRecord(
            tx=tx, slot=self._slot, block_height=self._block_height, block_time=int(time.time()), err=err,
            err_json=err_to_json(err), fee=meta.fee(), account_keys=keys, loaded_writable=writable,
            loaded_readonly=readonly, pre_balances=pre, post_balances=post, pre_token_balances=pre_tokens,
            post_token_balances=post_tokens, logs=tuple(meta.logs()), compute_units=meta.compute_units_consumed(),
            inner_instructions=tuple(tuple(g) for g in meta.inner_instructions()),
            return_data=(ret.program_id, bytes(ret.data)) if ret is not None and ret.data else None)
        self._remember(record)
        self._txs_in_block += 1
        if self._txs_in_block >= self._txs_per_block:
            self._new_block()
        return SendResult(signature, err, record)

    def _snapshot(self, keys: tuple[Pubkey, ...], programs: set[Pubkey], *, reindex: bool
                  ) -> tuple[tuple[int, ...], tuple[TokenBalance, ...]]:
        balances: list[int] = []
        tokens: list[TokenBalance] = []
        decimals: dict[Pubkey, int] = {}
        for index, key in enumerate(keys):
            if key in programs:  # program accounts can be large ELFs: read only the lamports
                balances.append(self._svm.get_balance(key) or 0)
                continue
            account = self._svm.get_account(key)
            balances.append(account.lamports if account else 0)
            state = parse_token_account(account.owner, bytes(account.data)) if account else None
            if reindex and (state is not None or key in self._token_owner):
                self._index_token(key, state.owner if state else None)
            if account is None or state is None:
                continue
            if state.mint not in decimals:
                mint_account = self._svm.get_account(state.mint)
                mint = parse_mint(mint_account.owner, bytes(mint_account.data)) if mint_account else None
                decimals[state.mint] = mint.decimals if mint else 0
            tokens.append(TokenBalance(index, state.mint, state.owner, account.owner, state.amount,
                                       decimals[state.mint]))
        return tuple(balances), tuple(tokens)

    # --- history --------------------------------------------------------------------------------------

    def _remember(self, record: TxRecord) -> None:
        self._history[record.signature] = record
        if len(self._history) > self._history_limit:
            del self._history[next(iter(self._history))]
        for key in set(record.account_keys):
            self._by_address.setdefault(key, deque(maxlen=_ADDRESS_HISTORY)).append(record.signature)

    def get_transaction(self, signature: Signature) -> TxRecord | None:
        """Return the history entry of ``signature`` (None if it never executed or was forgotten)."""
        with self._lock:
            return self._history.get(signature)

    def confirmation(self, record: TxRecord) -> tuple[str, int | None]:
        """Return ``(confirmationStatus, confirmations)`` of a landed transaction."""
        with self._lock:
            self._tick()
            depth = self._block_height - record.block_height
            return ("finalized", None) if depth >= self._finality_blocks else ("confirmed", depth)

    def signatures_for_address(self, address: Pubkey, *, limit: int = 1000, before: Signature | None = None,
                               until: Signature | None = None) -> list[TxRecord]:
        """Return the newest-first history of transactions that mention ``address`` (last 1000 kept)."""
        with self._lock:
            found: list[TxRecord] = []
            started = before is None
            for signature in reversed(self._by_address.get(address, ())):
                if signature == until or len(found) >= limit:
                    break
                if not started:
                    started = signature == before
                    continue
                record = self._history.get(signature)
                if record is not None:
                    found.append(record)
            return found

    def airdrop(self, pubkey: Pubkey, lamports: int) -> Signature:
        """Transfer ``lamports`` from the faucet to ``pubkey`` with a real System transfer.

        Raises:
            SimnetError: The transfer failed (e.g. below the rent-exempt minimum for a new account).
        """
        if not 0 < lamports < 2**64:
            raise SimnetError(f"airdrop amount was {lamports} lamports")
        with self._lock:
            self._tick()
            for _ in range(2):
                ix = transfer(TransferParams(from_pubkey=self.faucet, to_pubkey=pubkey, lamports=lamports))
                message = Message.new_with_blockhash([ix], self.faucet, self._svm.latest_blockhash())
                result = self._send(VersionedTransaction(message, [self._faucet]))
                if result.err == TransactionErrorFieldless.AlreadyProcessed:
                    self._new_block()  # the same airdrop twice in one block: the next block differs
                    continue
                if result.err is not None:
                    raise SimnetError(f"airdrop failed: {err_to_json(result.err)}")
                return result.signature
            raise SimnetError("airdrop failed: AlreadyProcessed")
