"""The base of the dialogs that plan a group's transactions, show them, then sign and send them with progress."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QWidget

from desk.core.errors import DeskError
from desk.core.wallets import WalletGroup
from desk.ui.asyncutil import TaskSet
from desk.ui.dialogs.common import BusyDialog, message_label, text_label
from desk.ui.dialogs.txview import TxTable
from desk.ui.session import DeskSession

if TYPE_CHECKING:
    from desk.engine.txrun import RunContext

PlanT = TypeVar("PlanT")
ResultT = TypeVar("ResultT")


class TxPlanDialog(BusyDialog, Generic[PlanT]):
    """Plan a group's transactions, show every one, then sign and send them while the table follows them.

    Subclasses add their inputs and lay the dialog out, and implement ``_on_plan`` (spawning ``make_plan``),
    ``send``, ``_show_plan`` and ``_inputs``; ``_planning`` and ``_sending`` do the steps they share.

    Args:
        session: The desk session (vault, chain and balances).
        group: The group the transactions are for.
        title: The window title, before " — Mayhem Desk".
        hint: What the summary says before the first plan.
        parent: The parent widget.

    Signals:
        planned: A plan is showing (argument: the plan).
        finished_run: A run ended (argument: its result).

    Attributes:
        plan: The plan shown, or None.
        summary: The plan's totals, then the run's outcome.
        table: The plan's transactions with their states, then the result per wallet.
        message: The error message, if any.
    """

    planned = Signal(object)
    finished_run = Signal(object)

    purpose = ""  # the run context's purpose, e.g. "consolidate"
    task_name = ""  # tasks are named f"{task_name}-plan" and f"{task_name}-run"

    def __init__(self, session: DeskSession, group: WalletGroup, title: str, hint: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{title} — Mayhem Desk")
        self._session = session
        self._group = group
        self._tasks = TaskSet()
        self.plan: PlanT | None = None
        self.summary = text_label(hint)
        self.table = TxTable()
        self.message = message_label()
        self.plan_button = QPushButton("Plan")
        self.send_button = QPushButton("Sign and send")
        self.send_button.setEnabled(False)
        self.buttons = QDialogButtonBox()
        self.buttons.addButton(self.plan_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.plan_button.clicked.connect(self._on_plan)
        self.send_button.clicked.connect(self._on_send)
        self.buttons.rejected.connect(self.reject)

    @Slot()
    def _on_plan(self) -> None:
        raise NotImplementedError

    def _show_plan(self, plan: PlanT | None) -> None:
        raise NotImplementedError

    def _inputs(self) -> Sequence[QWidget]:
        raise NotImplementedError

    def _can_send(self, plan: PlanT) -> bool:
        return True

    async def send(self, plan: PlanT) -> object:
        """Sign and send ``plan``, following each transaction; return the run's result."""
        raise NotImplementedError

    @Slot()
    def _on_send(self) -> None:
        if self.plan is not None and self._can_send(self.plan) and not self.busy.running:
            self._tasks.spawn(self.send(self.plan), name=f"{self.task_name}-run")

    async def _planning(self, planner: Callable[[RunContext, WalletGroup], Awaitable[PlanT]]) -> PlanT | None:
        """Plan with ``planner`` for the group as stored now and show the plan; None (reason shown) on failure."""
        self._show_plan(None)
        self._set_busy(True, "Reading balances and planning…")
        try:
            group = await self._session.vault.groups.find(self._group.id)
            ctx = self._session.run_context(self.purpose, group.id)
            plan = await planner(ctx, group)
        except DeskError as e:
            self.message.setText(str(e))
            return None
        finally:
            self._set_busy(False)
        self._show_plan(plan)
        self.planned.emit(plan)
        return plan

    async def _sending(self, group_id: str, count: int,
                       runner: Callable[[RunContext], Awaitable[ResultT]]) -> ResultT | None:
        """Run ``runner`` (which sends ``count`` transactions); None (reason shown) if it stopped early.

        Either way the plan is used up: the Plan button offers to plan again.
        """
        self.send_button.setEnabled(False)
        self._set_busy(True, f"Signing and sending {count} transaction(s)…")
        try:
            return await runner(self._session.run_context(self.purpose, group_id))
        except DeskError as e:
            self.message.setText(f"Nothing more was sent: {e}")
            return None
        finally:
            self._set_busy(False)
            self.plan = None
            self.plan_button.setText("Plan again")
            self.set_primary(self.plan_button)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        for widget in (*self._inputs(), self.plan_button, self.close_button):
            widget.setEnabled(not busy)
        if busy:
            self.busy.start(text)
        else:
            self.busy.stop()
