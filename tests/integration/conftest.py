"""Fixtures shared by the action tests (real Tracker, CollectingDispatcher, database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.runtime import Runtime, set_runtime
from laikhe.commune import CommuneConfig

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def action_runtime(
    sessions: async_sessionmaker[AsyncSession], commune: CommuneConfig
) -> Iterator[Runtime]:
    """The actions' runtime on this test's database; modules use it for every test."""
    installed = Runtime(commune=commune, sessions=sessions)
    set_runtime(installed)
    yield installed
    set_runtime(None)
