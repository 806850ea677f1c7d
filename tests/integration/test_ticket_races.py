"""Two sessions that read the same ticket state and both try to change it (issue #17 item 13).

The first session is paused right before its first write (a hook on its own connection);
the second runs its whole operation and commits in that pause. On a SQLite file the first
session's read took no lock, on PostgreSQL READ COMMITTED it saw only what was committed:
in both, without a conditional write the paused session would overwrite the other's
change. Exactly one must win, the other gets the refusal its user would get afterwards,
and the history has one row for the change.
"""

from __future__ import annotations

from typing import Any

import pytest

from db.models import TicketState
from services import handling
from services.handling import StaffActionError
from services.privacy import erase_personal_data
from services.resident import withdraw
from services.resident_errors import WrongState
from services.tickets import TicketPolicy
from tests.integration.interleave import pause_before_first_write
from tests.integration.staff_helpers import (
    KT_LEAD_CLEARED,
    KT_OFFICER,
    Sessions,
    configure_groups,
    register_default_staff,
)
from tests.integration.ticket_helpers import T0, load, new_ticket

RESIDENT = "1001"


async def staff_take(sessions: Sessions, code: str) -> None:
    async with sessions() as session:
        await handling.take(session=session, telegram_user_id=KT_OFFICER, code=code, now=T0)
        await session.commit()


async def resident_withdraw(sessions: Sessions, code: str) -> None:
    async with sessions() as session:
        await withdraw(session=session, code=code, sender_id=RESIDENT, now=T0)
        await session.commit()


@pytest.fixture
async def ticket_code(sessions: Sessions, commune: Any) -> str:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    return await new_ticket(sessions, commune, sender_id=RESIDENT)


async def test_staff_take_committed_during_a_withdraw_wins(
    sessions: Sessions, ticket_code: str
) -> None:
    async with sessions() as session:
        fired = await pause_before_first_write(session, lambda: staff_take(sessions, ticket_code))
        with pytest.raises(WrongState) as refused:
            await withdraw(session=session, code=ticket_code, sender_id=RESIDENT, now=T0)
        await session.commit()
    assert fired, "the withdraw never reached a write"
    assert "Cán bộ đã tiếp nhận nên không rút lại được" in refused.value.message

    ticket, events = await load(sessions, ticket_code)
    assert ticket.state == TicketState.ASSIGNED.value
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "new"),
        ("new", "assigned"),
    ]


async def test_withdraw_committed_during_a_staff_take_wins(
    sessions: Sessions, ticket_code: str
) -> None:
    async with sessions() as session:
        fired = await pause_before_first_write(
            session, lambda: resident_withdraw(sessions, ticket_code)
        )
        with pytest.raises(StaffActionError) as refused:
            await handling.take(
                session=session, telegram_user_id=KT_OFFICER, code=ticket_code, now=T0
            )
        await session.commit()
    assert fired, "the take never reached a write"
    assert refused.value.message == (
        f"Ý kiến {ticket_code} đang ở trạng thái «Đã rút», không nhận xử lý được."
    )

    ticket, events = await load(sessions, ticket_code)
    assert ticket.state == TicketState.WITHDRAWN.value
    assert ticket.assigned_staff_id is None
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "new"),
        ("new", "withdrawn"),
    ]


async def test_a_take_refuses_a_ticket_forwarded_to_another_office_meanwhile(
    sessions: Sessions, ticket_code: str, commune: Any
) -> None:
    """A forward keeps the state «new»; the office the taker was cleared for is gone."""

    async def forward_to_vp() -> None:
        async with sessions() as other:
            await handling.forward(
                session=other,
                policy=TicketPolicy.from_config(commune),
                telegram_user_id=KT_LEAD_CLEARED,
                code=ticket_code,
                office_code="VP",
                now=T0,
            )
            await other.commit()

    async with sessions() as session:
        await pause_before_first_write(session, forward_to_vp)
        with pytest.raises(StaffActionError) as refused:
            await handling.take(
                session=session, telegram_user_id=KT_OFFICER, code=ticket_code, now=T0
            )
        await session.commit()
    assert refused.value.message == handling.CHANGED_MEANWHILE.format(code=ticket_code)

    ticket, events = await load(sessions, ticket_code)
    assert (ticket.state, ticket.assigned_staff_id) == (TicketState.NEW.value, None)
    assert [e.note for e in events][1:] == ["Chuyển từ KT sang VP"]


async def test_an_erasure_records_the_state_a_take_committed_meanwhile(
    sessions: Sessions, ticket_code: str
) -> None:
    """The erasure goes ahead; its history row starts from «assigned», not the «new» it read."""
    async with sessions() as session:
        fired = await pause_before_first_write(session, lambda: staff_take(sessions, ticket_code))
        report = await erase_personal_data(session=session, channel="telegram", sender_id=RESIDENT)
        await session.commit()
    assert fired and (report.tickets, report.withdrawn) == (1, 1)

    ticket, events = await load(sessions, ticket_code)
    assert (ticket.state, ticket.sender_id) == (TicketState.WITHDRAWN.value, None)
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "new"),
        ("new", "assigned"),
        ("assigned", "withdrawn"),
    ]
