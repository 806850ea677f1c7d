"""Interleave two sessions deterministically: one pauses before its first write while
the other runs to its commit (the race a lock or a conditional write must settle)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util import await_only

# Long enough for the other session to finish; it only expires if that session is blocked
# by a lock the paused one holds (the test then fails instead of hanging).
MEANWHILE_TIMEOUT_SECONDS = 15


async def pause_before_first_write(
    session: AsyncSession, meanwhile: Callable[[], Awaitable[None]]
) -> list[str]:
    """Run `meanwhile` to completion just before this session's first INSERT/UPDATE/DELETE."""
    connection = (await session.connection()).sync_connection
    assert connection is not None
    fired: list[str] = []

    def before_cursor_execute(*args: Any) -> None:
        statement = str(args[2]).lstrip().upper()
        if fired or not statement.startswith(("INSERT", "UPDATE", "DELETE")):
            return
        fired.append(statement.split()[0])
        # Inside SQLAlchemy's greenlet: await the other session from here.
        await_only(asyncio.wait_for(meanwhile(), MEANWHILE_TIMEOUT_SECONDS))

    event.listen(connection, "before_cursor_execute", before_cursor_execute)
    return fired
