"""Due dates of real tickets across the official 2026 swaps in config/commune.yml."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from db.models import Ticket, TicketKind
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from tests.integration.ticket_helpers import Sessions, new_ticket


@pytest.mark.parametrize(
    ("sent", "kind", "due"),
    [
        # 10 working days from Thursday 08/01/2026: 09/01, Saturday 10/01 (worked for
        # the 02/01 day off), 12-16/01, 19-21/01.
        (datetime(2026, 1, 8, 16, 0), TicketKind.PHAN_ANH, date(2026, 1, 21)),
        # 20 working days (complaint) from Tuesday 10/02/2026 across Tết 16-20/02.
        (datetime(2026, 2, 10, 9, 0), TicketKind.KHIEU_NAI_TO_CAO, date(2026, 3, 17)),
        # 10 working days from Thursday 20/08/2026: Saturday 22/08 worked, 31/08-02/09 off.
        (datetime(2026, 8, 20, 9, 0), TicketKind.GOP_Y, date(2026, 9, 7)),
    ],
)
async def test_ticket_due_dates_follow_the_official_swaps(
    sessions: Sessions, commune: CommuneConfig, sent: datetime, kind: TicketKind, due: date
) -> None:
    code = await new_ticket(sessions, commune, kind=kind, at=sent.replace(tzinfo=commune_zone()))
    async with sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
    assert ticket is not None
    assert ticket.due_date == due
