"""JSON-RPC dispatch without HTTP: envelopes, mainnet shapes (parsed by solders), and hostile input."""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson
import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.rpc import responses as r
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from desk.simnet import tokens
from desk.simnet.chain import SimChain
from desk.simnet.records import describe_error
from desk.simnet.rpc import RpcServer

SOL = 1_000_000_000


@pytest.fixture
def rpc(chain: SimChain) -> RpcServer:
    return RpcServer(chain)  # not started: handle() is called directly


def call(rpc: RpcServer, method: str, *params: Any) -> dict[str, Any]:
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)}).encode()
    reply: dict[str, Any] = orjson.loads(rpc.handle(body))
    return reply


def raw(rpc: RpcServer, body: bytes) -> Any:
    return orjson.loads(rpc.handle(body))


def transfer_tx(chain: SimChain, payer: Keypair, lamports: int = SOL) -> VersionedTransaction:
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=lamports))
    return VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [ix], [], chain.latest_blockhash()[0]), [payer])


def b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


def test_envelope_errors() -> None:
    rpc = RpcServer(SimChain())
    assert raw(rpc, b"{nope")["error"]["code"] == -32700
    assert raw(rpc, b"[]")["error"]["code"] == -32600
    assert raw(rpc, b"42")["error"]["code"] == -32600
    assert raw(rpc, b'{"jsonrpc":"2.0","id":1}')["error"]["code"] == -32600
    assert raw(rpc, b'{"jsonrpc":"2.0","id":{"x":1},"method":"getSlot"}')["error"]["code"] == -32600
    assert raw(rpc, b'{"jsonrpc":"2.0","id":1,"method":"nope"}') == {
        "jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 1}
    assert raw(rpc, b'{"jsonrpc":"2.0","id":1,"method":"getBalance","params":{"a":1}}')["error"]["code"] == -32602
    assert raw(rpc, b'{"jsonrpc":"2.0","id":"s","method":"getSlot","params":null}')["id"] == "s"


def test_batch_answers_each_request_in_order(rpc: RpcServer) -> None:
    body = orjson.dumps([{"jsonrpc": "2.0", "id": 1, "method": "getSlot"}, 5,
                         {"jsonrpc": "2.0", "id": 2, "method": "nope"},
                         {"jsonrpc": "2.0", "id": 3, "method": "getHealth"}])
    replies = raw(rpc, body)
    assert [x.get("id") for x in replies] == [1, None, 2, 3]
    assert isinstance(replies[0]["result"], int)
    assert replies[1]["error"]["code"] == -32600 and replies[2]["error"]["code"] == -32601
    assert replies[3]["result"] == "ok"


def test_simple_shapes_parse_with_solders(rpc: RpcServer, payer: Keypair) -> None:
    def parsed(cls: Any, method: str, *params: Any) -> Any:
        return cls.from_json(orjson.dumps(call(rpc, method, *params)).decode())

    assert parsed(r.GetBalanceResp, "getBalance", str(payer.pubkey())).value == 100 * SOL
    assert parsed(r.GetSlotResp, "getSlot").value > 0
    assert parsed(r.GetBlockHeightResp, "getBlockHeight").value > 0
    assert parsed(r.GetVersionResp, "getVersion").value.solana_core == "3.1.9"
    latest = parsed(r.GetLatestBlockhashResp, "getLatestBlockhash").value
    assert latest.last_valid_block_height == rpc.chain.block_height + 150
    assert parsed(r.GetMinimumBalanceForRentExemptionResp, "getMinimumBalanceForRentExemption", 165).value == 2_039_280
    info = parsed(r.GetAccountInfoResp, "getAccountInfo", str(payer.pubkey()), {"encoding": "base64"}).value
    assert info.lamports == 100 * SOL and info.data == b""
    assert call(rpc, "getAccountInfo", str(Keypair().pubkey()))["result"]["value"] is None
    assert parsed(r.RequestAirdropResp, "requestAirdrop", str(Keypair().pubkey()), SOL).value is not None


def test_account_encodings_slices_and_parsed_fallback(rpc: RpcServer, payer: Keypair) -> None:
    mint = tokens.create_mint(rpc.chain, payer, decimals=2)
    value = call(rpc, "getAccountInfo", str(mint), {"encoding": "base64", "dataSlice": {"offset": 44, "length": 2}})
    assert base64.b64decode(value["result"]["value"]["data"][0]) == b"\x02\x01"
    assert value["result"]["value"]["space"] == 82 and value["result"]["value"]["rentEpoch"] == 2**64 - 1
    b58 = call(rpc, "getAccountInfo", str(mint), {"encoding": "base58"})["result"]["value"]["data"]
    assert b58[1] == "base58"
    parsed = call(rpc, "getAccountInfo", str(mint), {"encoding": "jsonParsed"})["result"]["value"]["data"]
    assert parsed["parsed"]["type"] == "mint" and parsed["parsed"]["info"]["decimals"] == 2
    system = call(rpc, "getAccountInfo", str(payer.pubkey()), {"encoding": "jsonParsed"})["result"]["value"]
    assert system["data"] == ["", "base64"]
    assert call(rpc, "getAccountInfo", str(mint), {"encoding": "nope"})["error"]["code"] == -32602


def test_multiple_accounts_limit_and_token_filters(rpc: RpcServer, payer: Keypair) -> None:
    keys = [str(Keypair().pubkey()) for _ in range(101)]
    assert call(rpc, "getMultipleAccounts", keys)["error"] == {"code": -32602,
                                                               "message": "Too many inputs provided; max 100"}
    assert call(rpc, "getMultipleAccounts", keys[:100])["result"]["value"] == [None] * 100
    owner = str(payer.pubkey())
    assert call(rpc, "getTokenAccountsByOwner", owner, {"programId": str(Keypair().pubkey())})["error"][
        "message"] == "Invalid param: unrecognized Token program id"
    assert call(rpc, "getTokenAccountsByOwner", owner, {"mint": str(Keypair().pubkey())})["error"][
        "message"] == "Invalid param: could not find mint"
    assert call(rpc, "getTokenAccountsByOwner", owner, {})["error"]["code"] == -32602
    sigs = [str(rpc.chain.airdrop(Keypair().pubkey(), SOL))] * 257
    assert call(rpc, "getSignatureStatuses", sigs)["error"]["code"] == -32602
    assert len(call(rpc, "getSignatureStatuses", sigs[:256])["result"]["value"]) == 256


def test_send_in_base58_and_resend_is_already_processed(rpc: RpcServer, payer: Keypair) -> None:
    tx = transfer_tx(rpc.chain, payer)
    from desk.simnet.records import b58encode

    assert call(rpc, "sendTransaction", b58encode(bytes(tx)))["result"] == str(tx.signatures[0])
    again = call(rpc, "sendTransaction", b64(tx), {"encoding": "base64"})["error"]
    assert again["code"] == -32002
    assert again["message"] == "Transaction simulation failed: This transaction has already been processed"
    assert again["data"]["err"] == "AlreadyProcessed"
    skipped = call(rpc, "sendTransaction", b64(tx), {"encoding": "base64", "skipPreflight": True})
    assert skipped["result"] == str(tx.signatures[0])


def test_transaction_rendering_parses_in_every_encoding(rpc: RpcServer, payer: Keypair) -> None:
    tx = transfer_tx(rpc.chain, payer)
    signature = call(rpc, "sendTransaction", b64(tx), {"encoding": "base64"})["result"]
    for encoding in ("json", "jsonParsed", "base64", "base58"):
        reply = call(rpc, "getTransaction", signature, {"encoding": encoding, "maxSupportedTransactionVersion": 0})
        resp = r.GetTransactionResp.from_json(orjson.dumps(reply).decode())
        assert resp.value is not None and resp.value.transaction.meta.fee == 5000
        assert reply["result"]["version"] == 0
    unsupported = call(rpc, "getTransaction", signature)["error"]
    assert unsupported["code"] == -32015
    assert call(rpc, "getTransaction", str(Keypair().sign_message(b"x")), {"maxSupportedTransactionVersion": 0})[
        "result"] is None


def test_simulate_with_accounts_inner_instructions_and_replacement(rpc: RpcServer, payer: Keypair) -> None:
    tx = transfer_tx(rpc.chain, payer)
    cfg = {"encoding": "base64", "replaceRecentBlockhash": True, "innerInstructions": True,
           "accounts": {"addresses": [str(payer.pubkey())], "encoding": "base64"}}
    reply = call(rpc, "simulateTransaction", b64(tx), cfg)
    resp = r.SimulateTransactionResp.from_json(orjson.dumps(reply).decode())
    assert resp.value.err is None and resp.value.units_consumed == 150
    assert resp.value.accounts is not None and resp.value.accounts[0].lamports == 100 * SOL - SOL - 5000
    assert resp.value.replacement_blockhash is not None
    both = call(rpc, "simulateTransaction", b64(tx), {"encoding": "base64", "sigVerify": True,
                                                      "replaceRecentBlockhash": True})
    assert both["error"]["code"] == -32602


def test_fee_for_message_and_expired_blockhash(rpc: RpcServer, payer: Keypair) -> None:
    tx = transfer_tx(rpc.chain, payer)
    from solders.message import to_bytes_versioned

    message = base64.b64encode(to_bytes_versioned(tx.message)).decode()
    assert call(rpc, "getFeeForMessage", message)["result"]["value"] == 5000
    rpc.chain.expire_all_blockhashes()
    assert call(rpc, "getFeeForMessage", message)["result"]["value"] is None
    assert call(rpc, "getFeeForMessage", "!!")["error"]["code"] == -32602


@pytest.mark.parametrize("err", [
    ("BlockhashNotFound", "Blockhash not found"),
    ({"InstructionError": [2, {"Custom": 6002}]}, "Error processing Instruction 2: custom program error: 0x1772"),
    ({"InstructionError": [0, "ComputationalBudgetExceeded"]}, "Error processing Instruction 0: Computational budget "
                                                               "exceeded"),
    ({"InstructionError": [1, "InvalidSeeds"]}, "Error processing Instruction 1: invalid seeds"),
    ({"InsufficientFundsForRent": {"account_index": 1}},
     "Transaction results in an account (1) with insufficient funds for rent"),
    ("WouldExceedMaxBlockCostLimit", "Would exceed max block cost limit"),
])
def test_describe_error_matches_validator_display(err: tuple[Any, str]) -> None:
    assert describe_error(err[0]) == err[1]


HOSTILE: list[list[Any]] = [
    [], [None], [1], [True], [1.5], ["garbage"], [[]], [{}], ["x" * 5000], [[1, 2]], [["a"]], [-1], [2**63],
    ["11111111111111111111111111111111", "bad"], ["11111111111111111111111111111111", {"encoding": 5}],
    ["11111111111111111111111111111111", {"encoding": "jsonParsed", "dataSlice": {"offset": -1, "length": "x"}}],
    ["11111111111111111111111111111111", {"mint": 5}], ["11111111111111111111111111111111", {"programId": []}],
    ["AAAA", {"encoding": "base64"}], ["!!!!", {"encoding": "base64"}], ["0OIl"], ["AQ==", {"encoding": "weird"}],
    [base64.b64encode(b"\x01" + bytes(200)).decode(), {"encoding": "base64"}],
    ["11111111111111111111111111111111", {"limit": "x", "before": 3}],
    ["11111111111111111111111111111111", 10**30], ["11111111111111111111111111111111", -5],
    ["11111111111111111111111111111111", {"encoding": "base64", "accounts": {"addresses": "x"}}],
    ["11111111111111111111111111111111", {"maxSupportedTransactionVersion": "zero"}],
]


def test_hostile_params_get_json_rpc_errors_never_internal_errors(rpc: RpcServer) -> None:
    for method in rpc.methods.table:
        for params in HOSTILE:
            reply = call(rpc, method, *params)
            assert ("result" in reply) != ("error" in reply), (method, params, reply)
            if "error" in reply:
                assert reply["error"]["code"] != -32603, (method, params, reply)
