"""Journal fills from chain truth: a confirmed transaction's meta, read for one wallet and one token.

What the wallet paid or received is taken from balance changes, not from what a venue said it would
do. Fees are split out (base fee, priority fee, tips to known tip accounts), and the rent of a token
account the trade opened or closed is kept out of the trade's SOL, so P&L is not distorted by a
deposit the wallet gets back when the account closes.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from typing import Any

from solders.transaction import VersionedTransaction

from desk.chain.policy import SYSTEM_PROGRAM
from desk.chain.rpctypes import RpcProtocolError
from desk.core.market import Side
from desk.core.positions import TradeFill

BASE_FEE_PER_SIGNATURE = 5000
# Jito's published tip accounts (mainnet block engine).
JITO_TIP_ACCOUNTS = frozenset({
    "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5", "HFqU5x63VTqvQss8hp11i4wVV8bD44PvwucfZ2bU7gRe",
    "Cw8CFyM9FkoMi7K7Crf6HNQqf4uEMzpKw6QNghXLvLkY", "ADaUMid9yfUytqMBgopwjb2DTLSokTSzL1zt6iGPaS49",
    "DfXygSm4jCyNCybVYYK6DwvWqjKee8pbDmJGcLWNDXjh", "ADuUkR4vqLUMWXxW9gh6D6L8pMSawimctcNZ5pGwDcEt",
    "DttWaMuVvTiduZRnguLF7jNxTgiMBZ1hyAumKUiL2KRL", "3AVi9Tg9Uo68tJfuvoKvqKNWKkC5wPdSSdeBnizKZ6jT",
})


@dataclass(frozen=True, slots=True)
class ChainTx:
    """The parts of a confirmed transaction the journal reads.

    Attributes:
        signature: First signature.
        slot: Slot it landed in.
        block_time_ms: Block time in ms (0 when the node did not say).
        account_keys: Static keys then loaded writable then loaded readonly.
        signatures: Number of signatures.
        fee: Total fee charged to the fee payer.
        err: Transaction error, None on success.
        pre_balances: Lamports per account before.
        post_balances: Lamports per account after.
        pre_tokens: (account index, mint, owner) → amount before.
        post_tokens: (account index, mint, owner) → amount after.
        transfers: Top-level System transfers as (from, to, lamports).
    """

    signature: str
    slot: int
    block_time_ms: int
    account_keys: tuple[str, ...]
    signatures: int
    fee: int
    err: Any
    pre_balances: tuple[int, ...]
    post_balances: tuple[int, ...]
    pre_tokens: dict[tuple[int, str, str], int]
    post_tokens: dict[tuple[int, str, str], int]
    transfers: tuple[tuple[str, str, int], ...]


def parse_transaction(result: dict[str, Any]) -> ChainTx:
    """Parse a ``getTransaction`` result fetched with ``encoding: base64``.

    Raises:
        RpcProtocolError: the result is not the promised shape.
    """
    try:
        meta = result["meta"]
        raw = result["transaction"]
        if not (isinstance(raw, list) and raw[1] == "base64"):
            raise RpcProtocolError("The node sent a transaction in an unexpected encoding.")
        tx = VersionedTransaction.from_bytes(base64.b64decode(raw[0], validate=True))
        loaded = meta.get("loadedAddresses") or {}
        keys = (*(str(k) for k in tx.message.account_keys), *loaded.get("writable", []), *loaded.get("readonly", []))
        transfers = []
        for ix in tx.message.instructions:
            data = bytes(ix.data)
            if keys[ix.program_id_index] == SYSTEM_PROGRAM and len(data) >= 12 and data[:4] == b"\x02\x00\x00\x00":
                (lamports,) = struct.unpack_from("<Q", data, 4)
                transfers.append((keys[ix.accounts[0]], keys[ix.accounts[1]], lamports))
        return ChainTx(
            signature=str(tx.signatures[0]), slot=int(result.get("slot") or 0),
            block_time_ms=int(result.get("blockTime") or 0) * 1000, account_keys=tuple(keys),
            signatures=len(tx.signatures), fee=int(meta["fee"]), err=meta.get("err"),
            pre_balances=tuple(int(b) for b in meta["preBalances"]),
            post_balances=tuple(int(b) for b in meta["postBalances"]),
            pre_tokens=_token_map(meta.get("preTokenBalances") or []),
            post_tokens=_token_map(meta.get("postTokenBalances") or []),
            transfers=tuple(transfers),
        )
    except RpcProtocolError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, binascii.Error) as e:
        raise RpcProtocolError("The node sent a transaction the journal cannot read.") from e


def _token_map(entries: list[dict[str, Any]]) -> dict[tuple[int, str, str], int]:
    return {(int(e["accountIndex"]), str(e["mint"]), str(e.get("owner", ""))): int(e["uiTokenAmount"]["amount"])
            for e in entries}


def fill_for(tx: ChainTx, *, wallet: str, wallet_id: str, mint: str, network: str, leg_index: int = 0
             ) -> TradeFill | None:
    """Return the wallet's fill in ``mint`` from this transaction, or None if its token balance did not move."""
    if tx.err is not None or wallet not in tx.account_keys:
        return None
    index = tx.account_keys.index(wallet)
    owned = {k for k in (*tx.pre_tokens, *tx.post_tokens) if k[1] == mint and k[2] == wallet}
    delta = sum(tx.post_tokens.get(k, 0) - tx.pre_tokens.get(k, 0) for k in owned)
    if delta == 0:
        return None
    opened = {k[0] for k in owned if k not in tx.pre_tokens}
    closed = {k[0] for k in owned if k not in tx.post_tokens}
    rent_paid = sum(tx.post_balances[i] for i in opened)
    rent_back = sum(tx.pre_balances[i] for i in closed if tx.post_balances[i] == 0)
    network_fee = priority_fee = 0
    if index == 0:
        network_fee = min(tx.fee, BASE_FEE_PER_SIGNATURE * tx.signatures)
        priority_fee = tx.fee - network_fee
    tip = sum(lamports for src, dst, lamports in tx.transfers if src == wallet and dst in JITO_TIP_ACCOUNTS)
    change = tx.post_balances[index] - tx.pre_balances[index]
    fees = network_fee + priority_fee + tip
    side = Side.BUY if delta > 0 else Side.SELL
    trade_flow = change + fees + rent_paid - rent_back  # the wallet's SOL change from the trade alone
    sol = -trade_flow if side is Side.BUY else trade_flow
    return TradeFill(network, tx.signature, leg_index, wallet_id, mint, side, abs(delta), max(sol, 0),
                     network_fee=network_fee, priority_fee=priority_fee, tip=tip, ts_ms=tx.block_time_ms)
