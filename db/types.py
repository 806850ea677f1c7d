"""Column types that load what was stored: enum members and timezone-aware UTC datetimes.

A plain String column gives back a str where an enum was assigned, and SQLite gives back
a naive datetime where PostgreSQL gives an aware one; callers then re-wrapped values and
guessed zones. These types settle both once, here.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import DateTime, Enum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Enums are stored as short strings (no database ENUM type, no CHECK constraint) so that
# adding a state is a code change, not a migration that SQLite cannot do in place.
ENUM_LENGTH = 32

UTC = timezone.utc
_E = TypeVar("_E", bound=enum.Enum)


def enum_column(enum_class: type[_E]) -> Enum:
    """A VARCHAR holding the member's value ("phan_anh", "new"), loaded as the member.

    `values_callable` stores the values rather than SQLAlchemy's default, the member names
    ("PHAN_ANH"), so the rows written when the column was a plain string stay valid;
    `validate_strings` refuses an unknown string on write instead of storing it.
    """
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=ENUM_LENGTH,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class NaiveDatetimeError(ValueError):
    """A datetime without a zone reached the database: which zone it meant is a guess."""


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: written in UTC, read back as an aware UTC datetime on every database.

    PostgreSQL (timestamptz) keeps the instant; SQLite keeps only the wall-clock text, so
    writing every value in UTC is what lets it be read back (and compared in SQL) as one.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(
                f"naive datetime {value.isoformat()} for a UtcDateTime column: "
                "give it a zone (e.g. laikhe.clock.now()) so the instant is known"
            )
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        # SQLite hands back the UTC wall-clock time that process_bind_param wrote.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
