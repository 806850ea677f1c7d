"""What the action server needs once per process: configuration and the session factory.

Tests install their own Runtime (another database, another configuration) with
`set_runtime`, so the actions are exercised against real migrated databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.session import sessionmaker_for
from laikhe.commune import CommuneConfig, load_commune_config
from laikhe.settings import get_settings
from services.tickets import TicketPolicy


@dataclass(frozen=True)
class Runtime:
    commune: CommuneConfig
    sessions: async_sessionmaker[AsyncSession]

    @property
    def policy(self) -> TicketPolicy:
        return TicketPolicy.from_config(self.commune)


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        settings = get_settings()
        _runtime = Runtime(
            commune=load_commune_config(settings.commune_config),
            sessions=sessionmaker_for(settings.database_url),
        )
    return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def channel_of(tracker: Any) -> str:
    """The input channel the resident wrote from (telegram, terminal, ...)."""
    return str(tracker.get_latest_input_channel() or "rest")
