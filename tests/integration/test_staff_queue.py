"""The back office queue query on both databases: the office rule as a query agrees with
services.access.in_scope for every member, filters, newest first, 50 a page."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from db.models import StaffMember, Ticket, TicketKind
from laikhe.commune import CommuneConfig
from services import handling
from services.access import in_scope
from services.staff import remove_staff
from services.ticket_queries import QUEUE_PAGE_SIZE, QueueFilter, staff_queue
from tests.integration.staff_helpers import (
    KT_OFFICER,
    VP_OFFICER,
    Sessions,
    configure_groups,
    register_default_staff,
)
from tests.integration.ticket_helpers import T0, new_ticket

LATER = date(2026, 6, 1)  # every ticket above is overdue by then


async def test_the_query_rule_is_the_access_rule_for_every_member(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    for category in ("ha_tang_so", "dich_vu_cong", "ky_nang_so"):
        await new_ticket(sessions, commune, category_code=category)
    await new_ticket(sessions, commune, kind=TicketKind.KHIEU_NAI_TO_CAO, content="Tố cáo")
    async with sessions() as session:
        await remove_staff(session=session, telegram_user_id=VP_OFFICER)
        await session.commit()
    async with sessions() as session:
        members = (await session.scalars(select(StaffMember))).all()
        tickets = (await session.scalars(select(Ticket))).all()
        assert len(members) == 4 and len(tickets) == 4
        for member in members:
            page = await staff_queue(
                session=session, staff=member, where=QueueFilter(), today=LATER
            )
            expected = {t.code for t in tickets if in_scope(member, t)}
            assert {t.code for t in page.tickets} == expected, member.full_name
            assert page.total == len(expected)
        vp = next(m for m in members if m.telegram_user_id == VP_OFFICER)
        assert (
            await staff_queue(session=session, staff=vp, where=QueueFilter(), today=LATER)
        ).total == 0


async def test_filters_order_and_pages(sessions: Sessions, commune: CommuneConfig) -> None:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    codes = [
        await new_ticket(sessions, commune, at=T0 + timedelta(minutes=i), sender_id=str(2000 + i))
        for i in range(QUEUE_PAGE_SIZE + 1)
    ]
    complaint = await new_ticket(
        sessions, commune, kind=TicketKind.KHIEU_NAI_TO_CAO, at=T0 + timedelta(hours=5)
    )
    async with sessions() as session:
        await handling.take(session=session, telegram_user_id=KT_OFFICER, code=codes[0], now=T0)
        await session.commit()
    async with sessions() as session:
        member = await session.scalar(
            select(StaffMember)
            .options(selectinload(StaffMember.office))
            .where(StaffMember.telegram_user_id == KT_OFFICER)
        )
        assert member is not None

        async def listed(where: QueueFilter, today: date = LATER) -> list[str]:
            page = await staff_queue(session=session, staff=member, where=where, today=today)
            return [t.code for t in page.tickets]

        first = await staff_queue(session=session, staff=member, where=QueueFilter(), today=LATER)
        assert first.total == QUEUE_PAGE_SIZE + 2 and first.pages == 2
        assert [t.code for t in first.tickets] == [complaint, *reversed(codes)][:QUEUE_PAGE_SIZE]
        assert await listed(QueueFilter(page=2)) == [codes[1], codes[0]]
        assert await listed(QueueFilter(page=99)) == [codes[1], codes[0]]  # the last page
        assert await listed(QueueFilter(mine=True)) == [codes[0]]
        assert await listed(QueueFilter(kind=TicketKind.KHIEU_NAI_TO_CAO)) == [complaint]
        assert await listed(QueueFilter(state_group="da_xong")) == []
        assert len(await listed(QueueFilter(overdue=True, page=2))) == 2
        assert await listed(QueueFilter(overdue=True), today=T0.date()) == []
        assert await listed(QueueFilter(category_code="dich_vu_cong")) == []
