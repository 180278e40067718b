"""Wallet imports: every format, hostile and malformed files, duplicates, upgrades, labels, no leaked secrets."""

from __future__ import annotations

import contextlib
import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.keypair import Keypair

from desk.core.errors import ValidationError
from desk.core.wallets import Wallet, WalletKind
from desk.vault.importers import (
    FORMATS,
    MAX_IMPORT_BYTES,
    ImportPreview,
    parse_import,
    plan_import,
)
from desk.vault.lifecycle import create_vault
from tests.factories import FAST_KDF, PASSWORD

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(raw: bytes) -> str:
    """Encode bytes as base58 (independent of the code under test)."""
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def kp(i: int) -> Keypair:
    return Keypair.from_seed(bytes([i]) * 32)


def pub(i: int) -> str:
    return str(kp(i).pubkey())


def sk(i: int) -> str:
    return str(kp(i))


def wallet(i: int, label: str, *, kind: WalletKind = WalletKind.IMPORTED, has_private_key: bool = False,
           has_api_key: bool = False, archived_ms: int | None = None) -> Wallet:
    """Return a vault wallet for keypair ``i`` with id "id-i"."""
    return Wallet(id=f"id-{i}", label=label, kind=kind, pubkey=pub(i), has_private_key=has_private_key,
                  has_api_key=has_api_key, archived_ms=archived_ms)


def parse(text: str, fmt: str = "auto") -> ImportPreview:
    return parse_import(text.encode(), fmt)


def reasons(preview: ImportPreview) -> dict[int, str]:
    return {e.line: e.reason for e in preview.invalid}


# --- every format, valid content ---------------------------------------------------------------

def test_base58_lines_skip_blanks_and_comments_and_keep_line_numbers() -> None:
    preview = parse(f"# my wallets\n{sk(1)}\n\n   {sk(2)}  \r\n# end\n")
    assert preview.format == "base58"
    assert [(w.line, w.pubkey, w.kind) for w in preview.wallets] == [
        (2, pub(1), WalletKind.IMPORTED), (4, pub(2), WalletKind.IMPORTED)]
    assert preview.wallets[0].private_key == bytes(kp(1))
    assert preview.invalid == ()


def test_cli_json_single_keypair_and_array_of_keypairs_both_parse() -> None:
    single = parse(json.dumps(list(bytes(kp(1)))))
    many = parse(json.dumps([list(bytes(kp(1))), list(bytes(kp(2)))]))
    assert single.format == many.format == "cli-json"
    assert [w.pubkey for w in single.wallets] == [pub(1)]
    assert [(w.line, w.pubkey) for w in many.wallets] == [(1, pub(1)), (2, pub(2))]


def test_mayhem_json_export_maps_fields_and_types_to_kinds() -> None:
    export = [
        {"label": "Main", "publicKey": pub(1), "privateKey": sk(1), "type": "imported", "active": True,
         "groupId": "snipers"},
        {"label": "Bot", "publicKey": pub(2), "privateKey": sk(2), "apiKey": "k2", "type": "lightning",
         "active": False},
        {"label": "PP", "privateKey": sk(3), "apiKey": "k3", "type": "bot"},
        {"label": "Phantom", "publicKey": pub(4), "type": "connected"},
        {"label": "Other", "privateKey": sk(5), "type": "generated", "groupId": 7, "balance": 3},
    ]
    preview = parse(json.dumps(export))
    assert preview.format == "mayhem-json"
    got = {w.label: w for w in preview.wallets}
    assert [w.kind for w in preview.wallets] == [WalletKind.IMPORTED, WalletKind.PUMPPORTAL, WalletKind.PUMPPORTAL,
                                                WalletKind.WATCH_ONLY, WalletKind.IMPORTED]
    assert got["Main"].group == "snipers" and got["Other"].group == "7"
    assert got["Bot"].active is False and got["Bot"].api_key == "k2"
    assert got["PP"].pubkey == pub(3)
    assert got["Phantom"].private_key is None and got["Phantom"].pubkey == pub(4)
    assert preview.warnings == ("Ignored unknown fields: 'balance'",)


def test_mayhem_json_snake_case_wrapper_object_and_missing_fields_are_accepted() -> None:
    doc = {"version": 2, "wallets": [{"public_key": pub(1), "private_key": sk(1), "api_key": "a", "group_id": "g"},
                                     {"publicKey": pub(2)}, {"privateKey": sk(3)}]}
    preview = parse(json.dumps(doc))
    assert preview.format == "mayhem-json"
    first, watch, bare = preview.wallets
    assert (first.pubkey, first.api_key, first.group, first.label, first.active) == (pub(1), "a", "g", None, True)
    assert watch.kind is WalletKind.WATCH_ONLY and watch.private_key is None
    assert bare.kind is WalletKind.IMPORTED and bare.label is None and bare.note == ""


def test_mayhem_json_watch_type_with_private_key_keeps_the_key_and_warns() -> None:
    preview = parse(json.dumps([{"publicKey": pub(1), "privateKey": sk(1), "type": "watch"}]))
    assert preview.wallets[0].kind is WalletKind.IMPORTED and preview.wallets[0].private_key == bytes(kp(1))
    assert preview.warnings == ("entry 1: a watch-only type came with a private key; it is imported with its key",)


def test_mayhem_json_unknown_type_imports_as_imported_with_one_warning() -> None:
    preview = parse(json.dumps([{"privateKey": sk(1), "type": "vanity"}, {"privateKey": sk(2), "type": "vanity"}]))
    assert {w.kind for w in preview.wallets} == {WalletKind.IMPORTED}
    assert preview.warnings == ("Unrecognised wallet types were imported as 'imported': 'vanity'",)


def test_pumpportal_create_wallet_object_and_array_give_pumpportal_wallets() -> None:
    one = {"apiKey": "api-1", "walletPublicKey": pub(1), "privateKey": sk(1)}
    single = parse(json.dumps(one))
    many = parse(json.dumps([one, {"apiKey": "api-2", "walletPublicKey": pub(2), "privateKey": sk(2)}]))
    assert single.format == many.format == "pumpportal"
    assert [(w.pubkey, w.api_key, w.kind) for w in many.wallets] == [
        (pub(1), "api-1", WalletKind.PUMPPORTAL), (pub(2), "api-2", WalletKind.PUMPPORTAL)]
    assert single.wallets == many.wallets[:1]


def test_csv_recognises_aliased_columns_case_insensitively() -> None:
    text = (f"Name,PublicKey,SECRET,api_key,Type,Active,Group,Notes\n"
            f"alpha,{pub(1)},{sk(1)},,imported,yes,g1,first\n"
            f"beta,{pub(2)},,,watch,0,,\n"
            f"gamma,,{sk(3)},key3,pumpportal,,g1,\n")
    preview = parse(text)
    assert preview.format == "csv" and preview.invalid == () and preview.warnings == ()
    a, b, c = preview.wallets
    assert (a.line, a.label, a.group, a.note, a.active) == (2, "alpha", "g1", "first", True)
    assert a.kind is WalletKind.IMPORTED
    assert (b.line, b.kind, b.active, b.private_key) == (3, WalletKind.WATCH_ONLY, False, None)
    assert (c.line, c.pubkey, c.api_key, c.kind) == (4, pub(3), "key3", WalletKind.PUMPPORTAL)


def test_csv_unknown_columns_are_ignored_with_a_warning() -> None:
    preview = parse(f"label,address,balance,Created At\nx,{pub(1)},1.5,today\n")
    assert [w.pubkey for w in preview.wallets] == [pub(1)]
    assert preview.warnings == ("Ignored unknown columns: 'balance', 'Created At'",)


def test_csv_bad_rows_are_rejected_with_their_line_numbers() -> None:
    text = (f"label,public_key,private_key,active\n"
            f"good,{pub(1)},{sk(1)},true\n"
            f"\n"
            f'"multi\nline",{pub(2)},,false\n'
            f"notb58,,abc0OIl,\n"
            f"mismatch,{pub(4)},{sk(5)},\n"
            f"flag,{pub(6)},,maybe\n"
            f"wide,{pub(7)},,true,extra\n"
            f"trailing,{pub(8)},,true,,\n"
            f"empty,,,\n")
    preview = parse(text)
    assert [(w.line, w.label) for w in preview.wallets] == [(2, "good"), (4, "multi line"), (10, "trailing")]
    got = reasons(preview)
    assert set(got) == {6, 7, 8, 9, 11}
    assert "not base58" in got[6]
    assert "different address" in got[7]
    assert got[8] == "active was 'maybe', expected true or false"
    assert got[9] == "has 5 fields; the header has 4"
    assert got[11] == "has neither a public key nor a private key"


def test_csv_with_semicolons_and_a_single_private_key_column_parse() -> None:
    assert [w.pubkey for w in parse(f"label;pubkey\nx;{pub(1)}\n").wallets] == [pub(1)]
    assert [w.pubkey for w in parse(f"private_key\n{sk(2)}\n", "csv").wallets] == [pub(2)]


@pytest.mark.parametrize(("text", "fmt"), [
    (sk(1), "base58"),
    (json.dumps(list(bytes(kp(1)))), "cli-json"),
    (json.dumps([list(bytes(kp(1)))]), "cli-json"),
    (json.dumps({"walletPublicKey": pub(1), "privateKey": sk(1), "apiKey": "k"}), "pumpportal"),
    (json.dumps([{"publicKey": pub(1)}]), "mayhem-json"),
    (json.dumps({"wallets": [{"privateKey": sk(1)}]}), "mayhem-json"),
    (f"label,pubkey\nx,{pub(1)}", "csv"),
])
def test_auto_detects_each_format_from_content(text: str, fmt: str) -> None:
    assert parse(text).format == fmt


# --- bad files: one clear ValidationError --------------------------------------------------------

@pytest.mark.parametrize(("data", "fmt", "message"), [
    (b"", "auto", "empty"),
    (b"  \n\t\n", "base58", "empty"),
    (b"# only a comment\n", "base58", "no wallets"),
    (b"[]", "auto", "no wallets"),
    (b'[{"publicKey": "abc"', "auto", "malformed or cut short"),
    (b'{"walletPublicKey": ', "pumpportal", "malformed or cut short"),
    (b"not json", "mayhem-json", "malformed"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "auto", "not UTF-8"),
    (b"abc\x00def", "base58", "binary"),
    (b'"a string"', "auto", "not recognised"),
    (b'"a string"', "mayhem-json", "a string"),
    (b"42", "mayhem-json", "a number"),
    (b"null", "cli-json", "null"),
    (b'{"a": 1}', "cli-json", "an object"),
    (b'{"wallets": 5}', "auto", '"wallets" was a number'),
    (b"[true, false]", "auto", "a boolean"),
    (b"[" * 100_000, "auto", "nested too deeply"),
    (b"[" + b"9" * 5000 + b"]", "cli-json", "too large"),
    (b"hello world, how are you", "auto", "without a header"),
    (b"!!! nothing known here", "auto", "not recognised"),
    (b"foo,bar\n1,2\n", "csv", "header with a public_key"),
    (b"k", "xml", "Unknown import format"),
])
def test_unusable_file_raises_one_clear_validation_error(data: bytes, fmt: str, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        parse_import(data, fmt)


def test_file_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(ValidationError, match=r"50\.0 MiB; imports are limited to 10 MiB"):
        parse_import(b"1" * (50 * 1024 * 1024), source_name="huge.txt")
    assert MAX_IMPORT_BYTES == 10 * 1024 * 1024


def test_error_message_names_the_source_file() -> None:
    with pytest.raises(ValidationError, match=r"^keys\.json: The JSON is malformed or cut short"):
        parse_import(b"[1, 2,", source_name="keys.json")


def test_utf16_file_with_bom_from_windows_is_read() -> None:
    preview = parse_import(("\ufeff" + sk(1) + "\r\n").encode("utf-16-le"), source_name="keys.txt")
    assert [w.pubkey for w in preview.wallets] == [pub(1)]
    assert (preview.format, preview.source_name) == ("base58", "keys.txt")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
       fmt=st.sampled_from(FORMATS))
def test_arbitrary_bytes_give_a_preview_or_a_validation_error_only(data: bytes, fmt: str) -> None:
    with contextlib.suppress(ValidationError):
        parse_import(data, fmt)


JSON_KEYS = st.sampled_from(["publicKey", "private_key", "apiKey", "type", "active", "label", "groupId",
                              "walletPublicKey", "wallets", "note"]) | st.text(max_size=4)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 300) | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from([sk(1), pub(1), "lightning", "connected", "yes"]),
    lambda inner: st.lists(inner, max_size=66) | st.dictionaries(JSON_KEYS, inner, max_size=6),
    max_leaves=100,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=JSON_VALUES, fmt=st.sampled_from(FORMATS))
def test_arbitrary_json_documents_give_a_preview_or_a_validation_error_only(doc: object, fmt: str) -> None:
    with contextlib.suppress(ValidationError):
        parse_import(json.dumps(doc).encode(), fmt)


# --- key validation -------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "reason"), [
    (b58(bytes(kp(1))[:48]), "private key is 48 bytes; a Solana secret key is 64 bytes"),
    (b58(bytes(kp(1)) + b"\x07"), "private key is 65 bytes; a Solana secret key is 64 bytes"),
    (pub(1), "private key is 32 bytes: a public key or a bare seed, not a 64-byte secret key"),
    ("0OIl" + sk(1)[4:], "private key is not base58 (character 1 is outside the base58 alphabet)"),
    (sk(1)[:5] + "é" + sk(1)[6:], "private key is not base58 (character 6 is outside the base58 alphabet)"),
    ("z" * 500, "private key is 500 characters long, too long for a key"),
    (b58(bytes(kp(1))[:32] + bytes(kp(2).pubkey())),
     "private key is damaged: its public half does not belong to its private half"),
    (f"{sk(1)} {sk(2)}", "has more than one word; expected one base58 secret key per line"),
])
def test_bad_base58_key_is_rejected_with_the_reason(line: str, reason: str) -> None:
    preview = parse(f"{sk(3)}\n{line}\n", "base58")
    assert [w.line for w in preview.wallets] == [1]
    assert reasons(preview) == {2: reason}


@pytest.mark.parametrize(("entry", "reason"), [
    ({"publicKey": b58(bytes(31))}, "public key is 31 bytes; a Solana public key is 32 bytes"),
    ({"publicKey": "not-base58!"}, "public key is not base58 (character 4 is outside the base58 alphabet)"),
    ({"publicKey": sk(1)}, "public key is 64 bytes, the length of a secret key"),
    ({"publicKey": pub(1), "privateKey": sk(2)},
     "the private key belongs to a different address than the public key given"),
    ({"privateKey": list(bytes(kp(1)))[:63]}, "private key has 63 numbers; a Solana keypair has 64"),
    ({"privateKey": 12}, "private key was a number, expected base58 text or an array of 64 numbers"),
    ({"publicKey": pub(1), "active": "sometimes-never"}, "active was a 15-character text, expected true or false"),
    ({"publicKey": pub(1), "active": 2}, "active was a number, expected true or false"),
    ({"publicKey": pub(1), "label": ["x"]}, "label was an array, expected text"),
    ({"publicKey": pub(1), "label": "x" * 65}, "label is 65 characters; at most 64 are allowed"),
    ({"publicKey": pub(1), "apiKey": "has space"}, "API key has spaces"),
    ({"label": "nothing"}, "has neither a public key nor a private key"),
])
def test_bad_mayhem_entry_is_rejected_with_the_reason(entry: dict[str, object], reason: str) -> None:
    preview = parse(json.dumps([{"publicKey": pub(9)}, entry, "oops"]), "mayhem-json")
    assert [w.line for w in preview.wallets] == [1]
    got = reasons(preview)
    assert got[2].startswith(reason)
    assert got[3] == "was a string, expected a wallet object"


def test_bad_cli_json_keypairs_are_rejected_per_entry() -> None:
    good = list(bytes(kp(1)))
    preview = parse(json.dumps([good, good[:32], [*good[:63], 300], [*good[:63], True], "x"]))
    assert preview.format == "cli-json"
    assert reasons(preview) == {
        2: "keypair has 32 numbers; a Solana keypair has 64",
        3: "keypair number 64 is not a byte (0 to 255)",
        4: "keypair number 64 is not a byte (0 to 255)",
        5: "was a string, expected an array of 64 numbers",
    }


def test_ten_thousand_base58_lines_parse_quickly() -> None:
    keys = [Keypair() for _ in range(10_000)]
    data = "\n".join(str(k) for k in keys).encode()
    start = time.perf_counter()
    preview = parse_import(data, "base58")
    elapsed = time.perf_counter() - start
    assert len(preview.wallets) == 10_000 and preview.invalid == ()
    assert [w.pubkey for w in preview.wallets] == [str(k.pubkey()) for k in keys]
    assert preview.wallets[-1].line == 10_000
    assert elapsed < 2.0


# --- planning against the vault ---------------------------------------------------------------------

def test_same_key_twice_in_a_file_is_merged_into_one_wallet() -> None:
    preview = parse(json.dumps([
        {"publicKey": pub(1), "label": "first"},
        {"publicKey": pub(1), "label": "second", "privateKey": sk(1), "apiKey": "k", "type": "pumpportal"},
        {"privateKey": sk(1)},
    ]))
    plan = plan_import(preview, [])
    assert len(plan.to_add) == 1
    added = plan.to_add[0].wallet
    assert (added.label, added.private_key, added.api_key, added.kind) == ("first", bytes(kp(1)), "k",
                                                                          WalletKind.PUMPPORTAL)
    assert [(d.line, d.existing, d.merged) for d in plan.duplicates] == [
        (2, "earlier entry 1", "private key, API key"), (3, "earlier entry 1", "nothing new")]


def test_key_already_in_vault_with_nothing_new_is_a_duplicate_not_a_second_wallet() -> None:
    existing = [wallet(1, "mine", has_private_key=True), wallet(2, "old", archived_ms=5, has_private_key=True)]
    plan = plan_import(parse(f"{sk(1)}\n{sk(2)}\n{sk(3)}\n"), existing)
    assert [p.wallet.pubkey for p in plan.to_add] == [pub(3)]
    assert [(d.line, d.existing, d.merged) for d in plan.duplicates] == [
        (1, "id-1", "nothing new: already in the vault"), (2, "id-2", "nothing new: already in the archived wallet")]
    assert plan.upgrades == ()


def test_watch_only_wallet_in_vault_is_upgraded_with_the_imported_private_key() -> None:
    existing = [wallet(1, "watched", kind=WalletKind.WATCH_ONLY)]
    plan = plan_import(parse(f"label,private_key\nnew name,{sk(1)}\n"), existing)
    assert plan.to_add == () and plan.duplicates == ()
    (up,) = plan.upgrades
    assert (up.line, up.wallet_id, up.wallet_label, up.kind) == (2, "id-1", "watched", WalletKind.IMPORTED)
    assert up.private_key == bytes(kp(1)) and up.adds_private_key and not up.adds_api_key


def test_wallet_lacking_an_api_key_gets_only_the_api_key_from_the_import() -> None:
    existing = [wallet(1, "keyed", has_private_key=True), wallet(2, "full", has_private_key=True, has_api_key=True)]
    preview = parse(json.dumps([{"walletPublicKey": pub(i), "privateKey": sk(i), "apiKey": f"k{i}"} for i in (1, 2)]))
    plan = plan_import(preview, existing)
    (up,) = plan.upgrades
    assert (up.wallet_id, up.private_key, up.api_key, up.kind) == ("id-1", None, "k1", WalletKind.IMPORTED)
    assert [d.existing for d in plan.duplicates] == ["id-2"]


def test_labels_are_generated_and_made_unique_against_vault_and_file() -> None:
    existing = [wallet(10, "Imported 1"), wallet(11, "Sniper"), wallet(12, "Gone", archived_ms=1)]
    text = "label,private_key\n" + "".join(f"{label},{sk(i)}\n" for i, label in
                                            [(1, ""), (2, "sniper"), (3, "Sniper"), (4, "Gone"), (5, "Imported 2")])
    plan = plan_import(parse(text), existing)
    assert [p.wallet.label for p in plan.to_add] == ["Imported 3", "sniper (2)", "Sniper (3)", "Gone", "Imported 2"]
    assert [(r.line, r.wanted, r.label) for r in plan.renamed] == [(3, "sniper", "sniper (2)"),
                                                                   (4, "Sniper", "Sniper (3)")]


def test_plan_carries_group_names_and_counts_every_entry_once() -> None:
    text = (f"label,private_key,public_key,group\n"
            f"a,{sk(1)},,snipers\nb,{sk(2)},,snipers\nc,,{pub(3)},watch\nd,{sk(1)},,\ne,bad,,\nf,{sk(4)},,\n")
    plan = plan_import(parse(text), [wallet(4, "f", has_private_key=True)])
    assert plan.groups == {"snipers": (pub(1), pub(2)), "watch": (pub(3),)}
    assert [p.group for p in plan.to_add] == ["snipers", "snipers", "watch"]
    summary = plan.summary
    assert (summary.added, summary.upgraded, summary.duplicates, summary.invalid, summary.total) == (3, 0, 2, 1, 6)
    assert str(summary) == "3 to add, 0 to upgrade, 2 duplicate(s), 1 invalid"
    assert plan.new_wallets[2].kind is WalletKind.WATCH_ONLY and plan.new_wallets[2].private_key is None


def test_no_secret_appears_in_repr_of_preview_or_plan() -> None:
    existing = [wallet(2, "watch", kind=WalletKind.WATCH_ONLY)]
    preview = parse(json.dumps([
        {"walletPublicKey": pub(1), "privateKey": sk(1), "apiKey": "SECRET-API-KEY-1"},
        {"walletPublicKey": pub(2), "privateKey": sk(2), "apiKey": "SECRET-API-KEY-2"},
        {"walletPublicKey": pub(3), "privateKey": sk(4), "apiKey": "SECRET-API-KEY-3"},
    ]))
    plan = plan_import(preview, existing)
    assert plan.to_add and plan.upgrades and plan.invalid
    for text in (repr(preview), repr(plan), str(preview), str(plan), repr(plan.summary)):
        for i in (1, 2, 4):
            assert sk(i) not in text
            assert repr(bytes(kp(i))) not in text and bytes(kp(i)).hex() not in text
            assert repr(list(bytes(kp(i)))[:32])[1:-1] not in text
        assert "SECRET-API-KEY" not in text


async def test_planned_wallets_store_in_the_vault_and_a_reimport_adds_nothing(home: Path) -> None:
    vault = await create_vault(home, PASSWORD, FAST_KDF)
    try:
        data = f"label,public_key,private_key\nw,,{sk(1)}\nwatch,{pub(2)},\n".encode()
        stored = await vault.wallets.add_many(plan_import(parse_import(data), []).new_wallets)
        assert [(w.label, w.has_private_key) for w in stored] == [("w", True), ("watch", False)]
        again = plan_import(parse_import(data + f",,{sk(2)}\n".encode()), stored)
        assert again.to_add == () and [u.wallet_id for u in again.upgrades] == [stored[1].id]
        assert len(again.duplicates) == 2
    finally:
        await vault.lock()
