from __future__ import annotations

from datetime import date

from services.calendar import add_working_days, is_working_day, working_days_between


def test_weekends_and_tet_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 2, 17))  # Tết (Lunar New Year 2026)
    assert not is_working_day(date(2026, 9, 2))  # National Day
    assert is_working_day(date(2026, 11, 26))


def test_adding_working_days_skips_tet_week() -> None:
    # Friday 13/02/2026 + 1 working day: 16-20/02 are Tết holidays, then a weekend.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert add_working_days(date(2026, 11, 26), 0) == date(2026, 11, 26)
    assert add_working_days(date(2026, 11, 26), 2) == date(2026, 11, 30)


def test_working_days_between_is_the_inverse() -> None:
    start = date(2026, 2, 10)
    for days in range(0, 25):
        assert working_days_between(start, add_working_days(start, days)) == days
