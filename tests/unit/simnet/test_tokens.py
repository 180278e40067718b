"""SPL Token / Token-2022 on the simulated chain: decoding, amounts, setup helpers and token balances."""

from __future__ import annotations

import struct

import pytest
import spl.token.instructions as spl
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from spl.token.models import CloseAccountParams, TransferCheckedParams

from desk.simnet import tokens
from desk.simnet.chain import SimChain
from desk.simnet.records import SendResult
from desk.simnet.tokens import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID

PROGRAMS = [TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID]


def send(chain: SimChain, payer: Keypair, ixs: list[Instruction], signers: list[Keypair]) -> SendResult:
    message = MessageV0.try_compile(payer.pubkey(), ixs, [], chain.latest_blockhash()[0])
    return chain.send_transaction(VersionedTransaction(message, signers))


@pytest.mark.parametrize(("amount", "decimals", "text"), [
    (0, 6, "0"), (1, 6, "0.000001"), (1_500_000, 6, "1.5"), (12_000_000, 6, "12"), (5, 0, "5"),
    (8799471343582888521, 5, "87994713435828.88521"), (10, 1, "1"),
])
def test_ui_amount_string_is_trimmed_like_the_validator(amount: int, decimals: int, text: str) -> None:
    assert tokens.ui_amount_string(amount, decimals) == text


def test_ui_token_amount_null_for_zero_only_in_balances() -> None:
    assert tokens.ui_token_amount(0, 6)["uiAmount"] == 0.0
    assert tokens.ui_token_amount(0, 6, zero_is_null=True)["uiAmount"] is None
    assert tokens.ui_token_amount(2_500_000, 6) == {"amount": "2500000", "decimals": 6, "uiAmount": 2.5,
                                                    "uiAmountString": "2.5"}


@pytest.mark.parametrize("program", PROGRAMS)
def test_create_mint_and_mint_to_owner(chain: SimChain, payer: Keypair, program: Pubkey) -> None:
    owner = Keypair().pubkey()
    mint = tokens.create_mint(chain, payer, decimals=9, program_id=program)
    mint_account = chain.get_account(mint)
    assert mint_account is not None and mint_account.owner == program
    ata = tokens.mint_to(chain, payer, mint, owner, 7_000_000_000)
    assert ata == tokens.associated_token_address(owner, mint, program)
    assert tokens.token_balance(chain, owner, mint) == 7_000_000_000
    state = tokens.parse_mint(program, bytes(chain.get_account(mint).data))  # type: ignore[union-attr]
    assert state is not None and state.supply == 7_000_000_000 and state.decimals == 9
    assert state.mint_authority == payer.pubkey() and state.freeze_authority is None
    found = chain.token_accounts_by_owner(owner)
    assert [key for key, _ in found] == [ata]


def test_token_2022_ata_carries_immutable_owner_extension(chain: SimChain, payer: Keypair) -> None:
    owner = Keypair().pubkey()
    mint = tokens.create_mint(chain, payer, program_id=TOKEN_2022_PROGRAM_ID)
    ata = tokens.mint_to(chain, payer, mint, owner, 1)
    account = chain.get_account(ata)
    assert account is not None
    state = tokens.parse_token_account(TOKEN_2022_PROGRAM_ID, bytes(account.data))
    assert state is not None and state.extensions == ((7, b""),)
    info = tokens.account_info_json(state, 6)
    assert info["extensions"] == [{"extension": "immutableOwner"}]
    assert info["tokenAmount"]["uiAmountString"] == "0.000001"


def test_mint_to_unknown_mint_raises(chain: SimChain, payer: Keypair) -> None:
    with pytest.raises(tokens.TokenSetupError):
        tokens.mint_to(chain, payer, Keypair().pubkey(), Keypair().pubkey(), 1)


def test_create_mint_with_unfunded_payer_raises(chain: SimChain) -> None:
    with pytest.raises(tokens.TokenSetupError):
        tokens.create_mint(chain, Keypair())


@pytest.mark.parametrize("program", PROGRAMS)
def test_transfer_checked_and_close_records_token_balances(chain: SimChain, payer: Keypair, program: Pubkey) -> None:
    holder = Keypair()
    chain.airdrop(holder.pubkey(), 10_000_000)
    mint = tokens.create_mint(chain, payer, decimals=6, program_id=program)
    source = tokens.mint_to(chain, payer, mint, holder.pubkey(), 2_500_000)
    dest = tokens.associated_token_address(payer.pubkey(), mint, program)
    ixs = [
        spl.create_idempotent_associated_token_account(payer.pubkey(), payer.pubkey(), mint, program),
        spl.transfer_checked(TransferCheckedParams(program_id=program, source=source, mint=mint, dest=dest,
                                                   owner=holder.pubkey(), amount=2_500_000, decimals=6)),
        spl.close_account(CloseAccountParams(program_id=program, account=source, dest=payer.pubkey(),
                                             owner=holder.pubkey())),
    ]
    result = send(chain, payer, ixs, [payer, holder])
    assert result.err is None and result.record is not None
    meta = result.record.meta_json()
    keys = [str(k) for k in result.record.account_keys]
    pre = {keys[b["accountIndex"]]: b for b in meta["preTokenBalances"]}
    post = {keys[b["accountIndex"]]: b for b in meta["postTokenBalances"]}
    assert set(pre) == {str(source)}
    assert pre[str(source)]["uiTokenAmount"]["amount"] == "2500000"
    assert pre[str(source)]["owner"] == str(holder.pubkey()) and pre[str(source)]["programId"] == str(program)
    assert set(post) == {str(dest)}
    assert post[str(dest)]["uiTokenAmount"] == {"amount": "2500000", "decimals": 6, "uiAmount": 2.5,
                                                "uiAmountString": "2.5"}
    assert chain.get_account(source) is None
    assert chain.token_accounts_by_owner(holder.pubkey()) == []
    assert [k for k, _ in chain.token_accounts_by_owner(payer.pubkey(), mint=mint)] == [dest]
    assert chain.token_accounts_by_owner(payer.pubkey(), program_id=program)
    other = TOKEN_PROGRAM_ID if program == TOKEN_2022_PROGRAM_ID else TOKEN_2022_PROGRAM_ID
    assert chain.token_accounts_by_owner(payer.pubkey(), program_id=other) == []


def test_token_index_rebuilds_after_direct_state_writes(chain: SimChain, payer: Keypair) -> None:
    mint = tokens.create_mint(chain, payer)
    owner, key = Keypair().pubkey(), Keypair().pubkey()
    data = bytearray(165)
    data[0:32] = bytes(mint)
    data[32:64] = bytes(owner)
    data[64:72] = struct.pack("<Q", 42)
    data[108] = 1
    with chain.svm() as svm:
        svm.set_account(key, Account(2_039_280, bytes(data), TOKEN_PROGRAM_ID))
    assert [k for k, _ in chain.token_accounts_by_owner(owner)] == [key]
    assert [k for k, _ in chain.token_accounts_by_mint(mint)] == [key]


def test_uninitialized_and_foreign_data_is_not_a_token_account() -> None:
    assert tokens.parse_token_account(TOKEN_PROGRAM_ID, bytes(165)) is None
    assert tokens.parse_token_account(Pubkey.default(), b"\x01" * 165) is None
    assert tokens.parse_mint(TOKEN_PROGRAM_ID, bytes(82)) is None
    assert tokens.parse_mint(TOKEN_2022_PROGRAM_ID, bytes(165)) is None
    assert tokens.parse_mint(TOKEN_PROGRAM_ID, b"\x01" * 10) is None


def _tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("<HH", kind, len(value)) + value


def _borsh(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<I", len(raw)) + raw


def test_token_2022_mint_metadata_extensions_render_like_mainnet() -> None:
    mint_key, authority = Keypair().pubkey(), Keypair().pubkey()
    base = bytearray(82)
    base[44], base[45] = 6, 1
    metadata = (bytes(authority) + bytes(mint_key) + _borsh("Pepe") + _borsh("PEPE") + _borsh("https://x/y")
                + struct.pack("<I", 1) + _borsh("k") + _borsh("v"))
    data = (bytes(base) + bytes(165 - 82) + b"\x01" + _tlv(18, bytes(authority) + bytes(mint_key))
            + _tlv(19, metadata) + _tlv(99, b"zz"))
    state = tokens.parse_mint(TOKEN_2022_PROGRAM_ID, data)
    assert state is not None
    info = tokens.mint_info_json(state)
    assert info["extensions"][0] == {"extension": "metadataPointer", "state": {
        "authority": str(authority), "metadataAddress": str(mint_key)}}
    assert info["extensions"][1]["state"] == {"updateAuthority": str(authority), "mint": str(mint_key),
                                              "name": "Pepe", "symbol": "PEPE", "uri": "https://x/y",
                                              "additionalMetadata": [["k", "v"]]}
    assert info["extensions"][2] == {"extension": "unparseableExtension"}


def test_truncated_extension_is_unparseable_not_an_error() -> None:
    base = bytearray(82)
    base[45] = 1
    data = bytes(base) + bytes(83) + b"\x01" + _tlv(19, b"\x00" * 70)
    state = tokens.parse_mint(TOKEN_2022_PROGRAM_ID, data)
    assert state is not None
    assert tokens.mint_info_json(state)["extensions"] == [{"extension": "unparseableExtension"}]
