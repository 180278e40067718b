"""Log redaction keeps key material out of log files while keeping addresses and signatures readable."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from solders.keypair import Keypair

from desk.logs import REDACTED, redact, setup_logging


def test_base58_keypair_is_redacted_but_address_and_signature_are_kept() -> None:
    kp = Keypair()
    sig = str(kp.sign_message(b"hello"))
    text = redact(f"wallet {kp.pubkey()} key {kp} sig {sig}")
    assert str(kp) not in text and REDACTED in text
    assert str(kp.pubkey()) in text and sig in text


def test_hex_and_cli_json_keys_are_redacted() -> None:
    raw = bytes(Keypair())
    text = redact(f"hex {raw.hex()} seed {raw[:32].hex()} json {json.dumps(list(raw))}")
    assert text == f"hex {REDACTED} seed {REDACTED} json {REDACTED}"


def test_exception_text_in_log_file_is_redacted(tmp_path: Path) -> None:
    kp = Keypair()
    setup_logging(tmp_path)
    try:
        raise ValueError(f"bad key {kp}")
    except ValueError:
        logging.getLogger("desk.test").warning("failed", exc_info=True)
    for handler in logging.getLogger().handlers:
        handler.flush()
    content = (tmp_path / "desk.log").read_text()
    assert "bad key" in content and str(kp) not in content
