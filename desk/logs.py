"""Logging to rotating files in the data directory, with a filter that keeps secrets out.

Anything that looks like key material (long base58 or hex runs, Solana CLI byte arrays) is replaced
before a record is formatted, as a second line of defence: code never logs secrets on purpose.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from solders.keypair import Keypair

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_RUN = re.compile(rf"[{_B58}]{{80,90}}")
_ALWAYS_SECRET = [
    re.compile(r"\b[0-9a-fA-F]{64,}\b"),  # hex seeds and keypairs
    re.compile(r"\[\s*\d{1,3}(?:\s*,\s*\d{1,3}){31,}\s*\]"),  # Solana CLI keypair arrays
]
REDACTED = "[redacted]"


def _redact_keypair(match: re.Match[str]) -> str:
    # A 64-byte base58 run is a signature (keep) or a keypair (redact): only a keypair's second half
    # is the public key of its first half.
    try:
        Keypair.from_base58_string(match.group(0))
    except ValueError:
        return match.group(0)
    return REDACTED


def redact(text: str) -> str:
    """Return ``text`` with anything shaped like key material replaced."""
    text = _BASE58_RUN.sub(_redact_keypair, text)
    for pattern in _ALWAYS_SECRET:
        text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message and exception text through :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
            record.exc_info = None
        return True


def setup_logging(log_dir: Path, *, verbose: bool = False) -> None:
    """Send desk logs to ``log_dir/desk.log`` (rotating, 5 files of 2 MB) through the redacting filter."""
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / "desk.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_desk_handler", False):
            root.removeHandler(existing)
            existing.close()
    handler._desk_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
