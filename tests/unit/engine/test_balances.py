"""A failing node leaves the cached balances exactly as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.chain.rpc import RpcClient
from desk.chain.rpctypes import RpcUnavailableError
from desk.engine.balances import load_sheet, refresh_balances
from desk.engine.wallets import create_wallets
from desk.vault.lifecycle import create_vault
from desk.vault.repos.balances import SOL, CachedBalance
from tests.factories import FAST_KDF, PASSWORD


async def test_unreachable_node_changes_no_cached_balance(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    wallets = await create_wallets(vault, 3, label="w")
    await vault.balances.replace("simnet", [w.id for w in wallets],
                                 [CachedBalance(w.id, SOL, 7, 9, None, 1) for w in wallets], tokens_included=False)
    before = await load_sheet(vault, "simnet")
    rpc = RpcClient("http://127.0.0.1:9", timeout=0.3, retries=1, backoff=0.01)
    with pytest.raises(RpcUnavailableError, match="could not serve getMultipleAccounts"):
        await refresh_balances(vault, rpc, "simnet", wallets, tokens=True)
    await rpc.aclose()
    assert await load_sheet(vault, "simnet") == before
    assert await vault.activity.verify_chain() is None
    await vault.lock()
