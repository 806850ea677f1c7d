"""«Xóa dữ liệu của tôi»: erase what identifies a sender, keep what the statistics need.

The six-monthly report counts tickets by kind, category, office, village, state, dates
and satisfaction; none of that identifies anyone, so it stays. Everything that can
identify the sender goes: their chat id, name, phone, e-mail, photos, and all free text,
because a resident's own words ("nhà tôi ở cạnh cổng chợ...") identify as surely as a
name. Confidential complaint tickets are erased the same way: the bot's record is not
the formal complaint file (that goes through the legal channels the bot points to and
is archived by the authority), and the most sensitive record is the last one to keep
against a wish to erase it.

Links count as much as contents: an outbox row addressed to the sender's chat, or tied
to one of their tickets, says who wrote what; a card in an office group still shows the
content in Telegram; an unanswered question is the sender's own words. Those go too
(the group cards as far as Telegram lets a bot delete its messages: 48 hours).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import (
    ConsentRecord,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    UnansweredQuestion,
)
from laikhe import clock
from laikhe.contact import platform_of
from laikhe.senders import web_session_of, zalo_chat_of
from laikhe.settings import to_sync_url
from services import outbox, photo_store, ticket_search
from services.lifecycle import Actor, Step, apply, may
from services.tickets import claim_ticket

ERASED_CONTENT: Final = "[Nội dung đã xóa theo yêu cầu của người gửi]"
ANONYMISED_NOTE: Final = "Đã xóa dữ liệu cá nhân theo yêu cầu của người gửi"
# Rasa 3.6 SQLTrackerStore: one row per conversation event, keyed by sender_id.
TRACKER_EVENTS_TABLE: Final = "events"
# Group messages are deleted only while the deleteMessage can still reach Telegram within
# its 48 hours: an hour is left for the queue (a bot restart, a 429 pause).
DELETE_MARGIN: Final = outbox.DELETABLE_FOR - timedelta(hours=1)


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
    # The bot's messages about these tickets in staff groups: young enough to be deleted
    # (a deleteMessage is queued for each), or too old for Telegram to allow it.
    group_messages_deleting: int = 0
    group_messages_kept: int = 0


def strip_personal_fields(ticket: Ticket, *, content: str) -> None:
    """Remove from one ticket everything that identifies a person, keeping what the
    six-monthly report counts. Erasure (here) and retention (services/retention.py) both
    use it, so the two always remove the same things."""
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
    ticket.content = content
    ticket_search.forget(ticket)
    # Photos kept on our disk go with their rows. Deleted before the commit: should the
    # transaction fail, a row may name a file that is gone (the back office then says
    # it cannot be shown) but a resident's photo never outlives their erasure.
    photo_store.configured().delete_all(
        [a.storage_key for a in ticket.attachments if a.storage_key is not None]
    )
    ticket.attachments.clear()
    # Staff answers too: they usually restate the problem and address the sender by
    # name. Who acted and when stays, so response times still count.
    for event in ticket.events:
        event.note = None


def _scrub(session: AsyncSession, ticket: Ticket, *, now: datetime) -> bool:
    """Erase one ticket's personal data in place; True if it was open and is withdrawn."""
    strip_personal_fields(ticket, content=ERASED_CONTENT)
    was_open = may(Step.ERASE, ticket.state)
    step = Step.ERASE if was_open else Step.NOTE
    apply(session, ticket, step, by=Actor.resident(ticket.channel), now=now, note=ANONYMISED_NOTE)
    ticket.anonymised_at = now
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
    now = now or clock.now()
    tickets = (
        await session.scalars(
            select(Ticket)
            .options(selectinload(Ticket.events), selectinload(Ticket.attachments))
            .where(Ticket.channel == channel, Ticket.sender_id == sender_id)
        )
    ).all()
    tickets = [t for t in tickets if await _claim_for_erasure(session, t, sender_id)]
    attachments = sum(len(ticket.attachments) for ticket in tickets)
    withdrawn = sum(_scrub(session, ticket, now=now) for ticket in tickets)
    consents = await session.execute(
        delete(ConsentRecord)
        .where(ConsentRecord.channel == channel, ConsentRecord.sender_id == sender_id)
        .returning(ConsentRecord.id)
    )
    messages = await _erase_outbox(
        session=session,
        channel=channel,
        sender_id=sender_id,
        ticket_ids=[t.id for t in tickets],
        now=now,
    )
    await session.flush()
    return ErasureReport(
        tickets=len(tickets),
        withdrawn=withdrawn,
        attachments=attachments,
        consent_records=len(consents.all()),
        outbox_messages=messages.erased,
        group_messages_deleting=messages.deleting,
        group_messages_kept=messages.kept,
    )


@dataclass(frozen=True)
class _OutboxErasure:
    erased: int  # rows deleted or stripped
    deleting: int  # group messages whose deletion is queued
    kept: int  # group messages too old to delete


async def _erase_outbox(
    *,
    session: AsyncSession,
    channel: str,
    sender_id: str,
    ticket_ids: list[int],
    now: datetime,
) -> _OutboxErasure:
    """Messages to the sender's chat and about their tickets carry their words, name or
    chat id, and the row links the Telegram message back to them.

    Rows to the sender's chat go (the chat id is the link; it cannot be blanked). Rows to
    staff groups lose their text and their ticket, and keep only the delivery record; the
    cards they posted are deleted from the group while Telegram still allows it.
    """
    resident_chat = (
        int(sender_id) if channel == "telegram" and sender_id.lstrip("-").isdigit() else None
    )
    zalo_chat = zalo_chat_of(sender_id) if channel == outbox.ZALO else None
    web_session = web_session_of(sender_id) if channel == outbox.WEB else None
    about_sender: list[sa.ColumnElement[bool]] = []
    if ticket_ids:
        about_sender.append(OutboxMessage.ticket_id.in_(ticket_ids))
    if resident_chat is not None:
        about_sender.append(
            sa.and_(
                OutboxMessage.channel == outbox.TELEGRAM, OutboxMessage.chat_id == resident_chat
            )
        )
    if zalo_chat is not None:
        about_sender.append(
            sa.and_(OutboxMessage.channel == outbox.ZALO, OutboxMessage.recipient == zalo_chat)
        )
    if web_session is not None:
        about_sender.append(
            sa.and_(OutboxMessage.channel == outbox.WEB, OutboxMessage.recipient == web_session)
        )
    if not about_sender:
        return _OutboxErasure(0, 0, 0)
    rows = (
        await session.scalars(
            select(OutboxMessage).where(or_(*about_sender)).order_by(OutboxMessage.id)
        )
    ).all()
    deletable_since = now - DELETE_MARGIN
    to_delete: list[tuple[int, int]] = []
    kept = erased = 0
    for row in rows:
        erased += 1
        to_sender = (
            (row.channel == outbox.TELEGRAM and row.chat_id == resident_chat)
            or (row.channel == outbox.ZALO and row.recipient == zalo_chat)
            or (row.channel == outbox.WEB and row.recipient == web_session)
        )
        if to_sender or row.status is OutboxStatus.PENDING:
            await session.delete(row)
            continue
        if (
            row.status is OutboxStatus.SENT
            and row.method != outbox.DELETE_METHOD
            and row.telegram_message_id is not None
            and row.chat_id is not None
        ):
            if row.sent_at is not None and row.sent_at > deletable_since:
                to_delete.append((row.chat_id, row.telegram_message_id))
            else:
                kept += 1
        row.text = None
        row.file_id = None
        row.reply_markup = None
        row.ticket_id = None
    await session.flush()
    for chat_id, message_id in to_delete:
        await outbox.enqueue_delete(
            session=session,
            chat_id=chat_id,
            message_id=message_id,
            purpose="erase_group_message",
            now=now,
        )
    return _OutboxErasure(erased=erased, deleting=len(to_delete), kept=kept)


def _erase_conversation_sync(url: str, sender_id: str) -> int:
    sync_url = to_sync_url(url)
    # The engine may be writing to a SQLite tracker store at the same moment: wait.
    connect_args = {"timeout": 30} if sync_url.startswith("sqlite") else {}
    engine = sa.create_engine(sync_url, connect_args=connect_args, hide_parameters=True)
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


# --- unanswered questions ---------------------------------------------------------------
#
# The fallback keeps what it did not understand without any link to the sender (for the
# report), so the only link is the conversation itself: a logged question is this
# sender's when its text is one of their messages and it was logged while that message
# was being answered. Read before the conversation is erased.

# The fallback logs a message while answering it; the window allows a slow engine and
# clocks of different hosts (earlier by a minute).
UNANSWERED_AFTER: Final = timedelta(minutes=10)
UNANSWERED_BEFORE: Final = timedelta(minutes=1)
# The fallback stores the first 500 characters (unanswered_questions.text).
UNANSWERED_TEXT_CHARS: Final = 500


@dataclass(frozen=True)
class SaidMessage:
    """One message the sender typed, as the engine stored it."""

    text: str
    at: datetime


def _said_sync(url: str, sender_id: str) -> list[SaidMessage]:
    sync_url = to_sync_url(url)
    connect_args = {"timeout": 30} if sync_url.startswith("sqlite") else {}
    # hide_parameters: a failed statement's log line would list the bound values.
    engine = sa.create_engine(sync_url, connect_args=connect_args, hide_parameters=True)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table(TRACKER_EVENTS_TABLE):
                return []
            events = sa.table(
                TRACKER_EVENTS_TABLE,
                sa.column("sender_id"),
                sa.column("type_name"),
                sa.column("timestamp"),
                sa.column("data"),
            )
            rows = connection.execute(
                sa.select(events.c.timestamp, events.c.data).where(
                    events.c.sender_id == sender_id, events.c.type_name == "user"
                )
            ).all()
    finally:
        engine.dispose()
    said: list[SaidMessage] = []
    for timestamp, data in rows:
        try:
            text = str(json.loads(data or "{}").get("text") or "").strip()
        except (ValueError, AttributeError):
            continue
        if text and not text.startswith("/") and timestamp is not None:
            said.append(
                SaidMessage(text, datetime.fromtimestamp(float(timestamp), clock.commune_zone()))
            )
    return said


async def conversation_messages(*, tracker_store_url: str, sender_id: str) -> list[SaidMessage]:
    """The sender's typed messages in the Rasa tracker store (every session)."""
    return await asyncio.to_thread(_said_sync, tracker_store_url, sender_id)


async def forget_unanswered_questions(*, session: AsyncSession, messages: list[SaidMessage]) -> int:
    """Delete the unanswered-question rows that are these messages; flushes only."""
    limit = UNANSWERED_TEXT_CHARS
    times: dict[str, list[datetime]] = {}
    for message in messages:
        times.setdefault(message.text[:limit], []).append(message.at)
    if not times:
        return 0
    candidates = (
        await session.scalars(
            select(UnansweredQuestion).where(UnansweredQuestion.text.in_(list(times)))
        )
    ).all()
    forgotten = 0
    for row in candidates:
        if any(
            said - UNANSWERED_BEFORE <= row.at <= said + UNANSWERED_AFTER
            for said in times[row.text]
        ):
            await session.delete(row)
            forgotten += 1
    await session.flush()
    return forgotten
