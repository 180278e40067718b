"""SPL Token / Token-2022 on the simulated chain: account decoding, RPC jsonParsed shapes, setup helpers.

Decoding is done here (not with ``solders.token.state``) because Token-2022 accounts carry TLV extensions
after the 165-byte base layout, and the RPC layer must render them the way a mainnet node does.
The setup helpers build real instructions (``spl.token.instructions``) and send them through the chain,
so simnet state is always reachable by ordinary transactions.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import spl.token.instructions as spl
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction
from spl.token.models import InitializeMint2Params, MintToCheckedParams

if TYPE_CHECKING:
    from solders.instruction import Instruction

    from desk.simnet.chain import SimChain

TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM_ID = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
TOKEN_PROGRAMS = frozenset({TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID})
MINT_LEN = 82
ACCOUNT_LEN = 165
_ACCOUNT_TYPE_MINT = 1
_ACCOUNT_TYPE_ACCOUNT = 2
_STATES = ("uninitialized", "initialized", "frozen")
_ZERO_KEY = bytes(32)
# Token-2022 ExtensionType values -> RPC names; only those listed in _EXTENSION_STATE get a decoded "state".
_EXTENSION_NAMES = {
    1: "transferFeeConfig", 2: "transferFeeAmount", 3: "mintCloseAuthority", 6: "defaultAccountState",
    7: "immutableOwner", 8: "memoTransfer", 9: "nonTransferable", 10: "interestBearingConfig", 11: "cpiGuard",
    12: "permanentDelegate", 13: "nonTransferableAccount", 14: "transferHook", 15: "transferHookAccount",
    18: "metadataPointer", 19: "tokenMetadata", 20: "groupPointer", 21: "tokenGroup", 22: "groupMemberPointer",
    23: "tokenGroupMember",
}
_STATELESS_EXTENSIONS = frozenset({7, 9, 13})


class TokenSetupError(Exception):
    """A token setup transaction sent by a helper did not succeed on the simulated chain."""


@dataclass(frozen=True, slots=True)
class TokenAccountState:
    """A decoded SPL token account (base layout plus raw Token-2022 extensions)."""

    mint: Pubkey
    owner: Pubkey
    amount: int
    delegate: Pubkey | None
    state: int
    is_native: int | None
    delegated_amount: int
    close_authority: Pubkey | None
    extensions: tuple[tuple[int, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class MintState:
    """A decoded SPL mint (base layout plus raw Token-2022 extensions)."""

    mint_authority: Pubkey | None
    supply: int
    decimals: int
    is_initialized: bool
    freeze_authority: Pubkey | None
    extensions: tuple[tuple[int, bytes], ...] = ()


def _coption_key(data: bytes, offset: int) -> Pubkey | None:
    return Pubkey.from_bytes(data[offset + 4 : offset + 36]) if data[offset] else None


def _extensions(data: bytes, expected_type: int) -> tuple[tuple[int, bytes], ...] | None:
    """Return the TLV extensions after the account-type byte, or None if the type byte says otherwise."""
    if len(data) == (MINT_LEN if expected_type == _ACCOUNT_TYPE_MINT else ACCOUNT_LEN):
        return ()
    if len(data) <= ACCOUNT_LEN or data[ACCOUNT_LEN] != expected_type:
        return None
    found: list[tuple[int, bytes]] = []
    pos = ACCOUNT_LEN + 1
    while pos + 4 <= len(data):
        kind, length = struct.unpack_from("<HH", data, pos)
        if kind == 0:
            break
        found.append((kind, data[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return tuple(found)


def parse_token_account(program_id: Pubkey, data: bytes) -> TokenAccountState | None:
    """Decode ``data`` as an initialized token account of ``program_id``; None if it is not one."""
    if program_id not in TOKEN_PROGRAMS or len(data) < ACCOUNT_LEN:
        return None
    if program_id == TOKEN_PROGRAM_ID and len(data) != ACCOUNT_LEN:
        return None
    extensions = _extensions(data, _ACCOUNT_TYPE_ACCOUNT)
    if extensions is None or data[108] == 0:
        return None
    amount, = struct.unpack_from("<Q", data, 64)
    is_native = struct.unpack_from("<Q", data, 113)[0] if data[109] else None
    delegated, = struct.unpack_from("<Q", data, 121)
    return TokenAccountState(
        mint=Pubkey.from_bytes(data[0:32]), owner=Pubkey.from_bytes(data[32:64]), amount=amount,
        delegate=_coption_key(data, 72), state=data[108], is_native=is_native, delegated_amount=delegated,
        close_authority=_coption_key(data, 129), extensions=extensions,
    )


def parse_mint(program_id: Pubkey, data: bytes) -> MintState | None:
    """Decode ``data`` as an initialized mint of ``program_id``; None if it is not one."""
    if program_id not in TOKEN_PROGRAMS or len(data) < MINT_LEN:
        return None
    if program_id == TOKEN_PROGRAM_ID and len(data) != MINT_LEN:
        return None
    extensions = _extensions(data, _ACCOUNT_TYPE_MINT)
    if extensions is None or not data[45]:
        return None
    supply, = struct.unpack_from("<Q", data, 36)
    return MintState(
        mint_authority=_coption_key(data, 0), supply=supply, decimals=data[44], is_initialized=True,
        freeze_authority=_coption_key(data, 46), extensions=extensions,
    )


def ui_amount_string(amount: int, decimals: int) -> str:
    """Format atomic ``amount`` as the validator's trimmed decimal string ("1.5", "0", "12")."""
    if decimals == 0:
        return str(amount)
    digits = str(amount).rjust(decimals + 1, "0")
    text = f"{digits[:-decimals]}.{digits[-decimals:]}"
    return text.rstrip("0").rstrip(".")


def ui_token_amount(amount: int, decimals: int, *, zero_is_null: bool = False) -> dict[str, Any]:
    """Return the RPC ``uiTokenAmount``/``tokenAmount`` object.

    Args:
        amount: Atomic units.
        decimals: The mint's decimals.
        zero_is_null: Render ``uiAmount`` of a zero amount as null, as transaction token balances do.
    """
    ui: float | None = None if (zero_is_null and amount == 0) else amount / 10**decimals
    return {"amount": str(amount), "decimals": decimals, "uiAmount": ui,
            "uiAmountString": ui_amount_string(amount, decimals)}


def _optional_nonzero(raw: bytes) -> str | None:
    return None if raw == _ZERO_KEY else str(Pubkey.from_bytes(raw))


def _borsh_strings(raw: bytes, pos: int, count: int) -> tuple[list[str], int]:
    out: list[str] = []
    for _ in range(count):
        length, = struct.unpack_from("<I", raw, pos)
        out.append(raw[pos + 4 : pos + 4 + length].decode("utf-8", "replace"))
        pos += 4 + length
    return out, pos


def _extension_json(kind: int, raw: bytes) -> dict[str, Any]:
    name = _EXTENSION_NAMES.get(kind)
    try:
        if name is None:
            return {"extension": "unparseableExtension"}
        if kind in _STATELESS_EXTENSIONS:
            return {"extension": name}
        if kind == 3:
            return {"extension": name, "state": {"closeAuthority": _optional_nonzero(raw[:32])}}
        if kind == 18:
            return {"extension": name, "state": {
                "authority": _optional_nonzero(raw[:32]), "metadataAddress": _optional_nonzero(raw[32:64])}}
        if kind == 19:
            (name_, symbol, uri), pos = _borsh_strings(raw, 64, 3)
            pairs, = struct.unpack_from("<I", raw, pos)
            flat, _ = _borsh_strings(raw, pos + 4, 2 * pairs)
            return {"extension": name, "state": {
                "updateAuthority": _optional_nonzero(raw[:32]), "mint": str(Pubkey.from_bytes(raw[32:64])),
                "name": name_, "symbol": symbol, "uri": uri,
                "additionalMetadata": [[flat[i], flat[i + 1]] for i in range(0, len(flat), 2)]}}
    except (struct.error, ValueError, IndexError):
        return {"extension": "unparseableExtension"}
    return {"extension": "unparseableExtension"}


def account_info_json(state: TokenAccountState, decimals: int) -> dict[str, Any]:
    """Return the jsonParsed ``info`` object of a token account."""
    info: dict[str, Any] = {
        "isNative": state.is_native is not None, "mint": str(state.mint), "owner": str(state.owner),
        "state": _STATES[min(state.state, 2)], "tokenAmount": ui_token_amount(state.amount, decimals),
    }
    if state.delegate is not None:
        info["delegate"] = str(state.delegate)
        info["delegatedAmount"] = ui_token_amount(state.delegated_amount, decimals)
    if state.is_native is not None:
        info["rentExemptReserve"] = ui_token_amount(state.is_native, decimals)
    if state.close_authority is not None:
        info["closeAuthority"] = str(state.close_authority)
    if state.extensions:
        info["extensions"] = [_extension_json(kind, raw) for kind, raw in state.extensions]
    return info


def mint_info_json(state: MintState) -> dict[str, Any]:
    """Return the jsonParsed ``info`` object of a mint."""
    info: dict[str, Any] = {
        "decimals": state.decimals,
        "freezeAuthority": str(state.freeze_authority) if state.freeze_authority else None,
        "isInitialized": state.is_initialized,
        "mintAuthority": str(state.mint_authority) if state.mint_authority else None,
        "supply": str(state.supply),
    }
    if state.extensions:
        info["extensions"] = [_extension_json(kind, raw) for kind, raw in state.extensions]
    return info


def program_label(program_id: Pubkey) -> str:
    """Return the jsonParsed ``program`` label of a token program."""
    return "spl-token-2022" if program_id == TOKEN_2022_PROGRAM_ID else "spl-token"


# --- setup helpers: real instructions sent through the chain -------------------------------------------


def associated_token_address(owner: Pubkey, mint: Pubkey, program_id: Pubkey = TOKEN_PROGRAM_ID) -> Pubkey:
    """Return the associated token account of ``owner`` for ``mint`` under ``program_id``."""
    return spl.get_associated_token_address(owner, mint, program_id)


def _run(chain: SimChain, payer: Keypair, instructions: list[Instruction], signers: list[Keypair], what: str) -> None:
    blockhash, _ = chain.latest_blockhash()
    message = MessageV0.try_compile(payer.pubkey(), instructions, [], blockhash)
    result = chain.send_transaction(VersionedTransaction(message, signers))
    if result.err is not None:
        raise TokenSetupError(f"{what} failed: {result.err}")


def create_mint(
    chain: SimChain,
    payer: Keypair,
    *,
    decimals: int = 6,
    mint_authority: Pubkey | None = None,
    freeze_authority: Pubkey | None = None,
    program_id: Pubkey = TOKEN_PROGRAM_ID,
    mint: Keypair | None = None,
) -> Pubkey:
    """Create and initialize a mint with ``create_account`` + ``initialize_mint2``.

    Args:
        chain: The simulated chain.
        payer: Funded fee payer; also the mint authority unless ``mint_authority`` is given.
        decimals: Mint decimals.
        mint_authority: Who may mint; defaults to the payer.
        freeze_authority: Optional freeze authority.
        program_id: ``TOKEN_PROGRAM_ID`` or ``TOKEN_2022_PROGRAM_ID``.
        mint: The mint keypair (a fresh one by default).

    Returns:
        The mint address.

    Raises:
        TokenSetupError: The transaction failed (e.g. the payer is not funded).
    """
    mint_kp = mint or Keypair()
    rent = chain.minimum_balance_for_rent_exemption(MINT_LEN)
    instructions = [
        create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=mint_kp.pubkey(), lamports=rent,
                                           space=MINT_LEN, owner=program_id)),
        spl.initialize_mint2(InitializeMint2Params(
            program_id=program_id, mint=mint_kp.pubkey(), decimals=decimals,
            mint_authority=mint_authority or payer.pubkey(), freeze_authority=freeze_authority)),
    ]
    _run(chain, payer, instructions, [payer, mint_kp], "create mint")
    return mint_kp.pubkey()


def mint_to(
    chain: SimChain,
    payer: Keypair,
    mint: Pubkey,
    owner: Pubkey,
    amount: int,
    *,
    mint_authority: Keypair | None = None,
) -> Pubkey:
    """Create ``owner``'s ATA if needed and mint ``amount`` atomic units into it (``mint_to_checked``).

    Args:
        chain: The simulated chain.
        payer: Funded fee payer; also the mint authority unless ``mint_authority`` is given.
        mint: An existing mint (its program and decimals are read from the chain).
        owner: The wallet that receives the tokens.
        amount: Atomic units to mint.
        mint_authority: The mint authority keypair, if not the payer.

    Returns:
        The owner's associated token account.

    Raises:
        TokenSetupError: The mint does not exist or the transaction failed.
    """
    account = chain.get_account(mint)
    state = parse_mint(account.owner, bytes(account.data)) if account else None
    if account is None or state is None:
        raise TokenSetupError(f"mint {mint} does not exist")
    program_id = account.owner
    authority = mint_authority or payer
    ata = associated_token_address(owner, mint, program_id)
    instructions = [
        spl.create_idempotent_associated_token_account(payer.pubkey(), owner, mint, program_id),
        spl.mint_to_checked(MintToCheckedParams(program_id=program_id, mint=mint, dest=ata,
                                                mint_authority=authority.pubkey(), amount=amount,
                                                decimals=state.decimals)),
    ]
    signers = [payer] if authority.pubkey() == payer.pubkey() else [payer, authority]
    _run(chain, payer, instructions, signers, "mint to")
    return ata


def token_balance(chain: SimChain, owner: Pubkey, mint: Pubkey) -> int:
    """Return the atomic balance of ``owner``'s associated token account for ``mint`` (0 if none)."""
    mint_account = chain.get_account(mint)
    if mint_account is None:
        return 0
    account = chain.get_account(associated_token_address(owner, mint, mint_account.owner))
    state = parse_token_account(account.owner, bytes(account.data)) if account else None
    return state.amount if state else 0
