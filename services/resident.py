"""What a resident can do with their own tickets: list, add to, withdraw, reopen, rate.

Every operation checks ownership (the chat that sent the ticket) and the ticket state,
claims the row with a conditional update before writing (services/tickets.claim_ticket:
a staff change committed since the read makes it refuse, never overwrite), and refuses
with a ResidentError whose message the action shows as it is. Changes are flushed, not
committed: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import AttachmentKind, Office, Ticket, TicketAttachment, TicketEvent, TicketState
from laikhe import clock
from laikhe.validators import MAX_FEEDBACK_CHARS
from services.calendar import add_working_days
from services.duplicates import find_likely_duplicate
from services.lifecycle import (
    REOPEN_WINDOW,
    Actor,
    Step,
    apply,
    finished_at,
    may,
    within_reopen_window,
)
from services.notifications import notify_office_of_resident_change
from services.resident_errors import (
    AlreadyRated,
    ChangedMeanwhile,
    InvalidInput,
    NotFound,
    NotOwner,
    TooLate,
    TooManyAttachments,
    WrongState,
)
from services.tickets import TicketPolicy, claim_or_recheck, parse_ticket_code

__all__ = [
    "MAX_ATTACHMENTS",
    "REOPEN_WINDOW_DAYS",
    "TicketSummary",
    "add_attachment",
    "add_information",
    "find_likely_duplicate",
    "my_tickets",
    "rate",
    "reopen",
    "withdraw",
]

REOPEN_WINDOW_DAYS: Final = REOPEN_WINDOW.days
# Enough photos to show a problem; more is a sign of a stuck upload loop or abuse.
MAX_ATTACHMENTS: Final = 10
PREVIEW_CHARS: Final = 60
ATTACHMENT_NOTES: Final = {
    AttachmentKind.PHOTO: "Người gửi bổ sung 1 ảnh",
    AttachmentKind.DOCUMENT: "Người gửi bổ sung 1 tệp",
}


@dataclass(frozen=True)
class TicketSummary:
    code: str
    kind: str
    state: str
    office_name: str
    category_name: str | None
    created_at: datetime
    due_date: date
    preview: str


def _local(moment: datetime) -> datetime:
    # Stored times load in UTC; residents read dates in Vietnam time.
    return clock.to_local(moment)


def _preview(content: str) -> str:
    return content if len(content) <= PREVIEW_CHARS else content[: PREVIEW_CHARS - 1] + "…"


def _clean_text(text: str, *, empty_message: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput(empty_message)
    if len(cleaned) > MAX_FEEDBACK_CHARS:
        raise InvalidInput(
            f"Nội dung dài quá {MAX_FEEDBACK_CHARS} ký tự. Anh/Chị rút gọn giúp, "
            "hoặc gửi thành nhiều lần."
        )
    return cleaned


async def _own_ticket(*, session: AsyncSession, code: str, sender_id: str) -> Ticket:
    canonical = parse_ticket_code(code) or code.strip()
    # No row lock: the operation claims the row (`_claim`) once its checks pass.
    ticket = await session.scalar(select(Ticket).where(Ticket.code == canonical))
    if ticket is None:
        raise NotFound(canonical)
    if ticket.sender_id is None or ticket.sender_id != sender_id:
        raise NotOwner(ticket.code)
    return ticket


async def _claim(
    session: AsyncSession,
    ticket: Ticket,
    check: Callable[[Ticket], None],
    also: tuple[ColumnElement[bool], ...] = (),
) -> None:
    """Hold the ticket as it was checked, or refuse as its new state requires.

    Ownership is restated too: an erasure of the sender's data committed meanwhile
    unlinks the ticket."""
    await claim_or_recheck(
        session=session,
        ticket=ticket,
        also=(Ticket.sender_id == ticket.sender_id, *also),
        check=check,
        reread=("state", "satisfaction"),
        changed=ChangedMeanwhile(ticket.code),
    )


async def _tell_office(*, session: AsyncSession, ticket: Ticket, what: str) -> None:
    """The office group hears of the change in the same transaction (through the outbox)."""
    office = await session.get(Office, ticket.office_id)
    if office is not None:
        await notify_office_of_resident_change(
            session=session, ticket=ticket, office=office, what=what
        )


def _record(
    session: AsyncSession, ticket: Ticket, step: Step, *, now: datetime, note: str
) -> TicketEvent:
    event = apply(session, ticket, step, by=Actor.resident(ticket.channel), now=now, note=note)
    assert event is not None  # every resident step but the rating writes history
    return event


async def my_tickets(
    *, session: AsyncSession, sender_id: str, limit: int = 10
) -> list[TicketSummary]:
    """The sender's latest tickets, newest first."""
    rows = await session.scalars(
        select(Ticket)
        .options(selectinload(Ticket.office), selectinload(Ticket.category))
        .where(Ticket.sender_id == sender_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [
        TicketSummary(
            code=ticket.code,
            kind=ticket.kind,
            state=ticket.state,
            office_name=ticket.office.name,
            category_name=ticket.category.name if ticket.category else None,
            created_at=_local(ticket.created_at),
            due_date=ticket.due_date,
            preview=_preview(ticket.content),
        )
        for ticket in rows.all()
    ]


def _require_open(ticket: Ticket) -> None:
    if may(Step.ADD_INFO, ticket.state):
        return
    hint = (
        "Nếu vấn đề chưa được giải quyết, Anh/Chị có thể đề nghị mở lại."
        if may(Step.REOPEN, ticket.state)
        else "Anh/Chị gửi ý kiến mới giúp nếu cần."
    )
    raise WrongState(ticket.code, ticket.state, hint)


async def add_information(
    *, session: AsyncSession, code: str, sender_id: str, text: str, now: datetime | None = None
) -> TicketEvent:
    """Add the resident's extra information to an open ticket's history."""
    now = now or clock.now()
    ticket = await _own_ticket(session=session, code=code, sender_id=sender_id)
    _require_open(ticket)
    note = _clean_text(text, empty_message="Anh/Chị gõ nội dung cần bổ sung giúp.")
    await _claim(session, ticket, _require_open)
    # Same state in and out: the event is a note in the history, not a transition.
    event = _record(session, ticket, Step.ADD_INFO, now=now, note=note)
    await _tell_office(session=session, ticket=ticket, what=f"người gửi bổ sung: {note}")
    await session.flush()
    return event


async def add_attachment(
    *,
    session: AsyncSession,
    code: str,
    sender_id: str,
    telegram_file_id: str | None = None,
    storage_key: str | None = None,
    kind: AttachmentKind,
    now: datetime | None = None,
) -> TicketAttachment:
    """Attach a photo or file to an open ticket: a Telegram file id, or a photo kept on
    our disk (services/photo_store.py) by its key."""
    if (telegram_file_id is None) == (storage_key is None):
        raise ValueError("an attachment is a Telegram file id or a stored photo, not both")
    now = now or clock.now()
    ticket = await _own_ticket(session=session, code=code, sender_id=sender_id)
    _require_open(ticket)
    # Claimed before counting: two photos arriving together are counted one after the other.
    await _claim(session, ticket, _require_open)
    count = await session.scalar(
        select(func.count())
        .select_from(TicketAttachment)
        .where(TicketAttachment.ticket_id == ticket.id)
    )
    if (count or 0) >= MAX_ATTACHMENTS:
        raise TooManyAttachments(ticket.code, MAX_ATTACHMENTS)
    attachment = TicketAttachment(
        ticket_id=ticket.id,
        telegram_file_id=telegram_file_id,
        storage_key=storage_key,
        kind=kind,
        added_at=now,
    )
    session.add(attachment)
    _record(session, ticket, Step.ADD_INFO, now=now, note=ATTACHMENT_NOTES[kind])
    await session.flush()
    return attachment


def _require_withdrawable(ticket: Ticket) -> None:
    if may(Step.WITHDRAW, ticket.state):
        return
    if ticket.state == TicketState.WITHDRAWN:
        hint = "Ý kiến đã được rút trước đó."
    elif may(Step.ADD_INFO, ticket.state):
        hint = (
            "Cán bộ đã tiếp nhận nên không rút lại được. "
            "Anh/Chị có thể bổ sung thông tin cho cán bộ."
        )
    else:
        hint = "Ý kiến đã được xử lý xong nên không cần rút."
    raise WrongState(ticket.code, ticket.state, hint)


async def withdraw(
    *, session: AsyncSession, code: str, sender_id: str, now: datetime | None = None
) -> Ticket:
    """Take a ticket back, only before staff have picked it up."""
    now = now or clock.now()
    ticket = await _own_ticket(session=session, code=code, sender_id=sender_id)
    _require_withdrawable(ticket)
    await _claim(session, ticket, _require_withdrawable)
    _record(session, ticket, Step.WITHDRAW, now=now, note="Người gửi rút ý kiến")
    await _tell_office(session=session, ticket=ticket, what="người gửi đã rút ý kiến")
    await session.flush()
    return ticket


async def _finished_at(*, session: AsyncSession, ticket: Ticket) -> datetime:
    """When the ticket reached its current answered/closed state."""
    stamped = finished_at(ticket)
    if stamped is None:
        # Rows written before answered_at existed, or by a path that forgot to stamp
        # it: the history is authoritative.
        stamped = await session.scalar(
            select(func.max(TicketEvent.at)).where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.to_state == ticket.state,
                # A staff note written since does not restart the reopening window.
                TicketEvent.internal.is_(False),
            )
        )
    return _local(stamped or ticket.updated_at)


def _require_finished(ticket: Ticket) -> None:
    if not may(Step.REOPEN, ticket.state):
        raise WrongState(
            ticket.code, ticket.state, "Chỉ mở lại được ý kiến đã được trả lời hoặc đã đóng."
        )


async def reopen(
    *,
    session: AsyncSession,
    policy: TicketPolicy,
    code: str,
    sender_id: str,
    reason: str,
    now: datetime | None = None,
) -> Ticket:
    """Reopen an answered or closed ticket whose answer did not solve the problem."""
    now = now or clock.now()
    ticket = await _own_ticket(session=session, code=code, sender_id=sender_id)
    _require_finished(ticket)
    if not within_reopen_window(await _finished_at(session=session, ticket=ticket), now):
        raise TooLate(ticket.code, REOPEN_WINDOW_DAYS)
    note = _clean_text(reason, empty_message="Anh/Chị cho biết vì sao chưa được giải quyết giúp.")
    await _claim(session, ticket, _require_finished)
    # The answer and closing stamps are cleared: they describe the earlier cycle, which
    # the history keeps.
    _record(session, ticket, Step.REOPEN, now=now, note=note)
    # A fresh deadline, counted like a new ticket of this kind.
    local_today = clock.to_local(now).date()
    ticket.due_date = add_working_days(local_today, policy.working_days_for(ticket.kind))
    await _tell_office(session=session, ticket=ticket, what=f"người gửi mở lại: {note}")
    await session.flush()
    return ticket


def _require_unrated(ticket: Ticket) -> None:
    if not may(Step.RATE, ticket.state):
        raise WrongState(ticket.code, ticket.state, "Anh/Chị đánh giá được khi ý kiến đã đóng.")
    if ticket.satisfaction is not None:
        raise AlreadyRated(ticket.code)


async def rate(*, session: AsyncSession, code: str, sender_id: str, score: int) -> Ticket:
    """The one satisfaction answer (1-5) on a closed ticket."""
    if not 1 <= score <= 5:
        raise InvalidInput("Anh/Chị chọn từ 1 đến 5 sao giúp.")
    ticket = await _own_ticket(session=session, code=code, sender_id=sender_id)
    _require_unrated(ticket)
    # Two presses of the stars at once: only the first counts.
    await _claim(session, ticket, _require_unrated, (Ticket.satisfaction.is_(None),))
    ticket.satisfaction = score
    await session.flush()
    return ticket
