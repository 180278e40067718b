"""Token details against a real simnet JSON-RPC server: real SPL Token and Token-2022 mints (extensions set by
real Token-2022 instructions), a pump.fun curve account written with ``set_account``, and ``desk token``."""

from __future__ import annotations

import argparse
import json
import struct
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import spl.token.instructions as spl
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction
from spl.token.models import InitializeMint2Params, SetAuthorityParams

from desk.chain.rpc import RpcClient
from desk.commands import token_cmd
from desk.commands.common import Context
from desk.config import AppConfig, Endpoints
from desk.core.safety import Level
from desk.engine.token_info import TokenDetails, TokenInfoService
from desk.simnet import RpcServer, SimChain
from desk.simnet.tokens import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID, create_mint, mint_to
from desk.venues.pumpfun.curve_account import (
    PUMP_AMM_PROGRAM_ID,
    PUMP_PROGRAM_ID,
    BondingCurveAccount,
    associated_bonding_curve,
    bonding_curve_address,
    encode_bonding_curve,
)
from tests.unit.venues.fakevenue import FakeVenue, Reply, sample

SOL = 1_000_000_000
TOKENS = 10**6  # one whole token of a 6-decimal mint


@pytest.fixture
def payer(simnet_rpc: RpcServer) -> Keypair:
    kp = Keypair()
    simnet_rpc.chain.airdrop(kp.pubkey(), 100 * SOL)
    return kp


@pytest.fixture
async def info(simnet_rpc: RpcServer) -> AsyncIterator[TokenInfoService]:
    rpc = RpcClient(simnet_rpc.url, timeout=5.0)
    yield TokenInfoService(rpc)
    await rpc.aclose()


def send(chain: SimChain, payer: Keypair, ixs: list[Instruction], signers: list[Keypair]) -> None:
    blockhash, _ = chain.latest_blockhash()
    result = chain.send_transaction(VersionedTransaction(MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash),
                                                         signers))
    assert result.err is None, result.err


def revoke_mint_authority(chain: SimChain, payer: Keypair, mint: Pubkey, program: Pubkey = TOKEN_PROGRAM_ID) -> None:
    send(chain, payer, [spl.set_authority(SetAuthorityParams(
        program_id=program, account=mint, authority=spl.AuthorityType.MINT_TOKENS,
        current_authority=payer.pubkey(), new_authority=None))], [payer])


def badges(details: TokenDetails) -> dict[str, tuple[Level, str]]:
    return {b.key: (b.level, b.label) for b in details.badges}


async def test_classic_mint_with_revoked_authority_and_no_freeze(simnet_rpc: RpcServer, payer: Keypair,
                                                                  info: TokenInfoService) -> None:
    chain = simnet_rpc.chain
    mint = create_mint(chain, payer)
    holders = [Keypair().pubkey() for _ in range(12)]
    for i, owner in enumerate(holders):
        mint_to(chain, payer, mint, owner, (i + 1) * 1_000 * TOKENS)
    revoke_mint_authority(chain, payer, mint)
    details = await info.details(str(mint))
    facts = details.mint_facts
    assert facts is not None and facts.program == str(TOKEN_PROGRAM_ID) and not facts.token_2022
    assert facts.mint_authority is None and facts.freeze_authority is None
    assert facts.supply == sum(range(1, 13)) * 1_000 * TOKENS and facts.decimals == 6
    assert details.curve is None and details.creator is None
    top = details.holders
    assert [h.owner for h in top.top] == [str(o) for o in reversed(holders)][:10]
    assert top.top10_amount == sum(range(3, 13)) * 1_000 * TOKENS
    assert top.top10_bps == top.top10_amount * 10_000 // facts.supply
    found = badges(details)
    assert found["mint-authority"] == (Level.OK, "Mint authority revoked")
    assert found["freeze-authority"] == (Level.OK, "No freeze authority")
    assert found["top10"][0] is Level.DANGER  # twelve holders: the top ten hold nearly everything
    assert details.notes == ()


async def test_active_mint_authority_and_freeze_authority_are_dangerous(simnet_rpc: RpcServer, payer: Keypair,
                                                                        info: TokenInfoService) -> None:
    chain = simnet_rpc.chain
    mint = create_mint(chain, payer, freeze_authority=payer.pubkey())
    mint_to(chain, payer, mint, Keypair().pubkey(), 5 * TOKENS)
    details = await info.details(str(mint))
    assert details.mint_facts is not None
    assert details.mint_facts.mint_authority == details.mint_facts.freeze_authority == str(payer.pubkey())
    found = badges(details)
    assert found["mint-authority"] == (Level.DANGER, "Mint authority active: supply can grow")
    assert found["freeze-authority"] == (Level.DANGER, "Freeze authority set: your tokens can be frozen")
    assert details.level is Level.DANGER


def token_2022_mint(chain: SimChain, payer: Keypair, extensions: list[tuple[int, bytes]], *,
                    freeze: bool = False) -> Pubkey:
    """Create a Token-2022 mint, running each extension's initialize instruction before InitializeMint2."""
    mint = Keypair()
    space = 165 + 1 + sum(4 + size for size, _ in extensions)
    ixs = [create_account(CreateAccountParams(
        from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=chain.minimum_balance_for_rent_exemption(space),
        space=space, owner=TOKEN_2022_PROGRAM_ID))]
    ixs += [Instruction(TOKEN_2022_PROGRAM_ID, data, [AccountMeta(mint.pubkey(), False, True)])
            for _, data in extensions]
    ixs.append(spl.initialize_mint2(InitializeMint2Params(
        program_id=TOKEN_2022_PROGRAM_ID, mint=mint.pubkey(), decimals=6, mint_authority=payer.pubkey(),
        freeze_authority=payer.pubkey() if freeze else None)))
    send(chain, payer, ixs, [payer, mint])
    return mint.pubkey()


async def test_token_2022_fee_delegate_and_hook_are_detected(simnet_rpc: RpcServer, payer: Keypair,
                                                            info: TokenInfoService) -> None:
    chain = simnet_rpc.chain
    authority, delegate, hook = payer.pubkey(), Keypair().pubkey(), Keypair().pubkey()
    mint = token_2022_mint(chain, payer, [
        # TransferFeeExtension::InitializeTransferFeeConfig: 2.5%, max 1000 tokens, fee authority set.
        (108, bytes([26, 0, 1]) + bytes(authority) + bytes([1]) + bytes(authority) + struct.pack("<HQ", 250, 10**9)),
        (32, bytes([35]) + bytes(delegate)),  # InitializePermanentDelegate
        (64, bytes([36, 0]) + bytes(authority) + bytes(hook)),  # TransferHookExtension::Initialize
    ])
    mint_to(chain, payer, mint, Keypair().pubkey(), 1_000 * TOKENS)
    revoke_mint_authority(chain, payer, mint, TOKEN_2022_PROGRAM_ID)
    details = await info.details(str(mint))
    facts = details.mint_facts
    assert facts is not None and facts.token_2022
    assert facts.extension_names == ("transferFeeConfig", "permanentDelegate", "transferHook")
    assert facts.transfer_fee is not None and facts.transfer_fee.newer_bps == 250
    assert facts.transfer_fee.authority == str(authority)
    assert facts.permanent_delegate == str(delegate) and facts.transfer_hook_program == str(hook)
    found = badges(details)
    assert found["permanent-delegate"] == (Level.DANGER, "Permanent delegate: tokens can be taken")
    assert found["transfer-hook"] == (Level.DANGER, "Transfer hook")
    assert found["transfer-fee"] == (Level.WARN, "Transfer fee 2.5%")
    assert found["mint-authority"][0] is Level.OK
    # The node's own jsonParsed rendering lists the same extensions.
    rpc = RpcClient(simnet_rpc.url)
    parsed = await rpc.call("getAccountInfo", [str(mint), {"encoding": "jsonParsed"}])
    await rpc.aclose()
    listed = [e["extension"] for e in parsed["value"]["data"]["parsed"]["info"]["extensions"]]
    # The simnet node renders these stateful extensions as "unparseableExtension" (as older mainnet nodes do
    # with newer extensions); that is why the desk decodes the mint's bytes itself.
    assert len(listed) == len(facts.extension_names) == 3


async def test_token_2022_frozen_by_default_non_transferable_and_pausable(simnet_rpc: RpcServer, payer: Keypair,
                                                                         info: TokenInfoService) -> None:
    mint = token_2022_mint(simnet_rpc.chain, payer, [
        (1, bytes([28, 0, 2])),  # DefaultAccountStateExtension::Initialize(Frozen)
        (0, bytes([32])),  # InitializeNonTransferableMint
        (33, bytes([44, 0]) + bytes(payer.pubkey())),  # PausableExtension::Initialize
    ], freeze=True)
    details = await info.details(str(mint))
    facts = details.mint_facts
    assert facts is not None and facts.default_frozen and facts.non_transferable
    assert facts.pausable_authority == str(payer.pubkey()) and not facts.paused
    found = badges(details)
    assert found["default-frozen"][0] is found["non-transferable"][0] is Level.DANGER
    assert found["pausable"] == (Level.WARN, "Pausable")
    assert details.holders.reason == "The token has no supply yet."
    assert found["top10"] == (Level.WARN, "Top 10 holders unknown")
    # Confidential transfers cannot be combined with non-transferable (Token-2022 refuses it): a mint of its own.
    secret = token_2022_mint(simnet_rpc.chain, payer, [
        (65, bytes([27, 0]) + bytes(payer.pubkey()) + b"\x01" + bytes(32)),  # ConfidentialTransfer InitializeMint
    ])
    details = await info.details(str(secret))
    assert details.mint_facts is not None and details.mint_facts.confidential_transfers
    assert badges(details)["confidential"] == (Level.WARN, "Confidential transfers")


def pump_token(chain: SimChain, payer: Keypair, *, complete: bool = False) -> tuple[Pubkey, Keypair, Pubkey]:
    """A pump.fun-style token: 1B supply, the curve's ATA holding the unsold part, a creator and buyers.

    The pump program is not deployed on simnet, so the BondingCurve account is written with set_account
    at the PDA derived from the mint. Returns (mint, creator, pool owner).
    """
    creator = Keypair()
    mint = create_mint(chain, payer, program_id=TOKEN_2022_PROGRAM_ID)
    curve = bonding_curve_address(mint)
    pool = Pubkey.new_unique()
    with chain.svm() as svm:  # a PumpSwap pool account, owned by the AMM program
        svm.set_account(pool, Account(10**9, bytes(8), PUMP_AMM_PROGRAM_ID))
    real_left = 600_000_000 * TOKENS
    mint_to(chain, payer, mint, curve, real_left + 206_900_000 * TOKENS)  # unsold + never-sold reserve
    mint_to(chain, payer, mint, creator.pubkey(), 50_000_000 * TOKENS)
    mint_to(chain, payer, mint, pool, 77_100_000 * TOKENS)  # the supply adds up to 1B
    for i in range(11):
        mint_to(chain, payer, mint, Keypair().pubkey(), (i + 1) * 1_000_000 * TOKENS)
    revoke_mint_authority(chain, payer, mint, TOKEN_2022_PROGRAM_ID)
    sold = 793_100_000 * TOKENS - real_left
    v_tok = 1_073_000_000 * TOKENS - sold
    account = BondingCurveAccount(v_tok, 30 * SOL * 1_073_000_000 * TOKENS // v_tok, 0 if complete else real_left,
                                  5 * SOL, 10**15, complete, str(creator.pubkey()), False, True, None)
    data = encode_bonding_curve(account)
    with chain.svm() as svm:
        svm.set_account(curve, Account(chain.minimum_balance_for_rent_exemption(len(data)), data, PUMP_PROGRAM_ID))
    return mint, creator, pool


async def test_pump_token_curve_holders_and_creator(simnet_rpc: RpcServer, payer: Keypair,
                                                    info: TokenInfoService) -> None:
    mint, creator, pool = pump_token(simnet_rpc.chain, payer)
    details = await info.details(str(mint))
    curve = details.curve
    assert curve is not None and curve.address == str(bonding_curve_address(mint))
    assert curve.progress_bps == 193_100 * 10_000 // 793_100 and not curve.graduated
    assert curve.account.creator == str(creator.pubkey()) and curve.account.is_cashback_coin
    assert curve.market_cap_lamports is not None and curve.price_sol is not None
    holders = details.holders
    curve_ata = associated_bonding_curve(bonding_curve_address(mint), mint, TOKEN_2022_PROGRAM_ID)
    assert {h.account for h in holders.excluded} >= {str(curve_ata)}
    assert {h.owner for h in holders.excluded} == {str(bonding_curve_address(mint)), str(pool)}
    assert str(creator.pubkey()) in [h.owner for h in holders.top]
    assert holders.top10_amount == (50 + sum(range(3, 12))) * 1_000_000 * TOKENS
    assert holders.top10_bps == 1130
    assert details.creator is not None and details.creator.amount == 50_000_000 * TOKENS
    assert details.creator.bps == 500
    found = badges(details)
    assert found["creator"] == (Level.WARN, "Creator holds 5.0%")
    assert found["top10"] == (Level.OK, "Top 10 hold 11.3%")
    assert found["curve"] == (Level.OK, "Curve 24.3%")
    assert details.price_sol == curve.price_sol and details.price_usd is None  # no venues, no SOL/USD


async def test_graduated_curve(simnet_rpc: RpcServer, payer: Keypair, info: TokenInfoService) -> None:
    mint, _, _ = pump_token(simnet_rpc.chain, payer, complete=True)
    details = await info.details(str(mint))
    assert details.curve is not None and details.curve.graduated and details.curve.progress_bps == 10_000
    assert badges(details)["graduated"] == (Level.OK, "Graduated") and "curve" not in badges(details)
    assert details.price_sol is None  # a complete curve's reserves no longer price the token


async def test_unknown_address_and_non_mint(simnet_rpc: RpcServer, payer: Keypair, info: TokenInfoService) -> None:
    missing = await info.details(str(Pubkey.new_unique()))
    assert missing.mint_facts is None and "No mint account" in missing.notes[0]
    wallet = await info.details(str(payer.pubkey()))
    assert wallet.mint_facts is None and "not owned by a token program" in wallet.notes[0]


# --- desk token ------------------------------------------------------------------------------------


def dexscreener_script(mint: Pubkey) -> Callable[[int, str, dict[str, str]], Reply]:
    def script(n: int, path: str, headers: dict[str, str]) -> Reply:
        pair = sample("dexscreener", "pair_pumpfun_bonding_curve.json")
        pair["baseToken"]["address"] = str(mint)
        pair["pairAddress"] = str(bonding_curve_address(mint))
        return 200, json.dumps([pair]).encode(), {}

    return script


@pytest.fixture
def dexscreener() -> Iterator[Callable[[Pubkey], FakeVenue]]:
    """Start a local DexScreener that answers with the recorded curve pair, renamed to the given mint."""
    venues: list[FakeVenue] = []

    def start(mint: Pubkey) -> FakeVenue:
        venues.append(FakeVenue(dexscreener_script(mint)))
        return venues[-1]

    yield start
    for venue in venues:
        venue.close()


async def test_desk_token_json(simnet_rpc: RpcServer, payer: Keypair, dexscreener: Callable[[Pubkey], FakeVenue],
                               capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    mint, creator, _ = pump_token(simnet_rpc.chain, payer)
    venue = dexscreener(mint)
    monkeypatch.delenv("DESK_JUPITER_KEY", raising=False)
    endpoints = Endpoints({**Endpoints.from_env().urls, "DESK_RPC_URL": simnet_rpc.url,
                           "DESK_DEXSCREENER_API": venue.url, "DESK_JUPITER_API": "http://127.0.0.1:9"})
    ctx = Context(AppConfig(home=Path("/nonexistent"), endpoints=endpoints, simnet=True), json=True)
    parser = argparse.ArgumentParser()
    token_cmd.register(parser.add_subparsers(dest="command"), argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(["token", str(mint)])
    assert await args.handler(ctx, args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and doc["mint"] == str(mint) and doc["symbol"] == "SOL"
    assert doc["mint_account"]["token_2022"] and doc["mint_account"]["mint_authority"] is None
    assert doc["curve"]["creator"] == str(creator.pubkey()) and doc["curve"]["progress_bps"] == 2434
    assert doc["creator"]["amount"] == str(50_000_000 * TOKENS)
    assert doc["market"]["pair"]["dex"] == "pumpfun" and doc["market"]["pair"]["liquidity_usd"] is None
    assert doc["market"]["jupiter_status"] == "no-key" and doc["market"]["sol_usd_source"] == "dexscreener-ratio"
    assert doc["market"]["price_usd"] is not None and doc["level"] == "warn"
    assert {"key": "creator", "level": "warn", "label": "Creator holds 5.0%"}.items() <= doc["badges"][0].items()
    assert doc["notes"] == []
    assert venue.requests[0][0] == f"/tokens/v1/solana/{mint},So11111111111111111111111111111111111111112"


async def test_desk_token_text_without_market(simnet_rpc: RpcServer, payer: Keypair,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    mint, _, _ = pump_token(simnet_rpc.chain, payer)
    endpoints = Endpoints({**Endpoints.from_env().urls, "DESK_RPC_URL": simnet_rpc.url})
    ctx = Context(AppConfig(home=Path("/nonexistent"), endpoints=endpoints, simnet=True))
    args = argparse.Namespace(mint=str(mint), no_market=True)
    assert await token_cmd.run(ctx, args) == 0
    out = capsys.readouterr().out
    assert "Token-2022, supply 1000000000 (6 decimals)" in out
    assert "24.3% of the curve sold" in out and "! Creator holds 5.0%" in out and "✓ Mint authority revoked" in out
