"""«Xóa dữ liệu của tôi» on real migrated databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AttachmentKind,
    ConsentRecord,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketAttachment,
    TicketKind,
    TicketState,
    UnansweredQuestion,
)
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from services.consent import CONSENT_NOTICE_VERSION, PURPOSE_FEEDBACK, record_consent
from services.outbox import enqueue
from services.privacy import (
    ANONYMISED_NOTE,
    ERASED_CONTENT,
    conversation_messages,
    erase_conversation,
    erase_personal_data,
    forget_unanswered_questions,
)
from services.resident import add_attachment, add_information
from tests.conftest import PostgresDatabase
from tests.integration.ticket_helpers import T0, Sessions, load, move, new_ticket

WHEN = T0 + timedelta(days=5)


async def _sender_with_history(sessions: Sessions, commune: CommuneConfig) -> dict[str, str]:
    """Sender 1001: an open ticket with a photo, a closed rated business proposal, a
    misinformation report, a complaint; sender 2002: one ticket that must stay intact."""
    open_code = await new_ticket(
        sessions, commune, contact_name="Nguyễn Văn An", contact_phone="+84912345678"
    )
    business = await new_ticket(
        sessions,
        commune,
        kind=TicketKind.KIEN_NGHI,
        contact_name="Trần Thị Bình",
        contact_email="binh@example.vn",
    )
    rumour = await new_ticket(sessions, commune, kind=TicketKind.THONG_TIN_SAI)
    complaint = await new_ticket(sessions, commune, kind=TicketKind.KHIEU_NAI_TO_CAO)
    other = await new_ticket(sessions, commune, sender_id="2002", contact_name="Lê Văn Cường")
    async with sessions() as session:
        await add_attachment(
            session=session,
            code=open_code,
            sender_id="1001",
            telegram_file_id="AgACAgUAAxkBAAIB",
            kind=AttachmentKind.PHOTO,
        )
        await add_information(
            session=session, code=open_code, sender_id="1001", text="Nhà tôi cạnh cổng chợ"
        )
        for row_code, values in (
            (
                business,
                {
                    "business_name": "Hộ kinh doanh Bình An",
                    "tax_code": "0100109106",
                    "sector": "Thương mại",
                },
            ),
            (
                rumour,
                {"source": "https://www.facebook.com/groups/123", "claim": "Xã thu phí VNeID"},
            ),
        ):
            ticket = await session.scalar(select(Ticket).where(Ticket.code == row_code))
            assert ticket is not None
            for name, value in values.items():
                setattr(ticket, name, value)
        for sender in ("1001", "2002"):
            await record_consent(
                session=session,
                channel="telegram",
                sender_id=sender,
                purpose=PURPOSE_FEEDBACK,
                notice_version=CONSENT_NOTICE_VERSION,
                granted=True,
                now=T0,
            )
        await session.commit()
    await move(sessions, business, TicketState.CLOSED, T0 + timedelta(days=2))
    async with sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == business))
        assert ticket is not None
        ticket.satisfaction = 4
        await session.commit()
    return {
        "open": open_code,
        "business": business,
        "rumour": rumour,
        "complaint": complaint,
        "other": other,
    }


async def test_erasure_removes_what_identifies_and_keeps_the_statistics(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    codes = await _sender_with_history(sessions, commune)
    async with sessions() as session:
        report = await erase_personal_data(
            session=session, channel="telegram", sender_id="1001", now=WHEN
        )
        await session.commit()
    assert (report.tickets, report.withdrawn, report.attachments, report.consent_records) == (
        4,
        3,  # the open complaint, rumour and feedback; the closed proposal stays closed
        1,
        1,
    )
    for name in ("open", "business", "rumour", "complaint"):
        ticket, events = await load(sessions, codes[name])
        assert ticket.sender_id is None
        assert (ticket.contact_name, ticket.contact_phone, ticket.contact_email) == (None,) * 3
        assert ticket.content == ERASED_CONTENT
        assert ticket.anonymised_at is not None
        assert ticket.business_name is None and ticket.tax_code is None and ticket.claim is None
        # Statistics survive: kind, category, office, village, dates.
        assert ticket.category_id is not None and ticket.village_id is not None
        assert ticket.created_at is not None and ticket.due_date is not None
        # History keeps who and when, no free text, and ends with the anonymisation.
        assert [e.note for e in events[:-1]] == [None] * (len(events) - 1)
        assert events[-1].note == ANONYMISED_NOTE and events[-1].actor == "resident:telegram"
    open_ticket, open_events = await load(sessions, codes["open"])
    assert open_ticket.state == "withdrawn"
    assert (open_events[-1].from_state, open_events[-1].to_state) == ("new", "withdrawn")
    business, business_events = await load(sessions, codes["business"])
    assert business.state == "closed" and business.satisfaction == 4
    assert business.sector == "Thương mại"
    assert (business_events[-1].from_state, business_events[-1].to_state) == ("closed", "closed")
    rumour, _ = await load(sessions, codes["rumour"])
    assert rumour.source == "Facebook"  # the platform stays, the group link goes
    complaint, _ = await load(sessions, codes["complaint"])
    assert complaint.confidential and complaint.kind == "khieu_nai_to_cao"
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(TicketAttachment)) == 0
        consents = (await session.scalars(select(ConsentRecord.sender_id))).all()
    assert consents == ["2002"]
    other, _ = await load(sessions, codes["other"])
    assert (other.sender_id, other.contact_name) == ("2002", "Lê Văn Cường")
    assert other.content != ERASED_CONTENT and other.anonymised_at is None


async def test_erasure_is_idempotent_and_scoped_to_the_channel(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await new_ticket(sessions, commune)
    async with sessions() as session:
        elsewhere = await erase_personal_data(
            session=session, channel="terminal", sender_id="1001", now=WHEN
        )
        first = await erase_personal_data(
            session=session, channel="telegram", sender_id="1001", now=WHEN
        )
        again = await erase_personal_data(
            session=session, channel="telegram", sender_id="1001", now=WHEN
        )
        await session.commit()
    assert elsewhere.tickets == 0
    assert first.tickets == 1
    assert (again.tickets, again.withdrawn, again.attachments, again.consent_records) == (0,) * 4


# --- Rasa tracker store --------------------------------------------------------------

TRACKER_DDL = (
    "CREATE TABLE events (id integer primary key, sender_id varchar(255), "
    "type_name varchar(255), timestamp float, intent_name varchar(255), "
    "action_name varchar(255), data text)"
)


def _fill_tracker(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(TRACKER_DDL))
            for index, sender in enumerate(["1001", "1001", "1001", "2002", "2002"]):
                connection.execute(
                    sa.text(
                        "INSERT INTO events (id, sender_id, type_name, timestamp, data) "
                        "VALUES (:id, :sender, 'user', :ts, '{}')"
                    ),
                    {"id": index + 1, "sender": sender, "ts": 1.0 + index},
                )
    finally:
        engine.dispose()


def _senders(url: str) -> list[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT sender_id FROM events ORDER BY id"))
            return [row[0] for row in rows]
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, standing in for Rasa's SQL tracker store."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    database = PostgresDatabase()
    try:
        yield database.url
    finally:
        database.drop()


async def test_erase_conversation_deletes_only_that_senders_rows(tracker_url: str) -> None:
    _fill_tracker(tracker_url)
    assert await erase_conversation(tracker_store_url=tracker_url, sender_id="1001") == 3
    assert _senders(tracker_url) == ["2002", "2002"]
    assert await erase_conversation(tracker_store_url=tracker_url, sender_id="1001") == 0


async def test_erase_conversation_without_a_tracker_table_is_a_no_op(tracker_url: str) -> None:
    assert await erase_conversation(tracker_store_url=tracker_url, sender_id="1001") == 0


async def test_erase_conversation_refuses_an_unknown_database() -> None:
    with pytest.raises(ValueError):
        await erase_conversation(tracker_store_url="mysql://x/y", sender_id="1001")


async def test_erasure_drops_unsent_messages_and_blanks_sent_ones(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    codes = await _sender_with_history(sessions, commune)
    async with sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == codes["open"]))
        assert ticket is not None
        answer = await enqueue(
            session=session, chat_id=1001, purpose="resident_update", text="Cán bộ trả lời: ..."
        )
        card = await enqueue(
            session=session,
            chat_id=-100500,
            purpose="new_ticket",
            text=f"{ticket.code}: {ticket.content}",
            ticket_id=ticket.id,
        )
        unrelated = await enqueue(
            session=session, chat_id=2002, purpose="resident_update", text="Trả lời người khác"
        )
        assert answer is not None and card is not None and unrelated is not None
        card.status = OutboxStatus.SENT.value  # already in the office group
        await session.commit()
        ids = (answer.id, card.id, unrelated.id)
    async with sessions() as session:
        report = await erase_personal_data(session=session, channel="telegram", sender_id="1001")
        await session.commit()
    assert report.outbox_messages == 2
    async with sessions() as session:
        rows = {row.id: row for row in (await session.scalars(select(OutboxMessage))).all()}
    assert ids[0] not in rows  # never sent: dropped
    assert rows[ids[1]].text is None and rows[ids[1]].status == "sent"  # delivery record only
    assert rows[ids[2]].text == "Trả lời người khác"


# --- links left behind (#17 item 7) ---------------------------------------------------

GROUP = -100500
OTHER_GROUP = -100600


async def _sent(
    session: AsyncSession,
    *,
    chat_id: int,
    message_id: int,
    at: datetime,
    ticket_id: int | None = None,
    method: str = "sendMessage",
    purpose: str = "new_ticket",
) -> OutboxMessage:
    row = await enqueue(
        session=session,
        chat_id=chat_id,
        purpose=purpose,
        method=method,
        text="Nguyễn Văn An, 0912345678: Wifi nhà văn hóa hỏng",
        file_id="AgACAgUAAxkBAAIB" if method != "sendMessage" else None,
        ticket_id=ticket_id,
        now=at,
    )
    assert row is not None
    row.status = OutboxStatus.SENT.value
    row.sent_at = at
    row.telegram_message_id = message_id
    return row


async def test_erasure_unlinks_the_outbox_and_deletes_the_young_group_cards(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    codes = await _sender_with_history(sessions, commune)
    now = datetime.now(timezone.utc)
    async with sessions() as session:
        mine = (await session.scalars(select(Ticket.id).where(Ticket.sender_id == "1001"))).all()
        other = await session.scalar(select(Ticket.id).where(Ticket.code == codes["other"]))
        hour_ago, days_ago = now - timedelta(hours=1), now - timedelta(days=3)
        await _sent(session, chat_id=GROUP, message_id=501, at=hour_ago, ticket_id=mine[0])
        await _sent(
            session,
            chat_id=GROUP,
            message_id=502,
            at=hour_ago,
            ticket_id=mine[0],
            method="sendPhoto",
            purpose="new_ticket_file",
        )
        # Forwarded: the other office's group got the card too.
        await _sent(session, chat_id=OTHER_GROUP, message_id=77, at=hour_ago, ticket_id=mine[1])
        await _sent(session, chat_id=GROUP, message_id=401, at=days_ago, ticket_id=mine[1])
        # Answers delivered to the resident's own chat, with and without a ticket.
        await _sent(
            session, chat_id=1001, message_id=9, at=hour_ago, ticket_id=mine[0], purpose="answer"
        )
        await _sent(session, chat_id=1001, message_id=10, at=hour_ago, purpose="rating")
        # Someone else's card and answer stay as they are.
        await _sent(session, chat_id=GROUP, message_id=601, at=hour_ago, ticket_id=other)
        await _sent(session, chat_id=2002, message_id=11, at=hour_ago, ticket_id=other)
        await session.commit()

    async with sessions() as session:
        report = await erase_personal_data(
            session=session, channel="telegram", sender_id="1001", now=now
        )
        await session.commit()

    assert (report.group_messages_deleting, report.group_messages_kept) == (3, 1)
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    # Nothing is addressed to the resident's chat or tied to their tickets any more.
    assert [r for r in rows if r.chat_id == 1001] == []
    assert [r for r in rows if r.ticket_id in mine] == []
    # The group deliveries stay as records without text.
    kept = [
        (r.chat_id, r.telegram_message_id, r.text)
        for r in rows
        if r.purpose != "erase_group_message"
    ]
    assert (
        (GROUP, 501, None) in kept
        and (GROUP, 401, None) in kept
        and (OTHER_GROUP, 77, None) in kept
    )
    # The cards younger than 48 h are queued for deletion, by message id, with no ticket.
    deletes = [
        (r.chat_id, r.telegram_message_id, r.method, r.status, r.ticket_id, r.text)
        for r in rows
        if r.purpose == "erase_group_message"
    ]
    assert deletes == [
        (GROUP, 501, "deleteMessage", "pending", None, None),
        (GROUP, 502, "deleteMessage", "pending", None, None),
        (OTHER_GROUP, 77, "deleteMessage", "pending", None, None),
    ]
    untouched = [(r.chat_id, r.telegram_message_id, r.ticket_id) for r in rows if r.ticket_id]
    assert untouched == [(GROUP, 601, other), (2002, 11, other)]
    assert all(r.text for r in rows if r.ticket_id == other)

    # Asked again: nothing left to unlink, nothing queued twice.
    async with sessions() as session:
        again = await erase_personal_data(
            session=session, channel="telegram", sender_id="1001", now=now
        )
        await session.commit()
    assert (again.outbox_messages, again.group_messages_deleting) == (0, 0)


def _tracker_with_texts(url: str, rows: list[tuple[str, str, float]]) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(TRACKER_DDL))
            for index, (sender, text, ts) in enumerate(rows, start=1):
                connection.execute(
                    sa.text(
                        "INSERT INTO events (id, sender_id, type_name, timestamp, data) "
                        "VALUES (:id, :sender, 'user', :ts, :data)"
                    ),
                    {
                        "id": index,
                        "sender": sender,
                        "ts": ts,
                        "data": json.dumps({"event": "user", "text": text, "timestamp": ts}),
                    },
                )
    finally:
        engine.dispose()


async def test_the_senders_unanswered_questions_are_forgotten_with_the_conversation(
    sessions: Sessions, tracker_url: str
) -> None:
    """unanswered_questions keep no sender; the conversation is the link, read before it
    is erased (what bot/__main__.eraser_for does)."""
    asked = datetime(2026, 3, 2, 9, 0, tzinfo=commune_zone())
    later = asked + timedelta(days=2)
    same = "cho hoi lop hoc dien thoai o dau"
    _tracker_with_texts(
        tracker_url,
        [
            ("1001", same, asked.timestamp()),
            ("1001", "  nha toi o canh cong cho, ai sua duong  ", later.timestamp()),
            ("1001", "/affirm", later.timestamp()),
            ("2002", same, (asked + timedelta(days=5)).timestamp()),
        ],
    )
    async with sessions() as session:
        for text, at in (
            (same, asked + timedelta(seconds=2)),  # 1001's
            ("nha toi o canh cong cho, ai sua duong", later + timedelta(seconds=1)),  # 1001's
            (same, asked + timedelta(days=5, seconds=3)),  # 2002's: same words, other time
            ("mot cau khac", asked),
        ):
            session.add(UnansweredQuestion(text=text, channel="telegram", at=at))
        await session.commit()

    said = await conversation_messages(tracker_store_url=tracker_url, sender_id="1001")
    assert [m.text for m in said] == [same, "nha toi o canh cong cho, ai sua duong"]
    async with sessions() as session:
        assert await forget_unanswered_questions(session=session, messages=said) == 2
        await session.commit()
    async with sessions() as session:
        left = (
            await session.execute(
                select(UnansweredQuestion.text, UnansweredQuestion.at).order_by(
                    UnansweredQuestion.id
                )
            )
        ).all()
    assert [text for text, _ in left] == [same, "mot cau khac"]
    assert await erase_conversation(tracker_store_url=tracker_url, sender_id="1001") == 3
