"""The report as a spreadsheet: the same figures as the document, plus the ticket list,
for the office to check, sort and paste into the Department's own forms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from laikhe.cells import looks_like_formula
from laikhe.commune import CommuneConfig
from reports.data import ReportData
from reports.text import (
    FAQ_ELSEWHERE,
    L_DUPLICATE,
    L_FORWARDED,
    L_HANDLED,
    L_LATE,
    L_ON_TIME,
    L_ON_TIME_RATE,
    L_OPEN,
    L_OPEN_OVERDUE,
    L_OVERDUE,
    L_RECEIVED,
    L_REJECTED,
    L_WITHDRAWN,
    NO_TICKETS,
    issuer_name,
    period_text,
    report_subtitle,
    summary_rows,
)

SHEET_SUMMARY = "Tổng hợp"
SHEET_MONTHS = "Theo tháng"
SHEET_OFFICES = "Theo đơn vị"
SHEET_TICKETS = "Danh sách ý kiến"
SHEET_FAQ = "Hỏi đáp"

TICKET_HEADER = (
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
)
OFFICE_HEADER = (
    "Mã đơn vị",
    "Đơn vị",
    L_RECEIVED,
    L_HANDLED,
    L_ON_TIME,
    L_LATE,
    L_OPEN,
    L_OPEN_OVERDUE,
    L_OVERDUE,
    L_FORWARDED,
    L_REJECTED,
    L_DUPLICATE,
    L_WITHDRAWN,
    L_ON_TIME_RATE,
)
SUMMARY_HEADER_ROW = 4
DATE_FORMAT = "DD/MM/YYYY"
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
MAX_WIDTH = 70


def _header(sheet: Any, row: int, values: Sequence[str]) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _widths(sheet: Any, minimum: int = 8) -> None:
    """Column widths from the longest value (characters, roughly Excel's unit)."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            length = 11 if isinstance(cell.value, date) else len(str(cell.value))
            widths[cell.column] = max(widths.get(cell.column, minimum), length + 2)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(width, MAX_WIDTH)


def _summary(sheet: Any, commune: CommuneConfig, data: ReportData) -> None:
    sheet.title = SHEET_SUMMARY
    sheet.cell(row=1, column=1, value="BÁO CÁO " + report_subtitle(data)).font = BOLD
    sheet.cell(
        row=2,
        column=1,
        value=f"{issuer_name(commune, data)}; kỳ báo cáo {period_text(data)}; "
        f"số liệu tính đến hết ngày {data.as_of:%d/%m/%Y}.",
    )
    if data.is_empty:
        sheet.cell(row=3, column=1, value=NO_TICKETS)
    _header(sheet, SUMMARY_HEADER_ROW, ("Mục", "Chỉ tiêu", "Số liệu"))
    for offset, row in enumerate(summary_rows(data), start=1):
        index = SUMMARY_HEADER_ROW + offset
        sheet.cell(row=index, column=1, value=row.section)
        sheet.cell(row=index, column=2, value=row.label)
        value = sheet.cell(row=index, column=3, value="-" if row.value is None else row.value)
        if isinstance(row.value, (int, float)):
            value.number_format = row.number_format
    sheet.freeze_panes = sheet.cell(row=SUMMARY_HEADER_ROW + 1, column=1)
    _widths(sheet)
    # The title rows are long sentences: let them overflow instead of widening column A.
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = MAX_WIDTH


def _months(sheet: Any, data: ReportData) -> None:
    _header(sheet, 1, ("Tháng", *data.kind_labels, "Tổng"))
    for row, month in enumerate(data.by_month, start=2):
        cell = sheet.cell(row=row, column=1, value=month.month)
        cell.number_format = "MM/YYYY"
        for column, count in enumerate((*month.by_kind, month.total), start=2):
            sheet.cell(row=row, column=column, value=count)
    total_row = len(data.by_month) + 2
    sheet.cell(row=total_row, column=1, value="Tổng cộng").font = BOLD
    totals = [
        sum(month.by_kind[i] for month in data.by_month) for i in range(len(data.kind_labels))
    ]
    for column, count in enumerate((*totals, sum(totals)), start=2):
        sheet.cell(row=total_row, column=column, value=count).font = BOLD
    sheet.freeze_panes = "B2"
    _widths(sheet)


def _offices(sheet: Any, data: ReportData) -> None:
    _header(sheet, 1, OFFICE_HEADER)
    for row, office in enumerate(data.by_office, start=2):
        o = office.outcomes
        values: tuple[Any, ...] = (
            office.code,
            office.name,
            o.received,
            o.handled,
            o.on_time,
            o.handled_late,
            o.still_open,
            o.open_overdue,
            o.overdue,
            o.forwarded,
            o.rejected,
            o.duplicate,
            o.withdrawn,
            "-" if o.on_time_rate is None else o.on_time_rate,
        )
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            if column == len(values) and isinstance(value, float):
                cell.number_format = "0.0%"
    sheet.freeze_panes = "C2"
    _widths(sheet)
    for column in range(3, len(OFFICE_HEADER) + 1):
        # Long Vietnamese headers wrap; the figures need little room.
        sheet.column_dimensions[get_column_letter(column)].width = 14


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Có" if value else "Không")


def _tickets(sheet: Any, data: ReportData) -> None:
    _header(sheet, 1, TICKET_HEADER)
    for row, line in enumerate(data.tickets, start=2):
        values: tuple[Any, ...] = (
            line.code,
            line.received,
            line.kind,
            line.category,
            line.office,
            line.village,
            line.state,
            line.due_date,
            line.handled_on,
            line.handling_working_days,
            _yes_no(line.on_time),
            line.satisfaction,
        )
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
    sheet.freeze_panes = "B2"
    if data.tickets:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(TICKET_HEADER))}{len(data.tickets) + 1}"
    _widths(sheet)


def _faq(sheet: Any, data: ReportData) -> None:
    if not data.faq_included:
        sheet.cell(row=1, column=1, value=FAQ_ELSEWHERE)
        return
    _header(sheet, 1, ("Chủ đề", "Mã chủ đề", "Hữu ích", "Chưa rõ", "Tổng"))
    for row, topic in enumerate(data.faq, start=2):
        for column, value in enumerate(
            (topic.title, topic.topic, topic.useful, topic.unclear, topic.total), start=1
        ):
            sheet.cell(row=row, column=column, value=value)
    start = len(data.faq) + 3
    sheet.cell(row=start, column=1, value="Câu hỏi trợ lý ảo chưa trả lời được").font = BOLD
    _header(sheet, start + 1, ("Câu hỏi", "Số lần"))
    for row, question in enumerate(data.unanswered, start=start + 2):
        sheet.cell(row=row, column=1, value=question.text)
        sheet.cell(row=row, column=2, value=question.count)
    sheet.freeze_panes = "A2"
    _widths(sheet)


def _text_stays_text(workbook: Workbook) -> None:
    """Residents' words (unanswered questions) and configured names reach these cells;
    any that a spreadsheet would run as a formula is written as a quote-prefixed string.
    One pass over the finished workbook, so no cell written above can miss it."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if looks_like_formula(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def write_xlsx(*, data: ReportData, commune: CommuneConfig, path: Path) -> Path:
    workbook = Workbook()
    _summary(workbook.active, commune, data)
    _months(workbook.create_sheet(SHEET_MONTHS), data)
    _offices(workbook.create_sheet(SHEET_OFFICES), data)
    _tickets(workbook.create_sheet(SHEET_TICKETS), data)
    _faq(workbook.create_sheet(SHEET_FAQ), data)
    workbook.properties.creator = issuer_name(commune, data)
    workbook.properties.title = "BÁO CÁO " + report_subtitle(data)
    _text_stays_text(workbook)
    workbook.save(str(path))
    return path


__all__ = [
    "SHEET_FAQ",
    "SHEET_MONTHS",
    "SHEET_OFFICES",
    "SHEET_SUMMARY",
    "SHEET_TICKETS",
    "TICKET_HEADER",
    "write_xlsx",
]
