"""The working-morning digest on both databases: due soon, overdue, leaders, once a day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from services import handling
from services.calendar import add_working_days, is_working_day
from services.digest import digest_due, queue_daily_digest
from tests.integration.staff_helpers import (
    KT_GROUP,
    KT_OFFICER,
    LEADERS_CHAT,
    VP_GROUP,
    Sessions,
    configure_groups,
    outbox_rows,
    register_default_staff,
)
from tests.integration.ticket_helpers import T0, load, new_ticket


def morning(day: date) -> datetime:
    return datetime.combine(day, time(7, 30), tzinfo=commune_zone())


async def test_digest_lists_due_and_overdue_tickets_once_per_day(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    early = await new_ticket(sessions, commune, at=T0)  # KT
    later = await new_ticket(sessions, commune, at=T0 + timedelta(days=1))  # KT, due a day later
    closed = await new_ticket(sessions, commune, at=T0)
    async with sessions() as session:
        await handling.close(session=session, telegram_user_id=KT_OFFICER, code=closed)
        await session.commit()
    vp = await new_ticket(sessions, commune, at=T0, category_code="vneid")  # VP
    early_due = (await load(sessions, early))[0].due_date
    later_due = (await load(sessions, later))[0].due_date
    assert early_due < later_due
    before = {row.id for row in await outbox_rows(sessions)}

    # On the morning `early` falls due, both KT tickets are due within one working day.
    async with sessions() as session:
        result = await queue_daily_digest(
            session=session, leaders_chat_id=LEADERS_CHAT, now=morning(early_due)
        )
        await session.commit()
    assert result.offices == 2 and not result.leaders  # nothing overdue yet
    digests = [r for r in await outbox_rows(sessions) if r.id not in before]
    kt = next(r for r in digests if r.chat_id == KT_GROUP)
    assert early in (kt.text or "") and later in (kt.text or "") and closed not in (kt.text or "")
    assert "Đến hạn trong 1 ngày làm việc: 2" in (kt.text or "")
    assert vp in (next(r for r in digests if r.chat_id == VP_GROUP).text or "")

    async with sessions() as session:  # a restart the same morning
        again = await queue_daily_digest(
            session=session,
            leaders_chat_id=LEADERS_CHAT,
            now=morning(early_due) + timedelta(hours=2),
        )
        await session.commit()
    assert again.offices == 0

    # Three working days later both are overdue, and the leaders hear of it.
    late_day = add_working_days(later_due, 3)
    async with sessions() as session:
        late = await queue_daily_digest(
            session=session, leaders_chat_id=LEADERS_CHAT, now=morning(late_day)
        )
        await session.commit()
    assert late.leaders
    (leaders,) = await outbox_rows(sessions, LEADERS_CHAT)
    for code in (early, later, vp):
        assert code in (leaders.text or "")
    assert "quá hạn" in (leaders.text or "") and "- KT" in (leaders.text or "")


async def test_no_digest_on_a_day_off(sessions: Sessions, commune: CommuneConfig) -> None:
    await configure_groups(sessions)
    await new_ticket(sessions, commune, at=T0)
    saturday = date(2026, 2, 7)
    assert not is_working_day(saturday) and not digest_due(morning(saturday))
    assert digest_due(morning(date(2026, 2, 9)))
    assert not digest_due(datetime.combine(date(2026, 2, 9), time(6, 0), tzinfo=commune_zone()))
    async with sessions() as session:
        result = await queue_daily_digest(
            session=session, leaders_chat_id=LEADERS_CHAT, now=morning(saturday)
        )
    assert result.offices == 0 and not result.leaders
