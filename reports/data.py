"""The figures of the six-monthly report, read from the ticket database.

Definitions (the document and the spreadsheet say the same in Vietnamese):

- The report covers the tickets *received* in the period (created on a local date from
  `start` to `end`, Vietnam time). Their outcome is their state at the cut-off: the end
  of the period, or now if the period is not over yet. The state comes from the history
  (TicketEvent), so a report for a past period reads the same whenever it is made.
- handled: answered or closed at the cut-off. On time: the *first* answered/closed
  event fell on or before the due date. Handling time: working days (Vietnamese public
  holidays excluded) from the day received to that first event.
- overdue: handled late, plus still open with the due date already passed at the
  cut-off.
- confidential (complaints, denunciations, or any ticket marked confidential): counted,
  never described. They are left out of the category and village break-downs (a village
  or a topic can be enough to identify a complainant in a commune) and are listed with
  code, date, kind, office and state only.
- No personal data: nothing here reads a name, phone, e-mail, sender id or the content
  of a ticket. Unanswered questions are residents' own words, so contact-like strings
  in them are masked before they reach a report.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import (
    Category,
    FaqVote,
    Office,
    Ticket,
    TicketKind,
    TicketState,
    UnansweredQuestion,
    Village,
)
from laikhe import clock
from laikhe.labels import KIND_LABELS, STATE_LABELS
from laikhe.topics import FAQ_TOPIC_TITLES
from laikhe.vntext import nfc, normalize
from services import lifecycle
from services.calendar import working_days_between

# The lifecycle's groups, as the stored values this module counts by.
HANDLED_STATES = frozenset(state.value for state in lifecycle.RESOLVED)
OPEN_STATES = frozenset(state.value for state in lifecycle.OPEN)
KIND_ORDER: tuple[str, ...] = tuple(kind.value for kind in TicketKind)

NO_CATEGORY = "Chưa phân loại"
NO_VILLAGE = "Không nêu thôn"
CONFIDENTIAL_GROUP = "Ý kiến được bảo mật (khiếu nại, tố cáo)"
CHANNEL_LABELS: dict[str, str] = {
    "telegram": "Telegram",
    "terminal": "Trò chuyện thử (máy tính)",
    "rest": "Ứng dụng khác",
}
TOP_UNANSWERED = 10
MASK = "[đã ẩn]"

# Phone numbers (10-11 digits, or +84 and 9-10, written with spaces, dots or dashes
# between groups), identity card numbers (9 or 12 digits) and e-mail addresses. Nine
# digits or more: amounts such as "10.000.000 đồng" stay, at the price of masking sums
# of a hundred million and more, which is the safer mistake.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"(?:\+\s?)?\d(?:[\s.\-]?\d){8,}")


class UnknownOfficeError(ValueError):
    """An office code that the database does not know; the message is Vietnamese."""


@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True)
class Outcomes:
    """Where the received tickets stand at the cut-off; the six states add up to
    `received` (handled + still_open + forwarded + rejected + duplicate + withdrawn)."""

    received: int
    handled: int
    on_time: int
    handled_late: int
    still_open: int
    open_overdue: int
    forwarded: int
    rejected: int
    duplicate: int
    withdrawn: int

    @property
    def overdue(self) -> int:
        return self.handled_late + self.open_overdue

    @property
    def on_time_rate(self) -> float | None:
        """Share of handled tickets handled on time; None when nothing was handled."""
        return self.on_time / self.handled if self.handled else None


@dataclass(frozen=True)
class OfficeFigures:
    code: str
    name: str
    outcomes: Outcomes


@dataclass(frozen=True)
class MonthFigures:
    month: date  # first day of the month
    by_kind: tuple[int, ...]  # aligned with KIND_ORDER

    @property
    def total(self) -> int:
        return sum(self.by_kind)

    @property
    def label(self) -> str:
        return f"{self.month:%m/%Y}"


@dataclass(frozen=True)
class SatisfactionFigures:
    counts: tuple[int, int, int, int, int]  # how many answered 1, 2, 3, 4, 5

    @property
    def responses(self) -> int:
        return sum(self.counts)

    @property
    def average(self) -> float | None:
        if not self.responses:
            return None
        return sum(score * n for score, n in enumerate(self.counts, start=1)) / self.responses


@dataclass(frozen=True)
class FaqTopicFigures:
    topic: str
    title: str
    useful: int
    unclear: int

    @property
    def total(self) -> int:
        return self.useful + self.unclear


@dataclass(frozen=True)
class QuestionFigures:
    text: str
    count: int


@dataclass(frozen=True)
class TicketLine:
    """One row of the spreadsheet's ticket list: no content, no contact, ever.

    For a confidential ticket only code, received, kind, office and state are filled.
    `on_time` is True/False for a handled ticket, False for an open one past its due
    date, None otherwise.
    """

    code: str
    received: date
    kind: str
    office: str
    state: str
    confidential: bool
    category: str | None
    village: str | None
    due_date: date | None
    handled_on: date | None
    handling_working_days: int | None
    on_time: bool | None
    satisfaction: int | None


@dataclass(frozen=True)
class ReportData:
    start: date
    end: date
    as_of: date  # the cut-off day: `end`, or today while the period is still running
    office_code: str | None
    office_name: str | None
    outcomes: Outcomes
    by_kind: tuple[Count, ...]
    by_category: tuple[Count, ...]
    by_village: tuple[Count, ...]
    by_channel: tuple[Count, ...]
    by_office: tuple[OfficeFigures, ...]
    by_month: tuple[MonthFigures, ...]
    median_working_days: float | None
    satisfaction: SatisfactionFigures
    misinformation_received: int
    misinformation_handled: int
    confidential: int
    # FAQ use and unanswered questions belong to no office: only the commune-wide report
    # carries them, so that summing the offices' reports does not count them again.
    faq_included: bool
    faq: tuple[FaqTopicFigures, ...]
    unanswered: tuple[QuestionFigures, ...]
    tickets: tuple[TicketLine, ...]

    @property
    def is_empty(self) -> bool:
        return self.outcomes.received == 0

    @property
    def kind_labels(self) -> tuple[str, ...]:
        return tuple(KIND_LABELS[kind] for kind in KIND_ORDER)


def to_local(moment: datetime) -> datetime:
    """A time (stored ones load in UTC) in Vietnam time, where report days begin."""
    return clock.to_local(moment)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in Vietnam time."""
    return (
        datetime.combine(start, time(0), tzinfo=clock.commune_zone()),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=clock.commune_zone()),
    )


def mask_contacts(text: str) -> str:
    """Replace e-mail addresses and phone- or id-like numbers in free text."""
    return _LONG_NUMBER.sub(MASK, _EMAIL.sub(MASK, text))


@dataclass(frozen=True)
class _Classified:
    ticket: Ticket
    received: date
    kind: str
    state: str
    confidential: bool
    handled_on: date | None  # first answered/closed day, only if handled at the cut-off
    on_time: bool | None
    open_overdue: bool

    @property
    def working_days(self) -> int | None:
        """Working days from the day received to the first answer (None if unhandled)."""
        if self.handled_on is None:
            return None
        return working_days_between(self.received, self.handled_on)


def _classify(ticket: Ticket, *, cutoff: datetime, as_of: date) -> _Classified:
    events = sorted(
        (event for event in ticket.events if to_local(event.at) < cutoff),
        key=lambda event: (to_local(event.at), event.id),
    )
    current = events[-1].to_state if events else ticket.state
    # Plain strings from here on: the report's cells and counters hold the stored values.
    state = current.value
    first_handled = next(
        (to_local(event.at) for event in events if event.to_state in HANDLED_STATES), None
    )
    if first_handled is None and not events and state in HANDLED_STATES:
        # A ticket without any history (imported, or written by hand): the best we have.
        first_handled = to_local(ticket.closed_at or ticket.updated_at)
    handled_on = first_handled.date() if first_handled and state in HANDLED_STATES else None
    open_overdue = lifecycle.overdue(current, ticket.due_date, as_of)
    on_time: bool | None = None
    if handled_on is not None:
        on_time = lifecycle.handled_on_time(handled_on, ticket.due_date)
    elif open_overdue:
        on_time = False
    return _Classified(
        ticket=ticket,
        received=to_local(ticket.created_at).date(),
        state=state,
        kind=ticket.kind.value,
        confidential=ticket.confidential or ticket.kind is TicketKind.KHIEU_NAI_TO_CAO,
        handled_on=handled_on,
        on_time=on_time,
        open_overdue=open_overdue,
    )


def _outcomes(items: Sequence[_Classified]) -> Outcomes:
    states = Counter(item.state for item in items)
    handled = [item for item in items if item.handled_on is not None]
    return Outcomes(
        received=len(items),
        handled=len(handled),
        on_time=sum(1 for item in handled if item.on_time),
        handled_late=sum(1 for item in handled if not item.on_time),
        still_open=sum(states[state] for state in OPEN_STATES),
        open_overdue=sum(1 for item in items if item.open_overdue),
        forwarded=states[TicketState.FORWARDED.value],
        rejected=states[TicketState.REJECTED.value],
        duplicate=states[TicketState.DUPLICATE.value],
        withdrawn=states[TicketState.WITHDRAWN.value],
    )


def _months(start: date, end: date) -> list[date]:
    months = []
    current = start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _ordered_counts(
    counter: Counter[str], known: Iterable[str], extra: Iterable[str], *, keep_zero: bool
) -> tuple[Count, ...]:
    """Known labels first in their configured order (zeros kept if asked), then anything
    else that was counted, then the `extra` groups (no category, confidential) if any."""
    extra = list(extra)
    rows = [Count(label, counter[label]) for label in known if keep_zero or counter[label]]
    seen = {row.label for row in rows} | set(extra)
    rows += [Count(label, n) for label, n in sorted(counter.items()) if label not in seen]
    rows += [Count(label, counter[label]) for label in extra if counter[label]]
    return tuple(rows)


def _ticket_line(item: _Classified) -> TicketLine:
    ticket = item.ticket
    kind = KIND_LABELS.get(item.kind, item.kind)
    state = STATE_LABELS.get(item.state, item.state)
    if item.confidential:
        return TicketLine(
            code=ticket.code,
            received=item.received,
            kind=kind,
            office=ticket.office.name,
            state=state,
            confidential=True,
            category=None,
            village=None,
            due_date=None,
            handled_on=None,
            handling_working_days=None,
            on_time=None,
            satisfaction=None,
        )
    return TicketLine(
        code=ticket.code,
        received=item.received,
        kind=kind,
        office=ticket.office.name,
        state=state,
        confidential=False,
        category=ticket.category.name if ticket.category else None,
        village=ticket.village.name if ticket.village else None,
        due_date=ticket.due_date,
        handled_on=item.handled_on,
        handling_working_days=item.working_days,
        on_time=item.on_time,
        satisfaction=ticket.satisfaction,
    )


async def _faq(session: AsyncSession, low: datetime, high: datetime) -> tuple[FaqTopicFigures, ...]:
    rows = (
        await session.execute(
            select(FaqVote.topic, FaqVote.useful, FaqVote.at).where(
                FaqVote.at >= low, FaqVote.at < high
            )
        )
    ).all()
    useful: Counter[str] = Counter()
    unclear: Counter[str] = Counter()
    for topic, is_useful, at in rows:
        if not low <= to_local(at) < high:
            continue
        (useful if is_useful else unclear)[topic] += 1
    topics = sorted(set(useful) | set(unclear), key=lambda t: (-(useful[t] + unclear[t]), t))
    return tuple(
        FaqTopicFigures(
            topic=topic,
            title=FAQ_TOPIC_TITLES.get(topic, topic),
            useful=useful[topic],
            unclear=unclear[topic],
        )
        for topic in topics
    )


async def _unanswered(
    session: AsyncSession, low: datetime, high: datetime
) -> tuple[QuestionFigures, ...]:
    rows = (
        await session.execute(
            select(UnansweredQuestion.text, UnansweredQuestion.at).where(
                UnansweredQuestion.at >= low, UnansweredQuestion.at < high
            )
        )
    ).all()
    # Grouped on the folded form, so "lam sao dk" and "Làm sao ĐK?" count as one
    # question; shown in the wording residents used most often.
    wordings: dict[str, Counter[str]] = defaultdict(Counter)
    for text, at in rows:
        if not low <= to_local(at) < high:
            continue
        shown = " ".join(mask_contacts(nfc(text)).split())
        key = normalize(shown)
        if key:
            wordings[key][shown] += 1
    groups = [
        QuestionFigures(
            text=min(counter, key=lambda wording: (-counter[wording], wording)),
            count=sum(counter.values()),
        )
        for counter in wordings.values()
    ]
    groups.sort(key=lambda group: (-group.count, group.text))
    return tuple(groups[:TOP_UNANSWERED])


async def collect_report_data(
    *,
    session: AsyncSession,
    start: date,
    end: date,
    office_code: str | None,
    now: datetime | None = None,
) -> ReportData:
    if end < start:
        raise ValueError("end before start")
    now_local = to_local(now or clock.now())
    low, high = day_bounds(start, end)
    cutoff = min(high, now_local)
    as_of = min(end, now_local.date())

    offices = list((await session.scalars(select(Office).order_by(Office.id))).all())
    office = None
    if office_code is not None:
        office = next((o for o in offices if o.code == office_code), None)
        if office is None:
            known = ", ".join(o.code for o in offices)
            raise UnknownOfficeError(
                f"Không có đơn vị mã {office_code!r}. Các mã đơn vị hợp lệ: {known}."
            )
    categories = list((await session.scalars(select(Category).order_by(Category.position))).all())
    villages = list((await session.scalars(select(Village).order_by(Village.id))).all())

    query = (
        select(Ticket)
        .options(
            selectinload(Ticket.events),
            selectinload(Ticket.office),
            selectinload(Ticket.category),
            selectinload(Ticket.village),
        )
        .where(Ticket.created_at >= low, Ticket.created_at < high)
        .order_by(Ticket.created_at, Ticket.code)
    )
    if office is not None:
        query = query.where(Ticket.office_id == office.id)
    tickets = [
        ticket
        for ticket in (await session.scalars(query)).all()
        if low <= to_local(ticket.created_at) < high
    ]
    items = [_classify(ticket, cutoff=cutoff, as_of=as_of) for ticket in tickets]

    kinds = Counter(item.kind for item in items)
    category_counts: Counter[str] = Counter()
    village_counts: Counter[str] = Counter()
    for item in items:
        if item.confidential:
            category_counts[CONFIDENTIAL_GROUP] += 1
            village_counts[CONFIDENTIAL_GROUP] += 1
            continue
        category = item.ticket.category
        village = item.ticket.village
        category_counts[category.name if category else NO_CATEGORY] += 1
        village_counts[village.name if village else NO_VILLAGE] += 1
    shown_categories = [
        c.name
        for c in categories
        if (c.active and (office is None or c.office_id == office.id)) or category_counts[c.name]
    ]
    channels = Counter(
        CHANNEL_LABELS.get(item.ticket.channel, item.ticket.channel) for item in items
    )

    by_office = tuple(
        OfficeFigures(
            code=o.code,
            name=o.name,
            outcomes=_outcomes([item for item in items if item.ticket.office_id == o.id]),
        )
        for o in offices
        if office is None or o.id == office.id
    )

    per_month: dict[date, Counter[str]] = {month: Counter() for month in _months(start, end)}
    for item in items:
        per_month[item.received.replace(day=1)][item.kind] += 1
    by_month = tuple(
        MonthFigures(month=month, by_kind=tuple(counter[kind] for kind in KIND_ORDER))
        for month, counter in per_month.items()
    )

    handling_days = [item.working_days for item in items if item.working_days is not None]
    scores = Counter(
        item.ticket.satisfaction
        for item in items
        if item.ticket.satisfaction is not None and 1 <= item.ticket.satisfaction <= 5
    )
    misinformation = [item for item in items if item.kind == TicketKind.THONG_TIN_SAI.value]

    faq_high = min(high, now_local)
    return ReportData(
        start=start,
        end=end,
        as_of=as_of,
        office_code=office.code if office else None,
        office_name=office.name if office else None,
        outcomes=_outcomes(items),
        by_kind=tuple(Count(KIND_LABELS[kind], kinds[kind]) for kind in KIND_ORDER),
        by_category=_ordered_counts(
            category_counts, shown_categories, [NO_CATEGORY, CONFIDENTIAL_GROUP], keep_zero=True
        ),
        by_village=_ordered_counts(
            village_counts,
            [v.name for v in villages],
            [NO_VILLAGE, CONFIDENTIAL_GROUP],
            keep_zero=True,
        ),
        by_channel=tuple(
            Count(label, n) for label, n in sorted(channels.items(), key=lambda i: (-i[1], i[0]))
        ),
        by_office=by_office,
        by_month=by_month,
        median_working_days=float(statistics.median(handling_days)) if handling_days else None,
        satisfaction=SatisfactionFigures(
            counts=(scores[1], scores[2], scores[3], scores[4], scores[5])
        ),
        misinformation_received=len(misinformation),
        misinformation_handled=sum(1 for item in misinformation if item.handled_on is not None),
        confidential=sum(1 for item in items if item.confidential),
        faq_included=office is None,
        faq=await _faq(session, low, faq_high) if office is None else (),
        unanswered=await _unanswered(session, low, faq_high) if office is None else (),
        tickets=tuple(_ticket_line(item) for item in items),
    )


__all__ = [
    "CONFIDENTIAL_GROUP",
    "HANDLED_STATES",
    "KIND_ORDER",
    "NO_CATEGORY",
    "NO_VILLAGE",
    "OPEN_STATES",
    "Count",
    "FaqTopicFigures",
    "MonthFigures",
    "OfficeFigures",
    "Outcomes",
    "QuestionFigures",
    "ReportData",
    "SatisfactionFigures",
    "TicketLine",
    "UnknownOfficeError",
    "collect_report_data",
    "day_bounds",
    "mask_contacts",
    "to_local",
]
