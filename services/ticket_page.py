"""What the back office's ticket page adds to the ticket itself: earlier tickets about the
same problem, the time left in working days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import StaffMember, Ticket, TicketState
from services.access import can_read_ticket
from services.calendar import working_days_between
from services.duplicates import same_problem_tickets
from services.lifecycle import OPEN, Step, may

# How far back an earlier ticket may be: the span the resident's own check looks at.
DUPLICATE_WINDOW: Final = timedelta(days=30)
DUPLICATES_SHOWN: Final = 5


async def likely_duplicates(
    *, session: AsyncSession, staff: StaffMember, ticket: Ticket
) -> list[Ticket]:
    """Earlier open tickets probably about the same problem (services.duplicates), that
    `staff` may read, best first; only while this ticket can still be marked a duplicate
    (open, not confidential: services.handling.mark_duplicate refuses the rest)."""
    if ticket.confidential or not may(Step.MARK_DUPLICATE, ticket.state):
        return []
    found = await same_problem_tickets(
        session=session,
        category_code=ticket.category.code if ticket.category else None,
        village_code=ticket.village.code if ticket.village else None,
        text=ticket.content,
        since=ticket.created_at - DUPLICATE_WINDOW,
        before=ticket.created_at,
        exclude_id=ticket.id,
    )
    # A ticket already merged into another is no original (mark_duplicate refuses it).
    usable = [t for t in found if t.duplicate_of_id is None and can_read_ticket(staff, t)]
    return usable[:DUPLICATES_SHOWN]


@dataclass(frozen=True)
class DueCount:
    """Working days to the due date (`days` left) or past it (`late`), for open tickets."""

    days: int
    late: bool


def due_count(state: TicketState, due_date: date, today: date) -> DueCount | None:
    """None once staff no longer work on the ticket: its due date no longer runs."""
    if state not in OPEN:
        return None
    if due_date < today:
        return DueCount(working_days_between(due_date, today), late=True)
    return DueCount(working_days_between(today, due_date), late=False)
