"""Ticket service on real migrated databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Category, Office, Ticket, TicketEvent, TicketKind
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from services.commune_config import apply_commune_config
from services.tickets import NewTicket, TicketError, TicketPolicy, create_ticket, ticket_status

Sessions = async_sessionmaker[AsyncSession]


def feedback(**overrides: object) -> NewTicket:
    values: dict[str, object] = {
        "kind": TicketKind.GOP_Y,
        "content": "Đường vào nhà văn hóa thôn chưa có wifi công cộng",
        "channel": "telegram",
        "sender_id": "1001",
        "category_code": "ha_tang_so",
        "village_code": "THON-MAU-1",
    }
    values.update(overrides)
    return NewTicket(**values)  # type: ignore[arg-type]


async def test_ticket_is_routed_by_category_with_code_due_date_and_history(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    policy = TicketPolicy.from_config(commune)
    # Friday 13/02/2026, just before Tết: the ten working days skip the Tết holidays.
    now = datetime(2026, 2, 13, 9, 0, tzinfo=commune_zone())
    async with sessions() as session:
        ticket = await create_ticket(session=session, policy=policy, ticket=feedback(), now=now)
        await session.commit()
        ticket_id = ticket.id
    async with sessions() as session:
        row = await session.get_one(Ticket, ticket_id)
        office = await session.get_one(Office, row.office_id)
        events = (
            await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id))
        ).all()
    assert row.code == "LK-2026-000001"
    assert office.code == "KT"  # ha_tang_so -> Phòng Kinh tế in config/commune.yml
    assert row.state == "new"
    # 16/02-20/02 are Tết holidays; working days: 23..27/02 (5), 02..06/03 (10).
    assert row.due_date == date(2026, 3, 6)
    assert [(e.from_state, e.to_state) for e in events] == [(None, "new")]
    assert row.confidential is False


async def test_codes_count_up_per_year(sessions: Sessions, commune: CommuneConfig) -> None:
    policy = TicketPolicy.from_config(commune)
    codes = []
    async with sessions() as session:
        for when in (
            datetime(2026, 12, 30, tzinfo=commune_zone()),
            datetime(2026, 12, 31, tzinfo=commune_zone()),
            datetime(2027, 1, 4, tzinfo=commune_zone()),
        ):
            codes.append(
                (
                    await create_ticket(session=session, policy=policy, ticket=feedback(), now=when)
                ).code
            )
        await session.commit()
    assert codes == ["LK-2026-000001", "LK-2026-000002", "LK-2027-000001"]


async def test_concurrent_creation_gives_unique_codes(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    policy = TicketPolicy.from_config(commune)

    async def one(index: int) -> str:
        async with sessions() as session:
            ticket = await create_ticket(
                session=session,
                policy=policy,
                # One chat each: a single chat would reach its new-ticket limit.
                ticket=feedback(content=f"Ý kiến số {index} về wifi", sender_id=f"{2000 + index}"),
            )
            await session.commit()
            return ticket.code

    codes = await asyncio.gather(*(one(i) for i in range(12)))
    assert len(set(codes)) == 12
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 12


async def test_kind_routing_overrides_category_and_unknown_category_is_refused(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    policy = TicketPolicy.from_config(commune)
    async with sessions() as session:
        misinformation = await create_ticket(
            session=session,
            policy=policy,
            ticket=feedback(kind=TicketKind.THONG_TIN_SAI, category_code=None, village_code=None),
        )
        assert misinformation.office.code == "VHXH"
        complaint = await create_ticket(
            session=session,
            policy=policy,
            ticket=feedback(kind=TicketKind.KHIEU_NAI_TO_CAO, category_code=None),
        )
        assert complaint.confidential is True
        assert complaint.office.code == "TTVHTT"  # intake office when nothing routes it
        with pytest.raises(TicketError):
            await create_ticket(
                session=session, policy=policy, ticket=feedback(category_code="nope")
            )


async def test_status_shows_content_only_to_the_sender(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    policy = TicketPolicy.from_config(commune)
    async with sessions() as session:
        code = (await create_ticket(session=session, policy=policy, ticket=feedback())).code
        await session.commit()
    async with sessions() as session:
        own = await ticket_status(session=session, code=code, sender_id="1001")
        other = await ticket_status(session=session, code=code, sender_id="2002")
        missing = await ticket_status(session=session, code="LK-2026-999999", sender_id="1001")
    assert own is not None and own.is_owner and own.content is not None
    assert other is not None and not other.is_owner
    assert other.content is None and other.category_name is None
    assert other.office_name == "Phòng Kinh tế"
    assert missing is None


async def test_loading_the_configuration_twice_changes_nothing(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    async with sessions() as session:
        report = await apply_commune_config(session=session, config=commune)
        await session.commit()
        assert report.created == 0
        assert await session.scalar(select(func.count()).select_from(Category)) == len(
            commune.categories
        )
        assert await session.scalar(select(func.count()).select_from(Office)) == len(
            commune.offices
        )
