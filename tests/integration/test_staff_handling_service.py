"""Staff actions on both databases: who may act, history with the actor, what is queued."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from db.models import AttachmentKind, OutboxMessage, Ticket, TicketKind, TicketState
from laikhe.commune import CommuneConfig
from laikhe.logsafe import pseudonym
from services import handling
from services.calendar import add_working_days
from services.handling import Refused, StaffActionError
from services.notifications import notify_office_of_resident_change
from services.ticket_queries import forward_targets
from services.tickets import NewTicket, TicketPolicy, create_ticket
from tests.integration.staff_helpers import (
    KT_GROUP,
    KT_LEAD_CLEARED,
    KT_OFFICER,
    LEADER,
    VP_GROUP,
    VP_OFFICER,
    Sessions,
    buttons,
    configure_groups,
    outbox_rows,
    register_default_staff,
)
from tests.integration.ticket_helpers import T0, load, new_ticket

RESIDENT = 1001


@pytest.fixture
async def office_setup(sessions: Sessions) -> Sessions:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    return sessions


async def test_new_ticket_card_is_queued_in_the_same_transaction(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    sessions = office_setup
    ticket = NewTicket(
        kind=TicketKind.PHAN_ANH,
        content="Sóng điện thoại ở nhà văn hóa rất yếu",
        channel="telegram",
        sender_id=str(RESIDENT),
        category_code="ha_tang_so",
        village_code="THON-MAU-1",
        attachments=(
            ("photo-file-1", AttachmentKind.PHOTO),
            ("doc-file-2", AttachmentKind.DOCUMENT),
        ),
    )
    async with sessions() as session:
        await create_ticket(
            session=session, policy=TicketPolicy.from_config(commune), ticket=ticket, now=T0
        )
        await session.rollback()
    assert await outbox_rows(sessions) == []  # rolled back together with the ticket

    async with sessions() as session:
        row = await create_ticket(
            session=session, policy=TicketPolicy.from_config(commune), ticket=ticket, now=T0
        )
        code, due = row.code, row.due_date
        await session.commit()
    card, photo, document = await outbox_rows(sessions, KT_GROUP)
    assert card.method == "sendMessage" and card.status == "pending"
    expected_parts = (
        code, "Phản ánh", "Hạ tầng số", "Thôn Mẫu 1", due.strftime("%d/%m/%Y"),
        "Sóng điện thoại ở nhà văn hóa rất yếu", "2 (gửi ngay sau tin này)",
    )  # fmt: skip
    for expected in expected_parts:
        assert expected in (card.text or "")
    assert [text for text, _ in buttons(card)] == [
        "Nhận xử lý", "Trả lời", "Chuyển đơn vị", "Từ chối", "Đóng",
    ]  # fmt: skip
    assert all(data.startswith("st:") and len(data.encode()) <= 64 for _, data in buttons(card))
    assert (photo.method, photo.file_id) == ("sendPhoto", "photo-file-1")
    assert (document.method, document.file_id) == ("sendDocument", "doc-file-2")


async def test_office_without_group_gets_no_card(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)  # offices loaded with staff_chat_id null
    ticket, _ = await load(sessions, code)
    assert ticket.state == TicketState.NEW
    assert await outbox_rows(sessions) == []


async def test_confidential_card_shows_only_the_code(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(
        office_setup,
        commune,
        kind=TicketKind.KHIEU_NAI_TO_CAO,
        content="Tố cáo cán bộ thôn nhận tiền",
        attachments=(("photo-x", AttachmentKind.PHOTO),),
    )
    rows = await outbox_rows(office_setup, KT_GROUP)
    assert len(rows) == 1  # no photo either
    assert code in (rows[0].text or "") and "Tố cáo" not in (rows[0].text or "")
    assert "Xem riêng" in [text for text, _ in buttons(rows[0])]
    # An officer without clearance is refused; the cleared lead may act.
    with pytest.raises(Refused, match="bảo mật"):
        async with office_setup() as session:
            await handling.take(session=session, telegram_user_id=KT_OFFICER, code=code)
    async with office_setup() as session:
        await handling.take(session=session, telegram_user_id=KT_LEAD_CLEARED, code=code)
        await session.commit()


async def test_take_answer_close_with_history_and_resident_messages(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    sessions = office_setup
    code = await new_ticket(sessions, commune)
    async with sessions() as session:
        result = await handling.take(
            session=session, telegram_user_id=KT_OFFICER, code=code, now=T0 + timedelta(hours=1)
        )
        await session.commit()
    assert result.state == TicketState.ASSIGNED and result.resident_notified
    async with sessions() as session:
        with pytest.raises(StaffActionError, match="đã nhận"):
            await handling.take(session=session, telegram_user_id=KT_OFFICER, code=code)
    async with sessions() as session:
        with pytest.raises(StaffActionError, match="nội dung trả lời"):
            await handling.answer(
                session=session, telegram_user_id=KT_OFFICER, code=code, text="  "
            )
    async with sessions() as session:
        await handling.answer(
            session=session,
            telegram_user_id=KT_OFFICER,
            code=code,
            text="Phòng Kinh tế đã liên hệ nhà mạng, wifi sẽ được sửa trong tuần.",
            now=T0 + timedelta(hours=2),
        )
        await session.commit()
    async with sessions() as session:
        await handling.close(
            session=session, telegram_user_id=KT_OFFICER, code=code, now=T0 + timedelta(hours=3)
        )
        await session.commit()

    ticket, events = await load(sessions, code)
    assert ticket.state == TicketState.CLOSED
    assert ticket.answered_at is not None and ticket.closed_at is not None
    staff_events = [(e.actor, e.from_state, e.to_state) for e in events[1:]]
    actor = f"staff:{KT_OFFICER} Trần Văn Kinh"
    assert staff_events == [
        (actor, "new", "assigned"),
        (actor, "assigned", "answered"),
        (actor, "answered", "closed"),
    ]
    assert "wifi sẽ được sửa" in (events[2].note or "")

    told = await outbox_rows(sessions, RESIDENT)
    assert [row.purpose for row in told] == ["resident_update", "answer", "satisfaction"]
    assert "được Phòng Kinh tế tiếp nhận" in (told[0].text or "")
    assert "Trả lời của Phòng Kinh tế" in (told[1].text or "")
    assert buttons(told[1]) == [("Chưa được giải quyết", '/ticket_op{"op":"reopen:' + code + '"}')]
    rate = buttons(told[2])
    assert rate[:5] == [(str(n), f'/ticket_op{{"op":"rate:{code}:{n}"}}') for n in range(1, 6)]
    assert rate[5][0] == "Chưa được giải quyết"
    for _, data in rate:
        assert json.loads(data.removeprefix("/ticket_op"))["op"].endswith(
            (code, *(f":{n}" for n in range(1, 6)))
        )


async def test_strangers_and_other_offices_are_refused_and_nothing_changes(
    office_setup: Sessions, commune: CommuneConfig, caplog: pytest.LogCaptureFixture
) -> None:
    code = await new_ticket(office_setup, commune)  # a KT ticket
    for user, message in ((999_999, "cán bộ đã đăng ký"), (VP_OFFICER, "không thuộc đơn vị")):
        async with office_setup() as session:
            with pytest.raises(Refused, match=message):
                await handling.take(session=session, telegram_user_id=user, code=code)
    # Logged under a keyed pseudonym, never the Telegram id itself.
    assert f"{pseudonym(999_999)} is not registered staff" in caplog.text
    assert f"staff {pseudonym(VP_OFFICER)} (office VP" in caplog.text
    assert "999999" not in caplog.text and str(VP_OFFICER) not in caplog.text
    ticket, events = await load(office_setup, code)
    assert ticket.state == TicketState.NEW and len(events) == 1
    # The commune leader oversees every office.
    async with office_setup() as session:
        await handling.take(session=session, telegram_user_id=LEADER, code=code)
        await session.commit()


async def test_reject_needs_a_reason_the_resident_receives(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(office_setup, commune)
    async with office_setup() as session:
        with pytest.raises(StaffActionError, match="cần có lý do"):
            await handling.reject(
                session=session, telegram_user_id=KT_OFFICER, code=code, reason=""
            )
    async with office_setup() as session:
        await handling.reject(
            session=session, telegram_user_id=KT_OFFICER, code=code, reason="Nội dung không rõ"
        )
        await session.commit()
    (told,) = await outbox_rows(office_setup, RESIDENT)
    assert "Lý do: Nội dung không rõ" in (told.text or "")
    async with office_setup() as session:
        with pytest.raises(StaffActionError, match="Không tiếp nhận"):
            await handling.close(session=session, telegram_user_id=KT_OFFICER, code=code)


async def test_forward_to_another_office_and_outside_the_commune(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    policy = TicketPolicy.from_config(commune)
    code = await new_ticket(office_setup, commune)
    async with office_setup() as session:
        await handling.forward(
            session=session, policy=policy, telegram_user_id=KT_OFFICER, code=code,
            office_code="VP", now=T0,
        )  # fmt: skip
        await session.commit()
    ticket, events = await load(office_setup, code)
    assert events[-1].note == "Chuyển từ KT sang VP" and ticket.state == TicketState.NEW
    (card,) = await outbox_rows(office_setup, VP_GROUP)
    assert "Ý kiến chuyển từ Phòng Kinh tế" in (card.text or "")
    # KT no longer handles it; VP does, and sends it outside the commune.
    async with office_setup() as session:
        with pytest.raises(Refused):
            await handling.take(session=session, telegram_user_id=KT_OFFICER, code=code)
    async with office_setup() as session:
        await handling.forward(
            session=session, policy=policy, telegram_user_id=VP_OFFICER, code=code,
            office_code=None, now=T0,
        )  # fmt: skip
        await session.commit()
    ticket, events = await load(office_setup, code)
    assert ticket.state == TicketState.FORWARDED
    assert ticket.due_date == add_working_days(date(2026, 2, 2), 5)
    told = await outbox_rows(office_setup, RESIDENT)
    assert "Văn phòng HĐND và UBND xã" in (told[0].text or "")
    assert "cơ quan ngoài xã" in (told[1].text or "")


async def test_anonymous_ticket_is_answered_only_in_the_history(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(office_setup, commune, kind=TicketKind.GOP_Y, anonymous=True)
    async with office_setup() as session:
        result = await handling.answer(
            session=session, telegram_user_id=KT_OFFICER, code=code, text="Cảm ơn góp ý."
        )
        await session.commit()
    assert not result.resident_notified and "chỉ lưu trong lịch sử" in result.summary
    async with office_setup() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        assert {row.chat_id for row in rows} == {KT_GROUP}
        assert (await session.scalar(select(Ticket.state).where(Ticket.code == code))) == "answered"


async def test_resident_side_change_reaches_the_office_group(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(office_setup, commune)
    secret = await new_ticket(office_setup, commune, kind=TicketKind.KHIEU_NAI_TO_CAO)
    async with office_setup() as session:
        for each in (code, secret):
            ticket = await session.scalar(
                select(Ticket).options(selectinload(Ticket.office)).where(Ticket.code == each)
            )
            assert ticket is not None
            await notify_office_of_resident_change(
                session=session, ticket=ticket, office=ticket.office, what="người gửi mở lại"
            )
        await session.commit()
    rows = [r for r in await outbox_rows(office_setup, KT_GROUP) if r.purpose == "resident_change"]
    assert [r.text for r in rows] == [
        f"🔔 Ý kiến {code}: người gửi mở lại",
        f"🔔 Ý kiến {secret}",
    ]
    assert "Nhận xử lý" in [text for text, _ in buttons(rows[0])]


async def test_staff_answer_is_stored_and_sent_without_control_or_bidi_characters(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(office_setup, commune, sender_id=str(RESIDENT))
    async with office_setup() as session:
        await handling.answer(
            session=session,
            telegram_user_id=KT_OFFICER,
            code=code,
            text="\u202eĐã sửa\x00 xong\r\nngày mai\u2066 kiểm tra lại\x07",
        )
        await session.commit()
    _, history = await load(office_setup, code)
    assert history[-1].note == "Trả lời: Đã sửa xong\nngày mai kiểm tra lại"
    to_resident = [r for r in await outbox_rows(office_setup) if r.chat_id == RESIDENT]
    assert len(to_resident) == 1 and to_resident[0].text is not None
    assert "Đã sửa xong\nngày mai kiểm tra lại" in to_resident[0].text
    assert not any(ch in to_resident[0].text for ch in "\u202e\x00\u2066\x07\r")


async def test_a_ticket_is_forwarded_to_any_office_but_its_own(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(office_setup, commune)  # ha_tang_so: the KT office's
    async with office_setup() as session:
        targets = await forward_targets(session=session, code=code)
        ticket = await session.scalar(
            select(Ticket).options(selectinload(Ticket.office)).where(Ticket.code == code)
        )
        assert ticket is not None
        own = ticket.office.code
    codes = [office for office, _ in targets]
    assert own not in codes
    assert sorted([*codes, own]) == sorted(office.code for office in commune.offices)
    names = {office.code: office.name for office in commune.offices}
    assert all(name == names[office] for office, name in targets)


async def test_a_duplicate_ends_and_its_sender_gets_the_original_answer(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    sessions = office_setup
    original = await new_ticket(sessions, commune)
    repeat = await new_ticket(
        sessions, commune, sender_id="1002", content="Wifi nhà văn hóa Mẫu 1 hỏng rồi"
    )
    secret = await new_ticket(
        sessions, commune, kind=TicketKind.KHIEU_NAI_TO_CAO, content="Tố cáo cán bộ thôn"
    )
    refusals = [
        (repeat, repeat, "khác"),
        (repeat, "LK-2026-999999", "Không tìm thấy"),
        (repeat, secret, "bảo mật"),
    ]
    for code, of, says in refusals:
        async with sessions() as session:
            with pytest.raises(StaffActionError, match=says):
                await handling.mark_duplicate(
                    session=session, telegram_user_id=KT_LEAD_CLEARED, code=code, original_code=of
                )
    async with sessions() as session:
        result = await handling.mark_duplicate(
            session=session,
            telegram_user_id=KT_OFFICER,
            code=repeat.lower(),
            original_code=original,
            now=T0 + timedelta(hours=1),
        )
        await session.commit()
    assert result.state is TicketState.DUPLICATE and result.resident_notified
    ticket, events = await load(sessions, repeat)
    first, _ = await load(sessions, original)
    assert ticket.state is TicketState.DUPLICATE and ticket.duplicate_of_id == first.id
    assert (events[-1].from_state, events[-1].to_state) == ("new", "duplicate")
    assert events[-1].note == f"Trùng với ý kiến {original}"
    (told,) = await outbox_rows(sessions, 1002)
    assert f"trùng với ý kiến {original}" in (told.text or "")
    # Nothing more can happen to the duplicate, and nothing can repeat it.
    async with sessions() as session:
        with pytest.raises(StaffActionError, match="Trùng với ý kiến đã gửi"):
            await handling.answer(
                session=session, telegram_user_id=KT_OFFICER, code=repeat, text="Trả lời"
            )
    async with sessions() as session:
        with pytest.raises(StaffActionError, match="không còn đang xử lý"):
            await handling.mark_duplicate(
                session=session, telegram_user_id=KT_OFFICER, code=original, original_code=repeat
            )

    async with sessions() as session:
        answered = await handling.answer(
            session=session,
            telegram_user_id=KT_OFFICER,
            code=original,
            text="Nhà mạng sẽ thay thiết bị wifi trong tuần này.",
            now=T0 + timedelta(hours=2),
        )
        await session.commit()
    assert answered.summary.endswith("đã gửi cả 1 người gửi ý kiến trùng")
    told_first = await outbox_rows(sessions, int(RESIDENT))
    told_repeat = await outbox_rows(sessions, 1002)
    assert [row.purpose for row in told_first] == ["answer"]
    assert [row.purpose for row in told_repeat] == ["resident_update", "answer"]
    assert "Nhà mạng sẽ thay thiết bị wifi" in (told_repeat[1].text or "")
    assert f"về ý kiến {original}, trùng với ý kiến {repeat}" in (told_repeat[1].text or "")
    _, repeat_events = await load(sessions, repeat)
    assert repeat_events[-1].note == f"Đã gửi người gửi trả lời của ý kiến {original}"
    assert repeat_events[-1].to_state == "duplicate"
