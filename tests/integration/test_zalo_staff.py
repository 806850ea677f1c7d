"""Offices on Zalo and staff acting by commands there, on both databases: the card and
the digest go to the office's Zalo group without buttons; the commands act through
services.handling with the same rules and history as Telegram and the back office."""

from __future__ import annotations

import logging
from datetime import datetime, time, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from db.models import (
    Office,
    OutboxMessage,
    StaffMember,
    StaffRole,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketState,
    WebSignInLink,
)
from db.session import unit_of_work
from laikhe.commune import CommuneConfig
from services.commune_config import apply_commune_config
from services.digest import queue_daily_digest
from services.handling import NO_CLEARANCE, NOT_STAFF, NOT_YOURS
from services.staff import StaffError, register_staff
from services.tickets import TicketPolicy
from tests.integration.staff_helpers import (
    KT_LEAD_CLEARED,
    KT_OFFICER,
    VP_OFFICER,
    Sessions,
    register_default_staff,
)
from tests.integration.test_admin_cli import admin
from tests.integration.ticket_helpers import new_ticket
from zalo.staff_desk import StaffDesk

KT_ZALO_GROUP = "g-kt-77"
ZALO_IDS = {KT_OFFICER: "z-kt", VP_OFFICER: "z-vp", KT_LEAD_CLEARED: "z-lead"}
RESIDENT = "zr-1"
WEB = "https://y-kien.xa.example"
KT_ACTOR = f"staff:{KT_OFFICER} Trần Văn Kinh"


@pytest.fixture
async def desk(sessions: Sessions, commune: CommuneConfig) -> StaffDesk:
    await register_default_staff(sessions)
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(Office).where(Office.code == "KT").values(zalo_group_id=KT_ZALO_GROUP)
        )
        for telegram_id, zalo_id in ZALO_IDS.items():
            member = await session.scalar(
                select(StaffMember).where(StaffMember.telegram_user_id == telegram_id)
            )
            assert member is not None
            await register_staff(
                session=session,
                telegram_user_id=telegram_id,
                full_name=member.full_name,
                office_code=None if member.office_id is None else _office_code(member),
                role=member.role,
                can_read_confidential=member.can_read_confidential,
                zalo_user_id=zalo_id,
            )
    return StaffDesk(sessions, TicketPolicy.from_config(commune), WEB)


def _office_code(member: StaffMember) -> str:
    return {5001: "KT", 5002: "VP", 5004: "KT"}[member.telegram_user_id]


async def _rows(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _ticket(sessions: Sessions, code: str) -> Ticket:
    async with sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
        assert ticket is not None
        return ticket


async def _history(sessions: Sessions, code: str) -> list[tuple[str | None, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(TicketEvent.note, TicketEvent.actor)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.code == code)
            .order_by(TicketEvent.id)
        )
        # The actor as Telegram's buttons and the back office record it.
        return [(note, who) for note, who in rows.all()]


async def test_the_card_goes_to_the_offices_zalo_group_with_the_commands(
    sessions: Sessions, commune: CommuneConfig, desk: StaffDesk
) -> None:
    code = await new_ticket(sessions, commune, channel="zalo", sender_id=f"zalo:{RESIDENT}")
    [card] = [row for row in await _rows(sessions) if row.purpose == "new_ticket"]
    assert (card.channel, card.recipient, card.chat_id) == ("zalo", KT_ZALO_GROUP, None)
    assert card.reply_markup is None  # no buttons on Zalo
    text = card.text or ""
    assert text.startswith(f"📌 Ý kiến mới: {code}") and "Wifi ở nhà văn hóa" in text
    for command in ("/nhan", "/traloi", "/chuyen", "/tuchoi", "/dong", "/xem"):
        assert f"{command} {code}" in text

    # The working-morning digest too: 08:00 on the ticket's due day.
    due = (await _ticket(sessions, code)).due_date
    async with unit_of_work(sessions) as session:
        now = datetime.combine(due, time(1, 0), tzinfo=timezone.utc)
        result = await queue_daily_digest(session=session, leaders_chat_id=None, now=now)
    assert result.offices == 1
    [digest] = [row for row in await _rows(sessions) if row.purpose == "digest"]
    assert (digest.channel, digest.recipient) == ("zalo", KT_ZALO_GROUP)
    assert code in (digest.text or "")


async def test_an_officer_takes_and_answers_by_commands(
    sessions: Sessions, commune: CommuneConfig, desk: StaffDesk
) -> None:
    code = await new_ticket(sessions, commune, channel="zalo", sender_id=f"zalo:{RESIDENT}")
    short = code.replace("-0000", "-").lower()  # as parse_ticket_code reads codes
    assert await desk.handle("z-kt", f"/nhận {short}", private=False) == [
        f"Ý kiến {code}: Đã nhận xử lý: Trần Văn Kinh"
    ]
    [reply] = await desk.handle("z-kt", f"/traloi {code} Đã thay bộ phát wifi.", private=False)
    assert reply == f"Ý kiến {code}: Đã trả lời: Trần Văn Kinh"
    assert (await _ticket(sessions, code)).state is TicketState.ANSWERED
    history = await _history(sessions, code)
    assert ("Nhận xử lý: Trần Văn Kinh", KT_ACTOR) in history
    assert ("Trả lời: Đã thay bộ phát wifi.", KT_ACTOR) in history
    to_resident = [row for row in await _rows(sessions) if row.recipient == RESIDENT]
    assert [row.purpose for row in to_resident] == ["resident_update", "answer"]
    assert "Đã thay bộ phát wifi." in (to_resident[1].text or "")

    [closed] = await desk.handle("z-kt", f"/dong {code}", private=True)
    assert closed == f"Ý kiến {code}: Đã đóng: Trần Văn Kinh"
    [again] = await desk.handle("z-kt", f"/dong {code}", private=True)
    assert "không đóng được" in again


async def test_strangers_and_other_offices_are_refused_without_personal_data_in_logs(
    sessions: Sessions, commune: CommuneConfig, desk: StaffDesk, caplog: pytest.LogCaptureFixture
) -> None:
    code = await new_ticket(sessions, commune, channel="zalo", sender_id=f"zalo:{RESIDENT}")
    caplog.set_level(logging.WARNING)
    assert await desk.handle("z-vp", f"/nhan {code}", private=False) == [
        NOT_YOURS.format(code=code)
    ]
    assert await desk.handle("stranger-42", f"/traloi {code} xong", private=True) == [NOT_STAFF]
    assert await desk.handle("stranger-42", "/dangnhap", private=True) == [NOT_STAFF]
    assert (await _ticket(sessions, code)).state is TicketState.NEW
    assert [n for n, _ in await _history(sessions, code) if n and "Trả lời" in n] == []
    logged = caplog.text
    assert "refused" in logged and "stranger-42" not in logged and "z-vp" not in logged

    # A removed member is refused too.
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(StaffMember).where(StaffMember.zalo_user_id == "z-kt").values(active=False)
        )
    assert await desk.handle("z-kt", f"/nhan {code}", private=False) == [NOT_STAFF]


async def test_view_is_private_and_respects_confidentiality(
    sessions: Sessions, commune: CommuneConfig, desk: StaffDesk
) -> None:
    code = await new_ticket(sessions, commune, channel="zalo", sender_id=f"zalo:{RESIDENT}")
    secret = await new_ticket(
        sessions,
        commune,
        channel="zalo",
        sender_id=f"zalo:{RESIDENT}",
        kind=TicketKind.KHIEU_NAI_TO_CAO,
        content="Tố cáo cán bộ thôn nhận tiền",
    )
    [in_group] = await desk.handle("z-kt", f"/xem {code}", private=False)
    assert "nhắn riêng" in in_group and "Wifi" not in in_group
    [view] = await desk.handle("z-kt", f"/xem {code}", private=True)
    assert view.startswith(code) and "Nội dung: Wifi ở nhà văn hóa" in view
    assert await desk.handle("z-kt", f"/xem {secret}", private=True) == [
        NO_CLEARANCE.format(code=secret)
    ]
    [cleared] = await desk.handle("z-lead", f"/xem {secret}", private=True)
    assert "Tố cáo cán bộ thôn nhận tiền" in cleared
    # The card of a complaint shows only its code, in the Zalo group as in Telegram's.
    card = next(row for row in await _rows(sessions) if row.purpose == "new_ticket"
                and secret in (row.text or ""))  # fmt: skip
    assert "Tố cáo" not in (card.text or "")
    assert f"nhắn riêng cho trợ lý «/xem {secret}»" in (card.text or "")
    assert "Xem riêng" not in (card.text or "")  # Telegram's button, not on Zalo


async def test_forward_by_office_name_reject_and_usage(
    sessions: Sessions, commune: CommuneConfig, desk: StaffDesk
) -> None:
    code = await new_ticket(sessions, commune, channel="zalo", sender_id=f"zalo:{RESIDENT}")
    [unknown] = await desk.handle("z-kt", f"/chuyen {code} tư pháp", private=False)
    assert "Không rõ đơn vị «tư pháp»" in unknown and "VP (" in unknown
    [moved] = await desk.handle("z-kt", f"/chuyen {code} van phong hdnd", private=False)
    assert moved == f"Ý kiến {code}: Đã chuyển sang Văn phòng HĐND và UBND xã: Trần Văn Kinh"
    ticket = await _ticket(sessions, code)
    async with sessions() as session:
        office = await session.get(Office, ticket.office_id)
        assert office is not None and office.code == "VP"
    # Now VP's: KT's officer may no longer act, VP's may.
    assert await desk.handle("z-kt", f"/dong {code}", private=False) == [
        NOT_YOURS.format(code=code)
    ]
    [usage] = await desk.handle("z-vp", f"/tuchoi {code}", private=False)
    assert usage.startswith("Cú pháp: /tuchoi")
    [rejected] = await desk.handle("z-vp", f"/tuchoi {code} trùng nội dung", private=False)
    assert rejected == f"Ý kiến {code}: Đã từ chối: Lê Thị Văn"
    assert ("Từ chối: trùng nội dung", f"staff:{VP_OFFICER} Lê Thị Văn") in await _history(
        sessions, code
    )


async def test_own_zalo_id_privately_only(desk: StaffDesk) -> None:
    [mine] = await desk.handle("someone-7", "/id", private=True)
    assert "Mã người dùng Zalo của Anh/Chị: someone-7" in mine
    [in_group] = await desk.handle("someone-7", "/id", private=False)
    assert "someone-7" not in in_group and "nhắn riêng" in in_group


async def test_sign_in_link_privately_only(sessions: Sessions, desk: StaffDesk) -> None:
    [in_group] = await desk.handle("z-kt", "/dangnhap", private=False)
    assert "chỉ gửi trong chat riêng" in in_group
    [link] = await desk.handle("z-kt", "/dangnhap", private=True)
    assert f"{WEB}/dang-nhap/" in link
    async with sessions() as session:
        staff_ids = list(await session.scalars(select(WebSignInLink.staff_id)))
        member = await session.scalar(select(StaffMember).where(StaffMember.zalo_user_id == "z-kt"))
    assert member is not None and staff_ids == [member.id]


async def test_config_names_a_zalo_group_and_staff_ids_stay_unique(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    data = commune.model_dump()
    data["offices"][0]["zalo_group_id"] = "g-ttvhtt"
    async with unit_of_work(sessions) as session:
        await apply_commune_config(session=session, config=CommuneConfig.model_validate(data))
    async with sessions() as session:
        office = await session.scalar(select(Office).where(Office.code == "TTVHTT"))
        assert office is not None and office.zalo_group_id == "g-ttvhtt"
    data["offices"][0]["staff_chat_id"] = -100
    with pytest.raises(ValidationError, match="not both"):
        CommuneConfig.model_validate(data)

    await register_default_staff(sessions)
    async with unit_of_work(sessions) as session:
        await register_staff(
            session=session, telegram_user_id=KT_OFFICER, full_name="A", office_code="KT",
            role=StaffRole.OFFICER, zalo_user_id="z-same",
        )  # fmt: skip
    with pytest.raises(StaffError, match="another staff member"):
        async with unit_of_work(sessions) as session:
            await register_staff(
                session=session, telegram_user_id=VP_OFFICER, full_name="B", office_code="VP",
                role=StaffRole.OFFICER, zalo_user_id="z-same",
            )  # fmt: skip


async def test_a_member_known_by_zalo_only_registered_and_removed_by_the_cli(
    sessions: Sessions, commune: CommuneConfig, database_url: str
) -> None:
    await register_default_staff(sessions)
    added = admin(
        database_url, "staff", "add", "--zalo", "z-only", "--name", "Vũ Thị Zalo", "--office", "KT"
    )
    assert added.returncode == 0, added.stderr
    assert (
        "\tz-only\tVũ Thị Zalo\tKT\tofficer\tactive" in admin(database_url, "staff", "list").stdout
    )
    nobody = admin(database_url, "staff", "add", "--name", "Ai đó", "--office", "KT")
    assert nobody.returncode != 0 and "Telegram or a Zalo user id" in nobody.stderr

    code = await new_ticket(sessions, commune, channel="zalo", sender_id=f"zalo:{RESIDENT}")
    zalo_desk = StaffDesk(sessions, TicketPolicy.from_config(commune), WEB)
    [taken] = await zalo_desk.handle("z-only", f"/nhan {code}", private=False)
    assert taken == f"Ý kiến {code}: Đã nhận xử lý: Vũ Thị Zalo"
    async with sessions() as session:
        member = await session.scalar(
            select(StaffMember).where(StaffMember.zalo_user_id == "z-only")
        )
    assert member is not None and member.telegram_user_id is None
    # The history names the member by number, never by the Zalo id.
    assert ("Nhận xử lý: Vũ Thị Zalo", f"staff:#{member.id} Vũ Thị Zalo") in await _history(
        sessions, code
    )

    # Later known by Telegram too: the same member, its history kept.
    both = admin(
        database_url, "staff", "add", "--telegram-id", "7777", "--zalo", "z-only",
        "--name", "Vũ Thị Zalo", "--office", "KT",
    )  # fmt: skip
    assert both.returncode == 0, both.stderr
    async with sessions() as session:
        again = await session.scalar(select(StaffMember).where(StaffMember.id == member.id))
    assert again is not None and again.telegram_user_id == 7777
    removed = admin(database_url, "staff", "remove", "--zalo", "z-only")
    assert removed.returncode == 0, removed.stderr
    assert await zalo_desk.handle("z-only", f"/dong {code}", private=False) == [NOT_STAFF]
