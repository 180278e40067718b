"""The Solana JSON-RPC methods simnet serves, with mainnet result shapes and error codes.

Every method takes the request's positional ``params`` and returns the ``result`` value, or raises
``RpcError`` with the validator's code and text. Shapes are the ones solders' ``*Resp.from_json`` accepts
(reference/chain.md §6.1): a ``{"context":{"slot"},"value"}`` wrapper where mainnet has one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from solders.account import Account
from solders.message import from_bytes_versioned
from solders.pubkey import Pubkey
from solders.rpc.responses import RpcSimulateTransactionResult
from solders.signature import Signature
from solders.transaction import Legacy, VersionedTransaction
from solders.transaction_status import TransactionErrorFieldless

from desk.simnet.chain import SimChain
from desk.simnet.records import (
    InvalidTransactionError,
    SimnetError,
    TxRecord,
    b58decode,
    b58encode,
    decode_transaction,
    describe_error,
    err_to_json,
    inner_instructions_json,
    transaction_json,
)
from desk.simnet.tokens import (
    TOKEN_PROGRAMS,
    account_info_json,
    mint_info_json,
    parse_mint,
    parse_token_account,
    program_label,
    ui_token_amount,
)

U64_MAX = 2**64 - 1
VERSION = {"solana-core": "3.1.9", "feature-set": 3294202862}
_TX_TYPE = "solana_transaction::versioned::VersionedTransaction"
_MAX_ENCODED = {"base58": 1683, "base64": 1644}


class RpcError(Exception):
    """A JSON-RPC error response: ``code``, ``message`` and optional ``data``."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def _invalid(message: str) -> RpcError:
    return RpcError(-32602, message)


def _arg(params: list[Any], index: int, kind: type | tuple[type, ...], name: str, *, required: bool = True) -> Any:
    if index >= len(params) or params[index] is None:
        if required:
            raise _invalid(f"Invalid params: missing {name}")
        return None
    value = params[index]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise _invalid(f"Invalid params: {name} was {type(value).__name__}")
    return value


def _config(params: list[Any], index: int) -> dict[str, Any]:
    value = _arg(params, index, dict, "configuration", required=False)
    return value or {}


def _pubkey(value: Any) -> Pubkey:
    if not isinstance(value, str):
        raise _invalid(f"Invalid params: expected a base58 public key string, was {type(value).__name__}")
    try:
        return Pubkey.from_string(value)
    except ValueError:
        raise _invalid("Invalid param: Invalid") from None


def _signature(value: Any) -> Signature:
    if not isinstance(value, str):
        raise _invalid(f"Invalid params: expected a base58 signature string, was {type(value).__name__}")
    try:
        return Signature.from_string(value)
    except ValueError:
        raise _invalid("Invalid param: Invalid") from None


def _int_option(cfg: dict[str, Any], key: str, default: int | None) -> int | None:
    value = cfg.get(key, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise _invalid(f"Invalid params: {key} was {value!r}")
    return value


class RpcMethods:
    """The method table for one chain: ``table[name](params) -> result``."""

    def __init__(self, chain: SimChain) -> None:
        self.chain = chain
        self.table: dict[str, Callable[[list[Any]], Any]] = {
            "getHealth": lambda p: "ok",
            "getVersion": lambda p: dict(VERSION),
            "getSlot": lambda p: chain.slot,
            "getBlockHeight": lambda p: chain.block_height,
            "getLatestBlockhash": self.get_latest_blockhash,
            "getBalance": lambda p: self._ctx(chain.get_balance(_pubkey(_arg(p, 0, str, "pubkey")))),
            "getAccountInfo": self.get_account_info,
            "getMultipleAccounts": self.get_multiple_accounts,
            "getTokenAccountsByOwner": self.get_token_accounts_by_owner,
            "getTokenAccountBalance": self.get_token_account_balance,
            "getTokenSupply": self.get_token_supply,
            "getTokenLargestAccounts": self.get_token_largest_accounts,
            "getMinimumBalanceForRentExemption": self.get_minimum_balance_for_rent_exemption,
            "getFeeForMessage": self.get_fee_for_message,
            "getRecentPrioritizationFees": lambda p: [{"slot": chain.slot, "prioritizationFee": 0}],
            "sendTransaction": self.send_transaction,
            "simulateTransaction": self.simulate_transaction,
            "getSignatureStatuses": self.get_signature_statuses,
            "getTransaction": self.get_transaction,
            "getSignaturesForAddress": self.get_signatures_for_address,
            "requestAirdrop": self.request_airdrop,
        }

    def _ctx(self, value: Any) -> dict[str, Any]:
        return {"context": {"slot": self.chain.slot, "apiVersion": VERSION["solana-core"]}, "value": value}

    # --- accounts -------------------------------------------------------------------------------------

    def account_json(self, account: Account, cfg: dict[str, Any]) -> dict[str, Any]:
        """Render ``account`` in the requested encoding (jsonParsed falls back to base64, as on mainnet)."""
        encoding = cfg.get("encoding", "base64") or "base64"
        data = bytes(account.data)
        out: dict[str, Any] = {"lamports": account.lamports, "owner": str(account.owner),
                               "executable": account.executable, "rentEpoch": U64_MAX, "space": len(data)}
        if encoding == "jsonParsed":
            parsed = self._parsed(account, data)
            if parsed is not None:
                out["data"] = parsed
                return out
            encoding = "base64"
        data_slice = cfg.get("dataSlice")
        if data_slice is not None:
            offset = _int_option(data_slice if isinstance(data_slice, dict) else {}, "offset", None)
            length = _int_option(data_slice if isinstance(data_slice, dict) else {}, "length", None)
            if offset is None or length is None:
                raise _invalid("Invalid params: dataSlice needs offset and length")
            data = data[offset : offset + length]
        if encoding == "base64":
            out["data"] = [base64.b64encode(data).decode(), "base64"]
        elif encoding == "base58":
            if len(data) > 128:
                raise RpcError(-32600, "Encoded binary (base 58) data should be less than 128 bytes, "
                                       "please use Base64 encoding.")
            out["data"] = [b58encode(data), "base58"]
        else:
            raise _invalid(f"Invalid params: unsupported encoding {encoding!r}")
        return out

    def _parsed(self, account: Account, data: bytes) -> dict[str, Any] | None:
        if account.owner not in TOKEN_PROGRAMS:
            return None
        mint = parse_mint(account.owner, data)
        if mint is not None:
            parsed = {"type": "mint", "info": mint_info_json(mint)}
        else:
            state = parse_token_account(account.owner, data)
            mint_account = self.chain.get_account(state.mint) if state else None
            decimals = parse_mint(mint_account.owner, bytes(mint_account.data)) if mint_account else None
            if state is None or decimals is None:
                return None
            parsed = {"type": "account", "info": account_info_json(state, decimals.decimals)}
        return {"program": program_label(account.owner), "parsed": parsed, "space": len(data)}

    def _maybe_account(self, account: Account | None, cfg: dict[str, Any]) -> dict[str, Any] | None:
        return None if account is None else self.account_json(account, cfg)

    def get_account_info(self, params: list[Any]) -> dict[str, Any]:
        """getAccountInfo ``[pubkey, {encoding, dataSlice}]``."""
        key, cfg = _pubkey(_arg(params, 0, str, "pubkey")), _config(params, 1)
        return self._ctx(self._maybe_account(self.chain.get_account(key), cfg))

    def get_multiple_accounts(self, params: list[Any]) -> dict[str, Any]:
        """getMultipleAccounts ``[[pubkeys <= 100], {encoding, dataSlice}]``."""
        raw, cfg = _arg(params, 0, list, "pubkeys"), _config(params, 1)
        if len(raw) > 100:
            raise _invalid("Too many inputs provided; max 100")
        accounts = self.chain.get_accounts([_pubkey(k) for k in raw])
        return self._ctx([self._maybe_account(a, cfg) for a in accounts])

    def get_token_accounts_by_owner(self, params: list[Any]) -> dict[str, Any]:
        """getTokenAccountsByOwner ``[owner, {mint} | {programId}, {encoding}]``."""
        owner = _pubkey(_arg(params, 0, str, "owner"))
        filt, cfg = _arg(params, 1, dict, "filter"), _config(params, 2)
        if len(filt) != 1 or not ({"mint", "programId"} & filt.keys()):
            raise _invalid("Invalid params: expected exactly one of mint or programId")
        if "mint" in filt:
            mint = _pubkey(filt["mint"])
            mint_account = self.chain.get_account(mint)
            if mint_account is None or parse_mint(mint_account.owner, bytes(mint_account.data)) is None:
                raise _invalid("Invalid param: could not find mint")
            found = self.chain.token_accounts_by_owner(owner, mint=mint)
        else:
            program = _pubkey(filt["programId"])
            if program not in TOKEN_PROGRAMS:
                raise _invalid("Invalid param: unrecognized Token program id")
            found = self.chain.token_accounts_by_owner(owner, program_id=program)
        return self._ctx([{"pubkey": str(k), "account": self.account_json(a, cfg)} for k, a in found])

    def _token_account(self, params: list[Any]) -> tuple[int, int]:
        key = _pubkey(_arg(params, 0, str, "token account"))
        account = self.chain.get_account(key)
        state = parse_token_account(account.owner, bytes(account.data)) if account else None
        mint_account = self.chain.get_account(state.mint) if state else None
        mint = parse_mint(mint_account.owner, bytes(mint_account.data)) if mint_account else None
        if state is None or mint is None:
            raise _invalid("Invalid param: not a Token account")
        return state.amount, mint.decimals

    def get_token_account_balance(self, params: list[Any]) -> dict[str, Any]:
        """getTokenAccountBalance ``[token account]``."""
        return self._ctx(ui_token_amount(*self._token_account(params)))

    def get_token_supply(self, params: list[Any]) -> dict[str, Any]:
        """getTokenSupply ``[mint]``."""
        account = self.chain.get_account(_pubkey(_arg(params, 0, str, "mint")))
        mint = parse_mint(account.owner, bytes(account.data)) if account else None
        if mint is None:
            raise _invalid("Invalid param: not a Token mint")
        return self._ctx(ui_token_amount(mint.supply, mint.decimals))

    def get_token_largest_accounts(self, params: list[Any]) -> dict[str, Any]:
        """getTokenLargestAccounts ``[mint]``: the 20 largest token accounts of the mint."""
        key = _pubkey(_arg(params, 0, str, "mint"))
        account = self.chain.get_account(key)
        mint = parse_mint(account.owner, bytes(account.data)) if account else None
        if mint is None:
            raise _invalid("Invalid param: not a Token mint")
        holders = []
        for address, acct in self.chain.token_accounts_by_mint(key):
            state = parse_token_account(acct.owner, bytes(acct.data))
            if state is not None:
                holders.append((state.amount, str(address)))
        holders.sort(key=lambda h: (-h[0], h[1]))
        return self._ctx([{"address": address, **ui_token_amount(amount, mint.decimals)}
                          for amount, address in holders[:20]])

    # --- transactions ---------------------------------------------------------------------------------

    def _wire(self, params: list[Any], default_encoding: str) -> VersionedTransaction:
        text, cfg = _arg(params, 0, str, "transaction"), _config(params, 1)
        encoding = cfg.get("encoding") or default_encoding
        if encoding not in _MAX_ENCODED:
            raise _invalid(f"unsupported encoding: {encoding}. Supported encodings: base58, base64")
        if len(text) > _MAX_ENCODED[encoding]:
            raise _invalid(f"{encoding} encoded {_TX_TYPE} too large: {len(text)} bytes "
                           f"(max: encoded/raw {_MAX_ENCODED[encoding]}/1232)")
        try:
            raw = b58decode(text) if encoding == "base58" else base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error) as e:
            raise _invalid(f"invalid {encoding} encoding: {e}") from None
        try:
            return decode_transaction(raw)
        except InvalidTransactionError as e:
            raise _invalid(str(e)) from None

    def send_transaction(self, params: list[Any]) -> str:
        """sendTransaction ``[tx, {encoding, skipPreflight, ...}]``: preflight unless skipped."""
        tx, cfg = self._wire(params, "base58"), _config(params, 1)
        skip = cfg.get("skipPreflight", False)
        if not isinstance(skip, bool):
            raise _invalid("Invalid params: skipPreflight was not a boolean")
        result = self.chain.send_transaction(tx, preflight=not skip)
        check = result.preflight
        if check is not None:
            if check.err == TransactionErrorFieldless.SignatureFailure:
                raise RpcError(-32003, "Transaction signature verification failure")
            data = RpcSimulateTransactionResult(err=check.err, logs=list(check.logs),
                                                units_consumed=check.units_consumed).to_json()
            err = err_to_json(check.err)
            raise RpcError(-32002, f"Transaction simulation failed: {describe_error(err)}", _loads(data))
        return str(result.signature)

    def simulate_transaction(self, params: list[Any]) -> dict[str, Any]:
        """simulateTransaction ``[tx, {encoding, sigVerify, replaceRecentBlockhash, accounts, innerInstructions}]``."""
        tx, cfg = self._wire(params, "base58"), _config(params, 1)
        sig_verify, replace = bool(cfg.get("sigVerify", False)), bool(cfg.get("replaceRecentBlockhash", False))
        if sig_verify and replace:
            raise _invalid("sigVerify may not be used with replaceRecentBlockhash")
        sim = self.chain.simulate_transaction(tx, sig_verify=sig_verify, replace_blockhash=replace)
        value = _loads(RpcSimulateTransactionResult(err=sim.err, logs=list(sim.logs),
                                                    units_consumed=sim.units_consumed).to_json())
        wanted = cfg.get("accounts")
        if isinstance(wanted, dict) and sim.err is None:
            addresses = wanted.get("addresses")
            if not isinstance(addresses, list) or len(addresses) > 100:
                raise _invalid("Invalid params: accounts.addresses must be a list of at most 100 keys")
            keys = [_pubkey(k) for k in addresses]
            current = self.chain.get_accounts(keys)
            post = sim.post_accounts or {}
            value["accounts"] = [self._maybe_account(post.get(k, c), wanted)
                                 for k, c in zip(keys, current, strict=True)]
        if cfg.get("innerInstructions") and sim.err is None:
            value["innerInstructions"] = inner_instructions_json(sim.inner_instructions, tx.message.account_keys,
                                                                 parsed=True)
        if replace:
            blockhash, last_valid = self.chain.latest_blockhash()
            value["replacementBlockhash"] = {"blockhash": str(blockhash), "lastValidBlockHeight": last_valid}
        value["fee"] = sim.fee if sim.err is None else None
        return self._ctx(value)

    def get_minimum_balance_for_rent_exemption(self, params: list[Any]) -> int:
        """getMinimumBalanceForRentExemption ``[data length]``."""
        length = _arg(params, 0, int, "data length")
        if not 0 <= length <= 10 * 1024 * 1024:
            raise _invalid(f"Invalid params: data length was {length}")
        return self.chain.minimum_balance_for_rent_exemption(length)

    def get_latest_blockhash(self, params: list[Any]) -> dict[str, Any]:
        """getLatestBlockhash ``[{commitment}]``."""
        blockhash, last_valid = self.chain.latest_blockhash()
        return self._ctx({"blockhash": str(blockhash), "lastValidBlockHeight": last_valid})

    def get_fee_for_message(self, params: list[Any]) -> dict[str, Any]:
        """getFeeForMessage ``[base64 message]``: null if its blockhash is no longer valid."""
        text = _arg(params, 0, str, "message")
        try:
            message = from_bytes_versioned(base64.b64decode(text, validate=True))
        except (ValueError, binascii.Error):
            raise _invalid("invalid base64 encoding of a message") from None
        if not self.chain.is_blockhash_valid(message.recent_blockhash):
            return self._ctx(None)
        return self._ctx(self.chain.fee_for_message(message))

    def _status(self, record: TxRecord) -> dict[str, Any]:
        status, confirmations = self.chain.confirmation(record)
        return {"slot": record.slot, "confirmations": confirmations, "err": record.err_json,
                "status": {"Ok": None} if record.err is None else {"Err": record.err_json},
                "confirmationStatus": status}

    def get_signature_statuses(self, params: list[Any]) -> dict[str, Any]:
        """getSignatureStatuses ``[[signatures <= 256], {searchTransactionHistory}]``."""
        raw = _arg(params, 0, list, "signatures")
        if len(raw) > 256:
            raise _invalid("Too many inputs provided; max 256")
        records = [self.chain.get_transaction(_signature(s)) for s in raw]
        return self._ctx([None if r is None else self._status(r) for r in records])

    def get_transaction(self, params: list[Any]) -> dict[str, Any] | None:
        """getTransaction ``[signature, {encoding, maxSupportedTransactionVersion}]``."""
        signature, cfg = _signature(_arg(params, 0, str, "signature")), _config(params, 1)
        encoding = cfg.get("encoding") or "json"
        if encoding not in ("json", "jsonParsed", "base64", "base58"):
            raise _invalid(f"Invalid params: unsupported encoding {encoding!r}")
        max_version = _int_option(cfg, "maxSupportedTransactionVersion", None)
        record = self.chain.get_transaction(signature)
        if record is None:
            return None
        version = record.tx.version()
        if version != Legacy.Legacy and (max_version is None or max_version < int(version)):
            raise RpcError(-32015, f"Transaction version ({version}) is not supported by the requesting client. "
                                   "Please try the request again with the following configuration parameter: "
                                   f'"maxSupportedTransactionVersion": {version}')
        result = {"slot": record.slot, "blockTime": record.block_time,
                  "meta": record.meta_json(parsed=encoding == "jsonParsed"),
                  "transaction": transaction_json(record, encoding)}
        if max_version is not None:
            result["version"] = "legacy" if version == Legacy.Legacy else version
        return result

    def get_signatures_for_address(self, params: list[Any]) -> list[dict[str, Any]]:
        """getSignaturesForAddress ``[address, {limit <= 1000, before, until}]``, newest first."""
        address, cfg = _pubkey(_arg(params, 0, str, "address")), _config(params, 1)
        limit = _int_option(cfg, "limit", 1000) or 1000
        if limit > 1000:
            raise _invalid("Invalid limit; max 1000")
        before = _signature(cfg["before"]) if cfg.get("before") else None
        until = _signature(cfg["until"]) if cfg.get("until") else None
        records = self.chain.signatures_for_address(address, limit=limit, before=before, until=until)
        return [{"signature": str(r.signature), "slot": r.slot, "err": r.err_json, "memo": None,
                 "blockTime": r.block_time, "confirmationStatus": self.chain.confirmation(r)[0]} for r in records]

    def request_airdrop(self, params: list[Any]) -> str:
        """requestAirdrop ``[pubkey, lamports]``: the simnet faucet."""
        key, lamports = _pubkey(_arg(params, 0, str, "pubkey")), _arg(params, 1, int, "lamports")
        if not 0 < lamports <= U64_MAX:
            raise _invalid(f"Invalid params: lamports was {lamports}")
        try:
            return str(self.chain.airdrop(key, lamports))
        except SimnetError as e:
            raise RpcError(-32603, f"airdrop request failed: {e}") from None


def _loads(text: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)
    return value
