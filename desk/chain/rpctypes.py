"""Pure parsing of Solana JSON-RPC results into frozen values, rejecting any shape we did not expect.

Every function raises :class:`RpcProtocolError` on a malformed or hostile result, so nothing odd from
a node travels further into the desk.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from desk.core.errors import DeskError

TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
TOKEN_PROGRAMS = (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)


class RpcError(DeskError):
    """The node answered with a JSON-RPC error.

    Attributes:
        code: JSON-RPC error code.
        data: The error's ``data`` member, if any.
    """

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"The Solana node refused the request: {message} (code {code}).")
        self.code = code
        self.data = data


class RpcProtocolError(DeskError):
    """The node's answer was not the JSON-RPC shape the method promises."""


class RpcUnavailableError(DeskError):
    """The node could not be reached, kept failing, or kept rate-limiting after every retry."""


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """An account as returned with base64 encoding.

    Attributes:
        lamports: Balance.
        owner: Owning program (base58).
        data: Raw account data.
        executable: Whether it is a program.
    """

    lamports: int
    owner: str
    data: bytes
    executable: bool


@dataclass(frozen=True, slots=True)
class SignatureStatus:
    """The status of a signature the node knows about.

    Attributes:
        slot: Slot it landed in.
        err: The transaction error (validator JSON) or None on success.
        confirmation: processed, confirmed or finalized.
    """

    slot: int
    err: Any
    confirmation: str

    @property
    def landed(self) -> bool:
        """Whether the transaction is at least confirmed (success or failure)."""
        return self.confirmation in ("confirmed", "finalized")


@dataclass(frozen=True, slots=True)
class TokenBalance:
    """One token account of an owner.

    Attributes:
        account: Token account address.
        mint: Mint address.
        owner: Wallet that owns the token account.
        amount: Balance in atomic units.
        decimals: Mint decimals.
        program: Token or Token-2022 program id.
        lamports: Rent held by the token account.
    """

    account: str
    mint: str
    owner: str
    amount: int
    decimals: int
    program: str
    lamports: int


@dataclass(frozen=True, slots=True)
class Simulation:
    """What a simulated transaction would do.

    Attributes:
        err: The error it would fail with (validator JSON), or None.
        logs: Program logs.
        accounts: Requested accounts after the transaction (None = would not exist).
    """

    err: Any
    logs: tuple[str, ...]
    accounts: dict[str, AccountInfo | None]


def expect_int(value: Any, what: str) -> int:
    """Return ``value`` if it is a non-negative int (not bool), else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RpcProtocolError(f"The node sent a malformed {what}.")
    return value


def expect_dict(value: Any, what: str) -> dict[str, Any]:
    """Return ``value`` if it is a JSON object, else raise."""
    if not isinstance(value, dict):
        raise RpcProtocolError(f"The node sent a malformed {what}.")
    return value


def expect_list(value: Any, what: str) -> list[Any]:
    """Return ``value`` if it is a JSON array, else raise."""
    if not isinstance(value, list):
        raise RpcProtocolError(f"The node sent a malformed {what}.")
    return value


def context_value(result: Any, what: str) -> Any:
    """Unwrap ``{"context": {"slot"}, "value": …}``."""
    wrapper = expect_dict(result, what)
    if "value" not in wrapper:
        raise RpcProtocolError(f"The node sent a {what} without a value.")
    return wrapper["value"]


def parse_account(value: Any) -> AccountInfo | None:
    """Parse one base64-encoded account (or null)."""
    if value is None:
        return None
    account = expect_dict(value, "account")
    data = account.get("data")
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], str) and data[1] == "base64"):
        raise RpcProtocolError("The node sent account data in an unexpected encoding.")
    try:
        raw = base64.b64decode(data[0], validate=True)
    except (binascii.Error, ValueError) as e:
        raise RpcProtocolError("The node sent account data that is not base64.") from e
    owner = account.get("owner")
    if not isinstance(owner, str):
        raise RpcProtocolError("The node sent an account without an owner.")
    return AccountInfo(expect_int(account.get("lamports"), "balance"), owner, raw, bool(account.get("executable")))


def parse_status(value: Any) -> SignatureStatus | None:
    """Parse one entry of getSignatureStatuses."""
    if value is None:
        return None
    status = expect_dict(value, "signature status")
    confirmation = status.get("confirmationStatus") or "processed"
    if confirmation not in ("processed", "confirmed", "finalized"):
        raise RpcProtocolError("The node sent an unknown confirmation status.")
    return SignatureStatus(expect_int(status.get("slot"), "slot"), status.get("err"), str(confirmation))


def parse_token_accounts(value: Any, owner: str) -> list[TokenBalance]:
    """Parse a jsonParsed getTokenAccountsByOwner value."""
    out: list[TokenBalance] = []
    for item in expect_list(value, "token account list"):
        entry = expect_dict(item, "token account")
        account = expect_dict(entry.get("account"), "token account")
        data = expect_dict(account.get("data"), "token account data")
        info = expect_dict(expect_dict(data.get("parsed"), "token account data").get("info"), "token account info")
        amount = expect_dict(info.get("tokenAmount"), "token amount")
        raw_amount = amount.get("amount")
        if not isinstance(raw_amount, str) or not raw_amount.isdigit():
            raise RpcProtocolError("The node sent a malformed token amount.")
        pubkey, mint, program = entry.get("pubkey"), info.get("mint"), account.get("owner")
        if not all(isinstance(x, str) for x in (pubkey, mint, program)) or program not in TOKEN_PROGRAMS:
            raise RpcProtocolError("The node sent a token account with missing fields.")
        out.append(TokenBalance(str(pubkey), str(mint), owner, int(raw_amount),
                                expect_int(amount.get("decimals"), "decimals"), str(program),
                                expect_int(account.get("lamports"), "balance")))
    return out
