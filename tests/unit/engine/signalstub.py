"""A recording executor for signal tests: every wallet's leg confirms (or the whole order fails)."""

from __future__ import annotations

from collections.abc import Sequence

from desk.core.errors import DeskError
from desk.core.wallets import Wallet
from desk.engine.orders import LegUpdate, OrderResult
from desk.engine.trading import LegState, OrderRequest


class RecordingExecutor:
    """Records each order and answers with one leg per wallet in ``state``.

    Attributes:
        calls: Every (request, wallets) it was asked to run.
    """

    def __init__(self, state: LegState = LegState.CONFIRMED, *, error: str | None = None) -> None:
        self.calls: list[tuple[OrderRequest, tuple[Wallet, ...]]] = []
        self._state = state
        self._error = error

    async def __call__(self, request: OrderRequest, wallets: Sequence[Wallet], /) -> OrderResult:
        self.calls.append((request, tuple(wallets)))
        if self._error:
            raise DeskError(self._error)
        order_id = f"order-{len(self.calls)}"
        return OrderResult(order_id, tuple(
            LegUpdate(order_id, f"leg-{w.id}", w.id, w.label, 1, self._state, f"sig-{w.label}",
                      "" if self._state is LegState.CONFIRMED else "it failed")
            for w in wallets))
