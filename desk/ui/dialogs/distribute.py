"""Distribute SOL from one wallet to a group: the same amount each or per wallet, planned, then sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk.core.errors import ValidationError
from desk.core.money import format_sol, parse_sol
from desk.core.wallets import Wallet, WalletGroup
from desk.ui.dialogs.common import text_label
from desk.ui.dialogs.txdialog import TxPlanDialog
from desk.ui.dialogs.txview import TxLine, WalletResult
from desk.ui.panels.wallet_model import sol_text
from desk.ui.session import DeskSession
from desk.ui.theme import mono_font

if TYPE_CHECKING:
    from desk.chain.sender import Outcome
    from desk.engine.distribution import DistributionPlan

ID_ROLE = Qt.ItemDataRole.UserRole


def distribution_lines(plan: DistributionPlan) -> list[TxLine]:
    """Return one row per transaction of ``plan``."""
    from desk.chain.builders import SolTransfer

    lines = []
    for tx in plan.txs:
        moves = [m for m in tx.moves if isinstance(m, SolTransfer)]
        names = [plan.recipients[m.destination].label for m in moves]
        who = ", ".join(names) if len(names) <= 2 else f"{names[0]} + {len(names) - 1} more"
        lines.append(TxLine("Transfer", who, f"{format_sol(sum(m.lamports for m in moves))} SOL",
                            f"{format_sol(tx.fee_lamports)} SOL", plan.source.label))
    return lines


def distribution_results(plan: DistributionPlan, outcomes: list[Outcome]) -> list[WalletResult]:
    """Return, per recipient, what it was sent and whether it arrived."""
    from desk.chain.builders import SolTransfer

    results = []
    for tx, outcome in zip(plan.txs, outcomes, strict=True):
        for m in tx.moves:
            if isinstance(m, SolTransfer):
                results.append(WalletResult(plan.recipients[m.destination].label, f"{format_sol(m.lamports)} SOL",
                                            outcome.state == "confirmed", outcome.reason or outcome.state))
    return results


class DistributeDialog(TxPlanDialog["DistributionPlan"]):
    """Fund a group's wallets from one wallet.

    Signals:
        planned: A plan is showing (argument: the plan).
        finished_run: A run ended (argument: the list of outcomes).

    Attributes:
        plan: The plan shown, or None.
        outcomes: The last run's outcomes.
    """

    AMOUNT = 3

    purpose = "distribute"
    task_name = "distribution"

    def __init__(self, session: DeskSession, group: WalletGroup, parent: QWidget | None = None) -> None:
        super().__init__(session, group, f"Distribute to {group.name}",
                         "Press Plan to check the amounts and see the transactions before anything is signed.",
                         parent)
        self.outcomes: list[Outcome] = []
        self.source = QComboBox()
        sol = session.sheet.sol if session.sheet else {}
        for w in session.wallets:
            if w.has_private_key:
                self.source.addItem(f"{w.label}  ·  {sol_text(sol.get(w.id))} SOL", w.id)
        if group.receivers:
            self.source.setCurrentIndex(max(0, self.source.findData(group.receivers[0])))
        self.each_mode = QRadioButton("Same amount for each wallet")
        self.per_mode = QRadioButton("An amount per wallet (edit the Amount column)")
        self.each_mode.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.each_mode)
        modes.addButton(self.per_mode)
        self.each = QLineEdit("0.01")
        self.each.setMaximumWidth(160)
        self.recipients = QTreeWidget()
        self.recipients.setColumnCount(4)
        self.recipients.setHeaderLabels(["Wallet", "Address", "Balance", "Amount (SOL)"])
        self.recipients.setRootIsDecorated(False)
        self.recipients.setAlternatingRowColors(True)
        self.recipients.setEditTriggers(QTreeWidget.EditTrigger.AllEditTriggers)
        for column in range(3):
            self.recipients.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        each_row = QHBoxLayout()
        each_row.addWidget(self.each_mode)
        each_row.addWidget(self.each)
        each_row.addWidget(text_label("SOL"))
        each_row.addStretch(1)
        form = QFormLayout()
        form.addRow("From", self.source)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label(f"Distribute SOL to {group.name}", "title"))
        layout.addLayout(form)
        layout.addLayout(each_row)
        layout.addWidget(self.per_mode)
        layout.addWidget(self.recipients, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.resize(860, 720)
        self.source.currentIndexChanged.connect(self._fill_recipients)
        self.each.textChanged.connect(self._fill_amounts)
        self.each_mode.toggled.connect(self._fill_amounts)
        self.set_primary(self.plan_button)
        self._fill_recipients()

    def source_wallet(self) -> Wallet | None:
        """Return the paying wallet chosen."""
        return self._session.wallet(str(self.source.currentData()))

    @Slot()
    def _fill_recipients(self) -> None:
        source_id = self.source.currentData()
        sol = self._session.sheet.sol if self._session.sheet else {}
        self.recipients.clear()
        mono = mono_font()
        for wallet_id in self._group.members:
            wallet = self._session.wallet(wallet_id)
            if wallet is None or wallet.id == source_id:
                continue
            item = QTreeWidgetItem([wallet.label, wallet.short_address, sol_text(sol.get(wallet.id)), ""])
            item.setData(0, ID_ROLE, wallet.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            for column in (1, 2, 3):
                item.setFont(column, mono)
            self.recipients.addTopLevelItem(item)
        self._fill_amounts()

    @Slot()
    def _fill_amounts(self) -> None:
        if self.each_mode.isChecked():
            for item in self._items():
                item.setText(self.AMOUNT, self.each.text())
        self.each.setEnabled(self.each_mode.isChecked())

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.recipients.topLevelItem(i) for i in range(self.recipients.topLevelItemCount()))
        return [item for item in items if item is not None]

    def amounts(self) -> dict[str, int]:
        """Return lamports per recipient wallet id, as typed.

        Raises:
            ValidationError: an amount is not a valid SOL amount.
        """
        out: dict[str, int] = {}
        for item in self._items():
            text = item.text(self.AMOUNT).strip() or "0"
            try:
                out[str(item.data(0, ID_ROLE))] = parse_sol(text)
            except ValidationError as e:
                raise ValidationError(f"{item.text(0)}: {e}") from e
        return out

    @Slot()
    def _on_plan(self) -> None:
        source = self.source_wallet()
        if self.busy.running or source is None:
            self.message.setText("" if source else "No wallet with a key to send from.")
            return
        try:
            amounts = self.amounts()
        except ValidationError as e:
            self.message.setText(str(e))
            return
        self._tasks.spawn(self.make_plan(source, amounts), name="distribution-plan")

    async def make_plan(self, source: Wallet, amounts: dict[str, int]) -> DistributionPlan | None:
        """Plan sending ``amounts`` (lamports by wallet id) from ``source`` and show it."""
        from desk.engine.distribution import plan_distribution

        return await self._planning(lambda ctx, group: plan_distribution(ctx, source, group, amounts=amounts))

    def _show_plan(self, plan: DistributionPlan | None) -> None:
        self.plan = plan
        self.message.setText("")
        self.table.set_lines(distribution_lines(plan) if plan else [])
        self.send_button.setEnabled(plan is not None)
        if plan is not None:
            left = plan.source_balance - plan.total - plan.fees
            self.summary.setText(f"Send {format_sol(plan.total)} SOL from {plan.source.label} to "
                                 f"{sum(len(tx.moves) for tx in plan.txs)} wallet(s) in {len(plan.txs)} "
                                 f"transaction(s); network fees {format_sol(plan.fees)} SOL. "
                                 f"{plan.source.label} keeps {format_sol(left)} SOL.")
            self.set_primary(self.send_button)

    async def send(self, plan: DistributionPlan) -> list[Outcome]:
        """Sign and send ``plan``, following each transaction; return the outcomes."""
        from desk.engine.distribution import run_distribution

        outcomes = await self._sending(plan.group.id, len(plan.txs),
                                       lambda ctx: run_distribution(ctx, plan, self.table.on_progress))
        if outcomes is None:
            return []
        self.outcomes = outcomes
        self.table.set_results(distribution_results(plan, outcomes))
        ok = all(o.state == "confirmed" for o in outcomes)
        self.summary.setText(f"Done: {format_sol(plan.total)} SOL sent." if ok else
                             "Some transfers failed (see below). Check the balances before sending again.")
        self.finished_run.emit(outcomes)
        await self._session.after_run([plan.source, *plan.recipients.values()])
        return outcomes

    def _inputs(self) -> tuple[QWidget, ...]:
        return self.source, self.each_mode, self.per_mode, self.each, self.recipients

    def _set_busy(self, busy: bool, text: str = "") -> None:
        super()._set_busy(busy, text)
        if not busy:
            self.each.setEnabled(self.each_mode.isChecked())
