"""Ticket creation is idempotent per submission id and limited per chat (issue #17, items
12 and 15), on real migrated SQLite and PostgreSQL databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from db.models import Office, OutboxMessage, Ticket, TicketKind, TicketSequence
from laikhe.commune import CommuneConfig
from services.tickets import (
    NewTicket,
    Submission,
    TicketLimitReached,
    TicketPolicy,
    submit_ticket,
)
from tests.integration.interleave import pause_before_first_write
from tests.integration.staff_helpers import configure_groups
from tests.integration.ticket_helpers import T0, Sessions

SUBMISSION = "5f0c3a9e6b2d4c1e8a7f9b0c1d2e3f40"


def opinion(**overrides: object) -> NewTicket:
    values: dict[str, object] = {
        "kind": TicketKind.PHAN_ANH,
        "content": "Wifi ở nhà văn hóa thôn Mẫu 1 bị hỏng mấy hôm nay",
        "channel": "telegram",
        "sender_id": "1001",
        "category_code": "ha_tang_so",
        "village_code": "THON-MAU-1",
    }
    values.update(overrides)
    return NewTicket(**values)  # type: ignore[arg-type]


async def submit(
    sessions: Sessions, commune: CommuneConfig, ticket: NewTicket, at: datetime = T0
) -> Submission:
    async with sessions() as session:
        done = await submit_ticket(
            session=session, policy=TicketPolicy.from_config(commune), ticket=ticket, now=at
        )
        await session.commit()
        return done


async def counts(sessions: Sessions) -> tuple[int, int, int | None]:
    """Tickets, queued messages, last ticket sequence number."""
    async with sessions() as session:
        tickets = await session.scalar(select(func.count()).select_from(Ticket))
        messages = await session.scalar(select(func.count()).select_from(OutboxMessage))
        sequence = await session.scalar(select(TicketSequence.last_value))
        return tickets or 0, messages or 0, sequence


async def test_the_same_submission_twice_is_one_ticket_with_one_code(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    first = await submit(sessions, commune, opinion(submission_id=SUBMISSION))
    # «Gửi» again a minute later (the engine timed out; or «Gửi lại» after an error).
    again = await submit(
        sessions, commune, opinion(submission_id=SUBMISSION), at=T0 + timedelta(minutes=1)
    )
    assert (first.created, again.created) == (True, False)
    assert again.ticket.code == first.ticket.code
    assert again.ticket.office.name == first.ticket.office.name
    # One ticket, one card in the office group, no code spent.
    assert await counts(sessions) == (1, 1, 1)

    # Another submission (a new form) is another ticket.
    other = await submit(sessions, commune, opinion(submission_id="another-form"))
    assert other.created and other.ticket.code != first.ticket.code
    assert await counts(sessions) == (2, 2, 2)


async def test_a_concurrent_press_of_the_same_submission_finds_the_first(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    """The second press read "no ticket yet", then the first committed before it wrote."""
    first: list[Submission] = []

    async def first_press() -> None:
        first.append(await submit(sessions, commune, opinion(submission_id=SUBMISSION)))

    async with sessions() as session:
        await pause_before_first_write(session, first_press)
        second = await submit_ticket(
            session=session,
            policy=TicketPolicy.from_config(commune),
            ticket=opinion(submission_id=SUBMISSION),
            now=T0,
        )
        await session.commit()
    assert first and first[0].created and not second.created
    assert second.ticket.code == first[0].ticket.code
    tickets, messages, _ = await counts(sessions)
    assert (tickets, messages) == (1, 0)  # no office group configured: no card queued


async def test_the_database_refuses_a_second_ticket_with_the_same_submission_id(
    sessions: Sessions,
) -> None:
    """The unique constraint holds whatever the code path."""
    async with sessions() as session:
        office_id = await session.scalar(select(Office.id).limit(1))
        values = {
            "kind": "gop_y",
            "state": "new",
            "office_id": office_id,
            "content": "Góp ý",
            "channel": "telegram",
            "created_at": T0,
            "updated_at": T0,
            "due_date": T0.date(),
            "submission_id": SUBMISSION,
        }
        await session.execute(insert(Ticket).values(code="LK-2026-900001", **values))
        with pytest.raises(IntegrityError):
            await session.execute(insert(Ticket).values(code="LK-2026-900002", **values))
        await session.rollback()


async def test_a_chat_is_limited_per_hour_and_per_day(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    limits = {(limit.tickets, limit.hours) for limit in commune.new_ticket_limits}
    assert limits == {(5, 1), (20, 24)}
    for minute in range(5):
        await submit(sessions, commune, opinion(), at=T0 + timedelta(minutes=minute))
    before = await counts(sessions)

    with pytest.raises(TicketLimitReached) as refused:
        await submit(sessions, commune, opinion(), at=T0 + timedelta(minutes=30))
    assert refused.value.message == (
        "Xin lỗi Anh/Chị, mỗi cuộc trò chuyện gửi được tối đa 5 ý kiến trong 1 giờ. "
        "Nội dung vẫn được giữ: Anh/Chị bấm «Gửi lại» sau khoảng 30 phút giúp."
    )
    # Nothing half-created: no ticket, no group card, no code spent.
    assert await counts(sessions) == before

    # Other chats, and anonymous suggestions (no chat kept), are not held back.
    assert (await submit(sessions, commune, opinion(sender_id="1002"), at=T0)).created
    anonymous = opinion(kind=TicketKind.GOP_Y, sender_id=None, anonymous=True)
    assert (await submit(sessions, commune, anonymous, at=T0 + timedelta(minutes=30))).created
    # The same chat on another channel is another conversation.
    assert (await submit(sessions, commune, opinion(channel="terminal"), at=T0)).created

    # An hour after the first, the chat may send again, up to 20 in a day.
    at = T0 + timedelta(hours=1, minutes=1)
    for hour in range(3):
        for minute in range(5):
            await submit(
                sessions, commune, opinion(), at=at + timedelta(hours=hour, minutes=minute)
            )
    with pytest.raises(TicketLimitReached) as refused:
        await submit(sessions, commune, opinion(), at=T0 + timedelta(hours=5))
    assert "tối đa 20 ý kiến trong 1 ngày" in refused.value.message
    assert "sau khoảng 19 giờ" in refused.value.message
    assert (
        await submit(sessions, commune, opinion(), at=T0 + timedelta(hours=24, seconds=1))
    ).created


async def test_a_repeated_submission_is_answered_even_at_the_limit(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    """The limit counts new tickets; pressing «Gửi» again is not a new one."""
    for minute in range(4):
        await submit(sessions, commune, opinion(), at=T0 + timedelta(minutes=minute))
    fifth = await submit(sessions, commune, opinion(submission_id=SUBMISSION), at=T0)
    again = await submit(
        sessions, commune, opinion(submission_id=SUBMISSION), at=T0 + timedelta(minutes=5)
    )
    assert (again.created, again.ticket.code) == (False, fifth.ticket.code)


async def test_anonymous_tickets_are_limited_all_chats_together(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    """No chat id is kept for them, so a flood that refuses consent is counted as one."""
    assert [(x.tickets, x.hours) for x in commune.anonymous_ticket_limits] == [(20, 1)]
    anonymous = opinion(kind=TicketKind.GOP_Y, sender_id=None, anonymous=True)
    for second in range(20):
        await submit(sessions, commune, anonymous, at=T0 + timedelta(seconds=second))
    before = await counts(sessions)
    with pytest.raises(TicketLimitReached) as refused:
        await submit(sessions, commune, anonymous, at=T0 + timedelta(minutes=15))
    assert refused.value.message == (
        "Xin lỗi Anh/Chị, trong 1 giờ qua xã đã nhận đủ 20 ý kiến ẩn danh. "
        "Nội dung vẫn được giữ: Anh/Chị bấm «Gửi lại» sau khoảng 45 phút giúp."
    )
    assert await counts(sessions) == before
    # A chat that keeps its id is counted on its own.
    assert (await submit(sessions, commune, opinion(), at=T0 + timedelta(minutes=15))).created
    assert (await submit(sessions, commune, anonymous, at=T0 + timedelta(hours=1))).created
