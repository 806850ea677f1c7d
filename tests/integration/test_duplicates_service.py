"""Duplicate suggestions on real migrated databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import TicketKind, TicketState
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from services.resident import find_likely_duplicate
from tests.integration.ticket_helpers import move, new_ticket

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=commune_zone())
PARAPHRASE = "nha van hoa thon mau 1 mat wifi may hom nay roi"


async def find(
    sessions: Sessions,
    text: str = PARAPHRASE,
    *,
    category: str | None = "ha_tang_so",
    village: str | None = "THON-MAU-1",
    now: datetime = T0 + timedelta(days=2),
) -> str | None:
    async with sessions() as session:
        ticket = await find_likely_duplicate(
            session=session, category_code=category, village_code=village, text=text, now=now
        )
        return None if ticket is None else ticket.code


async def test_a_paraphrase_in_the_same_place_and_category_is_found(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune, at=T0)
    assert await find(sessions) == code
    # Different problem, different village, different category: nothing.
    assert await find(sessions, "Đèn đường ngõ 5 bị hỏng, tối không có đèn") is None
    assert await find(sessions, village="THON-MAU-2") is None
    assert await find(sessions, village=None) is None
    assert await find(sessions, category="dich_vu_cong") is None


async def test_the_best_open_recent_public_ticket_wins(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    older = await new_ticket(sessions, commune, at=T0)
    closer = await new_ticket(
        sessions, commune, at=T0 + timedelta(hours=1), content=PARAPHRASE.upper()
    )
    assert await find(sessions) == closer
    await move(sessions, closer, TicketState.ANSWERED, T0 + timedelta(days=1))
    assert await find(sessions) == older
    # Thirty days on, the older one is no longer "recent".
    assert await find(sessions, now=T0 + timedelta(days=30, hours=1)) is None


async def test_confidential_tickets_are_never_suggested(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await new_ticket(sessions, commune, at=T0, kind=TicketKind.KHIEU_NAI_TO_CAO)
    assert await find(sessions) is None


async def test_no_category_and_no_village_compare_with_the_same(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune, at=T0, category_code=None, village_code=None)
    assert await find(sessions, category=None, village=None) == code
    assert await find(sessions) is None
