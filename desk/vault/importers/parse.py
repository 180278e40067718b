"""``parse_import``: decode a file, recognise its format and read it into an ``ImportPreview``."""

from __future__ import annotations

import json

from desk.core.errors import ValidationError
from desk.core.wallets import WalletKind
from desk.vault.importers.formats import (
    CSV_DELIMITERS,
    json_type,
    read_base58,
    read_cli_json,
    read_csv,
    read_objects,
    text_lines,
)
from desk.vault.importers.keys import is_base58
from desk.vault.importers.model import JSON_FORMATS, ImportPreview
from desk.vault.importers.records import FIELD_ALIASES, Collector, normalize

FORMATS = ("auto", "base58", "cli-json", "mayhem-json", "pumpportal", "csv")
#: Larger files are refused: 10 MiB holds over 100,000 keys, far beyond any real wallet export.
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def parse_import(data: bytes, fmt: str = "auto", *, source_name: str = "") -> ImportPreview:
    """Read an import file into a preview of valid and rejected entries. Nothing is stored.

    Args:
        data: The file's bytes (UTF-8, optionally with a BOM; UTF-16 with a BOM is also read).
        fmt: One of ``FORMATS``; "auto" recognises the format from the content.
        source_name: File name to put in error messages.

    Returns:
        The preview. Entries that fail validation are listed in ``invalid`` with their line or
        entry number, never raised.

    Raises:
        ValidationError: The whole file is unusable: too large, not text, malformed JSON or CSV,
            the wrong shape for the format, or no wallets at all.
    """
    try:
        return _parse(data, fmt, source_name)
    except ValidationError as e:
        if source_name:
            raise ValidationError(f"{source_name}: {e}") from e
        raise


def _parse(data: bytes, fmt: str, source_name: str) -> ImportPreview:
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown import format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(f"The file is {len(data) / 1_048_576:.1f} MiB; imports are limited to "
                              f"{MAX_IMPORT_BYTES // 1_048_576} MiB. Split it into smaller files.")
    text = _decode(data)
    if not text.strip():
        raise ValidationError("The file is empty.")
    doc: object = None
    is_json = fmt in JSON_FORMATS or (fmt == "auto" and text.lstrip()[:1] in ("[", "{"))
    if is_json:
        doc = _load_json(text)
    if fmt == "auto":
        fmt = _detect_json(doc) if is_json else _detect_text(text)
    sink = Collector("entry" if fmt in JSON_FORMATS else "line")
    if fmt == "base58":
        read_base58(text, sink)
    elif fmt == "csv":
        read_csv(text, sink)
    elif fmt == "cli-json":
        read_cli_json(doc, sink)
    else:
        read_objects(doc, sink, WalletKind.PUMPPORTAL if fmt == "pumpportal" else None)
    if not sink.wallets and not sink.invalid:
        raise ValidationError("The file contains no wallets.")
    sink.finish()
    return ImportPreview(format=fmt, wallets=tuple(sink.wallets), invalid=tuple(sink.invalid),
                         warnings=tuple(sink.warnings), source_name=source_name)


def _decode(data: bytes) -> str:
    # Windows tools (PowerShell's >) write UTF-16 with a byte-order mark.
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        name = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise ValidationError(f"The file is not {name} text (byte {e.start + 1} cannot be decoded); "
                              "is it a binary file?") from e
    if "\x00" in text:
        raise ValidationError("The file holds binary data, not a text wallet export.")
    return text


def _load_json(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValidationError(f"The JSON is malformed or cut short ({e.msg} at line {e.lineno}, "
                              f"column {e.colno}).") from e
    except RecursionError as e:
        raise ValidationError("The JSON is nested too deeply to be a wallet export.") from e
    except ValueError as e:  # e.g. an integer with more digits than Python converts
        raise ValidationError("The JSON holds a value that cannot be read (a number far too large).") from e


def _detect_json(doc: object) -> str:
    items = doc if isinstance(doc, list) else [doc]
    first = items[0] if items else None
    if isinstance(doc, list) and (isinstance(first, list) or (type(first) is int)):
        return "cli-json"
    if isinstance(doc, dict) and any(normalize(k) == "wallets" for k in doc):
        return "mayhem-json"
    if not items or isinstance(first, dict):
        pumpportal = any(isinstance(i, dict) and any(normalize(k) == "walletpublickey" for k in i) for i in items)
        return "pumpportal" if pumpportal else "mayhem-json"
    found = json_type(first if isinstance(doc, list) else doc)
    raise ValidationError(f"The JSON holds {found} where wallet objects or keypairs were expected.")


def _detect_text(text: str) -> str:
    first = next((ln.strip() for ln in text_lines(text) if ln.strip() and not ln.lstrip().startswith("#")), "")
    if any(d in first for d in CSV_DELIMITERS) or normalize(first) in FIELD_ALIASES:
        cells = [normalize(c) for d in CSV_DELIMITERS for c in first.split(d)]
        if any(c in FIELD_ALIASES for c in cells):
            return "csv"
        raise ValidationError("This looks like a CSV file without a header row; add a header such as "
                              "label,public_key,private_key.")
    if is_base58(first):
        return "base58"
    raise ValidationError("The file's format was not recognised. Use base58 keys one per line, a Solana CLI "
                          "keypair, a Mayhem or PumpPortal JSON export, or a CSV with a header.")
