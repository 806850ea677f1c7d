"""«Xóa dữ liệu của tôi»: erase what identifies a sender, keep what the statistics need.

The six-monthly report counts tickets by kind, category, office, village, state, dates
and satisfaction; none of that identifies anyone, so it stays. Everything that can
identify the sender goes: their chat id, name, phone, e-mail, photos, and all free text,
because a resident's own words ("nhà tôi ở cạnh cổng chợ...") identify as surely as a
name. Confidential complaint tickets are erased the same way: the bot's record is not
the formal complaint file (that goes through the legal channels the bot points to and
is archived by the authority), and the most sensitive record is the last one to keep
against a wish to erase it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import (
    ConsentRecord,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketEvent,
    TicketState,
)
from laikhe.contact import platform_of
from laikhe.settings import to_sync_url
from services.duplicates import OPEN_STATES
from services.tickets import VIETNAM, claim_ticket

ERASED_CONTENT: Final = "[Nội dung đã xóa theo yêu cầu của người gửi]"
ANONYMISED_NOTE: Final = "Đã xóa dữ liệu cá nhân theo yêu cầu của người gửi"
# Rasa 3.6 SQLTrackerStore: one row per conversation event, keyed by sender_id.
TRACKER_EVENTS_TABLE: Final = "events"


@dataclass(frozen=True)
class ErasureReport:
    tickets: int
    # Open tickets closed as withdrawn: with no content and no contact left, nobody can
    # handle or answer them, and left open they would only turn up as overdue.
    withdrawn: int
    attachments: int
    consent_records: int
    # Queued or sent Telegram messages to the sender's chat or about their tickets.
    outbox_messages: int = 0


def _scrub(ticket: Ticket, *, now: datetime) -> bool:
    """Erase one ticket's personal data in place; True if it was open and is withdrawn."""
    ticket.sender_id = None
    ticket.contact_name = None
    ticket.contact_phone = None
    ticket.contact_email = None
    # A hộ kinh doanh trades under, and is taxed as, its owner: both identify a person.
    # The sector stays for the report.
    ticket.business_name = None
    ticket.tax_code = None
    # The platform (Facebook, Zalo...) stays for the report; the link or group name,
    # which may lead back to the sender, goes.
    ticket.source = platform_of(ticket.source)
    ticket.claim = None
    ticket.content = ERASED_CONTENT
    ticket.attachments.clear()
    # Staff answers too: they usually restate the problem and address the sender by
    # name. Who acted and when stays, so response times still count.
    for event in ticket.events:
        event.note = None
    was_open = ticket.state in OPEN_STATES
    to_state = TicketState.WITHDRAWN if was_open else TicketState(ticket.state)
    ticket.events.append(
        TicketEvent(
            at=now,
            actor=f"resident:{ticket.channel}",
            from_state=TicketState(ticket.state).value,
            to_state=to_state.value,
            note=ANONYMISED_NOTE,
        )
    )
    ticket.state = to_state
    ticket.anonymised_at = now
    ticket.updated_at = now
    return was_open


async def _claim_for_erasure(session: AsyncSession, ticket: Ticket, sender_id: str) -> bool:
    """Hold the ticket as read (services/tickets.claim_ticket) before scrubbing it.

    The erasure always goes ahead: a staff change committed since the read is re-read,
    so the history records the state the ticket really left. False if another erasure
    of the same sender got there first."""
    while not await claim_ticket(
        session=session, ticket=ticket, also=(Ticket.sender_id == sender_id,)
    ):
        await session.refresh(ticket, attribute_names=["state", "sender_id"])
        if ticket.sender_id != sender_id:
            return False
    return True


async def erase_personal_data(
    *, session: AsyncSession, channel: str, sender_id: str, now: datetime | None = None
) -> ErasureReport:
    """Anonymise every ticket of this sender and delete their consent records.

    Idempotent: the tickets no longer carry the sender id, so a second call finds none.
    Flushes only; the caller commits.
    """
    now = now or datetime.now(VIETNAM)
    tickets = (
        await session.scalars(
            select(Ticket)
            .options(selectinload(Ticket.events), selectinload(Ticket.attachments))
            .where(Ticket.channel == channel, Ticket.sender_id == sender_id)
        )
    ).all()
    tickets = [t for t in tickets if await _claim_for_erasure(session, t, sender_id)]
    attachments = sum(len(ticket.attachments) for ticket in tickets)
    withdrawn = sum(_scrub(ticket, now=now) for ticket in tickets)
    consents = await session.execute(
        delete(ConsentRecord)
        .where(ConsentRecord.channel == channel, ConsentRecord.sender_id == sender_id)
        .returning(ConsentRecord.id)
    )
    outbox = await _erase_outbox(
        session=session, channel=channel, sender_id=sender_id, ticket_ids=[t.id for t in tickets]
    )
    await session.flush()
    return ErasureReport(
        tickets=len(tickets),
        withdrawn=withdrawn,
        attachments=attachments,
        consent_records=len(consents.all()),
        outbox_messages=outbox,
    )


async def _erase_outbox(
    *, session: AsyncSession, channel: str, sender_id: str, ticket_ids: list[int]
) -> int:
    """Messages to the sender's chat and about their tickets carry their words, name or
    chat id: unsent ones are dropped, sent ones keep only their delivery record."""
    about_sender: list[sa.ColumnElement[bool]] = []
    if ticket_ids:
        about_sender.append(OutboxMessage.ticket_id.in_(ticket_ids))
    if channel == "telegram" and sender_id.lstrip("-").isdigit():
        about_sender.append(OutboxMessage.chat_id == int(sender_id))
    if not about_sender:
        return 0
    dropped = await session.execute(
        delete(OutboxMessage)
        .where(or_(*about_sender), OutboxMessage.status == OutboxStatus.PENDING.value)
        .returning(OutboxMessage.id)
    )
    blanked = await session.execute(
        update(OutboxMessage)
        .where(or_(*about_sender))
        .values(text=None, file_id=None, reply_markup=None)
        .returning(OutboxMessage.id)
    )
    return len(dropped.all()) + len(blanked.all())


def _erase_conversation_sync(url: str, sender_id: str) -> int:
    sync_url = to_sync_url(url)
    # The engine may be writing to a SQLite tracker store at the same moment: wait.
    connect_args = {"timeout": 30} if sync_url.startswith("sqlite") else {}
    engine = sa.create_engine(sync_url, connect_args=connect_args)
    try:
        with engine.begin() as connection:
            if not sa.inspect(connection).has_table(TRACKER_EVENTS_TABLE):
                return 0
            events = sa.table(TRACKER_EVENTS_TABLE, sa.column("sender_id"))
            result = connection.execute(sa.delete(events).where(events.c.sender_id == sender_id))
            return result.rowcount or 0
    finally:
        engine.dispose()


async def erase_conversation(*, tracker_store_url: str, sender_id: str) -> int:
    """Delete the Rasa tracker store rows of this sender; returns the rows deleted.

    Call it after the engine has stored the current turn (from the bot, once the reply
    is delivered), not from inside a custom action: Rasa saves the tracker after the
    action, and when it finds no stored events it writes the whole session back.
    """
    # A blocking engine in a worker thread: the tracker store is not ours to give an
    # async driver, and one short DELETE does not justify a connection pool.
    return await asyncio.to_thread(_erase_conversation_sync, tracker_store_url, sender_id)
