"""Shared set-up for the resident-side service tests: tickets, staff moves, reloads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Ticket, TicketEvent, TicketKind, TicketState
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from services.tickets import NewTicket, TicketPolicy, create_ticket

Sessions = async_sessionmaker[AsyncSession]
# Monday 02/02/2026, 09:00.
T0 = datetime(2026, 2, 2, 9, 0, tzinfo=commune_zone())


async def new_ticket(
    sessions: Sessions, commune: CommuneConfig, *, at: datetime = T0, **overrides: object
) -> str:
    values: dict[str, object] = {
        "kind": TicketKind.PHAN_ANH,
        "content": "Wifi ở nhà văn hóa thôn Mẫu 1 bị hỏng mấy hôm nay",
        "channel": "telegram",
        "sender_id": "1001",
        "category_code": "ha_tang_so",
        "village_code": "THON-MAU-1",
    }
    values.update(overrides)
    async with sessions() as session:
        ticket = await create_ticket(
            session=session,
            policy=TicketPolicy.from_config(commune),
            ticket=NewTicket(**values),  # type: ignore[arg-type]
            now=at,
        )
        await session.commit()
        return ticket.code


async def move(
    sessions: Sessions, code: str, state: TicketState, at: datetime, *, stamp: bool = True
) -> None:
    """What the staff side does: a state change with its history event."""
    async with sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
        assert ticket is not None
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=at,
                actor="staff:1",
                from_state=ticket.state,
                to_state=state.value,
                note="Cán bộ xử lý",
            )
        )
        ticket.state = state
        if stamp and state is TicketState.ANSWERED:
            ticket.answered_at = at
        if stamp and state is TicketState.CLOSED:
            ticket.closed_at = at
        await session.commit()


async def load(sessions: Sessions, code: str) -> tuple[Ticket, list[TicketEvent]]:
    async with sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
        assert ticket is not None
        events = (
            await session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.id)
            )
        ).all()
        return ticket, list(events)
