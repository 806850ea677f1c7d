"""The commune's time: its zone (TIMEZONE, checked once when the settings are read) and
what time it is there.

Dates residents and staff see (due dates, "today", the digest's morning, report periods)
are the commune's dates, whatever zone the server runs in; stored instants stay UTC
(db/types.py).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from laikhe.settings import get_settings


def commune_zone() -> ZoneInfo:
    return get_settings().timezone


def now() -> datetime:
    """The current instant, in the commune's zone."""
    return datetime.now(commune_zone())


def today() -> date:
    return now().date()


def to_local(moment: datetime) -> datetime:
    """The same instant in the commune's zone (for its date and wall-clock time)."""
    return moment.astimezone(commune_zone())
