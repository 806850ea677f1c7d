"""Ticket creation, codes, deadlines and status look-ups."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, CursorResult, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import (
    AttachmentKind,
    Category,
    Office,
    Ticket,
    TicketAttachment,
    TicketKind,
    TicketSequence,
    TicketState,
    Village,
)
from laikhe import clock
from laikhe.commune import CommuneConfig
from services import lifecycle, photo_store, ticket_search
from services.calendar import add_working_days
from services.notifications import notify_office

TICKET_CODE_PATTERN = re.compile(r"\b([A-Za-z]{1,8})-(\d{4})-(\d{1,6})\b")


class TicketError(Exception):
    """A ticket operation that cannot be done; the message is for logs, not residents."""


class TicketLimitReached(Exception):
    """Too many new tickets from one chat (or anonymous ones from all chats); `.message`
    is the Vietnamese reply."""

    def __init__(
        self, tickets: int, hours: int, retry_after: timedelta, *, anonymous: bool = False
    ) -> None:
        window = f"{hours} giờ" if hours < 24 or hours % 24 else f"{hours // 24} ngày"
        minutes = max(1, -(-int(retry_after.total_seconds()) // 60))
        wait = f"{minutes} phút" if minutes < 60 else f"{-(-minutes // 60)} giờ"
        if anonymous:
            reason = f"trong {window} qua xã đã nhận đủ {tickets} ý kiến ẩn danh"
        else:
            reason = f"mỗi cuộc trò chuyện gửi được tối đa {tickets} ý kiến trong {window}"
        super().__init__(
            f"Xin lỗi Anh/Chị, {reason}. Nội dung vẫn được giữ: Anh/Chị bấm «Gửi lại» "
            f"sau khoảng {wait} giúp."
        )
        self.message = str(self)
        self.tickets = tickets
        self.hours = hours


def attachment_row(ref: str, kind: AttachmentKind, now: datetime) -> TicketAttachment:
    """The attachment a photo reference names: a stored photo's key, else a Telegram
    file id."""
    key = photo_store.key_of_ref(ref)
    if key is not None:
        return TicketAttachment(storage_key=key, kind=kind, added_at=now)
    return TicketAttachment(telegram_file_id=ref, kind=kind, added_at=now)


async def claim_ticket(
    *, session: AsyncSession, ticket: Ticket, also: tuple[ColumnElement[bool], ...] = ()
) -> bool:
    """Make sure the ticket is still as it was read, and hold it until the commit.

    Every change to a ticket reads it, checks its state, then writes. Between the read and
    the write another transaction may commit a change (on SQLite the read takes no lock;
    on PostgreSQL READ COMMITTED it sees only what was committed then). So before the
    first write each operation runs this conditional UPDATE, restating what its check
    relied on: the state it read (and `also`, e.g. who it was assigned to). One row
    updated: nobody changed it, and this transaction now holds the row's write lock
    (PostgreSQL row lock, SQLite database write lock) until it commits, so the plain ORM
    writes that follow apply to exactly the state that was checked. No row: someone else
    won; the caller re-reads and refuses as the new state requires.

    One mechanism for both databases, rather than BEGIN IMMEDIATE on SQLite plus
    FOR UPDATE on PostgreSQL: it needs no driver-level transaction tricks, leaves
    read-only work unserialised, and its outcome is a row count a test can observe.
    """
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.state == ticket.state, *also)
        .values(state=ticket.state)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def claim_or_recheck(
    *,
    session: AsyncSession,
    ticket: Ticket,
    also: tuple[ColumnElement[bool], ...],
    check: Callable[[Ticket], None],
    reread: tuple[str, ...],
    changed: Exception,
) -> None:
    """`claim_ticket`, or, when someone committed a change since the read, the refusal
    that fits what is there now: the same check on the re-read attributes raises it (e.g.
    «Đã rút»); if the check would pass, still `changed`, since the person decided on a
    state that is gone."""
    if await claim_ticket(session=session, ticket=ticket, also=also):
        return
    await session.refresh(ticket, attribute_names=list(reread))
    check(ticket)
    raise changed


@dataclass(frozen=True)
class TicketPolicy:
    """The parts of the commune configuration that shape a new ticket."""

    prefix: str
    due_working_days: dict[str, int]
    kind_routing: dict[str, str]
    intake_office_code: str
    # (tickets, hours): at most that many new tickets from one chat within the hours.
    sender_limits: tuple[tuple[int, int], ...] = ()
    # The same for anonymous tickets of all chats together (no chat is kept to count by).
    anonymous_limits: tuple[tuple[int, int], ...] = ()

    @classmethod
    def from_config(cls, config: CommuneConfig) -> TicketPolicy:
        return cls(
            prefix=config.commune.ticket_prefix,
            due_working_days=dict(config.due_working_days),
            kind_routing=dict(config.kind_routing),
            intake_office_code=config.intake_office.code,
            sender_limits=tuple((limit.tickets, limit.hours) for limit in config.new_ticket_limits),
            anonymous_limits=tuple(
                (limit.tickets, limit.hours) for limit in config.anonymous_ticket_limits
            ),
        )

    def working_days_for(self, kind: str) -> int:
        return self.due_working_days.get(kind, self.due_working_days["default"])


@dataclass(frozen=True)
class NewTicket:
    kind: TicketKind
    content: str
    channel: str
    sender_id: str | None
    category_code: str | None = None
    village_code: str | None = None
    routing_key: str | None = None  # a kind_routing key that overrides the category office
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    anonymous: bool = False
    # Business proposals and misinformation reports (see the Ticket columns).
    business_name: str | None = None
    tax_code: str | None = None
    sector: str | None = None
    source: str | None = None
    claim: str | None = None
    # Photos or files sent with the ticket: (reference, kind), the reference being a
    # Telegram file id or a stored photo's "stored:<key>" (services/photo_store.py).
    attachments: tuple[tuple[str, AttachmentKind], ...] = ()
    # Set by the forms when the summary is shown: the same id twice is one ticket.
    submission_id: str | None = None


@dataclass(frozen=True)
class Submission:
    ticket: Ticket
    created: bool  # False: this submission id had already made `ticket`


def format_ticket_code(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}-{year}-{sequence:06d}"


def parse_ticket_code(text: str) -> str | None:
    """Find a ticket code in free text and return it in canonical form, or None."""
    match = TICKET_CODE_PATTERN.search(text or "")
    if match is None:
        return None
    prefix, year, number = match.groups()
    return format_ticket_code(prefix.upper(), int(year), int(number))


async def _next_sequence(*, session: AsyncSession, prefix: str, year: int) -> int:
    # One atomic upsert: concurrent creators queue on the counter row instead of reading
    # the same maximum; a rolled-back ticket at worst leaves a gap, never a duplicate.
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(TicketSequence)
        .values(prefix=prefix, year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[TicketSequence.prefix, TicketSequence.year],
            set_={"last_value": TicketSequence.last_value + 1},
        )
        .returning(TicketSequence.last_value)
    )
    return int((await session.execute(statement)).scalar_one())


async def _office_for(
    *, session: AsyncSession, policy: TicketPolicy, ticket: NewTicket
) -> tuple[Office, Category | None]:
    category = None
    if ticket.category_code:
        category = await session.scalar(
            select(Category)
            .options(selectinload(Category.office))
            .where(Category.code == ticket.category_code)
        )
        if category is None:
            raise TicketError(f"unknown category {ticket.category_code!r}")
    office_code = None
    for key in (ticket.routing_key, ticket.kind.value):
        if key and key in policy.kind_routing:
            office_code = policy.kind_routing[key]
            break
    if office_code is None and category is not None:
        return category.office, category
    office_code = office_code or policy.intake_office_code
    office = await session.scalar(select(Office).where(Office.code == office_code))
    if office is None:
        raise TicketError(f"office {office_code!r} is not loaded; run the config loader")
    return office, category


async def _submitted(*, session: AsyncSession, submission_id: str | None) -> Ticket | None:
    if submission_id is None:
        return None
    found: Ticket | None = await session.scalar(
        select(Ticket)
        .options(selectinload(Ticket.office))
        .where(Ticket.submission_id == submission_id)
    )
    return found


async def _check_sender_limits(
    *, session: AsyncSession, policy: TicketPolicy, ticket: NewTicket, now: datetime
) -> None:
    """Refuse before anything is written when this chat already sent its share.

    Nothing links an anonymous ticket to its chat, by design, so anonymous tickets are
    counted together: a flood that refuses consent still stops, at the cost of other
    anonymous senders waiting while it lasts."""
    anonymous = ticket.anonymous or ticket.sender_id is None
    if anonymous:
        limits = policy.anonymous_limits
        whose: tuple[ColumnElement[bool], ...] = (Ticket.anonymous.is_(True),)
    else:
        limits = policy.sender_limits
        whose = (Ticket.channel == ticket.channel, Ticket.sender_id == ticket.sender_id)
    local_now = clock.to_local(now)
    for tickets, hours in limits:
        window = timedelta(hours=hours)
        sent, oldest = (
            await session.execute(
                select(func.count(), func.min(Ticket.created_at)).where(
                    *whose, Ticket.created_at > local_now - window
                )
            )
        ).one()
        if sent >= tickets:
            raise TicketLimitReached(
                tickets, hours, retry_after=oldest + window - local_now, anonymous=anonymous
            )


async def create_ticket(
    *, session: AsyncSession, policy: TicketPolicy, ticket: NewTicket, now: datetime | None = None
) -> Ticket:
    """The new ticket, or the one its submission id already made (see submit_ticket)."""
    return (await submit_ticket(session=session, policy=policy, ticket=ticket, now=now)).ticket


async def submit_ticket(
    *, session: AsyncSession, policy: TicketPolicy, ticket: NewTicket, now: datetime | None = None
) -> Submission:
    """Create a ticket, once per submission id, within the sender's limits.

    Raises TicketLimitReached (nothing written) when the chat sent too many lately.
    """
    now = now or clock.now()
    local_today = clock.to_local(now).date()
    # A «Gửi» pressed again (a timeout, «Gửi lại» after an error that came after the
    # commit) finds what the first press made.
    existing = await _submitted(session=session, submission_id=ticket.submission_id)
    if existing is not None:
        return Submission(existing, created=False)
    await _check_sender_limits(session=session, policy=policy, ticket=ticket, now=now)
    office, category = await _office_for(session=session, policy=policy, ticket=ticket)
    village = None
    if ticket.village_code:
        village = await session.scalar(select(Village).where(Village.code == ticket.village_code))
        if village is None:
            raise TicketError(f"unknown village {ticket.village_code!r}")
    sequence = await _next_sequence(session=session, prefix=policy.prefix, year=local_today.year)
    # The counter row serialises creators (its write lock is held until commit): a press
    # of the same submission that got there first has committed by now, and is seen.
    # Returning it leaves a gap in the codes, only in that rare race.
    existing = await _submitted(session=session, submission_id=ticket.submission_id)
    if existing is not None:
        return Submission(existing, created=False)
    row = Ticket(
        code=format_ticket_code(policy.prefix, local_today.year, sequence),
        kind=ticket.kind,
        category=category,
        office=office,
        village=village,
        content=ticket.content,
        confidential=ticket.kind is TicketKind.KHIEU_NAI_TO_CAO,
        anonymous=ticket.anonymous,
        channel=ticket.channel,
        sender_id=None if ticket.anonymous else ticket.sender_id,
        contact_name=ticket.contact_name,
        contact_phone=ticket.contact_phone,
        contact_email=ticket.contact_email,
        business_name=ticket.business_name,
        tax_code=ticket.tax_code,
        sector=ticket.sector,
        source=ticket.source,
        claim=ticket.claim,
        submission_id=ticket.submission_id,
        created_at=now,
        updated_at=now,
        due_date=add_working_days(local_today, policy.working_days_for(ticket.kind.value)),
    )
    lifecycle.apply(
        session,
        row,
        lifecycle.Step.SUBMIT,
        by=lifecycle.Actor.resident(ticket.channel),
        now=now,
        note="Tiếp nhận qua trợ lý ảo",
    )
    ticket_search.index_submission(row)
    # Assigned even when empty: the group card reads it right after the flush, and an
    # unloaded collection would need a lazy load, which async sessions refuse.
    row.attachments = [attachment_row(ref, kind, now) for ref, kind in ticket.attachments]
    session.add(row)
    await session.flush()
    # Same transaction: the office group hears of the ticket if and only if it exists.
    await notify_office(session=session, ticket=row, office=office)
    return Submission(row, created=True)


@dataclass(frozen=True)
class TicketStatus:
    code: str
    kind: str
    state: TicketState
    office_name: str
    due_date: date
    created_at: datetime
    is_owner: bool
    # Only for the resident who sent it; never for another chat, never if confidential.
    content: str | None
    category_name: str | None
    # For the owner's buttons (rate once, reopen within the window); None for others.
    satisfaction: int | None = None
    finished_at: datetime | None = None


async def ticket_status(
    *, session: AsyncSession, code: str, sender_id: str | None
) -> TicketStatus | None:
    ticket = await session.scalar(
        select(Ticket)
        .options(selectinload(Ticket.office), selectinload(Ticket.category))
        .where(Ticket.code == code)
    )
    if ticket is None:
        return None
    is_owner = sender_id is not None and ticket.sender_id == sender_id
    return TicketStatus(
        code=ticket.code,
        kind=ticket.kind,
        state=ticket.state,
        office_name=ticket.office.name,
        due_date=ticket.due_date,
        created_at=clock.to_local(ticket.created_at),
        is_owner=is_owner,
        content=ticket.content if is_owner else None,
        category_name=ticket.category.name if (is_owner and ticket.category) else None,
        satisfaction=ticket.satisfaction if is_owner else None,
        finished_at=lifecycle.finished_at(ticket) if is_owner else None,
    )


async def list_categories(*, session: AsyncSession) -> list[Category]:
    result = await session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.position)
    )
    return list(result.all())


async def list_villages(*, session: AsyncSession) -> list[Village]:
    return list((await session.scalars(select(Village).order_by(Village.id))).all())
