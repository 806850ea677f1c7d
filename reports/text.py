"""Wording shared by the Word document and the spreadsheet, so both say the same thing
with the same labels (the spreadsheet's "Tổng hợp" sheet is the document's figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from laikhe.commune import CommuneConfig
from reports.data import Outcomes, ReportData

NO_TICKETS = "Trong kỳ báo cáo chưa tiếp nhận ý kiến nào."
FAQ_ELSEWHERE = (
    "Số liệu hỏi đáp và câu hỏi chưa được trả lời không gắn với đơn vị nào; "
    "được tổng hợp trong báo cáo chung của Ủy ban nhân dân xã."
)

SECTION_RECEIVED = "I. Tình hình tiếp nhận"
SECTION_RESULTS = "II. Kết quả xử lý"
SECTION_FAQ = "III. Hỏi đáp và thông tin người dân cần thêm"
SECTION_MISINFORMATION = "IV. Thông tin sai sự thật"
SECTION_PROPOSALS = "V. Đề xuất, kiến nghị"

# Outcome labels: one wording for the document's table, the office table and the sheets.
L_RECEIVED = "Tổng số ý kiến tiếp nhận"
L_HANDLED = "Đã giải quyết (đã trả lời, đã đóng)"
L_ON_TIME = "Giải quyết đúng hạn"
L_LATE = "Giải quyết trễ hạn"
L_OPEN = "Đang xử lý"
L_OPEN_OVERDUE = "Đang xử lý, đã quá hạn"
L_OVERDUE = "Tổng số ý kiến quá hạn"
L_FORWARDED = "Chuyển cơ quan có thẩm quyền"
L_REJECTED = "Không tiếp nhận"
L_DUPLICATE = "Trùng ý kiến đã gửi"
L_WITHDRAWN = "Người gửi rút ý kiến"
L_ON_TIME_RATE = "Tỷ lệ giải quyết đúng hạn"
L_MEDIAN = "Thời gian giải quyết trung vị (ngày làm việc)"
L_SATISFACTION_AVERAGE = "Mức hài lòng trung bình (thang 1-5)"
L_SATISFACTION_RESPONSES = "Số lượt đánh giá mức hài lòng"
L_CONFIDENTIAL = "Ý kiến được bảo mật (khiếu nại, tố cáo; chỉ thống kê số lượng)"
L_MISINFORMATION_RECEIVED = "Phản ánh thông tin sai sự thật đã tiếp nhận"
L_MISINFORMATION_HANDLED = "Phản ánh thông tin sai sự thật đã xử lý"

SATISFACTION_LEVELS = (
    "Mức 1 - Rất không hài lòng",
    "Mức 2 - Không hài lòng",
    "Mức 3 - Bình thường",
    "Mức 4 - Hài lòng",
    "Mức 5 - Rất hài lòng",
)


def number(value: float, decimals: int = 1) -> str:
    """Vietnamese decimal comma, at most `decimals` places, no trailing zeros: 3,5 ; 3,4 ;
    3 (not 3,0)."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def percent(rate: float | None) -> str:
    """85,7% ; "-" when there is nothing to divide (no ticket handled yet)."""
    if rate is None:
        return "-"
    return number(round(rate * 100, 1)) + "%"


def share(part: int, whole: int) -> str:
    return percent(part / whole if whole else None)


def administrative_date(day: date) -> str:
    """ "ngày 05 tháng 02 năm 2026": Decree 30/2020 pads days below 10 and the months
    January and February with a zero, so nobody can add a digit afterwards."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def period_text(data: ReportData) -> str:
    return f"từ {data.start:%d/%m/%Y} đến {data.end:%d/%m/%Y}"


def report_subtitle(data: ReportData) -> str:
    return (
        "Kết quả tiếp nhận, xử lý ý kiến của người dân, doanh nghiệp về thực hiện "
        f"Nghị quyết số 57-NQ/TW ({period_text(data)})"
    )


def issuer_name(commune: CommuneConfig, data: ReportData) -> str:
    """Who reports, as written in running text: "Ủy ban nhân dân xã Lại Khê" or the office."""
    if data.office_name:
        return data.office_name
    return commune.commune.full_name


def outcome_rows(outcomes: Outcomes) -> list[tuple[str, int]]:
    return [
        (L_RECEIVED, outcomes.received),
        (L_HANDLED, outcomes.handled),
        (L_ON_TIME, outcomes.on_time),
        (L_LATE, outcomes.handled_late),
        (L_OPEN, outcomes.still_open),
        (L_OPEN_OVERDUE, outcomes.open_overdue),
        (L_OVERDUE, outcomes.overdue),
        (L_FORWARDED, outcomes.forwarded),
        (L_REJECTED, outcomes.rejected),
        (L_DUPLICATE, outcomes.duplicate),
        (L_WITHDRAWN, outcomes.withdrawn),
    ]


@dataclass(frozen=True)
class SummaryRow:
    section: str
    label: str
    value: int | float | str | None
    # How a spreadsheet should show a number: "0", "0.0", "0.0%".
    number_format: str = "0"


def summary_rows(data: ReportData) -> list[SummaryRow]:
    """Every figure of the document, in the document's order."""
    rows: list[SummaryRow] = []
    received = SECTION_RECEIVED
    rows.append(SummaryRow(received, L_RECEIVED, data.outcomes.received))
    rows += [SummaryRow(received, f"Theo loại: {c.label}", c.count) for c in data.by_kind]
    rows += [SummaryRow(received, f"Theo lĩnh vực: {c.label}", c.count) for c in data.by_category]
    rows += [SummaryRow(received, f"Theo thôn: {c.label}", c.count) for c in data.by_village]
    rows += [SummaryRow(received, f"Theo kênh: {c.label}", c.count) for c in data.by_channel]
    rows.append(SummaryRow(received, L_CONFIDENTIAL, data.confidential))

    results = SECTION_RESULTS
    rows += [SummaryRow(results, label, value) for label, value in outcome_rows(data.outcomes)[1:]]
    rows.append(SummaryRow(results, L_ON_TIME_RATE, data.outcomes.on_time_rate, "0.0%"))
    rows.append(SummaryRow(results, L_MEDIAN, data.median_working_days, "0.0"))
    for office in data.by_office:
        for label, value in outcome_rows(office.outcomes):
            rows.append(SummaryRow(results, f"{office.name}: {label}", value))
        rows.append(
            SummaryRow(
                results,
                f"{office.name}: {L_ON_TIME_RATE}",
                office.outcomes.on_time_rate,
                "0.0%",
            )
        )
    satisfaction = data.satisfaction
    rows += [
        SummaryRow(results, level, n)
        for level, n in zip(SATISFACTION_LEVELS, satisfaction.counts, strict=True)
    ]
    rows.append(SummaryRow(results, L_SATISFACTION_RESPONSES, satisfaction.responses))
    rows.append(SummaryRow(results, L_SATISFACTION_AVERAGE, satisfaction.average, "0.00"))

    if data.faq_included:
        for topic in data.faq:
            rows.append(SummaryRow(SECTION_FAQ, f"Hỏi đáp: {topic.title} - Hữu ích", topic.useful))
            rows.append(SummaryRow(SECTION_FAQ, f"Hỏi đáp: {topic.title} - Chưa rõ", topic.unclear))
        for question in data.unanswered:
            rows.append(
                SummaryRow(SECTION_FAQ, f"Câu hỏi chưa trả lời: {question.text}", question.count)
            )
    else:
        rows.append(SummaryRow(SECTION_FAQ, FAQ_ELSEWHERE, None))

    rows.append(
        SummaryRow(SECTION_MISINFORMATION, L_MISINFORMATION_RECEIVED, data.misinformation_received)
    )
    rows.append(
        SummaryRow(SECTION_MISINFORMATION, L_MISINFORMATION_HANDLED, data.misinformation_handled)
    )
    return rows


__all__ = [
    "FAQ_ELSEWHERE",
    "NO_TICKETS",
    "SATISFACTION_LEVELS",
    "SummaryRow",
    "administrative_date",
    "issuer_name",
    "number",
    "outcome_rows",
    "percent",
    "period_text",
    "report_subtitle",
    "share",
    "summary_rows",
]
