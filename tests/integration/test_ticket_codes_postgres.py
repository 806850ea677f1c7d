"""Ticket codes under many concurrent creators on a real PostgreSQL server.

Two session factories stand for two action servers (two connection pools). Some creators
fail after their code was drawn and roll back: the others must neither wait forever nor
get a duplicate, and codes may skip numbers (gap-tolerant) but never repeat.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.database import load_config, migrate
from db.models import Ticket, TicketKind, TicketSequence
from db.session import sessionmaker_for, unit_of_work
from laikhe.commune import CommuneConfig
from services.tickets import TICKET_CODE_PATTERN, NewTicket, TicketPolicy, create_ticket
from tests.conftest import COMMUNE_YML

pytestmark = pytest.mark.postgres
CREATORS = 120
Sessions = async_sessionmaker[AsyncSession]


class Abandoned(Exception):
    """A creator that fails after drawing its code (e.g. the resident's chat went away)."""


@pytest.fixture
def migrated_postgres(postgres_url: str) -> str:
    migrate(postgres_url)  # Alembic runs its own event loop: not inside the test's
    return postgres_url


@pytest.fixture
async def two_servers(migrated_postgres: str) -> AsyncIterator[tuple[Sessions, Sessions]]:
    postgres_url = migrated_postgres
    first, second = sessionmaker_for(postgres_url), sessionmaker_for(postgres_url)
    async with unit_of_work(first) as session:
        await load_config(session, COMMUNE_YML)
    yield first, second
    for factory in (first, second):
        await factory.kw["bind"].dispose()


async def test_many_concurrent_creators_get_unique_codes_and_failures_only_leave_gaps(
    two_servers: tuple[Sessions, Sessions], commune: CommuneConfig
) -> None:
    policy = TicketPolicy.from_config(commune)
    rng = random.Random(57)
    failing = set(rng.sample(range(CREATORS), CREATORS // 6))

    async def one(index: int) -> str | None:
        sessions = two_servers[index % 2]
        try:
            async with sessions() as session, session.begin():
                ticket = await create_ticket(
                    session=session,
                    policy=policy,
                    ticket=NewTicket(
                        kind=TicketKind.PHAN_ANH,
                        content=f"Phản ánh số {index}: sóng điện thoại yếu",
                        channel="telegram",
                        sender_id=str(10_000 + index),
                        category_code="ha_tang_so",
                    ),
                )
                # Hold the transaction open a little, as a slow action would.
                await asyncio.sleep(rng.random() / 100)
                if index in failing:
                    raise Abandoned(ticket.code)
                return ticket.code
        except Abandoned:
            return None

    results = await asyncio.wait_for(
        asyncio.gather(*(one(i) for i in range(CREATORS))), timeout=120
    )
    codes = [code for code in results if code is not None]
    assert len(codes) == CREATORS - len(failing)
    assert len(set(codes)) == len(codes)

    async with two_servers[0]() as session:
        stored = list(await session.scalars(select(Ticket.code)))
        counter = await session.scalar(select(TicketSequence.last_value))
        senders = list(await session.scalars(select(Ticket.sender_id)))
    assert sorted(stored) == sorted(codes)
    assert len(set(senders)) == len(senders)  # each creator's ticket exactly once
    numbers = sorted(int(TICKET_CODE_PATTERN.fullmatch(c).group(3)) for c in codes)  # type: ignore[union-attr]
    assert numbers[0] >= 1 and counter is not None and numbers[-1] <= counter

    # After the storm the next ticket still gets a fresh, larger number.
    async with two_servers[1]() as session, session.begin():
        last = await create_ticket(
            session=session,
            policy=policy,
            ticket=NewTicket(
                kind=TicketKind.GOP_Y, content="Sau cùng", channel="telegram", sender_id="1"
            ),
        )
    assert int(last.code.rsplit("-", 1)[1]) > numbers[-1]
    async with two_servers[0]() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == len(codes) + 1
