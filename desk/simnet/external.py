"""Curve trades for wallets whose keys simnet does not hold (PumpPortal trade-local).

The market builds the whole trade as one transaction (the same instructions a simulated trader's trade
has), with the trader as fee payer, and signs it with the curve vault: the trader adds only its own
signature, so the trade is atomic on chain. The fill is reserved on the curve when the transaction is
prepared, so later trades price after it. A random *reference* key (Solana Pay style: an extra read-only
account on the first transfer) lets ``poll`` find the transaction in the chain's history once it lands;
if it failed, or its blockhash expired before it landed, the reservation is released.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from desk.core.curve import CurveState, Fill
from desk.core.market import Side
from desk.simnet.chain import SimChain
from desk.simnet.events import CurveAccounts
from desk.simnet.settlement import Landed, buy_instructions, sell_instructions


@dataclass(frozen=True, slots=True)
class PreparedTrade:
    """A reserved curve trade waiting for its trader's signature.

    Attributes:
        transaction: The trade, fee payer ``trader``; the trader's signature slot is empty (default), the
            curve vault's is filled. Sign with ``desk.chain.signer.sign(..., existing=tx.signatures)``.
        trader: The wallet that trades.
        side: Buy or sell.
        fill: The reserved amounts (tokens, curve lamports, fees) and the curve after them.
        accounts: The curve's accounts.
        reference: The read-only key that marks the transaction.
        last_valid_block_height: After this block height the transaction can no longer land.
        destinations: Where the trader's SOL or tokens go (for a pre-sign policy allow-list).
    """

    transaction: VersionedTransaction
    trader: Pubkey
    side: Side
    fill: Fill
    accounts: CurveAccounts
    reference: Pubkey
    last_valid_block_height: int
    destinations: frozenset[Pubkey]


def unapply(state: CurveState, side: Side, fill: Fill) -> CurveState:
    """Return ``state`` without ``fill`` (the reverse of the trade that produced it)."""
    sign = 1 if side is Side.BUY else -1
    return replace(state, virtual_token=state.virtual_token + sign * fill.tokens,
                   virtual_sol=state.virtual_sol - sign * fill.sol, real_token=state.real_token + sign * fill.tokens,
                   real_sol=state.real_sol - sign * fill.sol, complete=False)


class ExternalOrders:
    """Reserved trades between ``prepare`` and their landing or expiry.

    Args:
        chain: The chain the transactions are sent to.
    """

    def __init__(self, chain: SimChain) -> None:
        self._chain = chain
        self._pending: dict[Pubkey, PreparedTrade] = {}

    def prepare(self, trader: Pubkey, accounts: CurveAccounts, vault: Keypair, side: Side, fill: Fill, *,
                priority_fee: int = 0, compute_unit_limit: int = 100_000,
                extra_instructions: Sequence[Instruction] = ()) -> PreparedTrade:
        """Build and vault-sign the trade transaction, and track it until it lands or expires.

        ``extra_instructions`` (e.g. a venue's fee transfer) run after the trade's own instructions.
        """
        reference = Keypair().pubkey()
        ixs = []
        if priority_fee > 0 and compute_unit_limit > 0:
            price = -(-priority_fee * 1_000_000 // compute_unit_limit)
            ixs += [set_compute_unit_limit(compute_unit_limit), set_compute_unit_price(price)]
        if side is Side.BUY:
            ixs += buy_instructions(trader, accounts, fill, reference=reference)
            destinations = frozenset({accounts.vault, accounts.fee_recipient, accounts.creator_vault})
        else:
            ixs += sell_instructions(trader, accounts, fill, reference=reference)
            destinations = frozenset({accounts.vault_tokens})
        ixs += extra_instructions
        blockhash, last_valid = self._chain.latest_blockhash()
        message = MessageV0.try_compile(trader, ixs, [], blockhash)
        payload = to_bytes_versioned(message)
        signers = message.account_keys[: message.header.num_required_signatures]
        signatures = [vault.sign_message(payload) if key == accounts.vault else Signature.default()
                      for key in signers]
        prepared = PreparedTrade(VersionedTransaction.populate(message, signatures), trader, side, fill, accounts,
                                 reference, last_valid, destinations)
        self._pending[reference] = prepared
        return prepared

    def pending_for(self, mint: Pubkey) -> bool:
        """Tell whether a reserved trade on ``mint`` is still open."""
        return any(p.accounts.mint == mint for p in self._pending.values())

    def pending_sell_tokens(self, mint: Pubkey) -> int:
        """Return the tokens of reserved sells on ``mint`` (counted on the curve, not yet in its account)."""
        return sum(p.fill.tokens for p in self._pending.values() if p.accounts.mint == mint and p.side is Side.SELL)

    def reserved_tokens(self, trader: Pubkey, mint: Pubkey) -> int:
        """Return the net tokens ``trader``'s reserved trades on ``mint`` will move to it (sells count negative)."""
        return sum(p.fill.tokens if p.side is Side.BUY else -p.fill.tokens for p in self._pending.values()
                   if p.trader == trader and p.accounts.mint == mint)

    def cancel(self, reference: Pubkey) -> PreparedTrade | None:
        """Stop tracking a trade that was never handed out; return it, or None if unknown or already on chain."""
        prepared = self._pending.get(reference)
        if prepared is None or self._chain.signatures_for_address(reference, limit=1):
            return None
        del self._pending[reference]
        return prepared

    def poll(self) -> list[tuple[PreparedTrade, Landed | None]]:
        """Return the trades that finished since the last poll: landed (``Landed``) or not (None)."""
        finished: list[tuple[PreparedTrade, Landed | None]] = []
        if not self._pending:
            return finished
        height = self._chain.block_height  # read first: a transaction can only land while not yet expired
        for reference, prepared in list(self._pending.items()):
            records = self._chain.signatures_for_address(reference, limit=1)
            if records:
                record = records[0]
                outcome = None if record.err is not None else Landed.of(record)
            elif height > prepared.last_valid_block_height:
                outcome = None
            else:
                continue
            del self._pending[reference]
            finished.append((prepared, outcome))
        return finished
