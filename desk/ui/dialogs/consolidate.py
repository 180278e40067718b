"""Consolidate a group: plan from live balances, show every transaction, then sign and send with progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from desk.core.errors import DeskError
from desk.core.money import format_sol, format_units, parse_sol
from desk.core.wallets import WalletGroup
from desk.ui.dialogs.common import text_label
from desk.ui.dialogs.txdialog import TxPlanDialog
from desk.ui.dialogs.txview import TxLine, WalletResult
from desk.ui.session import DeskSession

if TYPE_CHECKING:
    from desk.engine.consolidation import ConsolidationPlan, ConsolidationResult

MAX_PRIORITY_FEE = 5_000_000  # micro-lamports per compute unit


def plan_lines(plan: ConsolidationPlan) -> list[TxLine]:
    """Return one row per transaction of ``plan``, SOL sweeps first."""
    from desk.chain.builders import SolTransfer, TokenSweepItem

    lines = []
    for tx in plan.transactions:
        sol = sum(m.lamports for m in tx.moves if isinstance(m, SolTransfer))
        tokens = [m for m in tx.moves if isinstance(m, TokenSweepItem)]
        owners = list(dict.fromkeys(m.source if isinstance(m, SolTransfer) else m.owner for m in tx.moves))
        names = [plan.wallets[o].label for o in owners]
        who = ", ".join(names) if len(names) <= 2 else f"{names[0]} + {len(names) - 1} more"
        amount = f"{format_sol(sol)} SOL" if not tokens else f"{len(tokens)} token account(s)"
        lines.append(TxLine("SOL sweep" if not tokens else "Token sweep", who, amount,
                            f"{format_sol(tx.fee_lamports)} SOL", plan.wallets[tx.fee_payer].label))
    return lines


def plan_summary(plan: ConsolidationPlan) -> str:
    """Return the plan's totals in one or two sentences."""
    closed = sum(len(t.moves) for t in plan.token_txs)
    text = (f"{len(plan.transactions)} transaction(s) move {format_sol(plan.sol_moved)} SOL to "
            f"{plan.receiver.label}; network fees {format_sol(plan.fees)} SOL.")
    if closed:
        text += (f" {closed} token account(s) are emptied and closed ({len(plan.token_moves)} token(s)), "
                 f"returning {format_sol(plan.rent_reclaimed)} SOL of rent.")
    if plan.new_receiver_token_accounts:
        text += (f" The receiver opens {plan.new_receiver_token_accounts} token account(s) for "
                 f"{format_sol(plan.ata_rent_lamports)} SOL of rent.")
    if plan.reserve_lamports:
        text += f" Each source keeps {format_sol(plan.reserve_lamports)} SOL."
    return text


def wallet_results(plan: ConsolidationPlan, result: ConsolidationResult) -> list[WalletResult]:
    """Return, per source wallet, what it moved and whether all of it arrived."""
    from desk.chain.builders import SolTransfer

    moved: dict[str, list[str]] = {}
    failures: dict[str, str] = {}
    for tx, outcome in zip(plan.transactions, result.outcomes, strict=True):
        for m in tx.moves:
            owner = m.source if isinstance(m, SolTransfer) else m.owner
            what = f"{format_sol(m.lamports)} SOL" if isinstance(m, SolTransfer) \
                else f"{format_units(m.amount, m.decimals)} of {m.mint[:4]}…{m.mint[-4:]}"
            moved.setdefault(owner, []).append(what)
            if outcome.state != "confirmed":
                failures.setdefault(owner, outcome.reason or outcome.state)
    return [WalletResult(plan.wallets[o].label, ", ".join(parts), o not in failures, failures.get(o, ""))
            for o, parts in moved.items()]


class ConsolidateDialog(TxPlanDialog["ConsolidationPlan"]):
    """Plan a consolidation of one group, show it, then sign and send it.

    Signals:
        planned: A plan is showing (argument: the plan).
        finished_run: A run ended (argument: the :class:`ConsolidationResult`).

    Attributes:
        plan: The plan shown, or None.
        last_result: The last run's result, or None.
    """

    purpose = "consolidate"
    task_name = "consolidation"

    def __init__(self, session: DeskSession, group: WalletGroup, parent: QWidget | None = None) -> None:
        super().__init__(session, group, f"Consolidate {group.name}",
                         "Press Plan to read the balances and see every transaction before anything is signed.",
                         parent)
        self.last_result: ConsolidationResult | None = None
        receiver = session.wallet(group.receivers[0]) if len(group.receivers) == 1 else None
        where = f"into {receiver.label} ({receiver.short_address})" if receiver else "into the group's receiver"
        self.reserve = QLineEdit("0")
        self.reserve.setToolTip("SOL left in each source: 0, or at least the rent-exempt minimum (0.00089088)")
        self.include_tokens = QCheckBox("Sweep tokens too, and close the emptied token accounts")
        self.include_tokens.setChecked(True)
        self.priority_fee = QSpinBox()
        self.priority_fee.setRange(0, MAX_PRIORITY_FEE)
        self.priority_fee.setSingleStep(1000)
        self.priority_fee.setSuffix(" µlamports/CU")
        self.priority_fee.setToolTip("Compute-unit price; 0 = no priority fee")
        self.skipped = text_label("", "muted")
        self.skipped.setVisible(False)
        self.failure = text_label("", "error")
        self.failure.setVisible(False)

        form = QFormLayout()
        form.addRow("Keep in each source", self._with_unit(self.reserve, "SOL"))
        form.addRow("Tokens", self.include_tokens)
        form.addRow("Priority fee", self._with_unit(self.priority_fee, ""))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label(f"Consolidate {group.name}", "title"))
        layout.addWidget(text_label(f"Sweep every source of {group.name} {where}. SOL first (each source ends "
                                    "at exactly 0 unless you keep a reserve), then every token account."))
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.skipped)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.failure)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.resize(880, 640)
        self.set_primary(self.plan_button)

    @staticmethod
    def _with_unit(field: QWidget, unit: str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        field.setFixedWidth(200)
        row.addWidget(field)
        if unit:
            row.addWidget(text_label(unit))
        row.addStretch(1)
        return row

    def _inputs(self) -> tuple[QWidget, ...]:
        return self.reserve, self.include_tokens, self.priority_fee

    @Slot()
    def _on_plan(self) -> None:
        if self.busy.running:
            return
        try:
            reserve = parse_sol(self.reserve.text() or "0")
        except DeskError as e:
            self.message.setText(str(e))
            return
        self._tasks.spawn(self.make_plan(reserve), name="consolidation-plan")

    async def make_plan(self, reserve_lamports: int = 0) -> ConsolidationPlan | None:
        """Plan from live balances and show it; return None (with the reason shown) if it cannot be planned."""
        from desk.chain.builders import FeePolicy
        from desk.engine.consolidation import plan_consolidation

        return await self._planning(lambda ctx, group: plan_consolidation(
            ctx, group, reserve_lamports=reserve_lamports, fees=FeePolicy(self.priority_fee.value()),
            include_tokens=self.include_tokens.isChecked()))

    def _show_plan(self, plan: ConsolidationPlan | None) -> None:
        self.plan = plan
        self.message.setText("")
        self.failure.setVisible(False)
        self.table.set_lines(plan_lines(plan) if plan else [])
        skipped = plan.skipped if plan else ()
        self.skipped.setText("Skipped: " + "; ".join(f"{label} ({reason})" for label, reason in skipped))
        self.skipped.setVisible(bool(skipped))
        if plan is None:
            self.send_button.setEnabled(False)
            return
        self.summary.setText("Nothing to move: every source is empty." if plan.is_empty else plan_summary(plan))
        self.send_button.setEnabled(not plan.is_empty)
        if not plan.is_empty:
            self.set_primary(self.send_button)

    def _can_send(self, plan: ConsolidationPlan) -> bool:
        return not plan.is_empty

    async def send(self, plan: ConsolidationPlan) -> ConsolidationResult | None:
        """Sign and send ``plan``, following each transaction; return the result."""
        from desk.engine.consolidation import run_consolidation

        result = await self._sending(plan.group.id, len(plan.transactions),
                                     lambda ctx: run_consolidation(ctx, plan, self.table.on_progress))
        if result is None:
            return None
        self.last_result = result
        self.table.set_results(wallet_results(plan, result))
        if result.ok:
            self.summary.setText(f"Done: {format_sol(plan.sol_moved)} SOL and every planned token account "
                                 f"moved to {plan.receiver.label}.")
        else:
            failed = len({label for label, _ in result.failed_wallets})
            self.failure.setText(f"{failed} wallet(s) failed. Run it again to move what is left: "
                                 "nothing that arrived is moved twice.")
            self.failure.setVisible(True)
        self.finished_run.emit(result)
        await self._session.after_run(list(plan.wallets.values()))
        return result
