"""SQLite's search index (FTS5 trigram over tickets.search_text): the search is answered
from it, short queries fall back to the scan with the same results, the triggers keep it
in step with what writes search_text (services, erasure, the demo data's bulk insert),
and the migration fills it from existing rows. PostgreSQL has pg_trgm instead."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, text

from db.models import Ticket, TicketState
from db.session import unit_of_work
from laikhe.commune import CommuneConfig
from services import retention, ticket_search
from services.privacy import erase_personal_data
from services.ticket_queries import QueueFilter
from testkit import demo_data
from tests.integration.staff_helpers import KT_LEAD_CLEARED, KT_OFFICER, Sessions
from tests.integration.test_migrations import _alembic
from tests.integration.test_queue_search import _found, tickets  # noqa: F401 - a fixture
from tests.integration.ticket_helpers import T0, move, new_ticket

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BEFORE_FTS = "8832e1f72212"


async def _plan(sessions: Sessions, query: str) -> str:
    statement = select(Ticket.id).where(ticket_search.holds_phrase(query))
    async with sessions() as session:
        compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        rows = (await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
    return "\n".join(str(row[-1]) for row in rows)


async def _indexed(sessions: Sessions, phrase: str) -> list[int]:
    """What the FTS index itself holds (MATCH reads only the index: a word left in it
    after its text was cleared would show here, though a LIKE re-checks the text)."""
    async with sessions() as session:
        rows = await session.scalars(
            text("SELECT rowid FROM ticket_search_fts WHERE ticket_search_fts MATCH :q"),
            {"q": f'"{phrase}"'},
        )
        return list(rows.all())


async def _ids(sessions: Sessions, code: str) -> int:
    async with sessions() as session:
        found = await session.scalar(select(Ticket.id).where(Ticket.code == code))
    assert found is not None
    return found


async def test_a_search_reads_the_index_and_a_short_one_scans(
    sessions: Sessions,
    tickets: dict[str, str],  # noqa: F811 - the fixture imported above
) -> None:
    # The index gives the ids; tickets are read by them, not scanned.
    plan = await _plan(sessions, "mat mang")
    assert "VIRTUAL TABLE INDEX" in plan and "SEARCH tickets USING INTEGER PRIMARY KEY" in plan
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="Mất mạng")) == [tickets["outage"]]
    # Two letters (" an" is three characters) are indexed too; from a word's start as ever.
    assert "ticket_search_fts" in await _plan(sessions, "an")
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="cap quang")) == [tickets["outage"]]
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="ap quang")) == []
    # One letter is too short for trigrams: the scan answers, from a word's start still.
    assert "ticket_search_fts" not in await _plan(sessions, "đ")
    found = await _found(sessions, KT_OFFICER, QueueFilter(text="đ"))
    assert tickets["outage"] in found and tickets["slow"] not in found  # "dinh"; no word "d…"
    assert tickets["complaint"] not in found  # "dia chinh", "dat": but confidential


async def test_erasure_takes_the_words_out_of_the_index(
    sessions: Sessions,
    tickets: dict[str, str],  # noqa: F811 - the fixture imported above
) -> None:
    answered = await _ids(sessions, tickets["answered"])
    assert await _indexed(sessions, "bo chia quang") == [answered]
    assert await _indexed(sessions, "song dien thoai") == [answered]
    async with unit_of_work(sessions) as session:
        await erase_personal_data(session=session, channel="telegram", sender_id="2005")
    assert await _indexed(sessions, "bo chia quang") == []
    assert await _indexed(sessions, "song dien thoai") == []
    assert await _found(sessions, KT_LEAD_CLEARED, QueueFilter(text="song dien thoai")) == []
    # The others stay found.
    assert await _indexed(sessions, "mat mang") == [await _ids(sessions, tickets["outage"])]


async def test_retention_takes_the_words_out_of_the_index(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune, content="Đèn đường ở ngõ Chùa hỏng từ hôm qua")
    await move(sessions, code, TicketState.CLOSED, T0 + timedelta(days=1))
    ticket_id = await _ids(sessions, code)
    assert await _indexed(sessions, "den duong o ngo chua") == [ticket_id]
    async with unit_of_work(sessions) as session:
        # No log directory: the purge must not touch this checkout's log files.
        periods = commune.retention.model_copy(update={"log_directory": None})
        report = await retention.apply(session, T0 + timedelta(days=3 * 366), periods)
    assert report.tickets == 1
    assert await _indexed(sessions, "den duong o ngo chua") == []


async def test_the_demo_data_bulk_insert_is_indexed(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    async with unit_of_work(sessions) as session:
        await demo_data.fill(
            session, commune, count=200, months=3, seed=3, now=T0 + timedelta(days=100)
        )
    async with sessions() as session:
        with_text = await session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.search_text.is_not(None))
        )
        indexed = await session.scalar(text("SELECT count(*) FROM ticket_search_fts_docsize"))
        sample = (
            await session.execute(
                select(Ticket.id, Ticket.search_text).where(Ticket.search_text.is_not(None))
            )
        ).all()
    assert with_text == indexed == 200
    for ticket_id, search_text in sample[::37]:
        phrase = " ".join(search_text.split()[:3])
        assert ticket_id in await _indexed(sessions, phrase)


async def test_the_migration_indexes_existing_tickets_and_goes_back(
    database_url: str,
    sessions: Sessions,
    tickets: dict[str, str],  # noqa: F811
) -> None:
    await sessions.kw["bind"].dispose()
    config = _alembic(database_url)
    await asyncio.to_thread(command.downgrade, config, BEFORE_FTS)
    async with sessions() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'ticket_search_fts%'")
        )
    assert left == 0
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await _indexed(sessions, "mat mang") == [await _ids(sessions, tickets["outage"])]
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="xom dinh")) == [tickets["outage"]]
