"""Import wallets from a file: a preview of every line first, and nothing changes until Apply."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk.core.errors import DeskError
from desk.core.wallets import WalletKind
from desk.ui.asyncutil import TaskSet
from desk.ui.dialogs.common import BusyDialog, message_label, text_label
from desk.ui.dialogs.filerow import FileRow
from desk.ui.session import DeskSession
from desk.ui.theme import DOWN, MUTED, UP, mono_font
from desk.vault.importers import FORMATS, MAX_IMPORT_BYTES, ImportPlan, parse_import, plan_import

FILE_FILTERS = "Wallet files (*.txt *.json *.csv *.keys);;All files (*)"
FORMAT_NAMES = {"auto": "Recognise automatically", "base58": "Base58 keys, one per line",
                "cli-json": "Solana CLI keypair JSON", "mayhem-json": "Mayhem web app export (JSON)",
                "pumpportal": "PumpPortal wallets (JSON)", "csv": "CSV with a header row"}
ADD, UPGRADE, DUPLICATE, INVALID = "Add", "Upgrade", "Duplicate", "Invalid"
_COLORS = {ADD: UP, UPGRADE: UP, DUPLICATE: MUTED, INVALID: DOWN}


def read_import_file(path: Path) -> bytes:
    """Return the file's bytes, refusing files larger than an import may be.

    Raises:
        DeskError: the file is too large.
        OSError: it cannot be read.
    """
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        raise DeskError(f"{path.name} is {size:,} bytes; imports are limited to {MAX_IMPORT_BYTES:,}.")
    return path.read_bytes()


def plan_lines(plan: ImportPlan, labels: dict[str, str]) -> list[tuple[int, str, str, str, str]]:
    """Return (line, result, label, address, detail) for every entry of the plan, in file order."""
    renamed = {r.line: r for r in plan.renamed}
    rows: list[tuple[int, str, str, str, str]] = []
    for p in plan.to_add:
        w = p.wallet
        detail = {WalletKind.WATCH_ONLY: "watch-only", WalletKind.PUMPPORTAL: "PumpPortal"}.get(w.kind, "with key")
        if p.group:
            detail += f", into group {p.group}"
        if p.line in renamed:
            detail += f"; label {renamed[p.line].wanted!r} is taken"
        rows.append((p.line, ADD, w.label, w.pubkey, detail))
    for u in plan.upgrades:
        gains = [what for what, yes in (("its private key", u.adds_private_key), ("an API key", u.adds_api_key)) if yes]
        rows.append((u.line, UPGRADE, u.wallet_label, u.pubkey, f"gains {' and '.join(gains)}"))
    for d in plan.duplicates:
        existing = labels.get(d.existing, d.existing)
        rows.append((d.line, DUPLICATE, "", d.pubkey, f"already {existing}" if d.existing in labels
                     else f"same as {existing}; {d.merged}"))
    rows += [(e.line, INVALID, "", "", e.reason) for e in plan.invalid]
    return sorted(rows, key=lambda r: r[0])


class ImportDialog(BusyDialog):
    """Pick a file and a format, see what the import would do line by line, then Apply.

    Signals:
        previewed: A preview is showing (argument: the :class:`ImportPlan`).
        applied: The import was applied (argument: its :class:`ImportSummary`).

    Attributes:
        plan: The plan shown, or None.
    """

    previewed = Signal(object)
    applied = Signal(object)

    COLUMNS = ("Line", "Result", "Label", "Address", "Detail")

    def __init__(self, session: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import wallets — Mayhem Desk")
        self._session = session
        self._tasks = TaskSet()
        self.plan: ImportPlan | None = None
        self.file = FileRow("", save=False, title="Choose the file to import", filters=FILE_FILTERS)
        self.file.field.setPlaceholderText("File with keys or addresses")
        self.format = QComboBox()
        for fmt in ("auto", *[f for f in FORMATS if f != "auto"]):
            self.format.addItem(FORMAT_NAMES.get(fmt, fmt), fmt)
        self.preview_button = QPushButton("Preview")
        self.summary = text_label("Choose a file: nothing is imported until you press Apply.")
        self.table = QTreeWidget()
        self.table.setColumnCount(len(self.COLUMNS))
        self.table.setHeaderLabels(list(self.COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setMinimumHeight(260)
        header = self.table.header()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.warnings = text_label("", "muted")
        self.warnings.setVisible(False)
        self.message = message_label()
        self.apply_button = QPushButton("Apply")
        self.apply_button.setEnabled(False)
        buttons = QDialogButtonBox()
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        format_row = QHBoxLayout()
        format_row.addWidget(self.format, 1)
        format_row.addWidget(self.preview_button)
        form = QFormLayout()
        form.addRow("File", self.file)
        form.addRow("Format", format_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(text_label("Import wallets", "title"))
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.warnings)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self.resize(900, 560)
        self.file.chosen.connect(self._on_preview)
        self.file.field.returnPressed.connect(self._on_preview)
        self.format.currentIndexChanged.connect(self._on_preview)
        self.preview_button.clicked.connect(self._on_preview)
        self.apply_button.clicked.connect(self._on_apply)
        buttons.rejected.connect(self.reject)
        self.set_primary(self.preview_button)

    @Slot()
    def _on_preview(self) -> None:
        path = self.file.path()
        if path is not None and not self.busy.running:
            self._tasks.spawn(self.preview(path, str(self.format.currentData())), name="import-preview")

    async def preview(self, path: Path, fmt: str = "auto") -> ImportPlan | None:
        """Read ``path`` as ``fmt``, plan it against the vault and show the result (nothing is stored)."""
        if self.file.path() != path:
            self.file.field.setText(str(path))
        self._show_plan(None)
        self._set_busy(True, "Reading the file…")
        try:
            data = await asyncio.to_thread(read_import_file, path)
            preview = parse_import(data, fmt, source_name=path.name)
            existing = await self._session.vault.wallets.list(include_archived=True)
            plan = plan_import(preview, existing)
        except (DeskError, OSError) as e:
            self.message.setText(str(e) if isinstance(e, DeskError) else f"Cannot read {path.name}: {e.strerror}.")
            return None
        finally:
            self._set_busy(False)
        self._show_plan(plan, {w.id: w.label for w in existing})
        self.previewed.emit(plan)
        return plan

    def _show_plan(self, plan: ImportPlan | None, labels: dict[str, str] | None = None) -> None:
        self.plan = plan
        self.table.clear()
        self.message.setText("")
        self.warnings.setVisible(bool(plan and plan.warnings))
        if plan is None:
            self.apply_button.setEnabled(False)
            return
        mono = mono_font()
        unit = "Entry" if plan.format in ("cli-json", "mayhem-json", "pumpportal") else "Line"
        self.table.setHeaderLabels([unit, *self.COLUMNS[1:]])
        items = []
        for line, result, label, address, detail in plan_lines(plan, labels or {}):
            item = QTreeWidgetItem([str(line), result, label, address, detail])
            item.setForeground(1, QBrush(QColor(_COLORS[result])))
            if result == INVALID:
                item.setForeground(4, QBrush(QColor(DOWN)))
            item.setFont(3, mono)
            item.setToolTip(4, detail)
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        self.table.addTopLevelItems(items)
        s = plan.summary
        renamed = f", {len(plan.renamed)} renamed" if plan.renamed else ""
        self.summary.setText(f"Format: {plan.format}. {s.added} to add, {s.upgraded} to upgrade, "
                             f"{s.duplicates} duplicate(s), {s.invalid} invalid{renamed}. "
                             + ("Press Apply to import." if plan.to_add or plan.upgrades else "Nothing to import."))
        self.warnings.setText("\n".join(f"⚠ {w}" for w in plan.warnings))
        self.apply_button.setEnabled(bool(plan.to_add or plan.upgrades))
        if plan.to_add or plan.upgrades:
            self.set_primary(self.apply_button)

    @Slot()
    def _on_apply(self) -> None:
        if self.plan is not None and not self.busy.running:
            self._tasks.spawn(self._apply(self.plan), name="import-apply")

    async def _apply(self, plan: ImportPlan) -> None:
        self._set_busy(True, "Importing…")
        try:
            summary = await self._session.apply_import(plan)
        except DeskError as e:
            self.message.setText(str(e))
            return
        finally:
            self._set_busy(False)
        self.plan = None
        self.applied.emit(summary)
        self.accept()

    def _set_busy(self, busy: bool, text: str = "") -> None:
        for widget in (self.file, self.format, self.preview_button, self.cancel_button):
            widget.setEnabled(not busy)
        plan = self.plan
        self.apply_button.setEnabled(not busy and plan is not None and bool(plan.to_add or plan.upgrades))
        if busy:
            self.busy.start(text)
        else:
            self.busy.stop()

    def done(self, result: int) -> None:
        self.plan = None  # the plan holds private keys: drop them with the dialog
        super().done(result)
