"""A resident's own tickets on real migrated databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from db.models import AttachmentKind, TicketAttachment, TicketKind, TicketState
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from services.resident import (
    MAX_ATTACHMENTS,
    add_attachment,
    add_information,
    my_tickets,
    rate,
    reopen,
    withdraw,
)
from services.resident_errors import (
    AlreadyRated,
    ChangedMeanwhile,
    InvalidInput,
    NotFound,
    NotOwner,
    ResidentError,
    TooLate,
    TooManyAttachments,
    WrongState,
)
from services.tickets import TicketPolicy, ticket_status
from tests.integration.staff_helpers import configure_groups, outbox_rows
from tests.integration.ticket_helpers import T0, Sessions, load, move, new_ticket


async def test_dates_shown_to_the_resident_are_vietnam_dates(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    # 00:30 in Vietnam is still the day before in UTC, the zone stored times load in.
    just_after_midnight = datetime(2026, 2, 3, 0, 30, tzinfo=commune_zone())
    code = await new_ticket(sessions, commune, at=just_after_midnight)
    async with sessions() as session:
        (mine,) = await my_tickets(session=session, sender_id="1001")
        status = await ticket_status(session=session, code=code, sender_id="1001")
    assert status is not None
    for shown in (mine.created_at, status.created_at):
        assert shown == just_after_midnight
        assert shown.date() == date(2026, 2, 3)


async def test_my_tickets_lists_only_mine_newest_first(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    first = await new_ticket(sessions, commune)
    long_text = "Đề nghị xã mở thêm lớp hướng dẫn dùng VNeID cho người cao tuổi ở thôn Mẫu 2 " * 2
    second = await new_ticket(
        sessions, commune, at=T0 + timedelta(days=1), content=long_text, category_code=None
    )
    await new_ticket(sessions, commune, sender_id="2002")
    async with sessions() as session:
        mine = await my_tickets(session=session, sender_id="1001")
        latest = await my_tickets(session=session, sender_id="1001", limit=1)
        nobody = await my_tickets(session=session, sender_id="3003")
    assert [t.code for t in mine] == [second, first]
    assert [t.code for t in latest] == [second]
    assert nobody == []
    assert mine[1].office_name == "Phòng Kinh tế" and mine[1].category_name is not None
    assert mine[0].category_name is None
    assert len(mine[0].preview) == 60 and mine[0].preview.endswith("…")
    assert mine[1].state == "new" and mine[1].due_date == date(2026, 2, 23)


async def test_owner_adds_information_as_a_same_state_event(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    await move(sessions, code, TicketState.ASSIGNED, T0 + timedelta(hours=1))
    # A code typed in lower case and without leading zeros still finds the ticket.
    short = code.lower().replace("-00000", "-")
    async with sessions() as session:
        await add_information(
            session=session,
            code=short,
            sender_id="1001",
            text="  Hỏng từ   thứ Hai, ở phòng họp tầng 2 ",
            now=T0 + timedelta(hours=2),
        )
        await session.commit()
    ticket, events = await load(sessions, code)
    assert ticket.state == "assigned"
    last = events[-1]
    assert (last.from_state, last.to_state) == ("assigned", "assigned")
    assert last.note == "Hỏng từ thứ Hai, ở phòng họp tầng 2"
    assert last.actor == "resident:telegram"


async def test_information_refusals(sessions: Sessions, commune: CommuneConfig) -> None:
    code = await new_ticket(sessions, commune)
    async with sessions() as session:
        with pytest.raises(NotOwner):
            await add_information(session=session, code=code, sender_id="2002", text="thêm")
        with pytest.raises(NotFound) as missing:
            await add_information(
                session=session, code="LK-2026-999999", sender_id="1001", text="thêm"
            )
        assert "LK-2026-999999" in missing.value.message
        with pytest.raises(InvalidInput):
            await add_information(session=session, code=code, sender_id="1001", text="  \n ")
        with pytest.raises(InvalidInput):
            await add_information(session=session, code=code, sender_id="1001", text="x" * 2001)
    await move(sessions, code, TicketState.CLOSED, T0 + timedelta(days=3))
    async with sessions() as session:
        with pytest.raises(WrongState) as closed:
            await add_information(session=session, code=code, sender_id="1001", text="thêm")
    assert "«Đã đóng»" in closed.value.message and "mở lại" in closed.value.message


async def test_withdraw_only_before_staff_take_it(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    fresh = await new_ticket(sessions, commune)
    taken = await new_ticket(sessions, commune)
    await move(sessions, taken, TicketState.ASSIGNED, T0 + timedelta(hours=1))
    async with sessions() as session:
        with pytest.raises(NotOwner):
            await withdraw(session=session, code=fresh, sender_id="2002")
        await withdraw(session=session, code=fresh, sender_id="1001", now=T0 + timedelta(hours=2))
        await session.commit()
    async with sessions() as session:
        with pytest.raises(WrongState) as assigned:
            await withdraw(session=session, code=taken, sender_id="1001")
        with pytest.raises(WrongState) as again:
            await withdraw(session=session, code=fresh, sender_id="1001")
    assert "Cán bộ đã tiếp nhận" in assigned.value.message
    assert "rút trước đó" in again.value.message
    await move(sessions, taken, TicketState.CLOSED, T0 + timedelta(days=1))
    async with sessions() as session:
        with pytest.raises(WrongState) as closed:
            await withdraw(session=session, code=taken, sender_id="1001")
    assert "xử lý xong" in closed.value.message
    ticket, events = await load(sessions, fresh)
    assert ticket.state == "withdrawn"
    assert (events[-1].from_state, events[-1].to_state) == ("new", "withdrawn")


async def test_reopen_within_thirty_days_gets_a_new_deadline(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    answered = T0 + timedelta(days=3)
    await move(sessions, code, TicketState.ANSWERED, answered)
    await move(sessions, code, TicketState.CLOSED, answered + timedelta(days=1))
    # Monday 02/03/2026: ten working days later is Monday 16/03/2026.
    now = datetime(2026, 3, 2, 9, 0, tzinfo=commune_zone())
    async with sessions() as session:
        with pytest.raises(InvalidInput):
            await reopen(
                session=session,
                policy=TicketPolicy.from_config(commune),
                code=code,
                sender_id="1001",
                reason=" ",
                now=now,
            )
        await reopen(
            session=session,
            policy=TicketPolicy.from_config(commune),
            code=code,
            sender_id="1001",
            reason="Wifi vẫn chưa dùng được",
            now=now,
        )
        await session.commit()
    ticket, events = await load(sessions, code)
    assert ticket.state == "reopened"
    assert ticket.due_date == date(2026, 3, 16)
    assert ticket.closed_at is None and ticket.answered_at is None
    assert (events[-1].from_state, events[-1].to_state, events[-1].note) == (
        "closed",
        "reopened",
        "Wifi vẫn chưa dùng được",
    )
    # Reopened is open again: the resident can add information, not reopen twice.
    async with sessions() as session:
        await add_information(session=session, code=code, sender_id="1001", text="Ảnh sau")
        with pytest.raises(WrongState):
            await reopen(
                session=session,
                policy=TicketPolicy.from_config(commune),
                code=code,
                sender_id="1001",
                reason="lần nữa",
            )


async def test_reopen_too_late_or_from_the_wrong_state(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    policy = TicketPolicy.from_config(commune)
    late = await new_ticket(sessions, commune)
    await move(sessions, late, TicketState.ANSWERED, T0 + timedelta(days=1))
    busy = await new_ticket(sessions, commune)
    await move(sessions, busy, TicketState.ASSIGNED, T0 + timedelta(days=1))
    # Answered by a path that did not stamp answered_at: the history decides.
    unstamped = await new_ticket(sessions, commune)
    await move(sessions, unstamped, TicketState.ANSWERED, T0 + timedelta(days=1), stamp=False)
    async with sessions() as session:
        with pytest.raises(TooLate) as too_late:
            await reopen(
                session=session,
                policy=policy,
                code=late,
                sender_id="1001",
                reason="chưa xong",
                now=T0 + timedelta(days=31, hours=1),
            )
        assert "30 ngày" in too_late.value.message
        with pytest.raises(TooLate):
            await reopen(
                session=session,
                policy=policy,
                code=unstamped,
                sender_id="1001",
                reason="chưa xong",
                now=T0 + timedelta(days=31, hours=1),
            )
        with pytest.raises(WrongState):
            await reopen(
                session=session, policy=policy, code=busy, sender_id="1001", reason="chưa xong"
            )
        with pytest.raises(NotOwner):
            await reopen(
                session=session, policy=policy, code=late, sender_id="2002", reason="chưa xong"
            )
        reopened = await reopen(
            session=session,
            policy=policy,
            code=unstamped,
            sender_id="1001",
            reason="chưa xong",
            now=T0 + timedelta(days=30),
        )
        assert reopened.state == "reopened"


async def test_rate_once_and_only_when_closed(sessions: Sessions, commune: CommuneConfig) -> None:
    code = await new_ticket(sessions, commune)
    await move(sessions, code, TicketState.ANSWERED, T0 + timedelta(days=1))
    async with sessions() as session:
        with pytest.raises(WrongState):
            await rate(session=session, code=code, sender_id="1001", score=5)
        with pytest.raises(InvalidInput):
            await rate(session=session, code=code, sender_id="1001", score=6)
    await move(sessions, code, TicketState.CLOSED, T0 + timedelta(days=2))
    async with sessions() as session:
        with pytest.raises(NotOwner):
            await rate(session=session, code=code, sender_id="2002", score=1)
        await rate(session=session, code=code, sender_id="1001", score=4)
        await session.commit()
    async with sessions() as session:
        with pytest.raises(AlreadyRated):
            await rate(session=session, code=code, sender_id="1001", score=5)
    ticket, _ = await load(sessions, code)
    assert ticket.satisfaction == 4


async def test_attachments_on_open_tickets_up_to_a_limit(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    async with sessions() as session:
        await add_attachment(
            session=session,
            code=code,
            sender_id="1001",
            telegram_file_id="AgACAgUAAxkBAAIB",
            kind=AttachmentKind.PHOTO,
            now=T0,
        )
        for index in range(MAX_ATTACHMENTS - 1):
            await add_attachment(
                session=session,
                code=code,
                sender_id="1001",
                telegram_file_id=f"BQACAgUAAxkB{index}",
                kind=AttachmentKind.DOCUMENT,
            )
        with pytest.raises(TooManyAttachments):
            await add_attachment(
                session=session,
                code=code,
                sender_id="1001",
                telegram_file_id="one-too-many",
                kind=AttachmentKind.PHOTO,
            )
        with pytest.raises(NotOwner):
            await add_attachment(
                session=session,
                code=code,
                sender_id="2002",
                telegram_file_id="x",
                kind=AttachmentKind.PHOTO,
            )
        await session.commit()
    ticket, events = await load(sessions, code)
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(TicketAttachment)
                .where(TicketAttachment.ticket_id == ticket.id)
                .order_by(TicketAttachment.id)
            )
        ).all()
    assert len(rows) == MAX_ATTACHMENTS
    assert (rows[0].kind, rows[0].telegram_file_id) == ("photo", "AgACAgUAAxkBAAIB")
    assert events[1].note == "Người gửi bổ sung 1 ảnh"
    assert events[1].from_state == events[1].to_state == "new"
    await move(sessions, code, TicketState.CLOSED, T0 + timedelta(days=1))
    async with sessions() as session:
        with pytest.raises(WrongState):
            await add_attachment(
                session=session,
                code=code,
                sender_id="1001",
                telegram_file_id="late",
                kind=AttachmentKind.PHOTO,
            )


async def test_an_anonymous_ticket_belongs_to_nobody(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune, kind=TicketKind.GOP_Y, anonymous=True)
    async with sessions() as session:
        assert await my_tickets(session=session, sender_id="1001") == []
        with pytest.raises(NotOwner):
            await withdraw(session=session, code=code, sender_id="1001")


def test_every_refusal_is_a_polite_sentence() -> None:
    refusals: list[ResidentError] = [
        NotFound("LK-2026-000001"),
        NotOwner("LK-2026-000001"),
        WrongState("LK-2026-000001", "closed", "Anh/Chị gửi ý kiến mới giúp nếu cần."),
        TooLate("LK-2026-000001", 30),
        AlreadyRated("LK-2026-000001"),
        TooManyAttachments("LK-2026-000001", 10),
        ChangedMeanwhile("LK-2026-000001"),
    ]
    for refusal in refusals:
        assert "LK-2026-000001" in refusal.message and "Anh/Chị" in refusal.message
        assert len(refusal.message) <= 200 and str(refusal) == refusal.message


async def test_the_office_group_hears_of_each_resident_change(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    added = await new_ticket(sessions, commune)
    taken_back = await new_ticket(sessions, commune)
    async with sessions() as session:
        await add_information(
            session=session, code=added, sender_id="1001", text="Thêm: hỏng cả đèn hành lang"
        )
        await withdraw(session=session, code=taken_back, sender_id="1001")
        await session.commit()
    texts = [row.text for row in await outbox_rows(sessions) if row.purpose == "resident_change"]
    assert texts == [
        f"🔔 Ý kiến {added}: người gửi bổ sung: Thêm: hỏng cả đèn hành lang",
        f"🔔 Ý kiến {taken_back}: người gửi đã rút ý kiến",
    ]
