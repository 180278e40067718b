"""Run planned transactions: sign under the policy, record, send, confirm, and settle each one.

Every transaction is recorded as sent before it leaves the desk. A later run first resolves what an
earlier, interrupted run left in flight, so nothing is planned twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from solders.hash import Hash
from solders.transaction import VersionedTransaction

from desk.chain.builders import PlannedTx, SolTransfer, TokenSweepItem
from desk.chain.policy import Intent
from desk.chain.rpc import RpcClient
from desk.chain.sender import Outcome, Sender
from desk.chain.signer import sign
from desk.core.wallets import Wallet
from desk.engine.keys import keypairs_for
from desk.vault.repos.chain_txs import SentTx
from desk.vault.session import Vault

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TxProgress:
    """One transaction's progress, for a progress bar or a log line.

    Attributes:
        index: Position in the plan (0-based).
        total: Number of transactions in the plan.
        signature: Its signature.
        state: sent, confirmed, failed, expired or unknown.
        reason: Plain words for a failure.
    """

    index: int
    total: int
    signature: str
    state: str
    reason: str = ""


ProgressFn = Callable[[TxProgress], None]


@dataclass(frozen=True, slots=True)
class RunContext:
    """Where and why transactions are sent.

    Attributes:
        vault: The unlocked vault (keys, records).
        rpc: The chain.
        network: Network name recorded with every transaction.
        purpose: consolidate, distribute, ...
        ref: The group or order the run belongs to.
    """

    vault: Vault
    rpc: RpcClient
    network: str
    purpose: str
    ref: str

    def sender(self) -> Sender:
        return Sender(self.rpc)


async def resolve_pending(ctx: RunContext) -> int:
    """Wait for transactions an earlier run left in flight to land or expire; return how many there were."""
    pending = await ctx.vault.chain_txs.pending(ctx.network, ctx.purpose, ctx.ref)
    if not pending:
        return 0
    log.info("resolving %d transaction(s) left in flight by an earlier run", len(pending))
    outcomes: dict[str, Outcome] = {}
    raws: dict[str, tuple[bytes | None, int]] = {t.signature: (None, t.last_valid_block_height) for t in pending}
    await ctx.sender().wait(raws, outcomes, lambda o: outcomes.__setitem__(o.signature, o))
    for outcome in outcomes.values():
        if outcome.state != "unknown":
            await ctx.vault.chain_txs.settle(outcome.signature, outcome.state, outcome.reason or None)
    return len(pending)


async def execute(ctx: RunContext, planned: Sequence[PlannedTx], wallets: Sequence[Wallet], intent: Intent,
                  on_progress: ProgressFn | None = None, *, index_offset: int = 0,
                  total: int | None = None) -> list[Outcome]:
    """Sign, record and send ``planned`` concurrently; return each outcome in plan order.

    ``index_offset`` and ``total`` place these transactions inside a larger run for progress reports.

    Raises:
        PolicyViolationError: a transaction does not match ``intent`` (nothing of the plan is sent).
    """
    if not planned:
        return []
    by_key = {w.pubkey: w for w in wallets}
    signer_wallets = [by_key[k] for k in dict.fromkeys(s for tx in planned for s in tx.signers)]
    blockhash, last_valid = await ctx.rpc.get_latest_blockhash()
    signed: list[VersionedTransaction] = []
    async with keypairs_for(ctx.vault, signer_wallets) as keypairs:
        for tx in planned:
            signed.append(sign(tx.message(Hash.from_string(blockhash)), keypairs, intent))
    signatures = [str(tx.signatures[0]) for tx in signed]
    await ctx.vault.chain_txs.record_sent([
        SentTx(sig, ctx.network, ctx.purpose, ctx.ref, tuple(_source(m) for m in tx.moves), last_valid,
               fee_lamports=tx.fee_lamports)
        for sig, tx in zip(signatures, planned, strict=True)])
    index_of = {sig: index_offset + i for i, sig in enumerate(signatures)}
    count = total if total is not None else len(signed)
    if on_progress:
        for sig, i in index_of.items():
            on_progress(TxProgress(i, count, sig, "sent"))
    settled: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        settled.append(outcome)
        if on_progress:
            on_progress(TxProgress(index_of[outcome.signature], count, outcome.signature, outcome.state,
                                   outcome.reason if outcome.state != "confirmed" else ""))

    try:
        outcomes = await ctx.sender().send_all([(tx, last_valid) for tx in signed], report)
    finally:
        for outcome in settled:
            if outcome.state != "unknown":
                await ctx.vault.chain_txs.settle(outcome.signature, outcome.state,
                                                 outcome.reason if outcome.state != "confirmed" else None)
    return outcomes


def _source(move: SolTransfer | TokenSweepItem) -> str:
    return move.source if isinstance(move, SolTransfer) else move.owner
