"""The figures of the back office's overview page (/tong-quan), computed in the database.

Every figure is an aggregate (GROUP BY, SUM(CASE ...)): the rows that come back are
bounded by days x kinds or by offices, never by tickets, so the page stays fast on a
large ticket table.

The definitions are the six-monthly report's (reports/data.py), so that the page and the
report downloaded for the same period say the same:

- The period counts the tickets *received* in it (commune dates). Their outcome is their
  state at the cut-off (the end of the period, or now while it runs), read from the
  history: the last event before the cut-off, or the ticket's state if it has none.
- Handled: answered or closed at the cut-off (lifecycle.RESOLVED). On time:
  lifecycle.handled_on_time of the first answered/closed event's commune date.
- Open and overdue at the cut-off: lifecycle.overdue.
- Confidential tickets (marked so, or complaints) are counted, and in the village
  break-down grouped apart like the report does; no content is ever read here.
- FAQ votes belong to no office: only the commune-wide view has them.

The open tickets by age are a picture of now, whatever the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Date,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FaqVote, Office, StaffMember, Ticket, TicketEvent, TicketKind, Village
from laikhe import clock
from laikhe.topics import FAQ_TOPIC_TITLES
from reports.data import CONFIDENTIAL_GROUP, KIND_ORDER, NO_VILLAGE, day_bounds
from reports.periods import Period, PeriodError
from services import lifecycle
from services.access import COMMUNE_WIDE_ROLES

DEFAULT_WEEKS: Final = 26
# Longer periods are the report's business; the weekly chart stays readable.
MAX_PERIOD_DAYS: Final = 2 * 366
# Open tickets by age, in days since the day received: (label, lowest age).
AGE_BUCKETS: Final = (
    ("0–2 ngày", 0),
    ("3–7 ngày", 3),
    ("8–14 ngày", 8),
    ("15–30 ngày", 15),
    ("Trên 30 ngày", 31),
)

_RESOLVED_VALUES: Final = tuple(state.value for state in lifecycle.RESOLVED)
_OPEN_VALUES: Final = tuple(state.value for state in lifecycle.OPEN)


class ScopeError(ValueError):
    """A member without an office and without a commune-wide role: nothing to show."""


@dataclass(frozen=True)
class Scope:
    """Whose figures: one office (`office_id`), or the whole commune (None)."""

    office_id: int | None

    @property
    def commune_wide(self) -> bool:
        return self.office_id is None


def scope_of(staff: StaffMember) -> Scope:
    """services.access's rule: commune-wide roles see the commune, others their office."""
    if not staff.active:
        raise ScopeError("inactive member")
    if staff.role in COMMUNE_WIDE_ROLES:
        return Scope(office_id=None)
    if staff.office_id is None:
        raise ScopeError("member without an office")
    return Scope(office_id=staff.office_id)


def default_period(today: date) -> Period:
    """The last DEFAULT_WEEKS weeks, from a Monday to today (this week counts as one)."""
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(weeks=DEFAULT_WEEKS - 1), today)


def checked_period(start: date | None, end: date | None, *, today: date) -> Period:
    """The period asked for on the page; the default when neither date is given.
    PeriodError (Vietnamese message) for half a range, a reversed or too long one."""
    if start is None and end is None:
        return default_period(today)
    if start is None or end is None:
        raise PeriodError("Anh/Chị cần chọn cả ngày bắt đầu và ngày kết thúc.")
    period = Period(start, end)
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise PeriodError("Khoảng thời gian dài nhất là 2 năm. Anh/Chị chọn khoảng ngắn hơn.")
    return period


@dataclass(frozen=True)
class WeekFigures:
    monday: date
    by_kind: tuple[int, ...]  # aligned with reports.data.KIND_ORDER

    @property
    def total(self) -> int:
        return sum(self.by_kind)


@dataclass(frozen=True)
class OfficeOutcome:
    code: str
    name: str
    received: int
    handled: int
    on_time: int
    open: int
    open_overdue: int

    @property
    def handled_late(self) -> int:
        return self.handled - self.on_time

    @property
    def on_time_rate(self) -> float | None:
        """Share of handled tickets handled on time; None when nothing was handled."""
        return self.on_time / self.handled if self.handled else None


@dataclass(frozen=True)
class Bucket:
    label: str
    count: int


@dataclass(frozen=True)
class FaqVotes:
    topic: str
    title: str
    useful: int
    unclear: int


@dataclass(frozen=True)
class Dashboard:
    period: Period
    as_of: date  # the cut-off day
    scope: Scope
    received: int
    confidential: int
    weeks: tuple[WeekFigures, ...]
    offices: tuple[OfficeOutcome, ...]  # one row for an office's member
    open_by_age: tuple[Bucket, ...]
    open_overdue_now: int
    villages: tuple[Bucket, ...]
    satisfaction: tuple[int, int, int, int, int]  # how many rated 1..5
    faq: tuple[FaqVotes, ...]  # commune-wide only

    @property
    def handled(self) -> int:
        return sum(office.handled for office in self.offices)

    @property
    def on_time_rate(self) -> float | None:
        """Over all the offices shown; None when nothing was handled."""
        handled = self.handled
        return sum(office.on_time for office in self.offices) / handled if handled else None


def _local_date(
    session: AsyncSession, instant: ColumnExpressionArgument[datetime]
) -> ColumnElement[date]:
    """The commune date of a stored instant, in SQL. PostgreSQL converts with the zone
    itself; SQLite (development and tests) stores UTC text, shifted by the zone's offset
    (the commune's zone, Asia/Ho_Chi_Minh, has no daylight saving)."""
    zone = clock.commune_zone()
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(zone.key, instant), Date)
    offset = clock.now().utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return func.date(instant, f"{minutes:+d} minutes")


def _day_start(day: date) -> datetime:
    return day_bounds(day, day)[0]


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    return true() if scope.office_id is None else Ticket.office_id == scope.office_id


def _confidential() -> ColumnElement[bool]:
    # The report's rule: marked confidential, or a complaint whatever the flag says.
    return or_(Ticket.confidential, Ticket.kind == TicketKind.KHIEU_NAI_TO_CAO)


async def _received(
    session: AsyncSession, received: ColumnElement[bool], period: Period
) -> tuple[tuple[WeekFigures, ...], tuple[int, int, int, int, int]]:
    """Tickets per week and kind, and the ratings, in one pass over the period's rows.
    Weeks are told apart by their Monday's first instant (commune time), compared, not
    converted: no zone arithmetic per row."""
    first_monday = period.start - timedelta(days=period.start.weekday())
    mondays = [
        first_monday + timedelta(weeks=n) for n in range((period.end - first_monday).days // 7 + 1)
    ]
    week = case(
        *[(Ticket.created_at >= _day_start(m), n) for n, m in reversed(list(enumerate(mondays)))],
        else_=0,
    ).label("week")
    score = case((Ticket.satisfaction.between(1, 5), Ticket.satisfaction), else_=None).label("s")
    rows = (
        await session.execute(
            select(week, Ticket.kind, score, func.count())
            .where(received)
            .group_by(week, Ticket.kind, score)
        )
    ).all()
    weeks: list[dict[str, int]] = [defaultdict(int) for _ in mondays]
    ratings = [0, 0, 0, 0, 0]
    for index, kind, rating, count in rows:
        weeks[int(index)][kind.value] += int(count)
        if rating is not None:
            ratings[int(rating) - 1] += int(count)
    return (
        tuple(
            WeekFigures(monday=monday, by_kind=tuple(by_kind[kind] for kind in KIND_ORDER))
            for monday, by_kind in zip(mondays, weeks, strict=True)
        ),
        (ratings[0], ratings[1], ratings[2], ratings[3], ratings[4]),
    )


async def _offices(
    session: AsyncSession,
    received: ColumnElement[bool],
    scope: Scope,
    low: datetime,
    cutoff: datetime,
    now: datetime,
    as_of: date,
) -> tuple[OfficeOutcome, ...]:
    # The history up to the cut-off, as aggregates joined once (not a subquery per
    # ticket). A ticket's events come after it was received, so none before `low`.
    in_window = and_(TicketEvent.at >= low, TicketEvent.at < cutoff)
    query = select(Ticket.office_id.label("office_id"), Ticket.due_date.label("due_date"))
    if cutoff >= now:
        # Nothing has happened after the cut-off: the state at it is the current one
        # (lifecycle.apply writes the state and its history row together).
        query = query.add_columns(Ticket.state.label("state"))
    else:
        ranked = (
            select(
                TicketEvent.ticket_id,
                TicketEvent.to_state,
                func.row_number()
                .over(
                    partition_by=TicketEvent.ticket_id,
                    order_by=(TicketEvent.at.desc(), TicketEvent.id.desc()),
                )
                .label("rank"),
            )
            .where(in_window)
            .subquery()
        )
        last = select(ranked.c.ticket_id, ranked.c.to_state).where(ranked.c.rank == 1).subquery()
        query = query.add_columns(
            func.coalesce(last.c.to_state, Ticket.state).label("state")
        ).outerjoin(last, last.c.ticket_id == Ticket.id)
    first = (
        select(TicketEvent.ticket_id, func.min(TicketEvent.at).label("at"))
        .where(in_window, TicketEvent.to_state.in_(_RESOLVED_VALUES))
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    tickets = (
        query.add_columns(
            # A ticket without history (imported) that is handled: its own stamps, as
            # the report does.
            func.coalesce(first.c.at, Ticket.closed_at, Ticket.updated_at).label("first")
        )
        .outerjoin(first, first.c.ticket_id == Ticket.id)
        .where(received)
        .subquery()
    )
    handled = tickets.c.state.in_(_RESOLVED_VALUES)
    # lifecycle.handled_on_time, as SQL: the first answer's commune date <= the due date.
    on_time = and_(handled, _local_date(session, tickets.c.first) <= tickets.c.due_date)
    is_open = tickets.c.state.in_(_OPEN_VALUES)
    # lifecycle.overdue at the cut-off day.
    open_overdue = and_(is_open, tickets.c.due_date < as_of)

    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = (
        await session.execute(
            select(
                tickets.c.office_id,
                func.count(),
                total(handled),
                total(on_time),
                total(is_open),
                total(open_overdue),
            ).group_by(tickets.c.office_id)
        )
    ).all()
    by_office = {row[0]: tuple(int(value) for value in row[1:]) for row in rows}
    offices = (await session.scalars(select(Office).order_by(Office.id))).all()
    return tuple(
        OfficeOutcome(office.code, office.name, *by_office.get(office.id, (0, 0, 0, 0, 0)))
        for office in offices
        if scope.office_id is None or office.id == scope.office_id
    )


async def _open_by_age(
    session: AsyncSession, scope: Scope, today: date
) -> tuple[tuple[Bucket, ...], int]:
    is_open = and_(_in_scope(scope), Ticket.state.in_(_OPEN_VALUES))
    # A ticket received on day D is (today - D) days old: older than `age` days when it
    # came before the start of the day (today - age + 1).
    whens = [
        (Ticket.created_at < _day_start(today - timedelta(days=age - 1)), index)
        for index, (_, age) in reversed(list(enumerate(AGE_BUCKETS)))
        if age > 0
    ]
    bucket = case(*whens, else_=0).label("bucket")
    overdue = case((Ticket.due_date < today, 1), else_=0)  # lifecycle.overdue
    rows = (
        await session.execute(
            select(bucket, func.count(), func.sum(overdue)).where(is_open).group_by(bucket)
        )
    ).all()
    counts = {int(index): int(count) for index, count, _ in rows}
    buckets = tuple(
        Bucket(label, counts.get(index, 0)) for index, (label, _) in enumerate(AGE_BUCKETS)
    )
    return buckets, sum(int(late or 0) for _, _, late in rows)


async def _villages(session: AsyncSession, received: ColumnElement[bool]) -> tuple[Bucket, ...]:
    confidential = _confidential()
    group = case((confidential, -1), else_=func.coalesce(Ticket.village_id, 0)).label("g")
    rows = (
        await session.execute(select(group, func.count()).where(received).group_by(group))
    ).all()
    counts = {int(key): int(count) for key, count in rows}
    villages = (await session.scalars(select(Village).order_by(Village.id))).all()
    buckets = [Bucket(village.name, counts.get(village.id, 0)) for village in villages]
    buckets += [Bucket(label, counts[key]) for key, label in ((0, NO_VILLAGE),) if key in counts]
    if -1 in counts:
        buckets.append(Bucket(CONFIDENTIAL_GROUP, counts[-1]))
    return tuple(buckets)


async def _faq(session: AsyncSession, low: datetime, high: datetime) -> tuple[FaqVotes, ...]:
    useful = func.coalesce(func.sum(case((FaqVote.useful, 1), else_=0)), 0)
    rows = (
        await session.execute(
            select(FaqVote.topic, useful, func.count())
            .where(FaqVote.at >= low, FaqVote.at < high)
            .group_by(FaqVote.topic)
        )
    ).all()
    votes = [
        FaqVotes(
            topic=topic,
            title=FAQ_TOPIC_TITLES.get(topic, topic),
            useful=int(yes),
            unclear=int(count) - int(yes),
        )
        for topic, yes, count in rows
    ]
    votes.sort(key=lambda v: (-(v.useful + v.unclear), v.topic))
    return tuple(votes)


async def dashboard_figures(
    *, session: AsyncSession, scope: Scope, period: Period, now: datetime
) -> Dashboard:
    now_local = clock.to_local(now)
    low, high = day_bounds(period.start, period.end)
    cutoff = min(high, now_local)
    as_of = min(period.end, now_local.date())
    received = and_(Ticket.created_at >= low, Ticket.created_at < high, _in_scope(scope))

    if session.get_bind().dialect.name == "postgresql":
        # The driver prepares a statement run five times; PostgreSQL then may plan it
        # once for any cut-off, and that generic plan re-ran the history's window per
        # ticket (40 s instead of 0.3 s on 100,000 tickets, bench/dashboard_timing.py).
        # For this transaction only: plan each query for its own period.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    weeks, satisfaction = await _received(session, received, period)
    villages = await _villages(session, received)
    open_by_age, open_overdue_now = await _open_by_age(session, scope, now_local.date())
    return Dashboard(
        period=period,
        as_of=as_of,
        scope=scope,
        received=sum(week.total for week in weeks),
        confidential=sum(v.count for v in villages if v.label == CONFIDENTIAL_GROUP),
        weeks=weeks,
        offices=await _offices(session, received, scope, low, cutoff, now_local, as_of),
        open_by_age=open_by_age,
        open_overdue_now=open_overdue_now,
        villages=villages,
        satisfaction=satisfaction,
        faq=await _faq(session, low, cutoff) if scope.commune_wide else (),
    )


__all__ = [
    "AGE_BUCKETS",
    "DEFAULT_WEEKS",
    "MAX_PERIOD_DAYS",
    "Bucket",
    "Dashboard",
    "FaqVotes",
    "OfficeOutcome",
    "Scope",
    "ScopeError",
    "WeekFigures",
    "checked_period",
    "dashboard_figures",
    "default_period",
    "scope_of",
]
