"""The six-monthly report on real migrated databases (SQLite and PostgreSQL).

A known set of tickets is written with the ticket service and a history of state changes;
every figure the report must show was worked out BY HAND from the table below (working
days counted on a calendar with the 2025-2026 Vietnamese holidays: 01/01, Tết 16-20/02,
27/04 (Hùng Kings, observed), 30/04, 01/05, and the official 2026 swap in
config/commune.yml: Friday 02/01 off, Saturday 10/01 worked), never by calling the code
under test.

Period 16/12/2025 - 15/06/2026, report made on 20/06/2026 (cut-off: end of 15/06).
Due = 10 working days after the day received (20 for a complaint). wd = working days from
received to the FIRST answered/closed event. Categories and villages are in SPECS below.

key  received    office  due    history (state at the cut-off)         handled  wd  on time sat
T5   15/12 23:30 outside the period (answered 18/12, inside it): never counted              (1)
T8   16/12 00:30 VP      30/12  forwarded 18/12                        .        .   .
T10  31/12/2025  VP      15/01  answered 02/01, closed 05/01           02/01    0   yes     4
T9   05/01/2026  VHXH    16/01  rejected 06/01                         .        .   .
T17  12/01       VP      26/01  answered 14/01, reopened 20/01,        14/01    2   yes
                                answered again 30/01
T19  02/02       KT      23/02  answered 25/02, closed 27/02           25/02   12   NO      1
T1   13/02       KT      06/03  answered 03/03, closed 04/03           03/03    7   yes     5
T14  24/02       KT      10/03  duplicate 25/02                        .        .   .
T15  02/03       VP      16/03  withdrawn 03/03                        .        .   .
T11  03/03       TTVHTT  31/03  answered 17/03 (complaint: CONFIDENTIAL) 17/03 10   yes
T12  09/03       VHXH    23/03  answered 11/03 (misinformation)        11/03    2   yes
T2   20/04       VP      07/05  answered 06/05, closed 08/05           06/05    9   yes     2
T18  23/04       VHXH    12/05  answered 05/05, closed 06/05           05/05    5   yes     5
T3   04/05       KT      18/05  in progress: open and OVERDUE          .        .   .
T13  25/05       VHXH    08/06  new (misinformation): open and OVERDUE .        .   .
T4   01/06       VP      15/06  assigned: open, due on the cut-off day, so not overdue
T16  01/06       KT      15/06  in progress; answered 17/06, AFTER the cut-off
T7   15/06 23:30 TTVHTT  29/06  new
T6   16/06 00:30 outside the period (15/06 17:30 UTC: a UTC date filter would take it)

Holidays decide: T1 on time only because of Tết (without it due 27/02); T2 on time only
because of 27/04-01/05 (without them due 04/05). Median handling time over the 8 handled
(0, 2, 2, 5, 7, 9, 10, 12) = 6 working days; counting weekends only it would be 9, in
calendar days 13.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import warnings
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import FaqVote, TicketEvent, TicketKind, UnansweredQuestion
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from laikhe.settings import get_settings
from reports.__main__ import main as cli_main
from reports.charts import render_text_sample, report_charts
from reports.service import ReportFiles, build_report
from services.tickets import NewTicket, TicketPolicy, create_ticket

Sessions = async_sessionmaker[AsyncSession]
ROOT = Path(__file__).resolve().parents[2]

START, END = date(2025, 12, 16), date(2026, 6, 15)
NOW = datetime(2026, 6, 20, 10, 0, tzinfo=commune_zone())

VP = "Văn phòng HĐND và UBND xã"
KT = "Phòng Kinh tế"
VHXH = "Phòng Văn hóa - Xã hội"
TTVHTT = "Trung tâm Văn hóa, Thể thao và Truyền thông xã"
HA_TANG = "Hạ tầng số (Internet, sóng, wifi)"
DVC = "Dịch vụ công trực tuyến"
CONFIDENTIAL_CONTENT = "Tố cáo cán bộ địa chính nhận tiền khi làm sổ đỏ cho gia đình ông Bí Mật"


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    d, m, y = (int(part) for part in day.split("/"))
    return datetime(y, m, d, hour, minute, tzinfo=commune_zone())


def d(day: str) -> date:
    return at(day).date()


@dataclass(frozen=True)
class Spec:
    key: str
    kind: TicketKind
    category: str | None
    village: str | None
    created: datetime
    moves: tuple[tuple[str, datetime], ...] = ()
    satisfaction: int | None = None
    channel: str = "telegram"
    anonymous: bool = False
    contact: tuple[str, str, str | None] | None = None  # name, phone, e-mail
    content: str = ""

    @property
    def text(self) -> str:
        return self.content or f"Nội dung riêng của ý kiến {self.key} không được lộ ra báo cáo"


G, P, K, Q = TicketKind.GOP_Y, TicketKind.PHAN_ANH, TicketKind.KIEN_NGHI, TicketKind.CAU_HOI
SPECS = [
    Spec("T5", G, "ha_tang_so", "THON-MAU-1", at("15/12/2025", 23, 30),
         (("answered", at("18/12/2025")), ("closed", at("19/12/2025"))), satisfaction=1),
    Spec("T8", K, "dich_vu_cong", "THON-MAU-1", at("16/12/2025", 0, 30),
         (("forwarded", at("18/12/2025")),)),
    Spec("T10", P, "chu_ky_so", "THON-MAU-2", at("31/12/2025"),
         (("answered", at("02/01/2026", 10)), ("closed", at("05/01/2026"))), satisfaction=4),
    Spec("T9", G, "ky_nang_so", None, at("05/01/2026"), (("rejected", at("06/01/2026")),)),
    Spec("T17", G, "dich_vu_cong", "THON-MAU-1", at("12/01/2026"),
         (("answered", at("14/01/2026")), ("reopened", at("20/01/2026")),
          ("assigned", at("21/01/2026")), ("answered", at("30/01/2026")))),
    Spec("T19", P, "ha_tang_so", "THON-MAU-1", at("02/02/2026"),
         (("answered", at("25/02/2026")), ("closed", at("27/02/2026"))), satisfaction=1),
    Spec("T1", G, "ha_tang_so", "THON-MAU-1", at("13/02/2026"),
         (("assigned", at("23/02/2026", 8)), ("answered", at("03/03/2026", 10)),
          ("closed", at("04/03/2026", 15))), satisfaction=5,
         contact=("Trần Thị Liên Hệ", "0901234567", "lienhe@example.com")),
    Spec("T14", G, "ha_tang_so", "THON-MAU-1", at("24/02/2026"),
         (("duplicate", at("25/02/2026")),)),
    Spec("T15", Q, "vneid", "THON-MAU-3", at("02/03/2026"), (("withdrawn", at("03/03/2026")),)),
    Spec("T11", TicketKind.KHIEU_NAI_TO_CAO, None, "THON-MAU-1", at("03/03/2026"),
         (("assigned", at("04/03/2026")), ("answered", at("17/03/2026"))),
         contact=("Nguyễn Văn Bí Mật", "0912345678", "bimat@example.com"),
         content=CONFIDENTIAL_CONTENT),
    Spec("T12", TicketKind.THONG_TIN_SAI, None, None, at("09/03/2026"),
         (("answered", at("11/03/2026")),)),
    Spec("T2", P, "dich_vu_cong", "THON-MAU-2", at("20/04/2026"),
         (("assigned", at("21/04/2026")), ("answered", at("06/05/2026", 10)),
          ("closed", at("08/05/2026"))), satisfaction=2,
         contact=("Phạm Văn Góp Ý", "0987000111", None)),
    Spec("T18", G, "ky_nang_so", "THON-MAU-3", at("23/04/2026"),
         (("answered", at("05/05/2026", 10)), ("closed", at("06/05/2026"))), satisfaction=5,
         channel="terminal", anonymous=True),
    Spec("T3", K, "thuong_mai_dien_tu", "THON-MAU-3", at("04/05/2026"),
         (("assigned", at("05/05/2026")), ("assigned", at("06/05/2026")))),
    Spec("T13", TicketKind.THONG_TIN_SAI, None, None, at("25/05/2026")),
    Spec("T4", Q, "vneid", None, at("01/06/2026"), (("assigned", at("02/06/2026")),)),
    Spec("T16", P, "ha_tang_so", "THON-MAU-2", at("01/06/2026", 10),
         (("assigned", at("02/06/2026")), ("answered", at("17/06/2026")))),
    Spec("T7", G, "tuyen_truyen", "THON-MAU-3", at("15/06/2026", 23, 30)),
    Spec("T6", G, "khac", "THON-MAU-2", at("16/06/2026", 0, 30)),
]  # fmt: skip

# The ticket list, worked out by hand: received, kind, category, office, village, state,
# due, handled, working days, on time, satisfaction. In the order received.
_ = None
EXPECTED_LIST: list[tuple[str, tuple[Any, ...]]] = [
    ("T8", (d("16/12/2025"), "Kiến nghị", DVC, VP, "Thôn Mẫu 1",
            "Đã chuyển cơ quan có thẩm quyền", d("30/12/2025"), _, _, _, _)),
    ("T10", (d("31/12/2025"), "Phản ánh", "Chữ ký số, văn phòng điện tử", VP, "Thôn Mẫu 2",
             "Đã đóng", d("15/01/2026"), d("02/01/2026"), 0, "Có", 4)),
    ("T9", (d("05/01/2026"), "Góp ý", "Kỹ năng số, Bình dân học vụ số", VHXH, _,
            "Không tiếp nhận", d("16/01/2026"), _, _, _, _)),
    ("T17", (d("12/01/2026"), "Góp ý", DVC, VP, "Thôn Mẫu 1", "Đã trả lời", d("26/01/2026"),
             d("14/01/2026"), 2, "Có", _)),
    ("T19", (d("02/02/2026"), "Phản ánh", HA_TANG, KT, "Thôn Mẫu 1", "Đã đóng",
             d("23/02/2026"), d("25/02/2026"), 12, "Không", 1)),
    ("T1", (d("13/02/2026"), "Góp ý", HA_TANG, KT, "Thôn Mẫu 1", "Đã đóng", d("06/03/2026"),
            d("03/03/2026"), 7, "Có", 5)),
    ("T14", (d("24/02/2026"), "Góp ý", HA_TANG, KT, "Thôn Mẫu 1", "Trùng với ý kiến đã gửi",
             d("10/03/2026"), _, _, _, _)),
    ("T15", (d("02/03/2026"), "Câu hỏi", "VNeID, định danh điện tử", VP, "Thôn Mẫu 3",
             "Đã rút", d("16/03/2026"), _, _, _, _)),
    # Confidential: code, received, kind, office and state only.
    ("T11", (d("03/03/2026"), "Khiếu nại, tố cáo", _, TTVHTT, _, "Đã trả lời", _, _, _, _, _)),
    ("T12", (d("09/03/2026"), "Báo tin sai sự thật", _, VHXH, _, "Đã trả lời", d("23/03/2026"),
             d("11/03/2026"), 2, "Có", _)),
    ("T2", (d("20/04/2026"), "Phản ánh", DVC, VP, "Thôn Mẫu 2", "Đã đóng", d("07/05/2026"),
            d("06/05/2026"), 9, "Có", 2)),
    ("T18", (d("23/04/2026"), "Góp ý", "Kỹ năng số, Bình dân học vụ số", VHXH, "Thôn Mẫu 3",
             "Đã đóng", d("12/05/2026"), d("05/05/2026"), 5, "Có", 5)),
    ("T3", (d("04/05/2026"), "Kiến nghị", "Thương mại điện tử, thanh toán số", KT,
            "Thôn Mẫu 3", "Đã giao cán bộ xử lý", d("18/05/2026"), _, _, "Không", _)),
    ("T13", (d("25/05/2026"), "Báo tin sai sự thật", _, VHXH, _, "Mới tiếp nhận",
             d("08/06/2026"), _, _, "Không", _)),
    ("T4", (d("01/06/2026"), "Câu hỏi", "VNeID, định danh điện tử", VP, _,
            "Đã giao cán bộ xử lý", d("15/06/2026"), _, _, _, _)),
    ("T16", (d("01/06/2026"), "Phản ánh", HA_TANG, KT, "Thôn Mẫu 2", "Đã giao cán bộ xử lý",
             d("15/06/2026"), _, _, _, _)),
    ("T7", (d("15/06/2026"), "Góp ý", "Tuyên truyền Nghị quyết 57", TTVHTT, "Thôn Mẫu 3",
            "Mới tiếp nhận", d("29/06/2026"), _, _, _, _)),
]  # fmt: skip

FAQ_VOTES = [
    ("vneid_register", True, at("20/12/2025")),
    ("vneid_register", True, at("05/03/2026")),
    ("vneid_register", True, at("15/06/2026", 23, 59)),
    ("vneid_register", False, at("01/04/2026")),
    ("ehealth_book", True, at("10/02/2026")),
    ("ehealth_book", False, at("11/02/2026")),
    ("ehealth_book", False, at("12/05/2026")),
    ("privacy", False, at("16/12/2025", 0, 1)),
    # Outside the period, on both sides of it.
    ("vneid_register", True, at("15/12/2025", 23, 30)),
    ("privacy", True, at("16/06/2026", 0, 30)),
]
UNANSWERED = [
    ("Lịch tiêm phòng cho trẻ ở xã khi nào?", at("05/01/2026")),
    ("Lịch tiêm phòng cho trẻ ở xã khi nào?", at("06/02/2026")),
    ("lich tiem phong cho tre o xa khi nao", at("07/03/2026")),
    ("Giá đất năm nay thế nào", at("08/03/2026")),
    ("Giá đất năm nay thế nào", at("09/03/2026")),
    ("Số điện thoại của tôi là 0987 654 321, gọi lại giúp", at("10/03/2026")),
    ("Số điện thoại của tôi là 0912.345.678, gọi lại giúp", at("11/03/2026")),
    *[(f"Câu hỏi lẻ {n}", at("12/04/2026")) for n in range(1, 9)],
    ("email tôi là dan.ng@example.com", at("13/04/2026")),
    ("Câu hỏi ngoài kỳ", at("15/12/2025", 23, 59)),
]

SECRETS = [
    CONFIDENTIAL_CONTENT,
    "Bí Mật",
    "Nguyễn Văn",
    "0912345678",
    "bimat@example.com",
    "Trần Thị Liên Hệ",
    "0901234567",
    "lienhe@example.com",
    "Phạm Văn Góp Ý",
    "0987000111",
    "Nội dung riêng",
    "sender-",
    "0987 654 321",
    "0912.345.678",
    "dan.ng@example.com",
]


async def fill(sessions: Sessions, commune: CommuneConfig) -> dict[str, str]:
    """Write the fixture; returns ticket key -> code."""
    policy = TicketPolicy.from_config(commune)
    codes: dict[str, str] = {}
    async with sessions() as session:
        for spec in SPECS:
            name, phone, email = spec.contact or (None, None, None)
            ticket = await create_ticket(
                session=session,
                policy=policy,
                ticket=NewTicket(
                    kind=spec.kind,
                    content=spec.text,
                    channel=spec.channel,
                    sender_id=f"sender-{spec.key}",
                    category_code=spec.category,
                    village_code=spec.village,
                    contact_name=name,
                    contact_phone=phone,
                    contact_email=email,
                    anonymous=spec.anonymous,
                ),
                now=spec.created,
            )
            state = ticket.state
            for to_state, when in spec.moves:
                ticket.events.append(
                    TicketEvent(at=when, actor="staff:1", from_state=state, to_state=to_state)
                )
                state = to_state
                ticket.updated_at = when
                if to_state == "closed":
                    ticket.closed_at = when
            # The current state is the latest one, even after the cut-off (T16): the
            # report must read the history, not this column.
            ticket.state = state
            ticket.satisfaction = spec.satisfaction
            codes[spec.key] = ticket.code
        for topic, useful, when in FAQ_VOTES:
            session.add(FaqVote(topic=topic, useful=useful, channel="telegram", at=when))
        for text, when in UNANSWERED:
            session.add(UnansweredQuestion(text=text, channel="telegram", at=when))
        await session.commit()
    return codes


async def make_report(
    sessions: Sessions,
    commune: CommuneConfig,
    out: Path,
    *,
    office: str | None = None,
    start: date = START,
    end: date = END,
) -> ReportFiles:
    async with sessions() as session:
        return await build_report(
            session=session,
            commune=commune,
            start=start,
            end=end,
            office_code=office,
            out_dir=out,
            now=NOW,
        )


# ---------------------------------------------------------------- reading the files back


@dataclass
class DocxText:
    paragraphs: list[str]
    tables: list[list[list[str]]]

    @property
    def all_text(self) -> str:
        cells = [cell for table in self.tables for row in table for cell in row]
        return "\n".join([*self.paragraphs, *cells])

    def table(self, heading: str) -> list[list[str]]:
        """The table whose header row has `heading` in its second column."""
        for table in self.tables:
            if len(table[0]) > 1 and table[0][1] == heading:
                return table
        raise AssertionError(f"no table headed {heading!r}")

    def rows(self, heading: str) -> dict[str, list[str]]:
        return {row[1]: row[2:] for row in self.table(heading)[1:]}

    def has(self, sentence: str) -> bool:
        return any(sentence in " ".join(p.split()) for p in self.paragraphs)


def read_docx(path: Path) -> DocxText:
    document = Document(str(path))
    return DocxText(
        paragraphs=[p.text for p in document.paragraphs],
        tables=[[[c.text for c in row.cells] for row in t.rows] for t in document.tables],
    )


def sheet_rows(path: Path, name: str) -> list[tuple[Any, ...]]:
    workbook = load_workbook(path)
    return [tuple(row) for row in workbook[name].iter_rows(values_only=True)]


def raw_text(path: Path) -> str:
    """Every part of the .docx / .xlsx package (XML, properties), as text: personal
    data must be nowhere in it, not even in a part no reader shows."""
    with zipfile.ZipFile(path) as package:
        return "\n".join(
            package.read(name).decode("utf-8", errors="ignore")
            for name in package.namelist()
            if not name.endswith((".png", ".jpeg", ".jpg"))
        )


def file_sizes(paths: list[str]) -> list[int]:
    return [Path(path).stat().st_size for path in paths]


def plain(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------ tests


async def test_commune_wide_report_has_every_figure(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    codes = await fill(sessions, commune)
    files = await make_report(sessions, commune, tmp_path)
    assert files.docx.name == "bao-cao-toan-xa-2025-12-16-2026-06-15.docx"
    assert files.xlsx.name == "bao-cao-toan-xa-2025-12-16-2026-06-15.xlsx"

    # ---- spreadsheet: "Tổng hợp" (every figure of the document)
    workbook = load_workbook(files.xlsx)
    assert workbook.sheetnames == [
        "Tổng hợp",
        "Theo tháng",
        "Theo đơn vị",
        "Danh sách ý kiến",
        "Hỏi đáp",
    ]
    summary_sheet = workbook["Tổng hợp"]
    assert summary_sheet.freeze_panes == "A5"
    assert [c.value for c in summary_sheet[4]] == ["Mục", "Chỉ tiêu", "Số liệu"]
    assert all(c.font.bold for c in summary_sheet[4])
    assert summary_sheet.column_dimensions["B"].width >= 40
    summary = {row[1]: row[2] for row in summary_sheet.iter_rows(min_row=5, values_only=True)}
    expected_summary: dict[str, Any] = {
        "Tổng số ý kiến tiếp nhận": 17,
        "Theo loại: Góp ý": 6,
        "Theo loại: Phản ánh": 4,
        "Theo loại: Kiến nghị": 2,
        "Theo loại: Câu hỏi": 2,
        "Theo loại: Báo tin sai sự thật": 2,
        "Theo loại: Khiếu nại, tố cáo": 1,
        "Theo lĩnh vực: Dịch vụ công trực tuyến": 3,
        "Theo lĩnh vực: VNeID, định danh điện tử": 2,
        "Theo lĩnh vực: Chữ ký số, văn phòng điện tử": 1,
        "Theo lĩnh vực: Hạ tầng số (Internet, sóng, wifi)": 4,
        "Theo lĩnh vực: Thương mại điện tử, thanh toán số": 1,
        "Theo lĩnh vực: Kỹ năng số, Bình dân học vụ số": 2,
        "Theo lĩnh vực: Tuyên truyền Nghị quyết 57": 1,
        "Theo lĩnh vực: Vấn đề khác": 0,
        "Theo lĩnh vực: Chưa phân loại": 2,
        "Theo lĩnh vực: Ý kiến được bảo mật (khiếu nại, tố cáo)": 1,
        "Theo thôn: Thôn Mẫu 1": 5,
        "Theo thôn: Thôn Mẫu 2": 3,
        "Theo thôn: Thôn Mẫu 3": 4,
        "Theo thôn: Không nêu thôn": 4,
        "Theo thôn: Ý kiến được bảo mật (khiếu nại, tố cáo)": 1,
        "Theo kênh: Telegram": 16,
        "Theo kênh: Trò chuyện thử (máy tính)": 1,
        "Ý kiến được bảo mật (khiếu nại, tố cáo; chỉ thống kê số lượng)": 1,
        "Đã giải quyết (đã trả lời, đã đóng)": 8,
        "Giải quyết đúng hạn": 7,
        "Giải quyết trễ hạn": 1,
        "Đang xử lý": 5,
        "Đang xử lý, đã quá hạn": 2,
        "Tổng số ý kiến quá hạn": 3,
        "Chuyển cơ quan có thẩm quyền": 1,
        "Không tiếp nhận": 1,
        "Trùng ý kiến đã gửi": 1,
        "Người gửi rút ý kiến": 1,
        "Thời gian giải quyết trung vị (ngày làm việc)": 6,
        "Mức 1 - Rất không hài lòng": 1,
        "Mức 2 - Không hài lòng": 1,
        "Mức 3 - Bình thường": 0,
        "Mức 4 - Hài lòng": 1,
        "Mức 5 - Rất hài lòng": 2,
        "Số lượt đánh giá mức hài lòng": 5,
        "Hỏi đáp: Đăng ký tài khoản VNeID - Hữu ích": 3,
        "Hỏi đáp: Đăng ký tài khoản VNeID - Chưa rõ": 1,
        "Hỏi đáp: Sổ sức khỏe điện tử - Hữu ích": 1,
        "Hỏi đáp: Sổ sức khỏe điện tử - Chưa rõ": 2,
        "Hỏi đáp: Dữ liệu cá nhân - Hữu ích": 0,
        "Hỏi đáp: Dữ liệu cá nhân - Chưa rõ": 1,
        "Câu hỏi chưa trả lời: Lịch tiêm phòng cho trẻ ở xã khi nào?": 3,
        "Câu hỏi chưa trả lời: Giá đất năm nay thế nào": 2,
        "Câu hỏi chưa trả lời: Số điện thoại của tôi là [đã ẩn], gọi lại giúp": 2,
        **{f"Câu hỏi chưa trả lời: Câu hỏi lẻ {n}": 1 for n in range(1, 8)},
        "Phản ánh thông tin sai sự thật đã tiếp nhận": 2,
        "Phản ánh thông tin sai sự thật đã xử lý": 1,
        # Per office: received, handled, on time, late, open, open overdue, overdue...
        f"{TTVHTT}: Tổng số ý kiến tiếp nhận": 2,
        f"{TTVHTT}: Đã giải quyết (đã trả lời, đã đóng)": 1,
        f"{TTVHTT}: Đang xử lý": 1,
        f"{VHXH}: Tổng số ý kiến tiếp nhận": 4,
        f"{VHXH}: Giải quyết đúng hạn": 2,
        f"{VHXH}: Tổng số ý kiến quá hạn": 1,
        f"{VHXH}: Không tiếp nhận": 1,
        f"{VP}: Tổng số ý kiến tiếp nhận": 6,
        f"{VP}: Đã giải quyết (đã trả lời, đã đóng)": 3,
        f"{VP}: Chuyển cơ quan có thẩm quyền": 1,
        f"{VP}: Người gửi rút ý kiến": 1,
        f"{VP}: Tổng số ý kiến quá hạn": 0,
        f"{KT}: Tổng số ý kiến tiếp nhận": 5,
        f"{KT}: Giải quyết đúng hạn": 1,
        f"{KT}: Giải quyết trễ hạn": 1,
        f"{KT}: Đang xử lý": 2,
        f"{KT}: Đang xử lý, đã quá hạn": 1,
        f"{KT}: Tổng số ý kiến quá hạn": 2,
        f"{KT}: Trùng ý kiến đã gửi": 1,
        f"{KT}: Tỷ lệ giải quyết đúng hạn": 0.5,
        f"{VP}: Tỷ lệ giải quyết đúng hạn": 1.0,
    }
    for label, value in expected_summary.items():
        assert summary.get(label) == value, label
    assert summary["Tỷ lệ giải quyết đúng hạn"] == pytest.approx(7 / 8)
    assert summary["Mức hài lòng trung bình (thang 1-5)"] == pytest.approx(17 / 5)
    # The top ten only: the eighth single question and the e-mail one are cut.
    assert not any("Câu hỏi lẻ 8" in str(label) for label in summary)
    assert not any("email" in str(label) for label in summary)
    assert not any("ngoài kỳ" in str(label) for label in summary)

    # ---- "Theo tháng": kinds in the order Góp ý, Phản ánh, Kiến nghị, Câu hỏi, tin sai, KNTC
    months = sheet_rows(files.xlsx, "Theo tháng")
    assert months[0] == (
        "Tháng",
        "Góp ý",
        "Phản ánh",
        "Kiến nghị",
        "Câu hỏi",
        "Báo tin sai sự thật",
        "Khiếu nại, tố cáo",
        "Tổng",
    )
    assert [(row[0].date(), *row[1:]) for row in months[1:-1]] == [
        (date(2025, 12, 1), 0, 1, 1, 0, 0, 0, 2),
        (date(2026, 1, 1), 2, 0, 0, 0, 0, 0, 2),
        (date(2026, 2, 1), 2, 1, 0, 0, 0, 0, 3),
        (date(2026, 3, 1), 0, 0, 0, 1, 1, 1, 3),
        (date(2026, 4, 1), 1, 1, 0, 0, 0, 0, 2),
        (date(2026, 5, 1), 0, 0, 1, 0, 1, 0, 2),
        (date(2026, 6, 1), 1, 1, 0, 1, 0, 0, 3),
    ]
    assert months[-1] == ("Tổng cộng", 6, 4, 2, 2, 2, 1, 17)

    # ---- "Theo đơn vị": code, name, received, handled, on time, late, open, open overdue,
    # overdue, forwarded, rejected, duplicate, withdrawn, on-time rate
    offices_sheet = load_workbook(files.xlsx)["Theo đơn vị"]
    assert offices_sheet.freeze_panes == "C2"
    offices = [tuple(r) for r in offices_sheet.iter_rows(min_row=2, values_only=True)]
    assert offices == [
        ("TTVHTT", TTVHTT, 2, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1.0),
        ("VHXH", VHXH, 4, 2, 2, 0, 1, 1, 1, 0, 1, 0, 0, 1.0),
        ("VP", VP, 6, 3, 3, 0, 1, 0, 0, 1, 0, 0, 1, 1.0),
        ("KT", KT, 5, 2, 1, 1, 2, 1, 2, 0, 0, 1, 0, 0.5),
    ]

    # ---- "Danh sách ý kiến": no content, no contact; confidential rows reduced
    tickets_sheet = load_workbook(files.xlsx)["Danh sách ý kiến"]
    assert tickets_sheet.freeze_panes == "B2"
    assert [c.value for c in tickets_sheet[1]] == [
        "Mã ý kiến",
        "Ngày tiếp nhận",
        "Loại ý kiến",
        "Lĩnh vực",
        "Đơn vị xử lý",
        "Thôn",
        "Trạng thái",
        "Hạn xử lý",
        "Ngày giải quyết",
        "Số ngày làm việc để giải quyết",
        "Đúng hạn",
        "Mức hài lòng",
    ]
    assert all(c.font.bold for c in tickets_sheet[1])
    listed = [
        tuple(v.date() if isinstance(v, datetime) else v for v in row)
        for row in tickets_sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert listed == [(codes[key], *values) for key, values in EXPECTED_LIST]
    assert codes["T5"] not in {row[0] for row in listed}
    assert codes["T6"] not in {row[0] for row in listed}

    # ---- "Hỏi đáp"
    faq_rows = sheet_rows(files.xlsx, "Hỏi đáp")
    assert faq_rows[0] == ("Chủ đề", "Mã chủ đề", "Hữu ích", "Chưa rõ", "Tổng")
    assert faq_rows[1:4] == [
        ("Đăng ký tài khoản VNeID", "vneid_register", 3, 1, 4),
        ("Sổ sức khỏe điện tử", "ehealth_book", 1, 2, 3),
        ("Dữ liệu cá nhân", "privacy", 0, 1, 1),
    ]
    questions = [row[:2] for row in faq_rows[7:]]
    assert questions == [
        ("Lịch tiêm phòng cho trẻ ở xã khi nào?", 3),
        ("Giá đất năm nay thế nào", 2),
        ("Số điện thoại của tôi là [đã ẩn], gọi lại giúp", 2),
        *[(f"Câu hỏi lẻ {n}", 1) for n in range(1, 8)],
    ]

    # ---- Word document
    doc = read_docx(files.docx)
    header = [plain(cell) for row in doc.tables[0] for cell in row]
    assert header == [
        "ỦY BAN NHÂN DÂN XÃ LẠI KHÊ -------",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc",
        "Số: /BC-UBND",
        "Lại Khê, ngày 20 tháng 6 năm 2026",
    ]
    title = doc.paragraphs.index("BÁO CÁO")
    assert doc.paragraphs[title + 1] == (
        "Kết quả tiếp nhận, xử lý ý kiến của người dân, doanh nghiệp về thực hiện Nghị quyết "
        "số 57-NQ/TW (từ 16/12/2025 đến 15/06/2026)"
    )
    sections = [
        "I. Tình hình tiếp nhận",
        "II. Kết quả xử lý",
        "III. Hỏi đáp và thông tin người dân cần thêm",
        "IV. Thông tin sai sự thật",
        "V. Đề xuất, kiến nghị",
    ]
    positions = [doc.paragraphs.index(s) for s in sections]
    assert positions == sorted(positions)
    assert doc.has("Ủy ban nhân dân xã Lại Khê tiếp nhận 17 ý kiến")
    assert not doc.has("Số liệu tính đến")  # the period was over when the report was made
    assert doc.has("Trong đó có 1 ý kiến khiếu nại, tố cáo được bảo mật")
    assert doc.has("Theo kênh tiếp nhận: Telegram: 16 ý kiến; Trò chuyện thử (máy tính): 1 ý kiến.")
    assert doc.rows("Loại ý kiến") == {
        "Góp ý": ["6", "35,3%"],
        "Phản ánh": ["4", "23,5%"],
        "Kiến nghị": ["2", "11,8%"],
        "Câu hỏi": ["2", "11,8%"],
        "Báo tin sai sự thật": ["2", "11,8%"],
        "Khiếu nại, tố cáo": ["1", "5,9%"],
        "Tổng cộng": ["17", "100%"],
    }
    assert {k: v[0] for k, v in doc.rows("Lĩnh vực").items()} == {
        "Dịch vụ công trực tuyến": "3",
        "VNeID, định danh điện tử": "2",
        "Chữ ký số, văn phòng điện tử": "1",
        "Hạ tầng số (Internet, sóng, wifi)": "4",
        "Thương mại điện tử, thanh toán số": "1",
        "Kỹ năng số, Bình dân học vụ số": "2",
        "Tuyên truyền Nghị quyết 57": "1",
        "Vấn đề khác": "0",
        "Chưa phân loại": "2",
        "Ý kiến được bảo mật (khiếu nại, tố cáo)": "1",
        "Tổng cộng": "17",
    }
    assert {k: v[0] for k, v in doc.rows("Thôn").items()} == {
        "Thôn Mẫu 1": "5",
        "Thôn Mẫu 2": "3",
        "Thôn Mẫu 3": "4",
        "Không nêu thôn": "4",
        "Ý kiến được bảo mật (khiếu nại, tố cáo)": "1",
        "Tổng cộng": "17",
    }
    assert doc.rows("Chỉ tiêu") == {
        "Tổng số ý kiến tiếp nhận": ["17", "100%"],
        "Đã giải quyết (đã trả lời, đã đóng)": ["8", "47,1%"],
        "Giải quyết đúng hạn": ["7", "41,2%"],
        "Giải quyết trễ hạn": ["1", "5,9%"],
        "Đang xử lý": ["5", "29,4%"],
        "Đang xử lý, đã quá hạn": ["2", "11,8%"],
        "Tổng số ý kiến quá hạn": ["3", "17,6%"],
        "Chuyển cơ quan có thẩm quyền": ["1", "5,9%"],
        "Không tiếp nhận": ["1", "5,9%"],
        "Trùng ý kiến đã gửi": ["1", "5,9%"],
        "Người gửi rút ý kiến": ["1", "5,9%"],
    }
    assert doc.has("Tỷ lệ giải quyết đúng hạn: 87,5% (7/8 ý kiến đã giải quyết).")
    assert doc.has("Thời gian giải quyết trung vị (ngày làm việc): 6 ngày")
    # Office table: received, handled, on time, open, overdue, on-time rate.
    assert doc.rows("Đơn vị") == {
        TTVHTT: ["2", "1", "1", "1", "0", "100%"],
        VHXH: ["4", "2", "2", "1", "1", "100%"],
        VP: ["6", "3", "3", "1", "0", "100%"],
        KT: ["5", "2", "1", "2", "2", "50%"],
    }
    assert doc.has("5 lượt đánh giá, điểm trung bình 3,4/5")
    assert doc.rows("Mức đánh giá") == {
        "Mức 1 - Rất không hài lòng": ["1"],
        "Mức 2 - Không hài lòng": ["1"],
        "Mức 3 - Bình thường": ["0"],
        "Mức 4 - Hài lòng": ["1"],
        "Mức 5 - Rất hài lòng": ["2"],
    }
    assert doc.has("8 lượt câu trả lời hỏi đáp của trợ lý ảo: 4 lượt “Hữu ích”, 4 lượt “Chưa rõ”")
    assert doc.rows("Chủ đề") == {
        "Đăng ký tài khoản VNeID": ["3", "1", "4"],
        "Sổ sức khỏe điện tử": ["1", "2", "3"],
        "Dữ liệu cá nhân": ["0", "1", "1"],
    }
    assert [row[1:] for row in doc.table("Câu hỏi")[1:]] == [
        ["Lịch tiêm phòng cho trẻ ở xã khi nào?", "3"],
        ["Giá đất năm nay thế nào", "2"],
        ["Số điện thoại của tôi là [đã ẩn], gọi lại giúp", "2"],
        *[[f"Câu hỏi lẻ {n}", "1"] for n in range(1, 8)],
    ]
    assert doc.has(
        "Tiếp nhận 2 phản ánh về thông tin sai sự thật, trái chiều liên quan đến Nghị quyết "
        "số 57-NQ/TW và chuyển đổi số trên địa bàn; đã xử lý 1 phản ánh."
    )
    proposals = doc.paragraphs[positions[4] + 1 : positions[4] + 5]
    assert proposals[0] == "(Đơn vị bổ sung đề xuất, kiến nghị)"
    assert all(p and set(p) == {"."} for p in proposals[1:])
    closing = [plain(cell) for cell in doc.tables[-1][0]]
    assert closing[0].startswith("Nơi nhận: - Sở Khoa học và Công nghệ Hải Phòng;")
    assert closing[1] == "KT. CHỦ TỊCH PHÓ CHỦ TỊCH"  # the signer's name left blank
    # Charts embedded: three pictures.
    with zipfile.ZipFile(files.docx) as package:
        assert len([n for n in package.namelist() if n.startswith("word/media/")]) == 3

    # ---- Decree 30 typography: Times New Roman, 13-14 pt body
    document = Document(str(files.docx))
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman"
    assert normal.size is not None and normal.size.pt == 14
    section = document.sections[0]
    assert section.left_margin is not None and round(section.left_margin.cm) == 3

    # ---- privacy: no content, no contact, no sender, anywhere in either package
    for path in (files.docx, files.xlsx):
        everything = raw_text(path)
        for secret in SECRETS:
            assert secret not in everything, f"{secret!r} found in {path.name}"
    assert "Nội dung riêng" not in doc.all_text


async def test_office_report_has_only_that_office(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    codes = await fill(sessions, commune)
    files = await make_report(sessions, commune, tmp_path, office="KT")
    assert files.docx.name == "bao-cao-kt-2025-12-16-2026-06-15.docx"

    # KT received T19, T1, T14, T3, T16 (see the module docstring).
    listed = sheet_rows(files.xlsx, "Danh sách ý kiến")[1:]
    assert [row[0] for row in listed] == [codes[k] for k in ("T19", "T1", "T14", "T3", "T16")]
    assert sheet_rows(files.xlsx, "Theo đơn vị")[1:] == [
        ("KT", KT, 5, 2, 1, 1, 2, 1, 2, 0, 0, 1, 0, 0.5)
    ]
    months = sheet_rows(files.xlsx, "Theo tháng")
    assert months[-1] == ("Tổng cộng", 2, 2, 1, 0, 0, 0, 5)
    summary = {row[1]: row[2] for row in sheet_rows(files.xlsx, "Tổng hợp")[4:]}
    assert summary["Tổng số ý kiến tiếp nhận"] == 5
    assert summary["Thời gian giải quyết trung vị (ngày làm việc)"] == 9.5  # (7 + 12) / 2
    assert summary["Mức hài lòng trung bình (thang 1-5)"] == 3  # (5 + 1) / 2
    assert summary["Ý kiến được bảo mật (khiếu nại, tố cáo; chỉ thống kê số lượng)"] == 0
    assert summary["Phản ánh thông tin sai sự thật đã tiếp nhận"] == 0
    assert sheet_rows(files.xlsx, "Hỏi đáp") == [
        (
            "Số liệu hỏi đáp và câu hỏi chưa được trả lời không gắn với đơn vị nào; "
            "được tổng hợp trong báo cáo chung của Ủy ban nhân dân xã.",
        )
    ]

    doc = read_docx(files.docx)
    header = [plain(cell) for row in doc.tables[0] for cell in row]
    assert header[0] == "ỦY BAN NHÂN DÂN XÃ LẠI KHÊ PHÒNG KINH TẾ -------"
    assert header[2] == "Số: /BC-KT"
    assert doc.has("Phòng Kinh tế tiếp nhận 5 ý kiến")
    assert doc.rows("Loại ý kiến") == {
        "Góp ý": ["2", "40%"],
        "Phản ánh": ["2", "40%"],
        "Kiến nghị": ["1", "20%"],
        "Câu hỏi": ["0", "0%"],
        "Báo tin sai sự thật": ["0", "0%"],
        "Khiếu nại, tố cáo": ["0", "0%"],
        "Tổng cộng": ["5", "100%"],
    }
    # Only the office's own categories.
    assert {k: v[0] for k, v in doc.rows("Lĩnh vực").items()} == {
        "Hạ tầng số (Internet, sóng, wifi)": "4",
        "Thương mại điện tử, thanh toán số": "1",
        "Tổng cộng": "5",
    }
    assert {k: v[0] for k, v in doc.rows("Thôn").items()} == {
        "Thôn Mẫu 1": "3",
        "Thôn Mẫu 2": "1",
        "Thôn Mẫu 3": "1",
        "Tổng cộng": "5",
    }
    assert {k: v[0] for k, v in doc.rows("Chỉ tiêu").items()} == {
        "Tổng số ý kiến tiếp nhận": "5",
        "Đã giải quyết (đã trả lời, đã đóng)": "2",
        "Giải quyết đúng hạn": "1",
        "Giải quyết trễ hạn": "1",
        "Đang xử lý": "2",
        "Đang xử lý, đã quá hạn": "1",
        "Tổng số ý kiến quá hạn": "2",
        "Chuyển cơ quan có thẩm quyền": "0",
        "Không tiếp nhận": "0",
        "Trùng ý kiến đã gửi": "1",
        "Người gửi rút ý kiến": "0",
    }
    assert doc.has("Tỷ lệ giải quyết đúng hạn: 50% (1/2 ý kiến đã giải quyết).")
    assert doc.has("Thời gian giải quyết trung vị (ngày làm việc): 9,5 ngày")
    assert doc.has("2 lượt đánh giá, điểm trung bình 3/5")
    assert doc.has("Trong kỳ không tiếp nhận phản ánh nào về thông tin sai sự thật.")
    assert not doc.has("khiếu nại, tố cáo được bảo mật")
    closing = [plain(cell) for cell in doc.tables[-1][0]]
    assert closing[0] == "Nơi nhận: - UBND xã Lại Khê (để tổng hợp); - Lưu: KT."
    assert closing[1] == "TRƯỞNG PHÒNG"
    # Nothing about the other offices, nor the commune-wide FAQ figures.
    for path in (files.docx, files.xlsx):
        everything = raw_text(path)
        for other in (VP, VHXH, TTVHTT, "Lịch tiêm phòng", "Đăng ký tài khoản VNeID"):
            assert other not in everything, f"{other!r} in {path.name}"
        for secret in SECRETS:
            assert secret not in everything


async def test_empty_period_gives_a_valid_report(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    await fill(sessions, commune)
    files = await make_report(
        sessions, commune, tmp_path, start=date(2024, 6, 16), end=date(2024, 12, 15)
    )
    doc = read_docx(files.docx)
    assert doc.has("Trong kỳ báo cáo chưa tiếp nhận ý kiến nào.")
    assert doc.has("Trong kỳ chưa có lượt đánh giá câu trả lời hỏi đáp nào.")
    assert doc.has("Trong kỳ không tiếp nhận phản ánh nào về thông tin sai sự thật.")
    assert "BÁO CÁO" in doc.paragraphs and "V. Đề xuất, kiến nghị" in doc.paragraphs
    assert len(doc.tables) == 2  # heading and signature only
    summary = {row[1]: row[2] for row in sheet_rows(files.xlsx, "Tổng hợp")[4:]}
    assert summary["Tổng số ý kiến tiếp nhận"] == 0
    assert summary["Tỷ lệ giải quyết đúng hạn"] == "-"
    assert summary["Thời gian giải quyết trung vị (ngày làm việc)"] == "-"
    assert sheet_rows(files.xlsx, "Tổng hợp")[2][0] == "Trong kỳ báo cáo chưa tiếp nhận ý kiến nào."
    assert len(sheet_rows(files.xlsx, "Danh sách ý kiến")) == 1  # the header row
    assert sheet_rows(files.xlsx, "Theo tháng")[-1] == ("Tổng cộng", 0, 0, 0, 0, 0, 0, 0)


async def test_report_renders_to_pdf_pages(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    soffice = shutil.which("soffice")
    pdftoppm = shutil.which("pdftoppm")
    if soffice is None or pdftoppm is None:
        pytest.fail(
            "soffice and pdftoppm are needed to check the report renders: install the "
            "Debian packages listed in scripts/system-packages.txt "
            "(apt-get install -y --no-install-recommends $(cat scripts/system-packages.txt))"
        )
    await fill(sessions, commune)
    files = await make_report(sessions, commune, tmp_path / "out")
    pdf, pages, text, fonts = await asyncio.to_thread(
        render_pdf, soffice, pdftoppm, files.docx, tmp_path
    )
    assert pdf.stat().st_size > 0
    assert len(pages) >= 3
    assert all(page.stat().st_size > 0 for page in pages)
    # The text survives with its diacritics, in a Times New Roman metric font.
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Khiếu nại, tố cáo" in text
    assert "LiberationSerif" in fonts or "TimesNewRoman" in fonts, fonts


def render_pdf(
    soffice: str, pdftoppm: str, docx: Path, work: Path
) -> tuple[Path, list[Path], str, str]:
    """docx -> PDF (LibreOffice) -> PNG pages at 50 dpi; also the PDF's text and fonts."""
    # A private LibreOffice profile: a second soffice (another test, a desktop session)
    # would otherwise hold the profile lock and make this one exit doing nothing.
    profile = (work / "lo-profile").as_uri()
    converted = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "pdf"),
            str(docx),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = work / "pdf" / (docx.stem + ".pdf")
    assert pdf.exists(), converted.stdout + converted.stderr
    subprocess.run(
        [pdftoppm, "-png", "-r", "50", str(pdf), str(work / "page")], check=True, timeout=120
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return pdf, sorted(work.glob("page-*.png")), text, fonts


def test_charts_have_every_vietnamese_glyph(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_text_sample("Phản ánh, Khiếu nại, tố cáo, Hữu ích, Chưa rõ, Đúng hạn")
    assert png.startswith(b"\x89PNG")
    assert not [w for w in caught if "missing from" in str(w.message)]
    # The check can fail: a script the font lacks does raise the warning.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_text_sample("漢字")
    assert [w for w in caught if "missing from" in str(w.message)]


async def test_charts_of_a_real_report(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    await fill(sessions, commune)
    files = await make_report(sessions, commune, tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = report_charts(files.data)
    assert set(charts) == {"theo-thang", "theo-don-vi", "dung-han"}
    assert all(png.startswith(b"\x89PNG") and len(png) > 10_000 for png in charts.values())
    assert not [w for w in caught if "missing from" in str(w.message)]
    for name, png in charts.items():
        (tmp_path / f"{name}.png").write_bytes(png)


async def test_command_line(
    sessions: Sessions,
    commune: CommuneConfig,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await fill(sessions, commune)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COMMUNE_CONFIG", str(ROOT / "config" / "commune.yml"))
    get_settings.cache_clear()
    try:
        out = tmp_path / "reports"
        args = ["--from", "2025-12-16", "--to", "2026-06-15", "--office", "kt", "--out", str(out)]
        assert await asyncio.to_thread(cli_main, args) == 0
        printed = capsys.readouterr().out.split()
        assert printed == [
            str(out / "bao-cao-kt-2025-12-16-2026-06-15.docx"),
            str(out / "bao-cao-kt-2025-12-16-2026-06-15.xlsx"),
        ]
        assert all(size > 0 for size in file_sizes(printed))

        with pytest.raises(SystemExit) as unknown:
            await asyncio.to_thread(cli_main, [*args[:4], "--office", "XYZ", "--out", str(out)])
        assert unknown.value.code == 2
        assert "Không có đơn vị mã 'XYZ'" in capsys.readouterr().err

        with pytest.raises(SystemExit) as reversed_range:
            await asyncio.to_thread(cli_main, ["--from", "2026-06-15", "--to", "2025-12-16"])
        assert reversed_range.value.code == 2
        assert "sau ngày kết thúc" in capsys.readouterr().err

        with pytest.raises(SystemExit) as bad_date:
            await asyncio.to_thread(cli_main, ["--from", "15/06/2026", "--to", "2026-06-30"])
        assert bad_date.value.code == 2
        assert "Ngày không hợp lệ" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
