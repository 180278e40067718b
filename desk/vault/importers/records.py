"""Turning one loosely typed record (a JSON object or a CSV row) into a checked ``ImportedWallet``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import ParamSpec

from desk.core.wallets import WalletKind
from desk.vault.importers.keys import EntryError, pubkey_from_text, secret_from_numbers, secret_from_text
from desk.vault.importers.model import ImportedWallet, InvalidEntry

MAX_LABEL_CHARS = 64
MAX_NOTE_CHARS = 1000
MAX_API_KEY_CHARS = 256

#: Field names after ``normalize`` → the field they fill. The first alias found wins.
FIELD_ALIASES: dict[str, str] = {
    "label": "label", "name": "label", "walletname": "label", "walletlabel": "label",
    "publickey": "pubkey", "pubkey": "pubkey", "address": "pubkey", "walletpublickey": "pubkey",
    "walletaddress": "pubkey",
    "privatekey": "private_key", "secret": "private_key", "secretkey": "private_key", "privkey": "private_key",
    "apikey": "api_key",
    "kind": "kind", "type": "kind", "wallettype": "kind",
    "active": "active", "enabled": "active", "isactive": "active",
    "group": "group", "groupname": "group", "groupid": "group",
    "note": "note", "notes": "note", "comment": "note", "description": "note",
}

#: Wallet types of other tools (and our own kinds) after ``normalize``.
KIND_ALIASES: dict[str, WalletKind] = {
    "pumpportal": WalletKind.PUMPPORTAL, "lightning": WalletKind.PUMPPORTAL, "bot": WalletKind.PUMPPORTAL,
    "connected": WalletKind.WATCH_ONLY, "watch": WalletKind.WATCH_ONLY, "watchonly": WalletKind.WATCH_ONLY,
    "readonly": WalletKind.WATCH_ONLY,
    "imported": WalletKind.IMPORTED, "import": WalletKind.IMPORTED, "generated": WalletKind.IMPORTED,
    "local": WalletKind.IMPORTED, "keypair": WalletKind.IMPORTED,
}

_P = ParamSpec("_P")
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
_NON_NAME = re.compile(r"[\s_\-.]")


def normalize(name: str) -> str:
    """Return a field name lowercased without spaces, underscores, dashes or dots."""
    return _NON_NAME.sub("", name).lower()


def shown(name: str, limit: int = 32) -> str:
    """Return a user-supplied name fit to quote in a message, or "" if it is too long to be a name."""
    return repr(name) if len(name) <= limit and name.isprintable() else ""


def quoted_names(names: list[str], most: int = 10) -> str:
    """Return up to ``most`` names joined for a message; the rest and overlong ones (maybe keys) are counted."""
    quoted = [q for q in (shown(n) for n in names) if q][:most]
    hidden = len(names) - len(quoted)
    if hidden:
        quoted.append(f"{hidden} more")
    return ", ".join(quoted)


class Collector:
    """Accumulates the entries and warnings of one parse.

    Attributes:
        unit: "line" or "entry", used in warnings.
        wallets: Valid entries.
        invalid: Rejected entries.
        warnings: Messages for the preview.
        unknown_kinds: Wallet types that were not recognised (imported as IMPORTED).
    """

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.wallets: list[ImportedWallet] = []
        self.invalid: list[InvalidEntry] = []
        self.warnings: list[str] = []
        self.unknown_kinds: list[str] = []

    def entry(self, line: int, build: Callable[_P, ImportedWallet], *args: _P.args, **kwargs: _P.kwargs) -> None:
        """Call ``build(*args, **kwargs)`` and keep its wallet, or record why it was rejected."""
        try:
            self.wallets.append(build(*args, **kwargs))
        except EntryError as e:
            self.invalid.append(InvalidEntry(line, str(e)))

    def reject(self, line: int, reason: str) -> None:
        """Record a rejected entry."""
        self.invalid.append(InvalidEntry(line, reason))

    def finish(self) -> None:
        """Add the warnings that summarize the whole file."""
        if self.unknown_kinds:
            self.warnings.append("Unrecognised wallet types were imported as 'imported': "
                                 + quoted_names(sorted(set(self.unknown_kinds))))


def build_wallet(line: int, fields: Mapping[str, object], sink: Collector,
                 forced_kind: WalletKind | None = None) -> ImportedWallet:
    """Check one record's fields and return the wallet.

    Args:
        line: Line or entry number.
        fields: Field name (a value of ``FIELD_ALIASES``) → raw value; absent, None and "" mean missing.
        sink: Receives warnings.
        forced_kind: Kind stated by the format itself (PumpPortal files), overriding a type field.

    Returns:
        The checked wallet.

    Raises:
        EntryError: Any field is unusable.
    """
    private_key, derived = _secret(fields.get("private_key"))
    given = _text(fields.get("pubkey"), "public key", MAX_LABEL_CHARS * 2)
    pubkey = pubkey_from_text(given) if given else None
    if derived is not None and pubkey is not None and derived != pubkey:
        raise EntryError("the private key belongs to a different address than the public key given")
    pubkey = pubkey or derived
    if pubkey is None:
        raise EntryError("has neither a public key nor a private key")
    api_key = _api_key(fields.get("api_key"))
    stated = forced_kind or _stated_kind(fields.get("kind"), sink)
    if stated is WalletKind.WATCH_ONLY and private_key is not None:
        sink.warnings.append(f"{sink.unit} {line}: a watch-only type came with a private key; "
                             "it is imported with its key")
    return ImportedWallet(
        line=line,
        label=_name(fields.get("label"), "label"),
        pubkey=pubkey,
        private_key=private_key,
        api_key=api_key,
        kind=resolve_kind(stated, has_private_key=private_key is not None, has_api_key=api_key is not None),
        active=_active(fields.get("active")),
        group=_group(fields.get("group")),
        note=_text(fields.get("note"), "note", MAX_NOTE_CHARS) or "",
    )


def resolve_kind(stated: WalletKind | None, *, has_private_key: bool, has_api_key: bool) -> WalletKind:
    """Return the kind a wallet gets from its stated type and the secrets it actually has.

    Without any secret it is watch-only, whatever the file says. An API key alone means a PumpPortal
    (Lightning) wallet. With a private key it is PUMPPORTAL if stated so, otherwise IMPORTED.
    """
    if not has_private_key:
        return WalletKind.PUMPPORTAL if has_api_key else WalletKind.WATCH_ONLY
    return WalletKind.PUMPPORTAL if stated is WalletKind.PUMPPORTAL else WalletKind.IMPORTED


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value) if len(value) <= 12 and value.isprintable() else f"a {len(value)}-character text"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _text(value: object, what: str, limit: int) -> str | None:
    if _missing(value):
        return None
    if not isinstance(value, str):
        raise EntryError(f"{what} was {_describe(value)}, expected text")
    text = value.strip()
    if len(text) > limit:
        raise EntryError(f"{what} is {len(text)} characters; at most {limit} are allowed")
    return text


def _name(value: object, what: str) -> str | None:
    text = _text(value, what, MAX_LABEL_CHARS)
    if text is None:
        return None
    return " ".join(text.split())  # newlines and tabs inside a label become single spaces


def _group(value: object) -> str | None:
    if type(value) is int:  # the old web app stored numeric group ids
        return str(value)
    return _name(value, "group")


def _secret(value: object) -> tuple[bytes | None, str | None]:
    if _missing(value):
        return None, None
    if isinstance(value, str):
        return secret_from_text(value.strip())
    if isinstance(value, list):
        return secret_from_numbers(value, "private key")
    raise EntryError(f"private key was {_describe(value)}, expected base58 text or an array of 64 numbers")


def _api_key(value: object) -> str | None:
    text = _text(value, "API key", MAX_API_KEY_CHARS)
    if text is not None and not (text.isascii() and text.isprintable() and " " not in text):
        raise EntryError("API key has spaces or characters that are not plain ASCII")
    return text


def _stated_kind(value: object, sink: Collector) -> WalletKind | None:
    text = _text(value, "type", MAX_LABEL_CHARS)
    if text is None:
        return None
    kind = KIND_ALIASES.get(normalize(text))
    if kind is None:
        sink.unknown_kinds.append(text)
    return kind


def _active(value: object) -> bool:
    if _missing(value):
        return True
    if isinstance(value, bool):
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise EntryError(f"active was {_describe(value)}, expected true or false")
