"""One reader per import format; each fills a ``Collector`` and raises only ``ValidationError``."""

from __future__ import annotations

import csv
import io

from desk.core.errors import ValidationError
from desk.core.wallets import WalletKind
from desk.vault.importers.keys import secret_from_numbers, secret_from_text
from desk.vault.importers.model import ImportedWallet
from desk.vault.importers.records import FIELD_ALIASES, Collector, build_wallet, normalize, quoted_names

#: Delimiters a CSV header may use; the most frequent one in the header wins.
CSV_DELIMITERS = (",", ";", "\t")


def text_lines(text: str) -> list[str]:
    """Split text into lines on \\n, \\r\\n or \\r, as editors number them."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def json_type(value: object) -> str:
    """Return the JSON name of a value's type, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


def read_base58(text: str, sink: Collector) -> None:
    """Read one base58 secret key per line; blank lines and ``#`` comments are skipped."""
    for line, raw in enumerate(text_lines(text), 1):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        if len(item.split()) > 1:
            sink.reject(line, "has more than one word; expected one base58 secret key per line")
            continue
        sink.entry(line, _base58_wallet, line, item)


def read_cli_json(doc: object, sink: Collector) -> None:
    """Read a Solana CLI keypair (an array of 64 numbers) or an array of such arrays."""
    if not isinstance(doc, list):
        raise ValidationError(f"A Solana CLI keypair file holds an array of 64 numbers; this holds {json_type(doc)}.")
    entries: list[object] = list(doc) if doc and isinstance(doc[0], list) else [doc]
    for line, item in enumerate(entries, 1):
        if not isinstance(item, list):
            sink.reject(line, f"was {json_type(item)}, expected an array of 64 numbers")
            continue
        sink.entry(line, _cli_wallet, line, item)


def read_objects(doc: object, sink: Collector, forced_kind: WalletKind | None) -> None:
    """Read wallet objects: the old web app's export, or PumpPortal create-wallet responses.

    Args:
        doc: An array of objects, one object, or an object with a "wallets" array.
        sink: Receives entries and warnings.
        forced_kind: PUMPPORTAL for PumpPortal files; None to take the kind from each object's type.

    Raises:
        ValidationError: The document is not shaped like a wallet list.
    """
    entries = _object_entries(doc)
    ignored: dict[str, None] = {}
    for line, item in enumerate(entries, 1):
        if not isinstance(item, dict):
            sink.reject(line, f"was {json_type(item)}, expected a wallet object")
            continue
        fields: dict[str, object] = {}
        for key, value in item.items():
            field = FIELD_ALIASES.get(normalize(key))
            if field is None:
                ignored[key] = None
            elif field not in fields or fields[field] in (None, ""):
                fields[field] = value
        sink.entry(line, build_wallet, line, fields, sink, forced_kind)
    if ignored:
        sink.warnings.append("Ignored unknown fields: " + quoted_names(list(ignored)))


def read_csv(text: str, sink: Collector) -> None:
    """Read a CSV file whose first row (after blank and ``#`` lines) is a header.

    Raises:
        ValidationError: No usable header, or the CSV itself is malformed.
    """
    first = next((ln for ln in text_lines(text) if ln.strip() and not ln.lstrip().startswith("#")), "")
    delimiter = max(CSV_DELIMITERS, key=first.count)
    if first.count(delimiter) == 0 and normalize(first) not in FIELD_ALIASES:
        raise ValidationError("A CSV file needs a header row naming its columns, separated by commas.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str | None] | None = None
    try:
        while True:
            line = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(cell.strip() for cell in row) or (header is None and row[0].lstrip().startswith("#")):
                continue
            if header is None:
                header = _csv_header(row, sink)
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                sink.reject(line, f"has {len(row)} fields; the header has {len(header)}")
                continue
            fields: dict[str, object] = {}
            for name, cell in zip(header, row, strict=False):
                if name is not None:
                    fields[name] = cell
            sink.entry(line, build_wallet, line, fields, sink)
    except csv.Error as e:
        raise ValidationError(f"The CSV is malformed at line {reader.line_num}: {e}.") from e


def _csv_header(row: list[str], sink: Collector) -> list[str | None]:
    header: list[str | None] = []
    unknown: list[str] = []
    for cell in row:
        field = FIELD_ALIASES.get(normalize(cell))
        if field is None:
            if cell.strip():
                unknown.append(cell.strip())
        elif field in header:
            sink.warnings.append(f"Column {cell.strip()!r} repeats another column for {field}; the first is used.")
            field = None
        header.append(field)
    if "pubkey" not in header and "private_key" not in header:
        raise ValidationError("The first row of a CSV file must be a header with a public_key or "
                              "private_key column.")
    if unknown:
        sink.warnings.append("Ignored unknown columns: " + quoted_names(unknown))
    return header


def _object_entries(doc: object) -> list[object]:
    if isinstance(doc, list):
        return list(doc)
    if isinstance(doc, dict):
        for key, value in doc.items():
            if normalize(key) == "wallets":
                if not isinstance(value, list):
                    raise ValidationError(f'"{key}" was {json_type(value)}, expected an array of wallet objects.')
                return list(value)
        return [doc]
    raise ValidationError(f"Expected an array of wallet objects; the file holds {json_type(doc)}.")


def _base58_wallet(line: int, text: str) -> ImportedWallet:
    private_key, pubkey = secret_from_text(text)
    return ImportedWallet(line=line, label=None, pubkey=pubkey, private_key=private_key, kind=WalletKind.IMPORTED)


def _cli_wallet(line: int, numbers: list[object]) -> ImportedWallet:
    private_key, pubkey = secret_from_numbers(numbers)
    return ImportedWallet(line=line, label=None, pubkey=pubkey, private_key=private_key, kind=WalletKind.IMPORTED)
