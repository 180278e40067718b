"""Failed unlock attempts, remembered outside the vault until the next successful unlock.

A failed unlock cannot write to the vault (it cannot open it) and must not modify the vault files,
so each failure is one line of time and reason in ``unlock-failures.jsonl``. The next unlock moves
them into the hash-chained activity log and removes the file. No password is ever recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from desk.core.clock import now_ms

FILE_NAME = "unlock-failures.jsonl"


def record(home: Path, reason: str) -> None:
    """Append one failure line."""
    path = home / FILE_NAME
    line = json.dumps({"ts_ms": now_ms(), "reason": reason}) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(line)


def pending(home: Path) -> list[dict[str, object]]:
    """Return the recorded failures, skipping lines a crash may have cut short."""
    path = home / FILE_NAME
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    out: list[dict[str, object]] = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            item = json.loads(line)
            if isinstance(item, dict) and isinstance(item.get("ts_ms"), int):
                out.append({"ts_ms": item["ts_ms"], "reason": str(item.get("reason", ""))})
    return out


def clear(home: Path) -> None:
    """Remove the failures file once its lines are in the activity log."""
    with contextlib.suppress(FileNotFoundError):
        (home / FILE_NAME).unlink()
