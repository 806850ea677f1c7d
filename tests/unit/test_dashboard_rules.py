"""The overview page's pure parts: its default and checked periods, who sees which
scope, and the chart geometry (bars scaled to the largest, nothing drawn for zero)."""

from __future__ import annotations

from datetime import date

import pytest

from db.models import StaffMember, StaffRole
from reports.periods import Period, PeriodError
from services.dashboard import Scope, ScopeError, checked_period, default_period, scope_of
from web import charts
from web.charts import Column, Row, Segment

WEDNESDAY = date(2026, 7, 1)


def test_the_default_period_is_26_weeks_from_a_monday_to_today() -> None:
    period = default_period(WEDNESDAY)
    assert period == Period(date(2026, 1, 5), WEDNESDAY)
    assert period.start.weekday() == 0
    assert default_period(date(2026, 6, 29)).start == date(2026, 1, 5)  # a Monday itself
    assert checked_period(None, None, today=WEDNESDAY) == period


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 7, 1), None, "cả ngày bắt đầu và ngày kết thúc"),
        (None, date(2026, 7, 1), "cả ngày bắt đầu và ngày kết thúc"),
        (date(2026, 7, 2), date(2026, 7, 1), "sau ngày kết thúc"),
        (date(2024, 6, 1), date(2026, 7, 1), "dài nhất là 2 năm"),
    ],
)
def test_a_bad_period_is_refused_in_vietnamese(
    start: date | None, end: date | None, message: str
) -> None:
    with pytest.raises(PeriodError, match=message):
        checked_period(start, end, today=WEDNESDAY)


def test_a_period_of_two_years_is_accepted() -> None:
    assert checked_period(date(2024, 7, 1), WEDNESDAY, today=WEDNESDAY).end == WEDNESDAY


def member(role: StaffRole, office_id: int | None, *, active: bool = True) -> StaffMember:
    return StaffMember(
        telegram_user_id=1, full_name="Cán bộ", role=role, office_id=office_id, active=active
    )


def test_commune_roles_see_the_commune_and_others_their_office() -> None:
    assert scope_of(member(StaffRole.COMMUNE_LEADER, None)) == Scope(None)
    assert scope_of(member(StaffRole.ADMIN, 3)) == Scope(None)
    assert scope_of(member(StaffRole.OFFICER, 3)) == Scope(3)
    assert scope_of(member(StaffRole.OFFICE_LEAD, 4)) == Scope(4)
    with pytest.raises(ScopeError):
        scope_of(member(StaffRole.OFFICER, None))
    with pytest.raises(ScopeError):
        scope_of(member(StaffRole.COMMUNE_LEADER, None, active=False))


def test_horizontal_bars_scale_to_the_largest_and_skip_zeros() -> None:
    chart = charts.horizontal(
        id="x",
        title="t",
        description="d",
        rows=[
            Row("A", (Segment(4, "bar", "A: 4"),), "4"),
            Row("B", (Segment(2, "bar", "B: 2"),), "2"),
            Row("C", (Segment(0, "bar", "C: 0"),), "0"),
        ],
        head=("", "n"),
        table=[("A", "4"), ("B", "2"), ("C", "0")],
    )
    widths = [rect.width for rect in chart.rects]
    assert widths == [330, 165]  # C draws no bar, only its label and "0"
    assert [label.text for label in chart.labels] == ["A", "4", "B", "2", "C", "0"]
    assert not chart.empty


def test_stacked_columns_pile_up_from_the_baseline() -> None:
    chart = charts.columns(
        id="w",
        title="t",
        description="d",
        items=[
            Column("01/06", (Segment(1, "k-gop_y", ""), Segment(3, "k-phan_anh", "")), "4"),
            Column("", (Segment(2, "k-gop_y", ""),), "2"),
        ],
        head=(),
        table=[],
        slot=20,
    )
    first, second, third = chart.rects
    assert first.y + first.height == second.y + second.height + first.height  # stacked
    assert second.y + second.height == first.y
    assert first.height + second.height == 2 * third.height  # 4 against 2
    assert [label.text for label in chart.labels] == ["4", "01/06", "2"]
    empty = charts.columns(id="e", title="t", description="d", items=[], head=(), table=[])
    assert empty.empty
