"""The digest's decision: the bot's job fires every day at 07:00; this says whether today's
digest is due (a working day by the Vietnamese calendar and the commune's overrides)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from laikhe.clock import commune_zone
from services.calendar import HolidayOverrides
from services.digest import digest_due


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=commune_zone())


def test_a_working_day_from_seven_on() -> None:
    monday = date(2026, 2, 9)
    assert not digest_due(at(monday, 6, 59))
    assert digest_due(at(monday, 7, 0))
    assert digest_due(at(monday, 16, 30))  # a bot started late still sends it


def test_weekends_and_public_holidays_are_skipped() -> None:
    assert not digest_due(at(date(2026, 2, 7), 7, 0))  # Saturday
    assert not digest_due(at(date(2026, 2, 8), 7, 0))  # Sunday
    assert not digest_due(at(date(2026, 2, 17), 7, 0))  # Tết, a Tuesday
    assert not digest_due(at(date(2026, 9, 2), 7, 0))  # National Day, a Wednesday


def test_the_commune_files_day_off_and_make_up_saturday() -> None:
    # config/commune.yml 2026: Friday 02/01 off, worked back on Saturday 10/01.
    assert not digest_due(at(date(2026, 1, 2), 7, 0))
    assert digest_due(at(date(2026, 1, 10), 7, 0))


def test_overrides_decide_over_weekdays() -> None:
    custom = HolidayOverrides(
        days_off=frozenset({date(2027, 3, 3)}), working_days=frozenset({date(2027, 3, 6)})
    )
    assert not digest_due(at(date(2027, 3, 3), 8, 0), custom)  # a Wednesday off
    assert digest_due(at(date(2027, 3, 6), 8, 0), custom)  # a Saturday worked
    assert digest_due(at(date(2027, 3, 4), 8, 0), custom)  # an ordinary Thursday


def test_commune_time_whatever_the_servers_zone() -> None:
    # 00:30 UTC on Monday 09/02/2026 is 07:30 in the commune; 23:30 UTC on Sunday is 06:30.
    assert digest_due(datetime(2026, 2, 9, 0, 30, tzinfo=timezone.utc))
    assert not digest_due(datetime(2026, 2, 8, 23, 30, tzinfo=timezone.utc))
    # 01:00 UTC on Saturday 07/02 is 08:00 on a Saturday: not due.
    assert not digest_due(datetime(2026, 2, 7, 1, 0, tzinfo=timezone.utc))
