"""Staff look-ups: search tickets, one ticket with its history, CSV export of a period."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import IO, Any, Final

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import (
    Category,
    Office,
    OutboxMessage,
    OutboxStatus,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketState,
    Village,
)
from laikhe import clock
from laikhe.cells import csv_cell
from laikhe.labels import KIND_LABELS, STATE_LABELS, format_date
from services import ticket_search
from services.access import COMMUNE_WIDE_ROLES
from services.lifecycle import ANSWERED, FINAL, OPEN
from services.tickets import parse_ticket_code

CSV_COLUMNS: Final = (
    "code",
    "kind",
    "state",
    "office",
    "category",
    "village",
    "created_at",
    "due_date",
    "answered_at",
    "closed_at",
    "satisfaction",
    "confidential",
    "anonymous",
    "content",
)

# How staff's notes for colleagues are labelled wherever the history is shown.
INTERNAL_NOTE_LABEL: Final = "Ghi chú nội bộ"


@dataclass(frozen=True)
class TicketFilter:
    office_code: str | None = None
    state: TicketState | None = None
    created_from: date | None = None
    created_to: date | None = None  # inclusive
    code: str | None = None
    text: str | None = None


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.commune_zone())


def _filtered(query: Select[tuple[Ticket]], where: TicketFilter) -> Select[tuple[Ticket]]:
    if where.office_code:
        query = query.join(Office, Ticket.office_id == Office.id).where(
            Office.code == where.office_code.upper()
        )
    if where.state is not None:
        query = query.where(Ticket.state == where.state)
    if where.created_from is not None:
        query = query.where(Ticket.created_at >= _local_start(where.created_from))
    if where.created_to is not None:
        query = query.where(Ticket.created_at < _local_start(where.created_to + timedelta(days=1)))
    if where.code:
        canonical = parse_ticket_code(where.code)
        query = query.where(
            Ticket.code == canonical
            if canonical
            else Ticket.code.ilike(f"%{where.code.strip().upper()}%")
        )
    if where.text:
        # Confidential content is never matched: a search must not reveal it.
        query = query.where(Ticket.confidential.is_(False), ticket_search.holds_phrase(where.text))
    return query


async def search_tickets(
    *, session: AsyncSession, where: TicketFilter, limit: int = 100
) -> list[Ticket]:
    query = _filtered(
        select(Ticket).options(selectinload(Ticket.office), selectinload(Ticket.category)),
        where,
    )
    query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    rows = await session.scalars(query)
    return list(rows.all())


@dataclass(frozen=True)
class TicketHistory:
    ticket: Ticket
    events: list[TicketEvent]
    messages: list[OutboxMessage]


async def ticket_history(*, session: AsyncSession, code: str) -> TicketHistory | None:
    canonical = parse_ticket_code(code) or code.strip()
    ticket = await session.scalar(
        select(Ticket)
        .options(
            selectinload(Ticket.office),
            selectinload(Ticket.category),
            selectinload(Ticket.village),
            selectinload(Ticket.attachments),
            selectinload(Ticket.events),
        )
        .where(Ticket.code == canonical)
    )
    if ticket is None:
        return None
    messages = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id)
    )
    return TicketHistory(ticket, list(ticket.events), list(messages.all()))


def _local(moment: datetime) -> datetime:
    # Stored times load in UTC; staff read them in Vietnam time.
    return clock.to_local(moment)


def render_history(history: TicketHistory, *, include_content: bool = True) -> str:
    """Plain text for staff (CLI and a private Telegram chat)."""
    ticket = history.ticket
    lines = [
        f"{ticket.code} - {KIND_LABELS.get(ticket.kind, ticket.kind)}"
        + (" (bảo mật)" if ticket.confidential else ""),
        f"Trạng thái: {STATE_LABELS.get(ticket.state, ticket.state)}",
        f"Đơn vị: {ticket.office.name}",
        f"Hạn xử lý: {format_date(ticket.due_date)}",
    ]
    if ticket.category is not None:
        lines.append(f"Lĩnh vực: {ticket.category.name}")
    if ticket.village is not None:
        lines.append(f"Thôn: {ticket.village.name}")
    if include_content:
        lines.append(f"Nội dung: {ticket.content}")
        contact = ", ".join(
            v for v in (ticket.contact_name, ticket.contact_phone, ticket.contact_email) if v
        )
        if contact:
            lines.append(f"Liên hệ: {contact}")
        if ticket.attachments:
            lines.append(f"Tệp, ảnh kèm theo: {len(ticket.attachments)}")
    lines.append("Lịch sử:")
    for event in history.events:
        moved = (
            f"{event.from_state.value} → {event.to_state.value}"
            if event.from_state is not None and event.from_state is not event.to_state
            else event.to_state.value
        )
        if event.internal:
            moved = INTERNAL_NOTE_LABEL
        note = f" - {event.note}" if event.note and include_content else ""
        lines.append(f"  {_local(event.at):%d/%m/%Y %H:%M} {event.actor}: {moved}{note}")
    failed = [
        m for m in history.messages if m.status in (OutboxStatus.FAILED, OutboxStatus.UNKNOWN)
    ]
    for message in failed:
        lines.append(
            f"  ⚠ Tin nhắn #{message.id} ({message.purpose}) {message.status.value}: "
            f"{message.last_error}"
        )
    return "\n".join(lines)


async def export_csv(
    *,
    session: AsyncSession,
    out: IO[str],
    created_from: date,
    created_to: date,
    office_code: str | None = None,
) -> int:
    """Tickets created in [from, to] as CSV; confidential content and contacts left out."""
    query = _filtered(
        select(Ticket).options(
            selectinload(Ticket.office),
            selectinload(Ticket.category),
            selectinload(Ticket.village),
        ),
        TicketFilter(office_code=office_code, created_from=created_from, created_to=created_to),
    ).order_by(Ticket.created_at, Ticket.id)
    tickets: Sequence[Ticket] = (await session.scalars(query)).all()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for t in tickets:
        writer.writerow(
            csv_cell(value)
            for value in (
                t.code,
                t.kind.value,
                t.state.value,
                t.office.code,
                t.category.code if t.category else "",
                t.village.code if t.village else "",
                _local(t.created_at).isoformat(timespec="minutes"),
                t.due_date.isoformat(),
                _local(t.answered_at).isoformat(timespec="minutes") if t.answered_at else "",
                _local(t.closed_at).isoformat(timespec="minutes") if t.closed_at else "",
                t.satisfaction if t.satisfaction is not None else "",
                int(t.confidential),
                int(t.anonymous),
                "" if t.confidential else t.content,
            )
        )
    return len(tickets)


async def forward_targets(*, session: AsyncSession, code: str) -> list[tuple[str, str]]:
    """(code, name) of every office a ticket can be forwarded to: all but its own."""
    rows = await session.execute(
        select(Office.code, Office.name)
        .join(Ticket, Ticket.code == code)
        .where(Office.id != Ticket.office_id)
        .order_by(Office.id)
    )
    return [(office, name) for office, name in rows.all()]


def in_scope_of(staff: StaffMember) -> ColumnElement[bool]:
    """services.access.in_scope as a query condition: the tickets this member oversees
    (their office's; every office's for commune-wide roles; none when removed)."""
    if not staff.active:
        return false()
    if staff.role in COMMUNE_WIDE_ROLES:
        return true()
    if staff.office_id is None:
        return false()
    return Ticket.office_id == staff.office_id


# The queue's state filter: the lifecycle's groups.
STATE_GROUPS: Final = {"dang_xu_ly": OPEN, "da_tra_loi": ANSWERED, "da_xong": FINAL}
QUEUE_PAGE_SIZE: Final = 50
# Open tickets due within this many days from today (0: due today); the allowed values.
DUE_WITHIN_DAYS: Final = (0, 3, 7)
# The queue's orders (column, descending), each ending on the id so that pages never
# overlap or skip a row; the key comes from a query parameter, so only these are possible.
QUEUE_ORDERS: Final[dict[str, tuple[tuple[str, bool], ...]]] = {
    "moi_nhat": (("created_at", True), ("id", True)),
    "cu_nhat": (("created_at", False), ("id", False)),
    "han_som": (("due_date", False), ("id", False)),
}
DEFAULT_ORDER: Final = "moi_nhat"


@dataclass(frozen=True)
class QueueFilter:
    state_group: str | None = None  # a key of STATE_GROUPS
    kind: TicketKind | None = None
    category_code: str | None = None
    village_code: str | None = None
    overdue: bool = False  # open and past its due date
    due_within: int | None = None  # open and due today or in the next N days
    mine: bool = False  # assigned to the member who looks
    text: str | None = None  # words of the content or answers, or a ticket code
    order: str = DEFAULT_ORDER  # a key of QUEUE_ORDERS
    page: int = 1


@dataclass(frozen=True)
class QueuePage:
    tickets: list[Ticket]
    total: int
    page: int
    pages: int


def _text_condition(text: str, staff: StaffMember) -> ColumnElement[bool]:
    found = ticket_search.matches(text, staff)
    code = parse_ticket_code(text)
    # A code is no secret: a confidential ticket is listed by its code without content.
    return or_(Ticket.code == code, found) if code else found


def queue_conditions(
    staff: StaffMember, where: QueueFilter, today: date
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [in_scope_of(staff)]
    if where.state_group in STATE_GROUPS:
        conditions.append(Ticket.state.in_(STATE_GROUPS[where.state_group]))
    if where.kind is not None:
        conditions.append(Ticket.kind == where.kind)
    if where.category_code:
        conditions.append(
            Ticket.category_id.in_(select(Category.id).where(Category.code == where.category_code))
        )
    if where.village_code:
        conditions.append(
            Ticket.village_id.in_(select(Village.id).where(Village.code == where.village_code))
        )
    if where.overdue:
        conditions.append(Ticket.state.in_(OPEN))
        conditions.append(Ticket.due_date < today)
    if where.due_within is not None:
        conditions.append(Ticket.state.in_(OPEN))
        conditions.append(Ticket.due_date.between(today, today + timedelta(days=where.due_within)))
    if where.mine:
        conditions.append(Ticket.assigned_staff_id == staff.id)
    if where.text and where.text.strip():
        conditions.append(_text_condition(where.text, staff))
    return conditions


async def staff_queue(
    *, session: AsyncSession, staff: StaffMember, where: QueueFilter, today: date
) -> QueuePage:
    """The tickets `staff` oversees, filtered, in the chosen order, QUEUE_PAGE_SIZE a page.
    Confidential ones are listed (the office must see it has them); whoever renders them
    shows their content only to cleared members (services.access.can_read_ticket), and
    a search never matches their text for the others (services.ticket_search)."""
    conditions = queue_conditions(staff, where, today)
    key = where.order if where.order in QUEUE_ORDERS else DEFAULT_ORDER
    page = max(1, where.page)
    if where.text and where.text.strip():
        found = await _search_page(session, conditions, key, page)
        if found is not None:
            return found
    total = await session.scalar(select(func.count()).select_from(Ticket).where(*conditions)) or 0
    pages = max(1, -(-total // QUEUE_PAGE_SIZE))
    page = min(page, pages)
    if total == 0:
        return QueuePage([], 0, 1, 1)
    rows = await session.scalars(
        _with_labels(select(Ticket))
        .where(*conditions)
        .order_by(*_ordered(Ticket.__table__.c, key))
        .offset((page - 1) * QUEUE_PAGE_SIZE)
        .limit(QUEUE_PAGE_SIZE)
    )
    return QueuePage(list(rows.all()), total, page, pages)


def _with_labels(query: Select[tuple[Ticket]]) -> Select[tuple[Ticket]]:
    return query.options(
        selectinload(Ticket.office), selectinload(Ticket.category), selectinload(Ticket.village)
    )


def _ordered(columns: Any, key: str) -> list[ColumnElement[Any]]:
    return [
        columns[name].desc() if desc else columns[name].asc() for name, desc in QUEUE_ORDERS[key]
    ]


async def _search_page(
    session: AsyncSession, conditions: list[ColumnElement[bool]], key: str, page: int
) -> QueuePage | None:
    """A search reads every row's text whatever the plan, so it finds the matches once
    (ids and sort keys, kept apart: MATERIALIZED, or PostgreSQL walks the order's index
    testing each row instead of using the trigram index), counts and orders just them,
    then loads the page's 50 tickets. None past the last page: the caller counts."""
    found = (
        select(Ticket.id, Ticket.created_at, Ticket.due_date)
        .where(*conditions)
        .cte("found")
        .prefix_with("MATERIALIZED")
    )
    rows = (
        await session.execute(
            select(found.c.id, func.count().over())
            .order_by(*_ordered(found.c, key))
            .offset((page - 1) * QUEUE_PAGE_SIZE)
            .limit(QUEUE_PAGE_SIZE)
        )
    ).all()
    if not rows:
        return QueuePage([], 0, 1, 1) if page == 1 else None
    ids = [row[0] for row in rows]
    tickets = {
        t.id: t
        for t in await session.scalars(_with_labels(select(Ticket)).where(Ticket.id.in_(ids)))
    }
    total = rows[0][1]
    return QueuePage([tickets[i] for i in ids], total, page, max(1, -(-total // QUEUE_PAGE_SIZE)))


async def filter_categories(*, session: AsyncSession) -> list[Category]:
    """Every category, retired ones too: their tickets are still in the queue."""
    rows = await session.scalars(select(Category).order_by(Category.position, Category.id))
    return list(rows.all())


async def filter_villages(*, session: AsyncSession) -> list[Village]:
    rows = await session.scalars(select(Village).order_by(Village.name, Village.id))
    return list(rows.all())
