"""A Solana JSON-RPC client: one pooled connection, rate limiting, retries with backoff, clear errors.

It speaks JSON-RPC itself (httpx + orjson) instead of wrapping solana-py, whose client lets Rust panics
escape ``except Exception`` and returns unknown error codes as bare ints (chain.md §5.3).
Methods that take many keys split them into the node's batch limits.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import random
from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from desk.chain.ratelimit import RateLimit, SlidingWindowLimiter
from desk.chain.rpctypes import (
    TOKEN_PROGRAMS,
    AccountInfo,
    RpcError,
    RpcProtocolError,
    RpcUnavailableError,
    SignatureStatus,
    Simulation,
    TokenBalance,
    context_value,
    expect_dict,
    expect_int,
    expect_list,
    parse_account,
    parse_status,
    parse_token_accounts,
)

log = logging.getLogger(__name__)

MAX_ACCOUNTS_PER_CALL = 100
MAX_SIGNATURES_PER_CALL = 256
MAX_RESPONSE_BYTES = 50_000_000
# Errors a node returns while it is behind or busy: worth another try.
RETRYABLE_RPC_CODES = {-32005, -32004, -32014, -32016, -32429, 429}


class RpcClient:
    """Asynchronous JSON-RPC client for one endpoint.

    Args:
        url: HTTP(S) endpoint.
        transport: Injected httpx transport (tests, custom stacks); default is a pooled connection.
        rate_limit: Calls per window, or None for no limit.
        timeout: Seconds per attempt.
        retries: Extra attempts after a timeout, 429, 5xx, or a garbled answer.
        backoff: First backoff in seconds; doubles each retry, with jitter.
    """

    def __init__(self, url: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 rate_limit: RateLimit | None = None, timeout: float = 10.0, retries: int = 4,
                 backoff: float = 0.25) -> None:
        self.url = url
        self._http = httpx.AsyncClient(
            transport=transport, timeout=timeout, headers={"content-type": "application/json"},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )
        self._limiter = SlidingWindowLimiter(rate_limit) if rate_limit else None
        self._retries = retries
        self._backoff = backoff
        self._ids = itertools.count(1)
        self.requests_made = 0

    async def aclose(self) -> None:
        """Close the pooled connection."""
        await self._http.aclose()

    async def call(self, method: str, params: list[Any] | None = None) -> Any:
        """Call one method and return its ``result``.

        Raises:
            RpcError: the node answered with a JSON-RPC error.
            RpcUnavailableError: unreachable, timing out, 429/5xx or garbled after every retry.
        """
        body = orjson.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []})
        last_problem = ""
        for attempt in range(self._retries + 1):
            if attempt:
                delay = self._backoff * (2 ** (attempt - 1)) * (0.5 + random.random())  # noqa: S311 - jitter
                await asyncio.sleep(min(delay, 10.0))
            if self._limiter:
                await self._limiter.acquire()
            self.requests_made += 1
            try:
                response = await self._http.post(self.url, content=body)
            except httpx.TimeoutException:
                last_problem = "it did not answer in time"
                continue
            except httpx.TransportError as e:
                last_problem = f"the connection failed ({type(e).__name__})"
                continue
            if response.status_code == 429:
                last_problem = "it is rate-limiting this desk (HTTP 429)"
                await self._honour_retry_after(response)
                continue
            if response.status_code >= 500:
                last_problem = f"it failed with HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise RpcUnavailableError(f"The Solana node at {self.url} answered HTTP {response.status_code}.")
            try:
                return self._result(response.content)
            except RpcError as e:
                if e.code in RETRYABLE_RPC_CODES:
                    last_problem = str(e)
                    continue
                raise
            except RpcProtocolError as e:
                last_problem = str(e)
                continue
        raise RpcUnavailableError(
            f"The Solana node at {self.url} could not serve {method}: {last_problem} "
            f"(tried {self._retries + 1} times)."
        )

    async def _honour_retry_after(self, response: httpx.Response) -> None:
        try:
            wait = float(response.headers.get("retry-after", "0"))
        except ValueError:
            wait = 0.0
        if 0 < wait <= 30:
            await asyncio.sleep(wait)

    @staticmethod
    def _result(content: bytes) -> Any:
        if len(content) > MAX_RESPONSE_BYTES:
            raise RpcProtocolError("The node sent an answer too large to be real.")
        try:
            doc = orjson.loads(content)
        except orjson.JSONDecodeError as e:
            raise RpcProtocolError("The node answered with something that is not JSON.") from e
        if not isinstance(doc, dict):
            raise RpcProtocolError("The node answered with JSON that is not a JSON-RPC response.")
        error = doc.get("error")
        if error is not None:
            if not isinstance(error, dict):
                raise RpcProtocolError("The node sent a malformed error.")
            code = error.get("code")
            message = error.get("message")
            raise RpcError(code if isinstance(code, int) and not isinstance(code, bool) else -1,
                           str(message)[:300] if message is not None else "unknown error", error.get("data"))
        if "result" not in doc:
            raise RpcProtocolError("The node sent a response without a result.")
        return doc["result"]

    # --- typed methods -------------------------------------------------------------------------

    async def get_multiple_accounts(self, pubkeys: Sequence[str], *, data: bool = True
                                    ) -> dict[str, AccountInfo | None]:
        """Return each account (None if it does not exist), 100 keys per request.

        With ``data=False`` only lamports and owner are fetched (a zero-length data slice).
        """
        out: dict[str, AccountInfo | None] = {}
        config: dict[str, Any] = {"encoding": "base64", "commitment": "confirmed"}
        if not data:
            config["dataSlice"] = {"offset": 0, "length": 0}
        for start in range(0, len(pubkeys), MAX_ACCOUNTS_PER_CALL):
            chunk = list(pubkeys[start:start + MAX_ACCOUNTS_PER_CALL])
            value = expect_list(context_value(await self.call("getMultipleAccounts", [chunk, config]),
                                              "account list"), "account list")
            if len(value) != len(chunk):
                raise RpcProtocolError("The node returned a different number of accounts than asked for.")
            for key, item in zip(chunk, value, strict=True):
                out[key] = parse_account(item)
        return out

    async def get_sol_balances(self, pubkeys: Sequence[str]) -> dict[str, int]:
        """Return lamports per public key (0 for accounts that do not exist)."""
        accounts = await self.get_multiple_accounts(pubkeys, data=False)
        return {key: (account.lamports if account else 0) for key, account in accounts.items()}

    async def get_balance(self, pubkey: str) -> int:
        """Return one account's lamports."""
        return expect_int(context_value(await self.call("getBalance", [pubkey, {"commitment": "confirmed"}]),
                                        "balance"), "balance")

    async def get_token_balances(self, owner: str) -> list[TokenBalance]:
        """Return every SPL Token and Token-2022 account of ``owner``."""
        out: list[TokenBalance] = []
        for program in TOKEN_PROGRAMS:
            result = await self.call("getTokenAccountsByOwner", [
                owner, {"programId": program}, {"encoding": "jsonParsed", "commitment": "confirmed"}])
            out.extend(parse_token_accounts(context_value(result, "token account list"), owner))
        return out

    async def get_latest_blockhash(self) -> tuple[str, int]:
        """Return a recent blockhash and the last block height at which it is valid."""
        value = expect_dict(context_value(await self.call("getLatestBlockhash", [{"commitment": "confirmed"}]),
                                          "blockhash"), "blockhash")
        blockhash = value.get("blockhash")
        if not isinstance(blockhash, str):
            raise RpcProtocolError("The node sent a malformed blockhash.")
        return blockhash, expect_int(value.get("lastValidBlockHeight"), "block height")

    async def get_block_height(self) -> int:
        """Return the current block height."""
        return expect_int(await self.call("getBlockHeight", [{"commitment": "confirmed"}]), "block height")

    async def get_minimum_balance_for_rent_exemption(self, size: int) -> int:
        """Return the rent-exempt minimum for an account of ``size`` bytes."""
        return expect_int(await self.call("getMinimumBalanceForRentExemption", [size]), "rent minimum")

    async def send_transaction(self, raw: bytes, *, skip_preflight: bool = False) -> str:
        """Submit a signed transaction once (``maxRetries: 0``: the desk rebroadcasts itself)."""
        result = await self.call("sendTransaction", [
            base64.b64encode(raw).decode(),
            {"encoding": "base64", "skipPreflight": skip_preflight, "preflightCommitment": "confirmed",
             "maxRetries": 0},
        ])
        if not isinstance(result, str):
            raise RpcProtocolError("The node did not return a transaction signature.")
        return result

    async def simulate(self, raw: bytes, accounts: Sequence[str]) -> Simulation:
        """Simulate a (possibly unsigned) transaction and return its error, logs and the accounts after it."""
        result = await self.call("simulateTransaction", [
            base64.b64encode(raw).decode(),
            {"encoding": "base64", "sigVerify": False, "replaceRecentBlockhash": False, "commitment": "confirmed",
             "accounts": {"encoding": "base64", "addresses": list(accounts)}},
        ])
        value = expect_dict(context_value(result, "simulation"), "simulation")
        post = expect_list(value.get("accounts") or [None] * len(accounts), "simulated accounts")
        if len(post) != len(accounts):
            raise RpcProtocolError("The node simulated a different number of accounts than asked for.")
        logs = value.get("logs") or []
        return Simulation(value.get("err"), tuple(str(line) for line in logs if isinstance(line, str)),
                          {key: parse_account(item) for key, item in zip(accounts, post, strict=True)})

    async def get_signature_statuses(self, signatures: Sequence[str]) -> dict[str, SignatureStatus | None]:
        """Return the status of each signature (None if unknown), 256 per request."""
        out: dict[str, SignatureStatus | None] = {}
        for start in range(0, len(signatures), MAX_SIGNATURES_PER_CALL):
            chunk = list(signatures[start:start + MAX_SIGNATURES_PER_CALL])
            value = expect_list(context_value(
                await self.call("getSignatureStatuses", [chunk, {"searchTransactionHistory": True}]),
                "signature statuses"), "signature statuses")
            if len(value) != len(chunk):
                raise RpcProtocolError("The node returned a different number of statuses than asked for.")
            for sig, item in zip(chunk, value, strict=True):
                out[sig] = parse_status(item)
        return out

    async def get_transaction(self, signature: str) -> dict[str, Any] | None:
        """Return a confirmed transaction (base64, see desk.chain.fills.parse_transaction) or None if unknown."""
        result = await self.call("getTransaction", [signature, {
            "encoding": "base64", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"}])
        return None if result is None else expect_dict(result, "transaction")

    async def request_airdrop(self, pubkey: str, lamports: int) -> str:
        """Ask the faucet (simnet, devnet) for lamports."""
        result = await self.call("requestAirdrop", [pubkey, lamports])
        if not isinstance(result, str):
            raise RpcProtocolError("The faucet did not return a transaction signature.")
        return result
