"""Plain-words descriptions of transaction errors in the validator's JSON form."""

from __future__ import annotations

from typing import Any

_FIELDLESS = {
    "AccountNotFound": "the paying wallet has no SOL (its account does not exist)",
    "BlockhashNotFound": "its blockhash expired before it landed",
    "AlreadyProcessed": "it was already processed",
    "InsufficientFundsForFee": "the paying wallet cannot cover the network fee",
    "SignatureFailure": "a signature is invalid",
    "AccountInUse": "an account was busy; try again",
}
_SYSTEM_CUSTOM = {0: "the account already exists", 1: "insufficient SOL for the transfer"}
_TOKEN_CUSTOM = {1: "insufficient token balance", 11: "a token account still holds tokens and cannot be closed",
                 4: "the token account's owner did not sign"}


def describe(err: Any) -> str:
    """Return one plain sentence for a transaction error (validator JSON)."""
    if err is None:
        return "succeeded"
    if isinstance(err, str):
        return _FIELDLESS.get(err, err)
    if isinstance(err, dict) and err:
        kind, value = next(iter(err.items()))
        if kind == "InsufficientFundsForRent":
            index = value.get("account_index") if isinstance(value, dict) else None
            return f"account #{index} would be left below the rent-exempt minimum"
        if kind == "InstructionError" and isinstance(value, list) and len(value) == 2:
            index, detail = value
            if isinstance(detail, dict) and "Custom" in detail:
                code = detail["Custom"]
                known = _SYSTEM_CUSTOM.get(code) if code in (0, 1) else _TOKEN_CUSTOM.get(code)
                return f"instruction {index} failed: {known or f'program error {code}'}"
            return f"instruction {index} failed: {detail}"
        return f"{kind}: {value}"
    return str(err)[:200]
