"""The demo data generator on both databases: every ticket's history is a path the
lifecycle allows from its creation to its state, stamps and search text are what the
services would have written, and a database with real tickets is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from db.models import (
    FaqVote,
    StaffMember,
    Ticket,
    TicketSequence,
    TicketState,
    UnansweredQuestion,
)
from db.session import unit_of_work
from laikhe.commune import CommuneConfig
from services import lifecycle, ticket_search
from services.lifecycle import OPEN, Step
from services.ticket_queries import QueueFilter, staff_queue
from testkit import demo_data
from tests.conftest import ROOT
from tests.integration.staff_helpers import Sessions
from tests.integration.ticket_helpers import T0, new_ticket

NOW = T0 + timedelta(days=200)


def _step_between(before: TicketState | None, after: TicketState) -> set[Step]:
    """The steps the lifecycle allows from `before` that lead to `after`."""
    return {
        t.step
        for t in lifecycle.TRANSITIONS.values()
        if before in t.sources and (t.target or before) is after and t.writes_history
    }


async def test_the_demo_tickets_follow_the_lifecycle(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    async with unit_of_work(sessions) as session:
        summary = await demo_data.fill(session, commune, count=300, months=6, seed=7, now=NOW)
    assert summary.tickets == 300 and summary.faq_votes > 0 and summary.unanswered_questions > 0
    async with sessions() as session:
        tickets = (await session.scalars(select(Ticket).options(selectinload(Ticket.events)))).all()
        assert len(tickets) == 300
        states = Counter(t.state for t in tickets)
        # A half-year spread: open, answered and finished tickets alike.
        assert {TicketState.NEW, TicketState.ASSIGNED, TicketState.ANSWERED} <= set(states)
        assert {TicketState.CLOSED, TicketState.REJECTED} <= set(states)
        assert states[TicketState.CLOSED] > states[TicketState.NEW]
        for ticket in tickets:
            events = ticket.events
            assert events[0].from_state is None and events[0].to_state is TicketState.NEW
            assert events[0].at == ticket.created_at and ticket.channel == demo_data.DEMO_CHANNEL
            previous = None
            answers = []
            for event in events:
                assert event.from_state is previous, ticket.code
                assert _step_between(previous, event.to_state), (ticket.code, event.to_state)
                assert ticket.created_at <= event.at <= NOW
                if event.note and event.note.startswith("Trả lời: "):
                    answers.append(event.note.removeprefix("Trả lời: "))
                previous = event.to_state
            assert previous is ticket.state and ticket.updated_at == events[-1].at
            assert [e.at for e in events] == sorted(e.at for e in events)
            if ticket.state is TicketState.ANSWERED:
                assert answers and ticket.answered_at == events[-1].at
            if ticket.state is TicketState.CLOSED:
                assert answers and ticket.closed_at == events[-1].at
            if ticket.state in OPEN:
                assert ticket.answered_at is None and ticket.closed_at is None
            if ticket.satisfaction is not None:
                assert ticket.state is TicketState.CLOSED and 1 <= ticket.satisfaction <= 5
            if answers or ticket.state is TicketState.ASSIGNED:
                assert ticket.assigned_staff_id is not None
            assert ticket.confidential == (ticket.kind.value == "khieu_nai_to_cao")
            expected = Ticket(content=ticket.content)
            ticket_search.index_submission(expected)
            for answer in answers:
                ticket_search.index_answer(expected, answer)
            assert ticket.search_text == expected.search_text
        codes = [t.code for t in tickets]
        assert len(set(codes)) == 300
        sequences = (await session.scalars(select(TicketSequence))).all()
        assert sum(s.last_value for s in sequences) == 300
        assert await session.scalar(select(func.count()).select_from(FaqVote)) == 300
        assert await session.scalar(select(func.count()).select_from(UnansweredQuestion))
        # The back office shows it: the leader's queue and a search.
        leader = await session.scalar(
            select(StaffMember).where(StaffMember.telegram_user_id == demo_data.DEMO_STAFF_BASE + 1)
        )
        assert leader is not None
        page = await staff_queue(
            session=session, staff=leader, where=QueueFilter(), today=NOW.date()
        )
        assert page.total == 300 and len(page.tickets) == 50
        found = await staff_queue(
            session=session, staff=leader, where=QueueFilter(text="nha mang"), today=NOW.date()
        )
        assert 0 < found.total < 300

    # Run again: more demo tickets, codes continuing.
    async with unit_of_work(sessions) as session:
        await demo_data.fill(session, commune, count=20, seed=8, now=NOW)
    async with sessions() as session:
        assert await session.scalar(select(func.count(func.distinct(Ticket.code)))) == 320


async def test_a_database_with_real_tickets_is_refused(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await new_ticket(sessions, commune)
    async with unit_of_work(sessions) as session:
        with pytest.raises(demo_data.RealDataPresent):
            await demo_data.fill(session, commune, count=5, now=NOW)
    async with unit_of_work(sessions) as session:
        summary = await demo_data.fill(session, commune, count=5, now=NOW, force=True)
    assert summary.tickets == 5
    # Tickets keep coming after it: ids and codes continue past the demo ones.
    code = await new_ticket(sessions, commune, sender_id="1002")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 7
        assert await session.scalar(select(func.max(Ticket.code))) == code


def test_the_command_migrates_and_fills_a_fresh_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        return subprocess.run(
            [sys.executable, "-m", "admin", "demo-data", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )

    done = run("--count", "40", "--months", "2")
    assert done.returncode == 0, done.stderr
    assert "40 demo tickets" in done.stdout and "/dang-nhap/" in done.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "admin", "tickets", "list", "--limit", "500"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert listed.stderr.strip().endswith("40 tickets")
    assert run("--count", "0").returncode == 2
