"""Wallet imports: read files of every supported format into a preview, then plan against the vault.

Pure functions, no I/O and no vault access: ``parse_import(data, fmt)`` returns an
``ImportPreview`` of valid and rejected entries; ``plan_import(preview, existing)`` returns an
``ImportPlan`` of wallets to add (with unique labels and group names), upgrades of existing
wallets, duplicates and invalid entries. Secrets are ``bytes``/``str`` fields excluded from every
repr, and no message quotes key material.

Formats (``FORMATS``):

* ``base58``: one base58 64-byte secret key per line (Phantom export, ``str(Keypair)``); blank
  lines and ``#`` comments are skipped. 32-byte values are rejected, because a bare seed cannot be
  told apart from a public key.
* ``cli-json``: a Solana CLI keypair file (an array of 64 numbers), or an array of them.
* ``mayhem-json``: the old web app's export: an array of wallet objects (or ``{"wallets": [...]}``)
  with label, publicKey, privateKey, apiKey, type, active, groupId in camelCase or snake_case.
* ``pumpportal``: PumpPortal create-wallet responses (``apiKey``, ``walletPublicKey``,
  ``privateKey``), one object or an array; kind PUMPPORTAL.
* ``csv``: a header row, then one wallet per row; columns are recognised case-insensitively
  with aliases, unknown columns are ignored with a warning.
* ``auto``: recognised from the content.

Types of other tools map to kinds: pumpportal/lightning/bot → PUMPPORTAL, connected/watch →
WATCH_ONLY, anything else (including "generated": the desk cannot vouch for it) → IMPORTED. The
secrets decide in the end: no secret means watch-only, an API key alone means PUMPPORTAL.
Files over ``MAX_IMPORT_BYTES`` are refused.
"""

from desk.vault.importers.keys import ALPHABET
from desk.vault.importers.model import (
    Duplicate,
    ImportedWallet,
    ImportPlan,
    ImportPreview,
    ImportSummary,
    InvalidEntry,
    PlannedWallet,
    Renamed,
    Upgrade,
)
from desk.vault.importers.parse import FORMATS, MAX_IMPORT_BYTES, parse_import
from desk.vault.importers.plan import plan_import

__all__ = [
    "ALPHABET",
    "FORMATS",
    "MAX_IMPORT_BYTES",
    "Duplicate",
    "ImportPlan",
    "ImportPreview",
    "ImportSummary",
    "ImportedWallet",
    "InvalidEntry",
    "PlannedWallet",
    "Renamed",
    "Upgrade",
    "parse_import",
    "plan_import",
]
