"""Reporting periods.

Section V.4 of the commune's plan asks every office to report "before 15 June and before
15 December", so a reporting period runs from the 16th of one of those months to the
15th of the next one: 16/12 -> 15/06 and 16/06 -> 15/12. Any other range can be asked
for ("đột xuất khi có yêu cầu"). Pure functions: no clock is read here, the caller
passes today's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The day of June and December on which a half-year period closes.
CLOSING_DAY = 15


class PeriodError(ValueError):
    """A date range that cannot be a reporting period; the message is Vietnamese."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(
                f"Khoảng thời gian không hợp lệ: ngày bắt đầu {self.start:%d/%m/%Y} "
                f"sau ngày kết thúc {self.end:%d/%m/%Y}."
            )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        return f"từ {self.start:%d/%m/%Y} đến {self.end:%d/%m/%Y}"


def half_year_period(today: date) -> Period:
    """The six-monthly period that contains `today` (closing on 15/06 or 15/12).

    26/11/2026 -> 16/06/2026-15/12/2026; 10/06/2026 -> 16/12/2025-15/06/2026;
    20/12/2026 -> 16/12/2026-15/06/2027 (the 15th itself still belongs to the period
    it closes).
    """
    june_close = date(today.year, 6, CLOSING_DAY)
    december_close = date(today.year, 12, CLOSING_DAY)
    if today <= june_close:
        return Period(date(today.year - 1, 12, CLOSING_DAY + 1), june_close)
    if today <= december_close:
        return Period(date(today.year, 6, CLOSING_DAY + 1), december_close)
    return Period(date(today.year, 12, CLOSING_DAY + 1), date(today.year + 1, 6, CLOSING_DAY))


def previous_half_year_period(today: date) -> Period:
    """The last period already closed on `today` (what is due on 15/06 or 15/12)."""
    current = half_year_period(today)
    return half_year_period(date.fromordinal(current.start.toordinal() - 1))


def requested_period(start: date | None, end: date | None, *, today: date) -> Period:
    """The range asked for on the command line, or the current half-year by default.

    Both ends or neither: half a range is more likely a typing slip than a wish for an
    open-ended report, so it is refused rather than guessed.
    """
    if start is None and end is None:
        return half_year_period(today)
    if start is None or end is None:
        raise PeriodError("Cần nhập cả ngày bắt đầu (--from) và ngày kết thúc (--to).")
    return Period(start, end)


def parse_iso_date(text: str) -> date:
    """YYYY-MM-DD, as the command line takes it; a Vietnamese message when it is not."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(
            f"Ngày không hợp lệ: {text!r}. Hãy nhập theo dạng NĂM-THÁNG-NGÀY, ví dụ 2026-06-15."
        ) from None


__all__ = [
    "CLOSING_DAY",
    "Period",
    "PeriodError",
    "half_year_period",
    "parse_iso_date",
    "previous_half_year_period",
    "requested_period",
]
