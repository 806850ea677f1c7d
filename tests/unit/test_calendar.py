from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from laikhe.commune import CommuneConfig, YearOverrides, load_commune_config
from services.calendar import (
    NO_OVERRIDES,
    HolidayOverrides,
    add_working_days,
    configured_overrides,
    is_working_day,
    overrides_from,
    working_days_between,
)

COMMUNE_FILE = Path(__file__).resolve().parents[2] / "config" / "commune.yml"


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


# --- yearly overrides from config/commune.yml ---------------------------------------


def test_the_2026_new_year_swap_is_applied() -> None:
    # 02/01/2026 (Friday) off, worked back on Saturday 10/01/2026 (12729/VPCP-KGVX).
    assert not is_working_day(date(2026, 1, 2))
    assert is_working_day(date(2026, 1, 10))
    # Wednesday 31/12/2025 + 1: Thursday 01/01 holiday, Friday 02/01 off, weekend.
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)
    # Friday 09/01 + 1 is the make-up Saturday, not Monday 12/01.
    assert add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)
    # A ticket of 31/12/2025 due in 10 working days: 05-09/01, 10/01 (Sat), 12-15/01.
    assert add_working_days(date(2025, 12, 31), 10) == date(2026, 1, 15)
    assert working_days_between(date(2025, 12, 31), date(2026, 1, 15)) == 10


def test_the_2026_national_day_swap_is_applied() -> None:
    # Monday 31/08/2026 off (in the package), worked back on Saturday 22/08/2026.
    assert is_working_day(date(2026, 8, 22))
    assert not is_working_day(date(2026, 8, 31))
    assert add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    # Friday 28/08 + 1: 31/08, 01/09 and 02/09 are off.
    assert add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)
    # 10 working days from Thursday 20/08: 21, 22 (Sat), 24-28, 03, 04, 07/09.
    assert add_working_days(date(2026, 8, 20), 10) == date(2026, 9, 7)


def test_tet_2026_due_dates() -> None:
    # 10 working days from Tuesday 10/02/2026: 11-13/02, Tết 16-20/02, 23-27/02, 02-03/03.
    assert add_working_days(date(2026, 2, 10), 10) == date(2026, 3, 3)


def test_overrides_win_over_the_library_and_weekends() -> None:
    custom = HolidayOverrides(
        days_off=frozenset({date(2027, 3, 3)}), working_days=frozenset({date(2027, 3, 6)})
    )
    assert not is_working_day(date(2027, 3, 3), custom)  # a Wednesday made a day off
    assert is_working_day(date(2027, 3, 6), custom)  # a Saturday made a working day
    assert is_working_day(date(2027, 3, 3), NO_OVERRIDES)
    assert not is_working_day(date(2027, 3, 6), NO_OVERRIDES)
    # Tuesday 02/03 + 2: Thursday 04/03 without overrides, Saturday 06/03 with them.
    assert add_working_days(date(2027, 3, 2), 2, NO_OVERRIDES) == date(2027, 3, 4)
    assert add_working_days(date(2027, 3, 2), 2, custom) == date(2027, 3, 5)
    assert add_working_days(date(2027, 3, 2), 3, custom) == date(2027, 3, 6)


def test_the_commune_file_is_what_the_calendar_reads() -> None:
    assert configured_overrides() == overrides_from(load_commune_config(COMMUNE_FILE))
    # 2027 is not published yet: nothing invented.
    assert load_commune_config(COMMUNE_FILE).holidays[2027] == YearOverrides()


def _with_holidays(holidays: object) -> dict[str, object]:
    data = yaml.safe_load(COMMUNE_FILE.read_text(encoding="utf-8"))
    data["holidays"] = holidays
    return dict(data)


def test_an_override_outside_its_year_is_refused() -> None:
    with pytest.raises(ValidationError, match="not in 2027"):
        CommuneConfig.model_validate(_with_holidays({2027: {"days_off": [date(2026, 5, 4)]}}))


def test_a_day_both_off_and_worked_is_refused() -> None:
    both = {2027: {"days_off": [date(2027, 5, 4)], "working_days": [date(2027, 5, 4)]}}
    with pytest.raises(ValidationError, match="both"):
        CommuneConfig.model_validate(_with_holidays(both))
