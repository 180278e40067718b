"""Recorded payloads for the simnet market's wire formats (copies of the shared samples, wrapper kept)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "data" / "simnet"


def sample(name: str) -> Any:
    """Return the ``payload`` of ``tests/data/simnet/<name>``."""
    return json.loads((DATA / name).read_text())["payload"]


def shape(value: Any) -> Any:
    """Return the JSON type structure of ``value`` (numbers as one kind, as they arrive int or float)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__
