"""SPL Token and Token-2022 mints decoded from raw account bytes, extensions included.

The desk reads mints as base64 and decodes them itself rather than trusting a node's ``jsonParsed``
rendering: that rendering differs between node versions (newer extensions such as Pausable come back
as ``unparseableExtension`` on older nodes), while the byte layout is fixed by the token programs.

Base mint layout (82 bytes): ``mint_authority COption<Pubkey>``, ``supply u64``, ``decimals u8``,
``is_initialized bool``, ``freeze_authority COption<Pubkey>``. Token-2022 mints with extensions pad
to 165 bytes, then an account-type byte (1 = mint) and TLV entries ``type u16, length u16, value``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from desk.chain.rpctypes import TOKEN_2022_PROGRAM, TOKEN_PROGRAMS, RpcProtocolError, context_value, expect_list

MINT_LEN = 82
TOKEN_ACCOUNT_LEN = 165
_MINT_TYPE = 1
_ZERO = bytes(32)

# ExtensionType values of Token-2022 (spl-token-2022 extension/mod.rs).
TRANSFER_FEE_CONFIG = 1
MINT_CLOSE_AUTHORITY = 3
CONFIDENTIAL_TRANSFER_MINT = 4
DEFAULT_ACCOUNT_STATE = 6
NON_TRANSFERABLE = 9
INTEREST_BEARING_CONFIG = 10
PERMANENT_DELEGATE = 12
TRANSFER_HOOK = 14
CONFIDENTIAL_TRANSFER_FEE_CONFIG = 16
METADATA_POINTER = 18
TOKEN_METADATA = 19
CONFIDENTIAL_MINT_BURN = 24
SCALED_UI_AMOUNT = 25
PAUSABLE = 26
EXTENSION_NAMES = {
    1: "transferFeeConfig", 3: "mintCloseAuthority", 4: "confidentialTransferMint", 6: "defaultAccountState",
    9: "nonTransferable", 10: "interestBearingConfig", 12: "permanentDelegate", 14: "transferHook",
    16: "confidentialTransferFeeConfig", 18: "metadataPointer", 19: "tokenMetadata", 20: "groupPointer",
    21: "tokenGroup", 22: "groupMemberPointer", 23: "tokenGroupMember", 24: "confidentialMintBurn",
    25: "scaledUiAmount", 26: "pausable",
}


@dataclass(frozen=True, slots=True)
class TransferFee:
    """A Token-2022 transfer fee: the scheduled (newer) fee and the one before it.

    Attributes:
        older_bps: Fee before ``newer_epoch``, in basis points.
        newer_bps: Fee from ``newer_epoch`` on, in basis points.
        newer_epoch: Epoch the newer fee takes effect.
        newer_maximum: Cap per transfer of the newer fee (atomic units).
        authority: Who can change the fee, None if nobody.
    """

    older_bps: int
    newer_bps: int
    newer_epoch: int
    newer_maximum: int
    authority: str | None

    @property
    def max_bps(self) -> int:
        """The higher of the two fees: what a holder must expect."""
        return max(self.older_bps, self.newer_bps)


@dataclass(frozen=True, slots=True)
class MintFacts:
    """What a mint account says about a token.

    Attributes:
        program: Owning token program id.
        supply: Supply in atomic units.
        decimals: Decimals.
        mint_authority: Who can mint more, None when revoked.
        freeze_authority: Who can freeze holders' accounts, None when absent.
        extensions: Token-2022 extension type ids present, in account order.
        transfer_fee: Transfer fee config, if any.
        permanent_delegate: Address that can move or burn anyone's tokens, if any.
        transfer_hook_program: Program invoked on every transfer, if one is set.
        transfer_hook_authority: Who can change the hook program, if anyone.
        default_frozen: New token accounts start frozen.
        non_transferable: Tokens cannot be transferred at all (soulbound).
        confidential_transfers: Balances and transfers can be encrypted.
        pausable_authority: Who can pause all transfers, if the mint is pausable.
        paused: Transfers are paused right now.
        close_authority: Who can close the mint, if anyone.
        name: Token-2022 metadata name ("" when absent).
        symbol: Token-2022 metadata symbol ("" when absent).
    """

    program: str
    supply: int
    decimals: int
    mint_authority: str | None
    freeze_authority: str | None
    extensions: tuple[int, ...] = ()
    transfer_fee: TransferFee | None = None
    permanent_delegate: str | None = None
    transfer_hook_program: str | None = None
    transfer_hook_authority: str | None = None
    default_frozen: bool = False
    non_transferable: bool = False
    confidential_transfers: bool = False
    pausable_authority: str | None = None
    paused: bool = False
    close_authority: str | None = None
    name: str = ""
    symbol: str = ""

    @property
    def token_2022(self) -> bool:
        """Whether the mint belongs to the Token-2022 program."""
        return self.program == TOKEN_2022_PROGRAM

    @property
    def extension_names(self) -> tuple[str, ...]:
        """Extension names as RPC nodes spell them (``extension<N>`` for unknown types)."""
        return tuple(EXTENSION_NAMES.get(kind, f"extension{kind}") for kind in self.extensions)


def _key(raw: bytes) -> str | None:
    """An OptionalNonZeroPubkey: all zeros means none."""
    return None if raw == _ZERO else str(Pubkey.from_bytes(raw))


def _coption_key(data: bytes, offset: int) -> str | None:
    tag, = struct.unpack_from("<I", data, offset)
    if tag not in (0, 1):
        raise RpcProtocolError("The mint account has a malformed authority field.")
    return str(Pubkey.from_bytes(data[offset + 4 : offset + 36])) if tag else None


def _tlv(data: bytes) -> list[tuple[int, bytes]]:
    if len(data) == MINT_LEN:
        return []
    if len(data) <= TOKEN_ACCOUNT_LEN or data[MINT_LEN:TOKEN_ACCOUNT_LEN] != bytes(TOKEN_ACCOUNT_LEN - MINT_LEN):
        raise RpcProtocolError("The mint account has an unexpected length or padding.")
    if data[TOKEN_ACCOUNT_LEN] != _MINT_TYPE:
        raise RpcProtocolError("The account is a token account, not a mint.")
    found: list[tuple[int, bytes]] = []
    pos = TOKEN_ACCOUNT_LEN + 1
    while pos + 4 <= len(data):
        kind, length = struct.unpack_from("<HH", data, pos)
        if kind == 0:
            break
        if pos + 4 + length > len(data):
            raise RpcProtocolError("The mint account has a truncated extension.")
        found.append((kind, data[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return found


def _need(raw: bytes, size: int, kind: int) -> bytes:
    if len(raw) < size:
        raise RpcProtocolError(f"The mint's {EXTENSION_NAMES.get(kind, kind)} extension is too short.")
    return raw


def _metadata(raw: bytes) -> tuple[str, str]:
    """Name and symbol of a TokenMetadata extension (update authority, mint, then borsh strings)."""
    out: list[str] = []
    pos = 64
    for _ in range(2):
        if pos + 4 > len(raw):
            return "", ""
        length, = struct.unpack_from("<I", raw, pos)
        text = raw[pos + 4 : pos + 4 + length]
        out.append(text.decode("utf-8", "replace")[:64])
        pos += 4 + length
    return out[0], out[1]


def decode_mint(owner: str, data: bytes) -> MintFacts:
    """Decode a mint account owned by ``owner``.

    Raises:
        RpcProtocolError: the owner is not a token program, or the data is not an initialized mint.
    """
    if owner not in TOKEN_PROGRAMS:
        raise RpcProtocolError("The account is not owned by a token program, so it is not a mint.")
    if len(data) < MINT_LEN or (owner != TOKEN_2022_PROGRAM and len(data) != MINT_LEN):
        raise RpcProtocolError("The account is not a mint (unexpected length).")
    if data[45] != 1:
        raise RpcProtocolError("The mint is not initialized.")
    supply, = struct.unpack_from("<Q", data, 36)
    fields: dict[str, Any] = {}
    kinds: list[int] = []
    for kind, raw in _tlv(data) if owner == TOKEN_2022_PROGRAM else []:
        kinds.append(kind)
        if kind == TRANSFER_FEE_CONFIG:
            _need(raw, 108, kind)
            _, _, older_bps = struct.unpack_from("<QQH", raw, 72)
            epoch, newer_max, newer_bps = struct.unpack_from("<QQH", raw, 90)
            fields["transfer_fee"] = TransferFee(older_bps, newer_bps, epoch, newer_max, _key(raw[:32]))
        elif kind == PERMANENT_DELEGATE:
            fields["permanent_delegate"] = _key(_need(raw, 32, kind)[:32])
        elif kind == TRANSFER_HOOK:
            _need(raw, 64, kind)
            fields["transfer_hook_authority"], fields["transfer_hook_program"] = _key(raw[:32]), _key(raw[32:64])
        elif kind == DEFAULT_ACCOUNT_STATE:
            fields["default_frozen"] = _need(raw, 1, kind)[0] == 2
        elif kind == NON_TRANSFERABLE:
            fields["non_transferable"] = True
        elif kind in (CONFIDENTIAL_TRANSFER_MINT, CONFIDENTIAL_MINT_BURN):
            fields["confidential_transfers"] = True
        elif kind == PAUSABLE:
            _need(raw, 33, kind)
            fields["pausable_authority"], fields["paused"] = _key(raw[:32]), raw[32] == 1
        elif kind == MINT_CLOSE_AUTHORITY:
            fields["close_authority"] = _key(_need(raw, 32, kind)[:32])
        elif kind == TOKEN_METADATA:
            fields["name"], fields["symbol"] = _metadata(raw)
    return MintFacts(owner, supply, data[44], _coption_key(data, 0), _coption_key(data, 46),
                     tuple(kinds), **fields)


@dataclass(frozen=True, slots=True)
class TokenAccountFacts:
    """The base fields of a token account.

    Attributes:
        mint: Mint.
        owner: Wallet (or program-derived address) that owns the tokens.
        amount: Balance in atomic units.
    """

    mint: str
    owner: str
    amount: int


def decode_token_account(owner_program: str, data: bytes) -> TokenAccountFacts | None:
    """Decode a token account's mint, owner and amount; None if the data is not an initialized one."""
    if owner_program not in TOKEN_PROGRAMS or len(data) < TOKEN_ACCOUNT_LEN or data[108] == 0:
        return None
    if len(data) > TOKEN_ACCOUNT_LEN and data[TOKEN_ACCOUNT_LEN] != 2:
        return None
    amount, = struct.unpack_from("<Q", data, 64)
    return TokenAccountFacts(str(Pubkey.from_bytes(data[0:32])), str(Pubkey.from_bytes(data[32:64])), amount)


def parse_largest_accounts(result: Any) -> list[tuple[str, int]]:
    """Parse a getTokenLargestAccounts result into (token account, atomic amount), skipping odd entries.

    Raises:
        RpcProtocolError: the result is not ``{"context", "value": [...]}``.
    """
    rows: list[tuple[str, int]] = []
    for entry in expect_list(context_value(result, "largest accounts"), "largest accounts"):
        address = entry.get("address") if isinstance(entry, dict) else None
        amount = entry.get("amount") if isinstance(entry, dict) else None
        if isinstance(address, str) and isinstance(amount, str) and amount.isdigit() and len(amount) <= 20:
            rows.append((address, int(amount)))
    return rows
