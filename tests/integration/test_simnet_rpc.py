"""The simnet JSON-RPC server driven by an unmodified solana-py AsyncClient and by raw httpx posts."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
import pytest
import spl.token.instructions as spl
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solana.rpc.models import TokenAccountOpts, TxOpts
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.rpc.errors import InvalidParamsMessage, SendTransactionPreflightFailureMessage
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from spl.token.models import CloseAccountParams, TransferCheckedParams

from desk.simnet import RpcServer, tokens
from desk.simnet.tokens import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID

SOL = 1_000_000_000


def pay(source: Pubkey, dest: Pubkey, lamports: int) -> Instruction:
    return transfer(TransferParams(from_pubkey=source, to_pubkey=dest, lamports=lamports))


def sign(payer: Keypair, ixs: list[Instruction], blockhash: Hash, signers: list[Keypair] | None = None
         ) -> VersionedTransaction:
    return VersionedTransaction(MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash), signers or [payer])


async def post(url: str, method: str, *params: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        reply = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        assert reply.status_code == 200
        result: dict[str, Any] = reply.json()
        return result


async def funded(client: AsyncClient, lamports: int = 10 * SOL) -> Keypair:
    kp = Keypair()
    sig = (await client.request_airdrop(kp.pubkey(), lamports)).value
    await client.confirm_transaction(sig)
    return kp


async def test_airdrop_then_balance(simnet_rpc: RpcServer) -> None:
    async with AsyncClient(simnet_rpc.url) as client:
        kp = await funded(client, 3 * SOL)
        assert (await client.get_balance(kp.pubkey())).value == 3 * SOL
    reply = await post(simnet_rpc.url, "getBalance", str(kp.pubkey()), {"commitment": "confirmed"})
    assert reply["result"]["value"] == 3 * SOL and "slot" in reply["result"]["context"]


async def test_transfer_with_priority_fee_confirms_and_reports_meta(simnet_rpc: RpcServer) -> None:
    async with AsyncClient(simnet_rpc.url) as client:
        payer, dest = await funded(client), Keypair().pubkey()
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        tx = sign(payer, [set_compute_unit_limit(1000), set_compute_unit_price(50_000), pay(payer.pubkey(), dest, SOL)],
                  blockhash)
        sig = (await client.send_transaction(tx, TxOpts(skip_confirmation=False))).value
        status = (await client.get_signature_statuses([sig])).value[0]
        assert status is not None and status.err is None
        got = (await client.get_transaction(sig, max_supported_transaction_version=0)).value
        assert got is not None
        meta = got.transaction.meta
        assert meta is not None and meta.fee == 5050 and meta.compute_units_consumed == 450
        assert meta.pre_balances[:2] == [10 * SOL, 0]
        assert meta.post_balances[:2] == [9 * SOL - 5050, SOL]
        assert (await client.get_balance(dest)).value == SOL


async def test_sweep_to_exactly_zero_with_receiver_paying(simnet_rpc: RpcServer) -> None:
    async with AsyncClient(simnet_rpc.url) as client:
        receiver = await funded(client)
        sources = [await funded(client, SOL + i) for i in range(3)]
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        ixs = [set_compute_unit_limit(1000), set_compute_unit_price(10_000)]
        ixs += [pay(s.pubkey(), receiver.pubkey(), SOL + i) for i, s in enumerate(sources)]
        tx = sign(receiver, ixs, blockhash, [receiver, *sources])
        sig = (await client.send_transaction(tx, TxOpts(skip_confirmation=False))).value
        meta = (await client.get_transaction(sig, max_supported_transaction_version=0)).value
        assert meta is not None and meta.transaction.meta is not None
        fee = meta.transaction.meta.fee
        assert fee == 4 * 5000 + 10  # 1000 CU x 10,000 micro-lamports
        for source in sources:
            assert (await client.get_balance(source.pubkey())).value == 0
            assert (await client.get_account_info(source.pubkey())).value is None
        assert (await client.get_balance(receiver.pubkey())).value == 10 * SOL + 3 * SOL + 3 - fee


async def test_blockhash_window_old_lands_too_old_is_dropped(simnet_rpc: RpcServer) -> None:
    chain = simnet_rpc.chain
    async with AsyncClient(simnet_rpc.url) as client:
        payer = await funded(client)
        latest = (await client.get_latest_blockhash()).value
        chain.advance(5)
        sig = (await client.send_transaction(sign(payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)],
                                                  latest.blockhash), TxOpts(skip_confirmation=False))).value
        assert (await client.get_signature_statuses([sig])).value[0] is not None
        chain.advance(150)
        assert (await client.get_block_height()).value > latest.last_valid_block_height
        stale = sign(payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)], latest.blockhash)
        dropped = (await client.send_transaction(stale, TxOpts(skip_preflight=True))).value
        assert dropped == stale.signatures[0]
        assert (await client.get_signature_statuses([dropped])).value == [None]
        with pytest.raises(RPCException) as info:
            await client.send_transaction(stale)
        message = info.value.args[0]
        assert isinstance(message, SendTransactionPreflightFailureMessage)
        assert message.message == "Transaction simulation failed: Blockhash not found"


async def test_oversize_transaction_rejected_with_validator_text(simnet_rpc: RpcServer) -> None:
    async with AsyncClient(simnet_rpc.url) as client:
        payer = await funded(client)
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        tx = sign(payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL) for _ in range(22)], blockhash)
        assert len(bytes(tx)) == 1246
        with pytest.raises(RPCException) as info:
            await client.send_transaction(tx)
        assert isinstance(info.value.args[0], InvalidParamsMessage)
    reply = await post(simnet_rpc.url, "sendTransaction", base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"})
    assert reply["error"] == {"code": -32602, "message": (
        "base64 encoded solana_transaction::versioned::VersionedTransaction too large: 1664 bytes "
        "(max: encoded/raw 1644/1232)")}


async def test_resend_of_landed_transaction_is_already_processed(simnet_rpc: RpcServer) -> None:
    async with AsyncClient(simnet_rpc.url) as client:
        payer, dest = await funded(client), Keypair().pubkey()
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        tx = sign(payer, [pay(payer.pubkey(), dest, SOL)], blockhash)
        await client.send_transaction(tx)
        with pytest.raises(RPCException) as info:
            await client.send_transaction(tx)
        message = info.value.args[0]
        assert isinstance(message, SendTransactionPreflightFailureMessage)
        assert "already been processed" in message.message
        assert (await client.send_transaction(tx, TxOpts(skip_preflight=True))).value == tx.signatures[0]
        assert (await client.get_balance(dest)).value == SOL


async def test_signature_and_simulation_failures(simnet_rpc: RpcServer) -> None:
    async with AsyncClient(simnet_rpc.url) as client:
        payer = await funded(client)
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        good = sign(payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)], blockhash)
        forged = VersionedTransaction.populate(good.message, [Signature.new_unique()])
        with pytest.raises(RPCException):
            await client.send_transaction(forged)
        raw_reply = await post(simnet_rpc.url, "sendTransaction", base64.b64encode(bytes(forged)).decode(),
                               {"encoding": "base64"})
        assert raw_reply["error"] == {"code": -32003, "message": "Transaction signature verification failure"}
        dropped = (await client.send_transaction(forged, TxOpts(skip_preflight=True))).value
        assert (await client.get_signature_statuses([dropped])).value == [None]

        too_much = sign(payer, [pay(payer.pubkey(), Keypair().pubkey(), 100 * SOL)], blockhash)
        with pytest.raises(RPCException) as info:
            await client.send_transaction(too_much)
        failure = info.value.args[0]
        assert isinstance(failure, SendTransactionPreflightFailureMessage)
        assert failure.message == ("Transaction simulation failed: Error processing Instruction 0: "
                                   "custom program error: 0x1")
        assert failure.data.logs and "insufficient lamports" in failure.data.logs[1]
        before = (await client.get_balance(payer.pubkey())).value
        landed = (await client.send_transaction(too_much, TxOpts(skip_preflight=True))).value
        status = (await client.get_signature_statuses([landed])).value[0]
        assert status is not None and status.err is not None
        assert (await client.get_balance(payer.pubkey())).value == before - 5000
        reply = await post(simnet_rpc.url, "getSignatureStatuses", [str(landed)])
        assert reply["result"]["value"][0]["err"] == {"InstructionError": [0, {"Custom": 1}]}
        assert reply["result"]["value"][0]["status"] == {"Err": {"InstructionError": [0, {"Custom": 1}]}}


async def test_get_multiple_accounts_limit(simnet_rpc: RpcServer) -> None:
    keys = [Keypair().pubkey() for _ in range(101)]
    async with AsyncClient(simnet_rpc.url) as client:
        with pytest.raises(RPCException):
            await client.get_multiple_accounts(keys)
        assert (await client.get_multiple_accounts(keys[:100])).value == [None] * 100
    reply = await post(simnet_rpc.url, "getMultipleAccounts", [str(k) for k in keys])
    assert reply["error"]["code"] == -32602


@pytest.mark.parametrize("program", [TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID])
async def test_spl_mint_hold_transfer_and_close(simnet_rpc: RpcServer, program: Pubkey) -> None:
    chain = simnet_rpc.chain
    async with AsyncClient(simnet_rpc.url) as client:
        payer, holder = await funded(client), await funded(client, SOL)
        mint = tokens.create_mint(chain, payer, decimals=6, program_id=program)
        source = tokens.mint_to(chain, payer, mint, holder.pubkey(), 4_200_000)

        held = (await client.get_token_accounts_by_owner_json_parsed(holder.pubkey(),
                                                                     TokenAccountOpts(program_id=program))).value
        assert [h.pubkey for h in held] == [source]
        info = held[0].account.data.parsed["info"]
        assert info["mint"] == str(mint) and info["owner"] == str(holder.pubkey())
        assert info["tokenAmount"] == {"amount": "4200000", "decimals": 6, "uiAmount": 4.2, "uiAmountString": "4.2"}
        by_mint = (await client.get_token_accounts_by_owner(holder.pubkey(), TokenAccountOpts(mint=mint))).value
        assert [h.pubkey for h in by_mint] == [source]
        assert (await client.get_token_account_balance(source)).value.amount == "4200000"
        assert (await client.get_token_supply(mint)).value.ui_amount_string == "4.2"

        dest = tokens.associated_token_address(payer.pubkey(), mint, program)
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        ixs = [spl.create_idempotent_associated_token_account(payer.pubkey(), payer.pubkey(), mint, program),
               spl.transfer_checked(TransferCheckedParams(program_id=program, source=source, mint=mint, dest=dest,
                                                          owner=holder.pubkey(), amount=4_200_000, decimals=6)),
               spl.close_account(CloseAccountParams(program_id=program, account=source, dest=payer.pubkey(),
                                                    owner=holder.pubkey()))]
        sig = (await client.send_transaction(sign(payer, ixs, blockhash, [payer, holder]),
                                             TxOpts(skip_confirmation=False))).value
        assert (await client.get_token_accounts_by_owner(holder.pubkey(), TokenAccountOpts(mint=mint))).value == []
        largest = (await client.get_token_largest_accounts(mint)).value
        assert [(a.address, a.amount.amount) for a in largest] == [(dest, "4200000")]

    reply = await post(simnet_rpc.url, "getTransaction", str(sig),
                       {"encoding": "json", "maxSupportedTransactionVersion": 0})
    result = reply["result"]
    keys = result["transaction"]["message"]["accountKeys"]
    meta = result["meta"]
    pre = {keys[b["accountIndex"]]: b for b in meta["preTokenBalances"]}
    post_ = {keys[b["accountIndex"]]: b for b in meta["postTokenBalances"]}
    assert pre == {str(source): {"accountIndex": keys.index(str(source)), "mint": str(mint),
                                 "owner": str(holder.pubkey()), "programId": str(program),
                                 "uiTokenAmount": {"amount": "4200000", "decimals": 6, "uiAmount": 4.2,
                                                   "uiAmountString": "4.2"}}}
    assert list(post_) == [str(dest)] and post_[str(dest)]["uiTokenAmount"]["amount"] == "4200000"
    rent = 2_039_280 if program == TOKEN_PROGRAM_ID else 2_074_080
    i_payer, i_source = keys.index(str(payer.pubkey())), keys.index(str(source))
    assert meta["postBalances"][i_source] == 0 and meta["preBalances"][i_source] == rent
    # the payer funds the new ATA's rent and gets the closed account's rent back
    assert meta["postBalances"][i_payer] == meta["preBalances"][i_payer] - meta["fee"]
    assert meta["err"] is None and meta["logMessages"]


async def test_concurrent_sends_finish_fast(simnet_rpc: RpcServer) -> None:
    async with AsyncClient(simnet_rpc.url) as client:
        payer = await funded(client, 100 * SOL)
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        txs = [sign(payer, [pay(payer.pubkey(), Keypair().pubkey(), SOL)], blockhash) for _ in range(25)]
        started = time.perf_counter()
        sigs = await asyncio.gather(*(client.send_transaction(tx) for tx in txs))
        elapsed = time.perf_counter() - started
        assert elapsed < 1.0
        statuses = (await client.get_signature_statuses([s.value for s in sigs])).value
        assert all(s is not None and s.err is None for s in statuses)


async def test_http_edges_batch_health_oversized_body_and_garbage(simnet_rpc: RpcServer) -> None:
    async with httpx.AsyncClient() as http:
        batch = await http.post(simnet_rpc.url, json=[{"jsonrpc": "2.0", "id": 1, "method": "getSlot"},
                                                      {"jsonrpc": "2.0", "id": 2, "method": "getBlockHeight"}])
        assert [x["id"] for x in batch.json()] == [1, 2]
        assert (await http.get(simnet_rpc.url + "/health")).text == "ok"
        huge = await http.post(simnet_rpc.url, content=b"[" + b"1," * (1_100_000) + b"1]")
        assert huge.status_code == 413
        garbage = await http.post(simnet_rpc.url, content=b"\xff\xfe\x00garbage")
        assert garbage.json()["error"]["code"] == -32700
        assert (await http.post(simnet_rpc.url, json={"jsonrpc": "2.0", "id": 3, "method": "getHealth"})).json()[
            "result"] == "ok"


async def test_stop_refuses_new_and_drops_kept_alive_connections(simnet_rpc: RpcServer) -> None:
    url = simnet_rpc.url
    async with httpx.AsyncClient() as http:
        assert (await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "getSlot"})).status_code == 200
        simnet_rpc.stop()
        with pytest.raises(httpx.TransportError):
            await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "getSlot"})
