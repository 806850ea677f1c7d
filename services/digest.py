"""The working-morning digest: tickets due within one working day, and overdue ones.

Each office group gets its own; the commune leaders' chat gets every overdue ticket.
Queued in the outbox with a per-day key, so a restart, or a second bot process, never
sends a second digest. The bot's JobQueue (bot/daily_jobs.py) decides when to try.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Office, Ticket
from laikhe import clock
from laikhe.labels import STATE_LABELS, format_date
from services.calendar import HolidayOverrides, add_working_days, is_working_day
from services.lifecycle import OPEN
from services.notifications import office_group, post_to_group
from services.outbox import enqueue

# Before the office day starts (07:00-07:30 in commune offices).
DIGEST_TIME: Final = time(7, 0)
MAX_LINES: Final = 40


@dataclass(frozen=True)
class DigestResult:
    offices: int  # office digests queued
    leaders: bool  # leaders' digest queued


def _line(ticket: Ticket, today: date) -> str:
    late = (today - ticket.due_date).days
    when = f"quá hạn {late} ngày" if late > 0 else f"hạn {format_date(ticket.due_date)}"
    state = STATE_LABELS.get(ticket.state, ticket.state)
    return f"• {ticket.code} ({state}, {when})"


def _text(title: str, overdue: list[Ticket], due_soon: list[Ticket], today: date) -> str:
    lines = [title]
    for heading, tickets in (("Quá hạn", overdue), ("Đến hạn trong 1 ngày làm việc", due_soon)):
        if not tickets:
            continue
        lines.append(f"{heading}: {len(tickets)}")
        lines.extend(_line(t, today) for t in tickets[:MAX_LINES])
        if len(tickets) > MAX_LINES:
            lines.append(f"… và {len(tickets) - MAX_LINES} ý kiến khác (xem bằng công cụ quản trị)")
    return "\n".join(lines)


def digest_due(now: datetime, overrides: HolidayOverrides | None = None) -> bool:
    """A working day (holidays, days off and make-up Saturdays of services.calendar), from
    DIGEST_TIME on, commune time. The bot's job fires every day and asks this."""
    local = clock.to_local(now)
    return is_working_day(local.date(), overrides) and local.time() >= DIGEST_TIME


async def queue_daily_digest(
    *, session: AsyncSession, leaders_chat_id: int | None, now: datetime
) -> DigestResult:
    """Queue today's digests (once per day and chat); nothing on non-working days."""
    today = clock.to_local(now).date()
    if not is_working_day(today):
        return DigestResult(0, False)
    horizon = add_working_days(today, 1)
    tickets = (
        await session.scalars(
            select(Ticket)
            .options(selectinload(Ticket.office))
            .where(
                Ticket.state.in_(OPEN),
                Ticket.due_date <= horizon,
            )
            .order_by(Ticket.due_date, Ticket.id)
        )
    ).all()
    by_office: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        by_office.setdefault(ticket.office_id, []).append(ticket)
    queued = 0
    offices = (await session.scalars(select(Office).order_by(Office.id))).all()
    for office in offices:
        mine = by_office.get(office.id, [])
        group = office_group(office)
        if group is None or not mine:
            continue
        overdue = [t for t in mine if t.due_date < today]
        due_soon = [t for t in mine if t.due_date >= today]
        row = await post_to_group(
            session=session,
            group=group,
            purpose="digest",
            text=_text(f"🗓 Việc cần xử lý ngày {format_date(today)}", overdue, due_soon, today),
            dedupe_key=f"digest:{office.code}:{today.isoformat()}",
            now=now,
        )
        queued += row is not None
    all_overdue = [t for t in tickets if t.due_date < today]
    leaders = False
    if leaders_chat_id is not None and all_overdue:
        lines = [f"⚠ Ý kiến quá hạn toàn xã ngày {format_date(today)}: {len(all_overdue)}"]
        lines.extend(f"{_line(t, today)} - {t.office.code}" for t in all_overdue[:MAX_LINES])
        row = await enqueue(
            session=session,
            chat_id=leaders_chat_id,
            purpose="digest_leaders",
            text="\n".join(lines),
            dedupe_key=f"digest:leaders:{today.isoformat()}",
            now=now,
        )
        leaders = row is not None
    return DigestResult(queued, leaders)


async def queue_digest_if_due(
    *,
    session: AsyncSession,
    leaders_chat_id: int | None,
    now: datetime | None = None,
) -> DigestResult | None:
    """Queue today's digest if its time has come (None if not). Run by the bot at
    DIGEST_TIME and once at start-up; the dedupe keys make a second run a no-op. Flushes
    only: the caller's unit of work commits."""
    now = now or clock.now()
    if not digest_due(now):
        return None
    return await queue_daily_digest(session=session, leaders_chat_id=leaders_chat_id, now=now)
