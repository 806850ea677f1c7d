"""The processes' output files rotate by size (scripts/stack.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from scripts import stack


def test_child_output_rotates_by_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "LOG_MAX_BYTES", 1_000)
    monkeypatch.setattr(stack, "LOG_BACKUPS", 2)
    lines = [f"dòng {i:04d} 100% xong".encode() + b"\n" for i in range(300)]
    log = tmp_path / "engine.log"

    stack._copy_to_rotating_log(io.BytesIO(b"".join(lines)), log)

    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["engine.log", "engine.log.1", "engine.log.2"]
    assert all(f.stat().st_size <= 1_000 for f in files)
    # The newest lines are kept, whole and in order ("%" is not a format directive here).
    kept = (log.with_suffix(".log.1").read_text() + log.read_text()).splitlines()
    assert kept[-1] == "dòng 0299 100% xong"
    assert kept == [f"dòng {i:04d} 100% xong" for i in range(300 - len(kept), 300)]
