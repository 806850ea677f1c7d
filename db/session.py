"""Async engine, session factory and the unit of work every caller uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from laikhe.settings import to_async_url


def make_engine(database_url: str) -> AsyncEngine:
    """`hide_parameters`: a failed statement's error message (logged) would otherwise list
    its bound values: residents' names, phones and texts."""
    async_url = to_async_url(database_url)
    if async_url.startswith("sqlite"):
        engine = create_async_engine(async_url, connect_args={"timeout": 30}, hide_parameters=True)

        # SQLite needs foreign keys switched on per connection; WAL lets the bot read
        # while the action server writes.
        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(
        async_url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True
    )


def sessionmaker_for(database_url: str) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(make_engine(database_url), expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(
    factory: async_sessionmaker[AsyncSession], *, commit: bool = True
) -> AsyncIterator[AsyncSession]:
    """The one way to use the database (actions, bot, admin CLI, reports, web app): a
    session whose work is committed when the block ends and rolled back when it raises.
    Services take the session and leave the commit to this (the outbox's few functions
    that commit say so in their names). commit=False is a dry run: checked, then rolled
    back."""
    async with factory() as session:
        try:
            yield session
            if commit:
                await session.commit()
            else:
                await session.rollback()
        except BaseException:
            await session.rollback()
            raise
