"""The wallet and group table models: model tester, in-place batched reloads, filters, 1,000 wallets."""

from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from desk.core.wallets import GroupStatus, Wallet, WalletGroup, WalletKind
from desk.ui.panels.group_model import GroupModel, build_group_rows
from desk.ui.panels.wallet_model import NO_GROUP, ROW_ROLE, WalletFilter, WalletModel, build_rows, sol_text

SOL = 1_000_000_000


def _wallets(count: int, *, prefix: str = "Wallet") -> list[Wallet]:
    kinds = list(WalletKind)
    return [Wallet(f"id-{i:04d}", f"{prefix} {i}", kinds[i % len(kinds)], f"{i:04d}PUBKEY{'x' * 30}{i:04d}",
                   active=i % 3 != 0, has_private_key=kinds[i % len(kinds)] != WalletKind.WATCH_ONLY)
            for i in range(count)]


def _groups(wallets: list[Wallet]) -> list[WalletGroup]:
    return [WalletGroup("g-a", "Alpha", sources=tuple(w.id for w in wallets[:4]), receivers=(wallets[5].id,)),
            WalletGroup("g-b", "Beta", GroupStatus.ERROR, 1_700_000_000_000,
                        sources=tuple(w.id for w in wallets[3:8]))]


def _model(count: int = 12) -> tuple[WalletModel, list[Wallet], list[WalletGroup]]:
    wallets = _wallets(count)
    groups = _groups(wallets)
    model = WalletModel()
    model.set_rows(build_rows(wallets, groups, {w.id: i * SOL // 10 for i, w in enumerate(wallets) if i % 4},
                              {wallets[1].id: 2}))
    return model, wallets, groups


def test_wallet_model_and_its_filter_pass_the_model_tester(qtmodeltester: object) -> None:
    model, _, _ = _model()
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    proxy = WalletFilter()
    proxy.setSourceModel(model)
    proxy.set_group("g-a")
    proxy.sort(WalletModel.SOL, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)  # type: ignore[attr-defined]


def test_wallet_rows_show_balance_kind_groups_and_the_active_box() -> None:
    model, wallets, _ = _model()
    row = model.row_of(wallets[5].id)
    assert row == 5
    text = [model.index(row, c).data() for c in range(model.columnCount())]
    assert text == [None, "Wallet 5", "Imported", wallets[5].short_address, "0.5000", "", "Alpha, Beta"]
    assert model.index(0, WalletModel.SOL).data() == "—", "never read"
    assert model.index(1, WalletModel.TOKENS).data() == "2"
    assert model.index(3, WalletModel.GROUPS).data() == "Alpha, Beta"
    assert model.index(3, WalletModel.ACTIVE).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert model.index(4, WalletModel.ACTIVE).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.index(4, WalletModel.ADDRESS).data(Qt.ItemDataRole.EditRole) == wallets[4].pubkey
    assert model.flags(model.index(0, WalletModel.ACTIVE)) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.flags(model.index(0, WalletModel.LABEL)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(0, WalletModel.SOL)) & Qt.ItemFlag.ItemIsEditable
    assert sol_text(12_345_678_901) == "12.3457" and sol_text(None) == "—"


def test_edits_change_the_row_at_once_and_ask_for_the_write(qtbot: QtBot) -> None:
    model, wallets, _ = _model()
    with qtbot.waitSignal(model.active_edited) as toggled:
        assert model.setData(model.index(1, WalletModel.ACTIVE), Qt.CheckState.Unchecked.value,
                             Qt.ItemDataRole.CheckStateRole)
    assert toggled.args == [wallets[1].id, False]
    assert not model.row_at(1).wallet.active
    with qtbot.waitSignal(model.label_edited) as renamed:
        assert model.setData(model.index(2, WalletModel.LABEL), "  Sniper  ")
    assert renamed.args == [wallets[2].id, "Sniper"]
    assert not model.setData(model.index(2, WalletModel.LABEL), "   "), "an empty label is refused"
    assert not model.setData(model.index(2, WalletModel.SOL), "5")


def test_reload_updates_in_place_in_batches_without_a_reset(qtbot: QtBot) -> None:
    model, wallets, groups = _model(10)
    resets: list[bool] = []
    changed: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.dataChanged.connect(lambda a, b, _roles=(): changed.append((a.row(), b.row())))
    kept = [w for w in wallets if w.id not in (wallets[2].id, wallets[3].id)]
    newcomers = _wallets(12, prefix="New")[10:]
    newcomers = [replace(w, id=f"new-{w.id}") for w in newcomers]
    sol = {w.id: model.row_at(model.row_of(w.id) or 0).lamports for w in kept}
    sol = {k: v for k, v in sol.items() if v is not None} | {w.id: SOL for w in kept[4:6]}
    with qtbot.waitSignals([model.rowsRemoved, model.rowsInserted]):
        model.set_rows(build_rows(kept + newcomers, groups, sol, {wallets[1].id: 2}))
    assert not resets
    assert [model.row_at(i).id for i in range(model.rowCount())] == [w.id for w in kept + newcomers]
    assert model.pending == 2 and not changed, "changed rows are announced on the next flush"
    with qtbot.waitSignal(model.dataChanged, timeout=2000):
        pass
    assert changed == [(4, 5)], "one dataChanged for the contiguous range"
    assert model.index(4, WalletModel.SOL).data() == "1.0000"

    model.set_rows(build_rows(list(reversed(kept)), groups, {}, {}))
    assert resets == [True], "a reordering resets"


def test_filter_by_group_none_and_text() -> None:
    model, wallets, _ = _model(12)
    proxy = WalletFilter()
    proxy.setSourceModel(model)

    def shown() -> list[str]:
        return [proxy.index(r, 0).data(ROW_ROLE).wallet.label for r in range(proxy.rowCount())]

    assert proxy.rowCount() == 12
    proxy.set_group("g-a")
    assert shown() == ["Wallet 0", "Wallet 1", "Wallet 2", "Wallet 3", "Wallet 5"], "sources and the receiver"
    proxy.set_text("wallet 3")
    assert shown() == ["Wallet 3"]
    proxy.set_group(None)
    proxy.set_text(wallets[11].pubkey[:6].lower())
    assert shown() == ["Wallet 11"], "matches the address, in any case"
    proxy.set_text("")
    proxy.set_group(NO_GROUP)
    assert shown() == ["Wallet 8", "Wallet 9", "Wallet 10", "Wallet 11"]


def test_thousand_wallets_load_filter_and_refresh_quickly(qtbot: QtBot) -> None:
    wallets = _wallets(1000)
    groups = [WalletGroup(f"g{i}", f"Group {i}", sources=tuple(w.id for w in wallets[i::10])) for i in range(10)]
    started = time.perf_counter()
    rows = build_rows(wallets, groups, {w.id: SOL for w in wallets}, {})
    model = WalletModel()
    model.set_rows(rows)
    proxy = WalletFilter()
    proxy.setSourceModel(model)
    proxy.sort(WalletModel.SOL)
    proxy.set_group("g3")
    proxy.set_text("9")
    loaded = time.perf_counter() - started
    assert proxy.rowCount() > 0

    started = time.perf_counter()
    model.set_rows(build_rows(wallets, groups, {w.id: SOL + i for i, w in enumerate(wallets)}, {}))
    model.flush()
    refreshed = time.perf_counter() - started
    assert loaded < 1.0 and refreshed < 0.5, (loaded, refreshed)
    assert model.pending == 0


def test_group_model_passes_the_model_tester_and_shows_receivers(qtmodeltester: object) -> None:
    wallets = _wallets(8)
    by_id = {w.id: w for w in wallets}
    model = GroupModel()
    model.set_rows(build_group_rows(_groups(wallets), by_id))
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert [model.index(0, c).data() for c in range(model.columnCount())] == \
        ["Alpha", "Idle", "4", "Wallet 5", "never"]
    assert model.index(1, GroupModel.RECEIVER).data() == "— none —"
    assert model.index(1, GroupModel.STATUS).data() == "Error"
    assert model.index(1, GroupModel.LAST).data() != "never"
    assert model.rowCount(model.index(0, 0)) == 0 and model.row_of("g-b") == 1
    assert not model.index(5, 0).isValid() and model.rowCount(QModelIndex()) == 2
