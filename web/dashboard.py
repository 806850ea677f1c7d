"""The overview page (/tong-quan) and the six-monthly report's download (/bao-cao).

Thin handlers: find the signed-in member, decide their scope (services.dashboard.scope_of,
services.access.may_request_report), call one service, render. The charts are SVG drawn
on the server (web/charts.py): no script, nothing fetched from elsewhere."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from db.models import StaffMember
from db.session import sessionmaker_for, unit_of_work
from laikhe import clock
from laikhe.commune import CommuneConfig
from laikhe.labels import KIND_LABELS
from reports.data import KIND_ORDER
from reports.periods import Period, PeriodError, half_year_period, parse_iso_date
from reports.service import build_report
from services.access import may_request_report
from services.dashboard import Dashboard, ScopeError, checked_period, dashboard_figures, scope_of
from web import charts
from web.charts import Chart, Column, Row, Segment
from web.common import SIGNED_OUT, current_staff, message, render
from web.context import web

# The pages' shared helpers: one sign-in check and one way to render for every page.

logger = logging.getLogger(__name__)

NO_SCOPE: Final = (
    "Tài khoản của Anh/Chị chưa gắn với đơn vị nào nên chưa có số liệu để xem. "
    "Anh/Chị liên hệ quản trị viên của xã giúp."
)
REPORT_REFUSED: Final = (
    "Chỉ lãnh đạo UBND xã và quản trị viên được tải báo cáo 6 tháng của toàn xã. "
    "Báo cáo của đơn vị mình, Anh/Chị nhắn «/baocao» cho trợ lý trên Telegram."
)
BAD_FORMAT: Final = "Định dạng báo cáo chỉ có thể là Word (.docx) hoặc Excel (.xlsx)."
FORMATS: Final = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SATISFACTION_LABELS: Final = ("1 điểm", "2 điểm", "3 điểm", "4 điểm", "5 điểm")


def _dates(request: Request) -> tuple[date | None, date | None]:
    """`tu` and `den` as the date inputs send them (YYYY-MM-DD); empty means not given."""
    values = []
    for name in ("tu", "den"):
        text = request.query_params.get(name, "").strip()
        values.append(parse_iso_date(text) if text else None)
    return values[0], values[1]


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{round(rate * 100)}%"


def _weeks_chart(board: Dashboard) -> Chart:
    kinds = [(kind, KIND_LABELS[kind]) for kind in KIND_ORDER]
    every = max(1, len(board.weeks) // 9)  # a date under every few columns stays legible
    items = [
        Column(
            label=f"{week.monday:%d/%m}" if index % every == 0 else "",
            segments=tuple(
                Segment(n, f"k-{kind}", f"Tuần từ {week.monday:%d/%m/%Y}: {n} {label.lower()}")
                for (kind, label), n in zip(kinds, week.by_kind, strict=True)
            ),
            text=str(week.total) if week.total else "",
        )
        for index, week in enumerate(board.weeks)
    ]
    return charts.columns(
        id="tuan",
        title="Ý kiến nhận được mỗi tuần, theo loại",
        description=f"{board.received} ý kiến trong {len(board.weeks)} tuần.",
        items=items,
        slot=22,
        head=("Tuần từ", *[label for _, label in kinds], "Tổng"),
        table=[
            (f"{w.monday:%d/%m/%Y}", *[str(n) for n in w.by_kind], str(w.total))
            for w in board.weeks
        ],
        legend=tuple((f"k-{kind}", label) for kind, label in kinds),
    )


def _on_time_chart(board: Dashboard) -> Chart:
    rows = []
    for office in board.offices:
        rate = office.on_time_rate
        share = 100 / office.handled if office.handled else 0
        late = f"; {office.open_overdue} đang quá hạn" if office.open_overdue else ""
        rows.append(
            Row(
                label=office.name,
                # The handled tickets as a whole bar: on time green, late red.
                segments=(
                    Segment(
                        office.on_time * share, "good", f"{office.name}: {office.on_time} đúng hạn"
                    ),
                    Segment(
                        office.handled_late * share,
                        "late",
                        f"{office.name}: {office.handled_late} trễ hạn",
                    ),
                ),
                text=f"{_percent(rate)} ({office.on_time}/{office.handled}{late})",
                css="late" if office.open_overdue else "",
            )
        )
    return charts.horizontal(
        id="dung-han",
        title="Tỉ lệ giải quyết đúng hạn theo đơn vị",
        description="Trong số ý kiến đã trả lời hoặc đã đóng; tên đỏ: đơn vị có ý kiến quá hạn.",
        legend=(("good", "Đúng hạn"), ("late", "Trễ hạn")),
        rows=rows,
        scale_max=100,
        head=("Đơn vị", "Nhận", "Đã giải quyết", "Đúng hạn", "Trễ hạn", "Đang xử lý", "Quá hạn"),
        table=[
            (
                o.name,
                str(o.received),
                str(o.handled),
                str(o.on_time),
                str(o.handled_late),
                str(o.open),
                str(o.open_overdue),
            )
            for o in board.offices
        ],
    )


def _simple_columns(id: str, title: str, description: str, pairs: list[tuple[str, int]]) -> Chart:
    return charts.columns(
        id=id,
        title=title,
        description=description,
        items=[Column(label, (Segment(n, "bar", f"{label}: {n}"),), str(n)) for label, n in pairs],
        slot=92,
        head=("", "Số ý kiến"),
        table=[(label, str(n)) for label, n in pairs],
    )


def _bars(id: str, title: str, description: str, pairs: list[tuple[str, int]]) -> Chart:
    return charts.horizontal(
        id=id,
        title=title,
        description=description,
        rows=[Row(label, (Segment(n, "bar", f"{label}: {n}"),), str(n)) for label, n in pairs],
        head=("", "Số ý kiến"),
        table=[(label, str(n)) for label, n in pairs],
    )


def _faq_chart(board: Dashboard) -> Chart:
    return charts.horizontal(
        id="faq",
        title="Đánh giá câu trả lời có sẵn: «Hữu ích» / «Chưa rõ»",
        description="Số lượt bấm của người dân, theo chủ đề.",
        rows=[
            Row(
                v.title,
                (
                    Segment(v.useful, "useful", f"{v.title}: {v.useful} hữu ích"),
                    Segment(v.unclear, "unclear", f"{v.title}: {v.unclear} chưa rõ"),
                ),
                f"{v.useful} hữu ích, {v.unclear} chưa rõ",
            )
            for v in board.faq
        ],
        head=("Chủ đề", "Hữu ích", "Chưa rõ"),
        table=[(v.title, str(v.useful), str(v.unclear)) for v in board.faq],
        legend=(("useful", "Hữu ích"), ("unclear", "Chưa rõ")),
    )


def _charts(board: Dashboard) -> list[Chart]:
    found = [
        _weeks_chart(board),
        _on_time_chart(board),
        _simple_columns(
            "tuoi",
            "Ý kiến đang xử lý, theo số ngày từ khi nhận (hiện tại)",
            f"{sum(b.count for b in board.open_by_age)} ý kiến đang xử lý, "
            f"{board.open_overdue_now} đã quá hạn.",
            [(b.label, b.count) for b in board.open_by_age],
        ),
        _bars(
            "thon",
            "Ý kiến theo thôn",
            "Ý kiến bảo mật được tính riêng, không ghi thôn.",
            [(b.label, b.count) for b in board.villages],
        ),
        _simple_columns(
            "hai-long",
            "Mức hài lòng người dân chấm",
            f"{sum(board.satisfaction)} lượt chấm; 1 điểm: rất không hài lòng, "
            "5 điểm: rất hài lòng.",
            list(zip(SATISFACTION_LABELS, board.satisfaction, strict=True)),
        ),
    ]
    if board.scope.commune_wide:
        found.append(_faq_chart(board))
    return found


def _build_report_file(
    database_url: str, commune: CommuneConfig, period: Period, kind: str, now: datetime
) -> tuple[bytes, str]:
    """The commune-wide report for `period` as `kind` (docx or xlsx): its bytes and name.
    Runs in a worker thread: its own event loop, its own engine, closed at the end."""

    async def build() -> tuple[bytes, str]:
        sessions = sessionmaker_for(database_url)
        try:
            with tempfile.TemporaryDirectory(prefix="bao-cao-") as folder:
                async with unit_of_work(sessions) as session:
                    files = await build_report(
                        session=session,
                        commune=commune,
                        start=period.start,
                        end=period.end,
                        office_code=None,
                        out_dir=Path(folder),
                        now=now,
                    )
                path = files.docx if kind == "docx" else files.xlsx
                return path.read_bytes(), path.name
        finally:
            await sessions.kw["bind"].dispose()

    return asyncio.run(build())


def _can_download(staff: StaffMember) -> bool:
    # The commune-wide report: services.access's rule for a request without an office.
    office = staff.office.code if staff.office else None
    return staff.active and may_request_report(staff.role.value, office, None)


async def overview(request: Request) -> Response:
    context = web(request)
    today = clock.to_local(context.now()).date()
    async with unit_of_work(context.sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        try:
            scope = scope_of(staff)
        except ScopeError:
            return message(request, NO_SCOPE, 403, staff)
        form = {k: request.query_params.get(k, "") for k in ("tu", "den")}
        try:
            start, end = _dates(request)
            period = checked_period(start, end, today=today)
        except PeriodError as error:
            page = {"staff": staff, "error": str(error), "form": form, "board": None}
            return render(request, "dashboard.html", page, 400)
        board = await dashboard_figures(
            session=session, scope=scope, period=period, now=context.now()
        )
    return render(
        request,
        "dashboard.html",
        {
            "staff": staff,
            "board": board,
            "form": {"tu": period.start.isoformat(), "den": period.end.isoformat()},
            "on_time": _percent(board.on_time_rate),
            "charts": _charts(board),
            "can_download": _can_download(staff),
            "error": None,
        },
    )


async def report_download(request: Request) -> Response:
    context = web(request)
    async with unit_of_work(context.sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        if not _can_download(staff):
            # Who asked stays out of the log (personal data); the role is enough to see
            # whether the rule or the page is wrong.
            logger.warning("report download refused for role %s", staff.role.value)
            return message(request, REPORT_REFUSED, 403, staff)
        kind = request.query_params.get("dinh_dang", "docx")
        if kind not in FORMATS:
            return message(request, BAD_FORMAT, 400, staff)
        try:
            start, end = _dates(request)
            today = clock.to_local(context.now()).date()
            period = (
                half_year_period(today)
                if start is None and end is None
                else checked_period(start, end, today=today)
            )
        except PeriodError as error:
            return message(request, str(error), 400, staff)
    database_url = context.sessions.kw["bind"].url.render_as_string(hide_password=False)
    # Reading a half-year of tickets with their history and writing the files is
    # seconds of CPU (32 s on 24,000 tickets): all of it in a worker thread, with its
    # own event loop and connection as `python -m reports` has, so the pages of everyone
    # else keep answering meanwhile.
    content, name = await run_in_threadpool(
        _build_report_file, database_url, context.commune, period, kind, context.now()
    )
    return Response(
        content,
        media_type=FORMATS[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
