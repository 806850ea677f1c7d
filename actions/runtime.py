"""The action server's context: what every action needs, made once per process from the
settings (the commune configuration, the ticket policy, the session factory).

Tests install their own Runtime (another database, another configuration) with
`set_runtime`, so the actions are exercised against real migrated databases.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.session import sessionmaker_for, unit_of_work
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


class DatabaseUnavailable(Exception):
    """The database could not do an action's work (logged by `database`): the action
    apologises in Vietnamese and keeps what the resident typed."""


@asynccontextmanager
async def database(
    what: str, *, commit: bool = True, also: tuple[type[Exception], ...] = ()
) -> AsyncIterator[AsyncSession]:
    """An action's unit of work on the runtime's database (db.session.unit_of_work). A
    database error (or one of `also`) is logged here, as `<what> failed` with its type and
    frames only (a driver's message can quote the resident's name, phone and words), and
    raised as DatabaseUnavailable. A service's refusal passes through unchanged."""
    caught: tuple[type[Exception], ...] = (SQLAlchemyError, *also)
    try:
        async with unit_of_work(get_runtime().sessions, commit=commit) as session:
            yield session
    except caught as error:
        logger.error("%s failed\n%s", what, logsafe.safe_traceback(error))
        raise DatabaseUnavailable(what) from error


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
    try:
        async with database("ticket creation", also=(TicketError,)) as session:
            done = await submit_ticket(session=session, policy=get_runtime().policy, ticket=ticket)
            row = done.ticket
            saved = SavedTicket(row.code, row.office.name, row.due_date, created=done.created)
    except DatabaseUnavailable:
        return None
    return saved
