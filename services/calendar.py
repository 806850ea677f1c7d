"""Working-day arithmetic for ticket deadlines.

Vietnamese public holidays (Tết included, with the government's substitute days) come
from the maintained `holidays` package rather than a hand-kept list that would go stale.
The government also moves working days every year (a bridging day off, worked back on a
Saturday), announced a few months ahead and not always in the package in time: those
come from the `holidays:` section of the commune file and win over the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from laikhe.commune import CommuneConfig, load_commune_config
from laikhe.settings import get_settings


@dataclass(frozen=True)
class HolidayOverrides:
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()


NO_OVERRIDES = HolidayOverrides()


def overrides_from(config: CommuneConfig) -> HolidayOverrides:
    return HolidayOverrides(
        days_off=frozenset(d for year in config.holidays.values() for d in year.days_off),
        working_days=frozenset(d for year in config.holidays.values() for d in year.working_days),
    )


@lru_cache(maxsize=1)
def configured_overrides() -> HolidayOverrides:
    """The overrides in the commune file this process runs with (COMMUNE_CONFIG).

    Read here rather than passed down: every process (bot, action server, admin tool,
    reports) computes deadlines, and one that forgot to pass them would silently give a
    resident a different due date than the office sees.
    """
    return overrides_from(load_commune_config(get_settings().commune_config))


@lru_cache(maxsize=32)
def _vietnam_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_working_day(day: date, overrides: HolidayOverrides | None = None) -> bool:
    table = configured_overrides() if overrides is None else overrides
    if day in table.working_days:
        return True
    if day in table.days_off:
        return False
    return day.weekday() < 5 and day not in _vietnam_holidays(day.year)


def add_working_days(start: date, days: int, overrides: HolidayOverrides | None = None) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current, overrides):
            remaining -= 1
    return current


def working_days_between(start: date, end: date, overrides: HolidayOverrides | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current, overrides):
            count += 1
    return count
