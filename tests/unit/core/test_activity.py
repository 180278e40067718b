"""The activity hash chain."""

from desk.core.activity import GENESIS_HASH, ActivityEntry, entry_hash, first_broken_link


def chain(n: int) -> list[ActivityEntry]:
    entries, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        digest = entry_hash(prev, seq, seq * 1000, "k", {"i": seq})
        entries.append(ActivityEntry(seq, seq * 1000, "k", {"i": seq}, prev, digest))
        prev = digest
    return entries


def test_intact_chain_has_no_broken_link() -> None:
    assert first_broken_link(chain(5)) is None


def test_removed_entry_is_found() -> None:
    entries = chain(5)
    del entries[2]
    assert first_broken_link(entries) == 4


def test_edited_detail_is_found() -> None:
    entries = chain(5)
    e = entries[1]
    entries[1] = ActivityEntry(e.seq, e.ts_ms, e.kind, {"i": 99}, e.prev_hash, e.hash)
    assert first_broken_link(entries) == 2
