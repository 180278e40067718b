"""Take the README screenshot and look at the wallet dialogs: the desk on an in-process simnet, offscreen.

Run by hand: ``QT_QPA_PLATFORM=offscreen python tests/ui/screenshots.py [OUT_DIR]``. Builds a temporary
vault with 40 wallets in 3 groups (some funded, some holding tokens), shows the main window at
1600x1000 and saves ``shot_wallets.png``, ``shot_import.png``, ``shot_consolidate.png`` and
``shot_consolidated.png`` (and a few more) in OUT_DIR (default /tmp); ``--readme`` also writes
``resources/screenshots/main.png``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from solders.keypair import Keypair
from solders.pubkey import Pubkey

SOL = 1_000_000_000
ROOT = Path(__file__).resolve().parents[2]


async def populate(vault: object, chain: object) -> None:
    from desk.core.wallets import MemberRole, WalletKind
    from desk.engine.wallets import create_wallets
    from desk.simnet.tokens import create_mint, mint_to
    from desk.vault.repos.wallets import NewWallet
    from desk.vault.session import Vault

    assert isinstance(vault, Vault)
    treasury = (await create_wallets(vault, 1, label="Treasury"))[0]
    dev = (await create_wallets(vault, 1, label="Dev wallet"))[0]
    snipers = await create_wallets(vault, 14, label="Sniper")
    bundle = await create_wallets(vault, 12, label="Bundle")
    await create_wallets(vault, 1, label="Bundle receiver")
    fresh = await create_wallets(vault, 8, label="Fresh")
    watch = [NewWallet(f"Watch {i}", WalletKind.WATCH_ONLY, str(Keypair().pubkey())) for i in (1, 2, 3)]
    await vault.wallets.add_many(watch)
    wallets = {w.label: w for w in await vault.wallets.list()}
    groups = {}
    for name, members, receiver in (("Snipers", snipers, treasury), ("Bundle A", bundle, wallets["Bundle receiver"]),
                                    ("Fresh", fresh, treasury)):
        group = await vault.groups.create(name)
        await vault.groups.add_members(group.id, [w.id for w in members], MemberRole.SOURCE)
        await vault.groups.add_members(group.id, [receiver.id], MemberRole.RECEIVER)
        groups[name] = group
    await vault.wallets.set_active([w.id for w in fresh[4:]] + [wallets["Watch 3"].id], False)
    chain.airdrop(Pubkey.from_string(treasury.pubkey), 25 * SOL + 123_456_789)  # type: ignore[attr-defined]
    chain.airdrop(Pubkey.from_string(dev.pubkey), 3 * SOL + 500_000_000)  # type: ignore[attr-defined]
    for i, wallet in enumerate(snipers[:11]):
        chain.airdrop(Pubkey.from_string(wallet.pubkey), SOL // 4 + i * 37_000_000)  # type: ignore[attr-defined]
    for i, wallet in enumerate(bundle[:6]):
        chain.airdrop(Pubkey.from_string(wallet.pubkey), SOL + i * 91_000_000)  # type: ignore[attr-defined]
    issuer = Keypair()
    chain.airdrop(issuer.pubkey(), 10 * SOL)  # type: ignore[attr-defined]
    mint = create_mint(chain, issuer, decimals=6)  # type: ignore[arg-type]
    for i, wallet in enumerate(snipers[:5]):
        mint_to(chain, issuer, mint, Pubkey.from_string(wallet.pubkey), 1_000_000 * (i + 1))  # type: ignore[arg-type]


def import_file(folder: Path, existing_pubkey: str) -> Path:
    keys = [str(Keypair()) for _ in range(4)]
    path = folder / "wallets.txt"
    path.write_text("\n".join([
        "# exported from Phantom", keys[0], keys[1], "not-a-key", keys[2], keys[1], existing_pubkey, keys[3][:40],
        keys[3]]) + "\n")
    return path


async def shoot(out: Path, readme: bool) -> None:
    from PySide6.QtWidgets import QApplication

    from desk.app import build_main_window, create_application, with_simnet_endpoints
    from desk.config import AppConfig, Endpoints
    from desk.simnet.service import Simnet
    from desk.ui.dialogs.consolidate import ConsolidateDialog
    from desk.ui.dialogs.distribute import DistributeDialog
    from desk.ui.dialogs.import_wallets import ImportDialog
    from desk.ui.dialogs.keys import EXPORT, KeyDialog
    from desk.vault.keyfile import KdfParams
    from desk.vault.lifecycle import create_vault

    app = create_application([])
    simnet = Simnet.start(block_time=None)
    tmp = Path(tempfile.mkdtemp(prefix="desk-shots-"))
    try:
        vault = await create_vault(tmp / "home", "screenshot password 1", KdfParams(8 * 1024, 1, 1))
        await populate(vault, simnet.chain)
        config = with_simnet_endpoints(AppConfig(home=tmp / "home", endpoints=Endpoints.from_env()), simnet.env())
        window = build_main_window(vault, config)
        window.resize(1600, 1000)
        window.show()
        await window.session.start()
        await window.session.refresh_balances(tokens=True)
        window.wallets_panel.model.flush()
        window.wallets_panel.select_wallets([w.id for w in window.session.wallets[2:7]])
        window.header.set_sync("Sync off")
        window.show_status("Vault unlocked · simnet")
        await asyncio.sleep(0.2)
        QApplication.processEvents()
        window.grab().save(str(out / "shot_wallets.png"))
        if readme:
            target = ROOT / "resources" / "screenshots"
            target.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(target / "main.png"))

        dialog = ImportDialog(window.session, window)
        dialog.show()
        await dialog.preview(import_file(tmp, window.session.wallets[0].pubkey))
        await asyncio.sleep(0.1)
        dialog.grab().save(str(out / "shot_import.png"))
        dialog.reject()

        snipers = next(g for g in window.session.groups if g.name == "Snipers")
        consolidate = ConsolidateDialog(window.session, snipers, window)
        consolidate.show()
        await consolidate.make_plan()
        await asyncio.sleep(0.1)
        consolidate.grab().save(str(out / "shot_consolidate.png"))
        assert consolidate.plan is not None
        await consolidate.send(consolidate.plan)
        await asyncio.sleep(0.1)
        consolidate.grab().save(str(out / "shot_consolidated.png"))
        consolidate.reject()
        bundle = next(g for g in window.session.groups if g.name == "Bundle A")
        distribute = DistributeDialog(window.session, bundle, window)
        distribute.show()
        await distribute.make_plan(distribute.source_wallet(), distribute.amounts())  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
        distribute.grab().save(str(out / "shot_distribute.png"))
        distribute.reject()
        key = KeyDialog(window.session, window.session.wallets[0], EXPORT, window)
        key.show()
        await asyncio.sleep(0.1)
        key.grab().save(str(out / "shot_key.png"))
        key.reject()
        window.groups_panel.select_group(snipers.id)
        window.docks["groups"].raise_()
        await asyncio.sleep(0.1)
        window.grab().save(str(out / "shot_groups.png"))
        await window.session.close()
        window.close_now()
        await vault.lock()
    finally:
        simnet.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    app.processEvents()


def main() -> None:
    import qasync

    from desk.app import create_application

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = Path(args[0]) if args else Path(tempfile.gettempdir())
    app = create_application([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(shoot(out, "--readme" in sys.argv))
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
