"""Shared test setup: offscreen Qt, a fast KDF, and a fresh data directory per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests derive keys hundreds of times: 8 MiB keeps each derivation ~10 ms. Production defaults to 256 MiB.
os.environ["DESK_KDF_MEMORY_MIB"] = "8"

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data directory, also exported as DESK_HOME."""
    path = tmp_path / "desk-home"
    monkeypatch.setenv("DESK_HOME", str(path))
    monkeypatch.delenv("DESK_PASSWORD", raising=False)
    monkeypatch.delenv("DESK_NEW_PASSWORD", raising=False)
    return path


@pytest.fixture(autouse=True)
def _fail_on_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail any test that logs an unexpected WARNING or worse (mark expected ones with caplog.clear())."""
    caplog.set_level(logging.INFO)
    yield
    bad = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    if bad:
        pytest.fail(f"error logged: {bad[0].getMessage()}")
