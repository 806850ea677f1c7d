"""The action server's context: what every action needs, made once per process from the
settings (the commune configuration, the ticket policy, the session factory).

Tests install their own Runtime (another database, another configuration) with
`set_runtime`, so the actions are exercised against real migrated databases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.session import sessionmaker_for
from laikhe import logsafe
from laikhe.commune import CommuneConfig, load_commune_config
from laikhe.settings import Settings, get_settings
from services.tickets import NewTicket, TicketError, TicketPolicy, submit_ticket

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    commune: CommuneConfig
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(
            commune=load_commune_config(settings.commune_config),
            sessions=sessionmaker_for(settings.database_url),
        )

    @cached_property
    def policy(self) -> TicketPolicy:
        return TicketPolicy.from_config(self.commune)


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """The process's Runtime, made from the settings at the first action."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_settings(get_settings())
    return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def channel_of(tracker: Any) -> str:
    """The input channel the resident wrote from (telegram, terminal, ...)."""
    return str(tracker.get_latest_input_channel() or "rest")


@dataclass(frozen=True)
class SavedTicket:
    code: str
    office_name: str
    due_date: date
    # False: this submission id had already made the ticket (a second «Gửi»).
    created: bool = True


async def save_ticket(ticket: NewTicket) -> SavedTicket | None:
    """Create and commit a ticket; None (logged) when the database cannot take it, so the
    action can apologise in Vietnamese and keep what the resident typed. Raises
    TicketLimitReached (nothing saved) when the chat sent too many tickets lately."""
    runtime = get_runtime()
    try:
        async with runtime.sessions() as session:
            done = await submit_ticket(session=session, policy=runtime.policy, ticket=ticket)
            row = done.ticket
            saved = SavedTicket(row.code, row.office.name, row.due_date, created=done.created)
            await session.commit()
    except (SQLAlchemyError, TicketError) as error:
        # Type and frames only: a database error's message can quote the row (a driver's
        # DETAIL line names the values), i.e. the resident's name, phone and words.
        logger.error("ticket creation failed\n%s", logsafe.safe_traceback(error))
        return None
    return saved
