"""Benchmark against simnet: balances of 1,000 wallets, consolidation of 100 wallets, signing throughput.

Run by hand: ``python tests/bench/bench_chain.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from desk.chain.builders import FeePolicy, SolTransfer, pack_sol_transfers
from desk.chain.policy import Intent
from desk.chain.rpc import RpcClient
from desk.chain.signer import sign
from desk.core.wallets import MemberRole
from desk.engine.balances import refresh_balances
from desk.engine.consolidation import plan_consolidation, run_consolidation
from desk.engine.txrun import RunContext
from desk.engine.wallets import create_wallets
from desk.simnet import RpcServer, SimChain
from desk.vault.keyfile import KdfParams
from desk.vault.lifecycle import create_vault

SOL = 1_000_000_000


async def main() -> None:
    server = RpcServer(SimChain()).start()
    chain = server.chain
    rpc = RpcClient(server.url)
    with tempfile.TemporaryDirectory() as tmp:
        vault = await create_vault(Path(tmp), "bench password", KdfParams(8 * 1024, 1, 1))
        wallets = await create_wallets(vault, 1000, label="w")
        for w in wallets:
            chain.airdrop(Pubkey.from_string(w.pubkey), SOL)

        before = rpc.requests_made
        t0 = time.perf_counter()
        sheet = await refresh_balances(vault, rpc, "simnet", wallets)
        elapsed = time.perf_counter() - t0
        print(f"SOL balances of {len(wallets)} wallets: {rpc.requests_made - before} requests, {elapsed:.3f} s "
              f"(total {sheet.total_sol(wallets) / SOL:.0f} SOL)")

        receiver = (await create_wallets(vault, 1, label="receiver"))[0]
        chain.airdrop(Pubkey.from_string(receiver.pubkey), SOL)
        group = await vault.groups.create("bench")
        await vault.groups.add_members(group.id, [w.id for w in wallets[:100]], MemberRole.SOURCE)
        await vault.groups.add_members(group.id, [receiver.id], MemberRole.RECEIVER)
        group = await vault.groups.find(group.id)
        ctx = RunContext(vault, rpc, "simnet", "consolidate", group.id)
        t0 = time.perf_counter()
        plan = await plan_consolidation(ctx, group, include_tokens=False)
        t1 = time.perf_counter()
        result = await run_consolidation(ctx, plan)
        t2 = time.perf_counter()
        print(f"consolidation of 100 wallets: {len(plan.transactions)} transactions, plan {t1 - t0:.3f} s, "
              f"send+confirm {t2 - t1:.3f} s, fees {plan.fees} lamports, all confirmed: {result.ok}")
        naive_fee = 100 * 5000
        print(f"  naive one-transaction-per-wallet (each source pays its own fee): 100 transactions, "
              f"fees {naive_fee} lamports")
        print(f"  receiver-pays packing: {100 / len(plan.transactions):.1f}x fewer transactions, "
              f"+{plan.fees - naive_fee} lamports (the receiver's signature on each transaction)")

        keypairs = [Keypair() for _ in range(900)]
        payer = keypairs[0]
        moves = [SolTransfer(str(k.pubkey()), str(payer.pubkey()), 1) for k in keypairs[1:]]
        txs = pack_sol_transfers(str(payer.pubkey()), moves, FeePolicy(1000))
        by_key = {str(k.pubkey()): k for k in keypairs}
        intent = Intent(frozenset(by_key), frozenset({str(payer.pubkey())}))
        t0 = time.perf_counter()
        signatures = 0
        for tx in txs:
            signed = sign(tx.message(Hash.default()), {s: by_key[s] for s in tx.signers}, intent)
            signatures += len(signed.signatures)
        elapsed = time.perf_counter() - t0
        print(f"signing (policy check + sign): {len(txs)} transactions / {signatures} signatures in {elapsed:.3f} s "
              f"= {signatures / elapsed:,.0f} signatures/s, {len(txs) / elapsed:,.0f} transactions/s")
        await vault.lock()
    await rpc.aclose()
    server.stop()


if __name__ == "__main__":
    asyncio.run(main())
