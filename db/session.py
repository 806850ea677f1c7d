"""Async engine and session factory, one per process, created on first use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from laikhe.settings import get_settings, to_async_url


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


@lru_cache(maxsize=1)
def _default_sessionmaker() -> async_sessionmaker[AsyncSession]:
    engine = make_engine(get_settings().database_url)
    return async_sessionmaker(engine, expire_on_commit=False)


def sessionmaker_for(database_url: str) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(make_engine(database_url), expire_on_commit=False)


@asynccontextmanager
async def session_scope(
    factory: async_sessionmaker[AsyncSession] | None = None,
) -> AsyncIterator[AsyncSession]:
    """A short unit of work: commit on success, roll back on error."""
    factory = factory or _default_sessionmaker()
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
