"""Balances: read SOL and token balances for many wallets in few requests and cache them in the vault."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desk.chain.rpc import RpcClient
from desk.core.clock import now_ms
from desk.core.wallets import Wallet
from desk.vault.repos.balances import SOL, CachedBalance
from desk.vault.session import Vault


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    """Cached balances of the current network, ready for display.

    Attributes:
        sol: Lamports per wallet id (missing = never read).
        tokens: Token balances per wallet id.
        updated_ms: When each wallet's SOL was read.
    """

    sol: dict[str, int]
    tokens: dict[str, list[CachedBalance]]
    updated_ms: dict[str, int]

    def total_sol(self, wallets: Sequence[Wallet]) -> int:
        """Lamports held by ``wallets`` (those never read count as 0)."""
        return sum(self.sol.get(w.id, 0) for w in wallets)

    def token_count(self, wallet_id: str) -> int:
        """How many different tokens a wallet holds a positive balance of."""
        return sum(1 for b in self.tokens.get(wallet_id, []) if b.amount > 0)


async def load_sheet(vault: Vault, network: str) -> BalanceSheet:
    """Return the cached balances without touching the network."""
    sol: dict[str, int] = {}
    tokens: dict[str, list[CachedBalance]] = {}
    updated: dict[str, int] = {}
    for row in await vault.balances.all(network):
        if row.mint == SOL:
            sol[row.wallet_id] = row.amount
            updated[row.wallet_id] = row.updated_ms
        else:
            tokens.setdefault(row.wallet_id, []).append(row)
    return BalanceSheet(sol, tokens, updated)


async def refresh_balances(vault: Vault, rpc: RpcClient, network: str, wallets: Sequence[Wallet], *,
                           tokens: bool = False) -> BalanceSheet:
    """Read balances of ``wallets`` from the chain (SOL: 100 per request), cache them, return the sheet."""
    stamp = now_ms()
    lamports = await rpc.get_sol_balances([w.pubkey for w in wallets])
    rows = [CachedBalance(w.id, SOL, lamports[w.pubkey], 9, None, stamp) for w in wallets]
    if tokens:
        for wallet in wallets:
            rows += [CachedBalance(wallet.id, t.mint, t.amount, t.decimals, t.program, stamp)
                     for t in await rpc.get_token_balances(wallet.pubkey)]
    await vault.balances.replace(network, [w.id for w in wallets], rows, tokens_included=tokens)
    return await load_sheet(vault, network)
