"""Curve trades as real chain transactions: System transfers for SOL, SPL ``transfer_checked`` for tokens.

A buy moves ``sol`` from the trader to the curve vault, the protocol fee to the fee recipient and the
creator fee to the creator vault, and ``tokens`` from the curve's token account to the trader's
associated account (created idempotently, rent paid by the trader). A sell moves the tokens back and
pays the trader ``sol − fees`` from the vault. The amounts are a ``desk.core.curve.Fill``, so the chain's
balances always equal the curve arithmetic: vault lamports = rent minimum + ``real_sol``, vault tokens =
``real_token`` + the tokens reserved for the pool.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache

import spl.token.instructions as spl
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionErrorFieldless
from spl.token.models import (
    AuthorityType,
    InitializeMint2Params,
    MintToCheckedParams,
    SetAuthorityParams,
)

from desk.core.curve import Fill
from desk.core.market import PUMP_TOKEN_DECIMALS, TOKEN_TOTAL_SUPPLY
from desk.simnet.chain import SimChain
from desk.simnet.events import CurveAccounts
from desk.simnet.records import SimnetError, TokenBalance, TxRecord, err_to_json
from desk.simnet.tokens import MINT_LEN

SYSTEM_ACCOUNT_RENT_BYTES = 0


class MarketError(SimnetError):
    """The simulated market refused or could not settle a request; nothing changed on the curve."""


class SettlementError(MarketError):
    """A settlement transaction did not land (the message says why, in validator error JSON)."""


@dataclass(frozen=True, slots=True)
class Landed:
    """A settlement transaction that executed successfully.

    Attributes:
        signature: Its base58 signature.
        slot: Its slot.
        block_time: Its block time (unix seconds).
        post_tokens: Token balances of its accounts after it ran.
    """

    signature: str
    slot: int
    block_time: int
    post_tokens: tuple[TokenBalance, ...] = ()

    @classmethod
    def of(cls, record: TxRecord) -> Landed:
        """Return the landing of a recorded transaction."""
        return cls(str(record.signature), record.slot, record.block_time, record.post_token_balances)

    def balance_of(self, owner: Pubkey, mint: Pubkey) -> int:
        """Return ``owner``'s balance of ``mint`` right after this transaction (0 if it held none)."""
        return sum(b.amount for b in self.post_tokens if b.owner == owner and b.mint == mint)


_ASSOCIATED_TOKEN_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
_SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
_TRANSFER_CHECKED = 12
_CREATE_IDEMPOTENT = 1
_pubkeys: dict[int, tuple[Keypair, Pubkey]] = {}


def pubkey_of(keypair: Keypair) -> Pubkey:
    """Return ``keypair.pubkey()``, cached (solders recomputes it, ~20-50 µs, on every call)."""
    entry = _pubkeys.get(id(keypair))
    if entry is None or entry[0] is not keypair:
        if len(_pubkeys) > 100_000:
            _pubkeys.clear()
        entry = _pubkeys[id(keypair)] = (keypair, keypair.pubkey())  # holding the keypair pins its id
    return entry[1]


@lru_cache(maxsize=100_000)
def associated_account(owner: Pubkey, mint: Pubkey, token_program: Pubkey) -> Pubkey:
    """Return the associated token account of ``owner`` for ``mint`` (a cached PDA search)."""
    return spl.get_associated_token_address(owner, mint, token_program)


def pay(source: Pubkey, dest: Pubkey, lamports: int) -> Instruction:
    """Return a System transfer."""
    return transfer(TransferParams(from_pubkey=source, to_pubkey=dest, lamports=lamports))


def move_tokens(accounts: CurveAccounts, source: Pubkey, dest: Pubkey, owner: Pubkey, amount: int) -> Instruction:
    """Return a ``transfer_checked`` of ``amount`` atomic units of the curve's mint (as spl.token builds it)."""
    return Instruction(accounts.token_program, struct.pack("<BQB", _TRANSFER_CHECKED, amount, PUMP_TOKEN_DECIMALS), [
        AccountMeta(source, False, True), AccountMeta(accounts.mint, False, False), AccountMeta(dest, False, True),
        AccountMeta(owner, True, False)])


def open_token_account(payer: Pubkey, owner: Pubkey, accounts: CurveAccounts) -> Instruction:
    """Return the Associated Token Account program's idempotent create of ``owner``'s account for the mint."""
    return Instruction(_ASSOCIATED_TOKEN_PROGRAM, bytes([_CREATE_IDEMPOTENT]), [
        AccountMeta(payer, True, True), AccountMeta(token_account(owner, accounts), False, True),
        AccountMeta(owner, False, False), AccountMeta(accounts.mint, False, False),
        AccountMeta(_SYSTEM_PROGRAM, False, False), AccountMeta(accounts.token_program, False, False)])


def token_account(owner: Pubkey, accounts: CurveAccounts) -> Pubkey:
    """Return ``owner``'s associated token account for the curve's mint."""
    return associated_account(owner, accounts.mint, accounts.token_program)


def with_reference(ix: Instruction, reference: Pubkey | None) -> Instruction:
    """Append ``reference`` as a read-only, non-signer account (Solana Pay style) so the tx can be found."""
    if reference is None:
        return ix
    return Instruction(ix.program_id, ix.data, [*ix.accounts, AccountMeta(reference, False, False)])


def buy_instructions(trader: Pubkey, accounts: CurveAccounts, fill: Fill, *,
                     reference: Pubkey | None = None) -> list[Instruction]:
    """Return the instructions of a curve buy (signers: ``trader`` and the curve vault)."""
    ixs = [open_token_account(trader, trader, accounts),
           with_reference(pay(trader, accounts.vault, fill.sol), reference)]
    if fill.fee:
        ixs.append(pay(trader, accounts.fee_recipient, fill.fee))
    if fill.creator_fee:
        ixs.append(pay(trader, accounts.creator_vault, fill.creator_fee))
    ixs.append(move_tokens(accounts, accounts.vault_tokens, token_account(trader, accounts), accounts.vault,
                           fill.tokens))
    return ixs


def sell_instructions(trader: Pubkey, accounts: CurveAccounts, fill: Fill, *,
                      reference: Pubkey | None = None) -> list[Instruction]:
    """Return the instructions of a curve sell (signers: ``trader`` and the curve vault)."""
    ixs = [with_reference(move_tokens(accounts, token_account(trader, accounts), accounts.vault_tokens, trader,
                                      fill.tokens), reference)]
    if fill.seller_receives:
        ixs.append(pay(accounts.vault, trader, fill.seller_receives))
    if fill.fee:
        ixs.append(pay(accounts.vault, accounts.fee_recipient, fill.fee))
    if fill.creator_fee:
        ixs.append(pay(accounts.vault, accounts.creator_vault, fill.creator_fee))
    return ixs


class Settlement:
    """Build, sign and send the transactions behind the simulated market.

    Args:
        chain: The simulated chain.
        operator: A funded simnet keypair that pays for migrations.
    """

    def __init__(self, chain: SimChain, operator: Keypair) -> None:
        self._chain = chain
        self._operator = operator
        self.system_rent = chain.minimum_balance_for_rent_exemption(SYSTEM_ACCOUNT_RENT_BYTES)
        self._mint_rent = chain.minimum_balance_for_rent_exemption(MINT_LEN)

    def send(self, payer: Keypair, instructions: list[Instruction], signers: list[Keypair], what: str) -> Landed:
        """Sign and send one transaction; return it once it executed successfully.

        Raises:
            SettlementError: It was refused or failed on chain.
        """
        for _ in range(2):
            blockhash, _ = self._chain.latest_blockhash()
            message = MessageV0.try_compile(pubkey_of(payer), instructions, [], blockhash)
            required = set(message.account_keys[: message.header.num_required_signatures])
            needed = [kp for kp in signers if pubkey_of(kp) in required]  # e.g. a sell paying 0 SOL needs no vault
            result = self._chain.send_transaction(VersionedTransaction(message, needed))
            if result.err == TransactionErrorFieldless.AlreadyProcessed:
                self._chain.advance()  # an identical transaction already landed in this block
                continue
            if result.err is not None or result.record is None:
                raise SettlementError(f"{what} failed: {err_to_json(result.err)}")
            return Landed.of(result.record)
        raise SettlementError(f"{what} failed: AlreadyProcessed")

    def create(self, creator: Keypair, mint: Keypair, vault: Keypair, accounts: CurveAccounts,
               dev_buy: Fill | None) -> Landed:
        """Create the mint and curve, mint the whole supply to the curve and revoke the mint authority.

        The creator pays every rent (mint, vault, curve token account, creator vault on first use) and the
        optional dev buy, in one transaction signed by the creator, the mint and the vault.
        """
        program = accounts.token_program
        ixs = [
            create_account(CreateAccountParams(from_pubkey=creator.pubkey(), to_pubkey=accounts.mint,
                                               lamports=self._mint_rent, space=MINT_LEN, owner=program)),
            spl.initialize_mint2(InitializeMint2Params(program_id=program, mint=accounts.mint,
                                                       decimals=PUMP_TOKEN_DECIMALS, mint_authority=accounts.vault,
                                                       freeze_authority=None)),
            pay(creator.pubkey(), accounts.vault, self.system_rent),
            open_token_account(creator.pubkey(), accounts.vault, accounts),
            spl.mint_to_checked(MintToCheckedParams(program_id=program, mint=accounts.mint, dest=accounts.vault_tokens,
                                                    mint_authority=accounts.vault, amount=TOKEN_TOTAL_SUPPLY,
                                                    decimals=PUMP_TOKEN_DECIMALS)),
            spl.set_authority(SetAuthorityParams(program_id=program, account=accounts.mint,
                                                 authority=AuthorityType.MINT_TOKENS,
                                                 current_authority=accounts.vault, new_authority=None)),
        ]
        if self._chain.get_balance(accounts.creator_vault) == 0:
            ixs.append(pay(creator.pubkey(), accounts.creator_vault, self.system_rent))
        if dev_buy is not None:
            ixs += buy_instructions(creator.pubkey(), accounts, dev_buy)
        return self.send(creator, ixs, [creator, mint, vault], "create")

    def buy(self, trader: Keypair, vault: Keypair, accounts: CurveAccounts, fill: Fill) -> Landed:
        """Settle a buy signed by the trader (fee payer) and the curve vault."""
        return self.send(trader, buy_instructions(pubkey_of(trader), accounts, fill), [trader, vault], "buy")

    def sell(self, trader: Keypair, vault: Keypair, accounts: CurveAccounts, fill: Fill) -> Landed:
        """Settle a sell signed by the trader (fee payer) and the curve vault."""
        return self.send(trader, sell_instructions(pubkey_of(trader), accounts, fill), [trader, vault], "sell")

    def migrate(self, vault: Keypair, accounts: CurveAccounts, pool: Pubkey, sol: int, tokens: int,
                fee: int) -> Landed:
        """Move a completed curve's SOL (less the migration fee) and remaining tokens to ``pool``."""
        operator = self._operator.pubkey()
        ixs = [pay(operator, pool, self.system_rent),
               open_token_account(operator, pool, accounts)]
        if sol - fee > 0:
            ixs.append(pay(accounts.vault, pool, sol - fee))
        if fee:
            ixs.append(pay(accounts.vault, accounts.fee_recipient, fee))
        if tokens:
            ixs.append(move_tokens(accounts, accounts.vault_tokens, token_account(pool, accounts), accounts.vault,
                                   tokens))
        return self.send(self._operator, ixs, [self._operator, vault], "migrate")
