"""Submit signed transactions, confirm them in batches, rebroadcast until their blockhash expires.

A transaction is sent once with preflight (a simulation failure is reported at once), then re-sent
as the same bytes (same signature, so it can land at most once) until it is confirmed, fails, or the
chain passes its last valid block height, when it is known dead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from solders.transaction import VersionedTransaction

from desk.chain.rpc import RpcClient
from desk.chain.rpctypes import RpcError
from desk.chain.txerrors import describe
from desk.core.errors import DeskError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a transaction ended.

    Attributes:
        signature: Its signature.
        state: confirmed, failed, expired, or unknown (still in flight when waiting stopped).
        reason: Plain-words reason for a failure or expiry.
        err: The validator's error JSON, if any.
    """

    signature: str
    state: str
    reason: str = ""
    err: object = None


ProgressFn = Callable[[Outcome], None]


class Sender:
    """Sends and confirms transactions through one RPC client.

    Args:
        rpc: The client.
        poll_interval: Seconds between batched status queries.
        rebroadcast_interval: Seconds between re-sends of an unconfirmed transaction.
        timeout: Give up waiting (state stays unknown to the caller as "expired") after this many seconds.
    """

    def __init__(self, rpc: RpcClient, *, poll_interval: float = 0.4, rebroadcast_interval: float = 2.0,
                 timeout: float = 120.0) -> None:
        self._rpc = rpc
        self._poll = poll_interval
        self._rebroadcast = rebroadcast_interval
        self._timeout = timeout

    async def send_all(self, txs: Sequence[tuple[VersionedTransaction, int]],
                       on_outcome: ProgressFn | None = None) -> list[Outcome]:
        """Send every ``(transaction, last_valid_block_height)`` and wait for each to settle."""
        raws: dict[str, tuple[bytes | None, int]] = {
            str(tx.signatures[0]): (bytes(tx), last_valid) for tx, last_valid in txs}
        outcomes: dict[str, Outcome] = {}

        def settle(outcome: Outcome) -> None:
            outcomes[outcome.signature] = outcome
            if on_outcome:
                on_outcome(outcome)

        async def first_send(sig: str, raw: bytes) -> None:
            try:
                await self._rpc.send_transaction(raw)
            except RpcError as e:
                if e.code == -32002 and isinstance(e.data, dict):  # preflight simulation failed: never submitted
                    settle(Outcome(sig, "failed", describe(e.data.get("err")), e.data.get("err")))
                elif e.code == -32003:
                    settle(Outcome(sig, "failed", "a signature is invalid"))
                else:
                    log.info("send of %s refused: %s", sig, e)
            except DeskError as e:  # unreachable node: the rebroadcast loop keeps trying
                log.info("send of %s not delivered yet: %s", sig, e)

        await asyncio.gather(*(first_send(sig, raw) for sig, (raw, _) in raws.items() if raw is not None))
        return await self.wait(raws, outcomes, settle)

    async def wait(self, raws: dict[str, tuple[bytes | None, int]], outcomes: dict[str, Outcome],
                   settle: ProgressFn) -> list[Outcome]:
        """Poll until every signature settles; re-send the ones with bytes at each rebroadcast tick."""
        started = last_send = time.monotonic()
        while len(outcomes) < len(raws):
            await asyncio.sleep(self._poll)
            waiting = [s for s in raws if s not in outcomes]
            try:
                statuses = await self._rpc.get_signature_statuses(waiting)
                height = await self._rpc.get_block_height()
            except DeskError as e:
                log.info("status poll failed, will retry: %s", e)
                statuses, height = {}, -1
            for sig in waiting:
                status = statuses.get(sig)
                if status is not None and status.landed:
                    settle(Outcome(sig, "confirmed" if status.err is None else "failed",
                                   describe(status.err), status.err))
                elif status is None and height > raws[sig][1]:
                    settle(Outcome(sig, "expired", "its blockhash expired before it landed"))
            if time.monotonic() - started > self._timeout:
                for sig in raws:
                    if sig not in outcomes:
                        settle(Outcome(sig, "unknown", "no confirmation yet; the next run checks it again"))
            elif time.monotonic() - last_send >= self._rebroadcast:
                last_send = time.monotonic()
                for sig in raws:
                    raw = raws[sig][0]
                    if sig not in outcomes and raw is not None:
                        try:
                            await self._rpc.send_transaction(raw, skip_preflight=True)
                        except DeskError as e:
                            log.info("rebroadcast of %s failed: %s", sig, e)
        return [outcomes[s] for s in raws]
