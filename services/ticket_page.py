"""What the back office's ticket page shows a staff member, read once: the ticket with its
history, where it can be forwarded, earlier tickets about the same problem, the time
left in working days; and one of its files' Telegram id for the file route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import StaffMember, Ticket, TicketState
from services import handling
from services.access import can_read_ticket
from services.calendar import working_days_between
from services.duplicates import same_problem_tickets
from services.lifecycle import OPEN, ActorKind, Step, may
from services.ticket_queries import TicketHistory, forward_targets, ticket_history

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


@dataclass(frozen=True)
class TicketPage:
    history: TicketHistory
    # What this member may do now (services.lifecycle), notes included.
    steps: frozenset[Step]
    # (code, name) of the offices it can go to; empty when it cannot be forwarded.
    forward_targets: list[tuple[str, str]]
    duplicates: list[Ticket]
    due: DueCount | None


async def read_ticket_page(
    *, session: AsyncSession, staff: StaffMember, code: str, today: date
) -> TicketPage:
    """The page's data, for a member who may read the ticket: raises handling.Refused
    otherwise, handling.StaffActionError when there is no such ticket."""
    await handling.check_can_act(session=session, staff_member=staff, code=code, action="view")
    history = await ticket_history(session=session, code=code)
    if history is None:  # deleted since the check: as if it never was
        raise handling.StaffActionError(code)
    ticket = history.ticket
    steps = frozenset(step for step in Step if may(step, ticket.state, ActorKind.STAFF))
    targets = (
        await forward_targets(session=session, code=ticket.code) if Step.FORWARD in steps else []
    )
    return TicketPage(
        history=history,
        steps=steps,
        forward_targets=targets,
        duplicates=await likely_duplicates(session=session, staff=staff, ticket=ticket),
        due=due_count(ticket.state, ticket.due_date, today),
    )


@dataclass(frozen=True)
class AttachmentRef:
    ticket_code: str  # canonical, whatever spelling the URL had
    # One of the two: a Telegram file id, or a photo stored on our disk.
    telegram_file_id: str | None
    storage_key: str | None


async def attachment_ref(
    *, session: AsyncSession, staff: StaffMember, code: str, number: int
) -> AttachmentRef | None:
    """The ticket's `number`-th attachment (from 1, in the order they came), for a member
    who may read the ticket (handling.Refused otherwise); None when there is no such
    attachment."""
    ticket = await handling.check_can_act(
        session=session, staff_member=staff, code=code, action="view file"
    )
    if not 1 <= number <= len(ticket.attachments):
        return None
    attachment = ticket.attachments[number - 1]
    return AttachmentRef(ticket.code, attachment.telegram_file_id, attachment.storage_key)
