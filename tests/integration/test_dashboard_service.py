"""The overview page's figures (services/dashboard.py) on both databases, against the
hand-worked table of tests/integration/dashboard_seed.py, and against the six-monthly
report's own figures for the same period (one on-time rule for both)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from db.models import Office
from laikhe.commune import CommuneConfig
from reports.data import CONFIDENTIAL_GROUP, KIND_ORDER, NO_VILLAGE, collect_report_data
from reports.periods import Period
from services.dashboard import Dashboard, Scope, dashboard_figures, default_period
from tests.integration.dashboard_seed import NOW, Sessions, seed_half_year

WEEK0 = date(2026, 1, 5)


async def figures(sessions: Sessions, scope: Scope, period: Period | None = None) -> Dashboard:
    async with sessions() as session:
        return await dashboard_figures(
            session=session,
            scope=scope,
            period=period or default_period(NOW.date()),
            now=NOW,
        )


async def office_id(sessions: Sessions, code: str) -> int:
    async with sessions() as session:
        found = await session.scalar(select(Office.id).where(Office.code == code))
        assert found is not None
        return found


def kind_counts(**counts: int) -> tuple[int, ...]:
    return tuple(counts.get(kind, 0) for kind in KIND_ORDER)


def outcomes(board: Dashboard) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        o.code: (o.received, o.handled, o.on_time, o.open, o.open_overdue) for o in board.offices
    }


async def test_commune_wide_figures_match_the_hand_worked_table(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await seed_half_year(sessions, commune)
    board = await figures(sessions, Scope(office_id=None))

    assert board.period == Period(WEEK0, date(2026, 7, 1))
    assert (board.received, board.confidential) == (15, 1)
    assert len(board.weeks) == 26 and board.weeks[0].monday == WEEK0
    weeks = {n: w.by_kind for n, w in enumerate(board.weeks) if w.total}
    assert weeks == {
        0: kind_counts(phan_anh=1, gop_y=1),
        4: kind_counts(gop_y=1),
        8: kind_counts(kien_nghi=1),
        9: kind_counts(khieu_nai_to_cao=1),
        13: kind_counts(phan_anh=1),
        17: kind_counts(thong_tin_sai=1),
        19: kind_counts(gop_y=1),
        21: kind_counts(gop_y=2),
        23: kind_counts(cau_hoi=1),
        24: kind_counts(gop_y=3),
        25: kind_counts(phan_anh=1),
    }
    assert outcomes(board) == {
        "TTVHTT": (1, 1, 1, 0, 0),
        "VP": (4, 2, 2, 2, 1),
        "KT": (5, 2, 1, 3, 1),
        "VHXH": (5, 4, 2, 0, 0),
    }
    rates = {o.code: o.on_time_rate for o in board.offices}
    assert rates == {"TTVHTT": 1.0, "VP": 1.0, "KT": 0.5, "VHXH": 0.5}
    assert (board.handled, board.on_time_rate) == (9, 6 / 9)
    assert [b.count for b in board.open_by_age] == [1, 1, 1, 1, 2]
    assert board.open_overdue_now == 3  # A3, A5, B3
    assert [(b.label, b.count) for b in board.villages] == [
        ("Thôn Mẫu 1", 4),
        ("Thôn Mẫu 2", 3),
        ("Thôn Mẫu 3", 5),
        (NO_VILLAGE, 2),
        (CONFIDENTIAL_GROUP, 1),
    ]
    assert board.satisfaction == (1, 1, 1, 1, 1)
    assert [(v.topic, v.useful, v.unclear) for v in board.faq] == [
        ("vneid_register", 2, 1),
        ("ehealth_book", 0, 1),
    ]


async def test_an_office_sees_only_its_own_tickets(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await seed_half_year(sessions, commune)
    board = await figures(sessions, Scope(office_id=await office_id(sessions, "KT")))

    assert (board.received, board.confidential) == (5, 0)
    assert outcomes(board) == {"KT": (5, 2, 1, 3, 1)}
    assert sum(w.total for w in board.weeks) == 5
    assert board.weeks[24].by_kind == kind_counts(gop_y=1)  # A6; B4 and C4 are not KT's
    assert [b.count for b in board.open_by_age] == [1, 0, 1, 0, 2]
    assert board.open_overdue_now == 2
    assert [(b.label, b.count) for b in board.villages] == [
        ("Thôn Mẫu 1", 3),
        ("Thôn Mẫu 2", 2),
        ("Thôn Mẫu 3", 0),
    ]
    assert board.satisfaction == (0, 1, 0, 0, 1)
    assert board.faq == ()  # votes belong to no office, as in the report


async def test_a_past_period_reads_the_state_at_its_end_like_the_report(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await seed_half_year(sessions, commune)
    period = Period(WEEK0, date(2026, 2, 28))
    board = await figures(sessions, Scope(office_id=None), period)

    # A2 was answered on 02/03, after the end: open and overdue at the cut-off.
    assert board.as_of == date(2026, 2, 28)
    assert outcomes(board)["KT"] == (2, 1, 1, 1, 1)
    assert outcomes(board)["VP"] == (1, 1, 1, 0, 0)
    assert len(board.weeks) == 8

    for start, end in ((period.start, period.end), (WEEK0, NOW.date())):
        async with sessions() as session:
            report = await collect_report_data(
                session=session, start=start, end=end, office_code=None, now=NOW
            )
        board = await figures(sessions, Scope(office_id=None), Period(start, end))
        assert {
            o.code: (o.outcomes.received, o.outcomes.handled, o.outcomes.on_time)
            for o in report.by_office
        } == {o.code: (o.received, o.handled, o.on_time) for o in board.offices}
        assert {o.code: o.outcomes.open_overdue for o in report.by_office} == {
            o.code: o.open_overdue for o in board.offices
        }
        assert report.satisfaction.counts == board.satisfaction
