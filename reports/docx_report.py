"""The report as a Word document laid out like a Vietnamese administrative document.

Decree 30/2020/NĐ-CP (công tác văn thư), Appendix I, fixes the layout that the commune's
clerk and the Department expect: A4, margins top/bottom 20-25 mm, left 30-35 mm, right
15-20 mm; Times New Roman; body 13-14 pt; a two-column heading (issuing body and number
on the left, national title and motto on the right, then place and date); the title in
bold capitals; "Nơi nhận:" bottom left and the signature bottom right. The number and
the signer's name are left blank: the clerk numbers the document when it is issued and
the signer writes their own name.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from laikhe.commune import CommuneConfig
from reports.data import Count, ReportData
from reports.text import (
    FAQ_ELSEWHERE,
    L_MEDIAN,
    L_ON_TIME_RATE,
    NO_TICKETS,
    SATISFACTION_LEVELS,
    SECTION_FAQ,
    SECTION_MISINFORMATION,
    SECTION_PROPOSALS,
    SECTION_RECEIVED,
    SECTION_RESULTS,
    administrative_date,
    issuer_name,
    number,
    outcome_rows,
    percent,
    period_text,
    report_subtitle,
    share,
)

FONT = "Times New Roman"
BODY_SIZE = Pt(14)
TABLE_SIZE = Pt(13)
SMALL_TABLE_SIZE = Pt(12)  # the eight-column office table does not fit at 13 pt
TEXT_WIDTH_CM = 16.5  # A4 21 cm minus 3 cm left and 1.5 cm right margins
DOTS = "." * 110
COMMUNE_BODY = "ỦY BAN NHÂN DÂN"

Container = DocumentObject | _Cell


def _base_style(document: DocumentObject) -> None:
    style = document.styles["Normal"]
    font = style.font
    font.name = FONT
    font.size = BODY_SIZE
    # python-docx sets only the Latin slots; Word picks the complex-script and East-Asian
    # slots for some characters, so name the font there too or Word may mix in Calibri.
    fonts = style.element.rPr.rFonts
    for slot in ("w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    paragraph = style.paragraph_format
    paragraph.space_before = Pt(0)
    paragraph.space_after = Pt(6)
    paragraph.line_spacing = 1.15


def _page(document: DocumentObject) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Cm(21.0)
    section.page_height = Cm(29.7)
    section.top_margin = Cm(2.0)
    section.bottom_margin = Cm(2.0)
    section.left_margin = Cm(3.0)
    section.right_margin = Cm(1.5)


def _paragraph(
    container: Container,
    text: str = "",
    *,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: Pt | None = None,
    indent: bool = True,
    space_after: Pt | None = None,
    reuse_first: bool = False,
) -> Paragraph:
    """A paragraph with one run. `reuse_first` fills a table cell's own empty first
    paragraph instead of leaving a blank line above the text."""
    paragraph = (
        container.paragraphs[0]
        if reuse_first and container.paragraphs and not container.paragraphs[0].text
        else container.add_paragraph()
    )
    paragraph.alignment = align
    if indent and align == WD_ALIGN_PARAGRAPH.JUSTIFY:
        paragraph.paragraph_format.first_line_indent = Cm(1.0)
    if space_after is not None:
        paragraph.paragraph_format.space_after = space_after
    if text:
        run = paragraph.add_run(text)
        run.bold = bold
        run.italic = italic
        run.underline = underline
        if size is not None:
            run.font.size = size
    return paragraph


def _no_space(paragraph: Paragraph) -> Paragraph:
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = 1.0
    return paragraph


def _heading_line(cell: _Cell, text: str, *, bold: bool, size: Pt, first: bool = False) -> None:
    _no_space(
        _paragraph(
            cell,
            text,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            bold=bold,
            size=size,
            reuse_first=first,
        )
    )


def _cell_widths(table: Table, widths_cm: Sequence[float]) -> None:
    # Word reads the width of every cell, LibreOffice the table grid: set both.
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def _no_cell_margins(table: Table) -> None:
    """The heading's lines are as long as Decree 30 makes them ("CỘNG HÒA XÃ HỘI CHỦ
    NGHĨA VIỆT NAM" in 12 pt bold); the default cell padding would wrap them."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "0")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)


def _body_lines(full_name: str) -> list[str]:
    """ "ỦY BAN NHÂN DÂN" on its own line, the commune under it, as UBND headings are set."""
    upper = full_name.upper()
    head = "ỦY BAN NHÂN DÂN "
    if upper.startswith(head) and len(upper) > len(head):
        return [head.strip(), upper[len(head) :]]
    return [upper]


def _header(document: DocumentObject, commune: CommuneConfig, data: ReportData, day: date) -> None:
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _no_cell_margins(table)
    _cell_widths(table, (7.0, TEXT_WIDTH_CM - 7.0))
    left, right = table.rows[0].cells
    if data.office_name:
        # An office: the commune's People's Committee above it (regular), the office
        # itself in bold, as Decree 30 writes a body under its parent.
        body = commune.commune.full_name.upper()
        _heading_line(left, body, bold=False, size=Pt(12), first=True)
        _heading_line(left, data.office_name.upper(), bold=True, size=Pt(13))
        symbol = f"BC-{data.office_code}"
    else:
        first, *rest = _body_lines(commune.commune.full_name)
        paragraph = _no_space(
            _paragraph(
                left,
                first,
                align=WD_ALIGN_PARAGRAPH.CENTER,
                bold=True,
                size=Pt(13),
                reuse_first=True,
            )
        )
        for line in rest:
            run = paragraph.add_run()
            run.add_break()
            run = paragraph.add_run(line)
            run.bold = True
            run.font.size = Pt(13)
        symbol = "BC-UBND"
    _heading_line(left, "-------", bold=False, size=Pt(10))
    _heading_line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=Pt(12), first=True)
    motto = _paragraph(
        right,
        "Độc lập - Tự do - Hạnh phúc",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        bold=True,
        underline=True,
        size=Pt(13),
    )
    _no_space(motto)
    number_cell, date_cell = table.rows[1].cells
    # The number is the clerk's: left blank ("Số:      /BC-UBND") until the document is
    # registered and issued.
    _paragraph(
        number_cell,
        f"Số:        /{symbol}",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        size=Pt(13),
        reuse_first=True,
    )
    _paragraph(
        date_cell,
        f"{commune.commune.name}, {administrative_date(day)}",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        italic=True,
        size=Pt(13),
        reuse_first=True,
    )


def _caption(document: DocumentObject, text: str) -> None:
    paragraph = _paragraph(
        document, text, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, italic=True, size=Pt(13)
    )
    paragraph.paragraph_format.keep_with_next = True
    paragraph.paragraph_format.space_before = Pt(6)


def _table(
    document: DocumentObject,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_cm: Sequence[float],
    *,
    size: Pt = TABLE_SIZE,
) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _no_space(
            _paragraph(
                cell, text, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=size, reuse_first=True
            )
        )
    # Repeat the header row when a long table runs onto the next page.
    header_properties = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_properties.append(repeat)
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            # Labels left, figures centred, as in the Department's own summary tables.
            align = WD_ALIGN_PARAGRAPH.LEFT if index == 1 else WD_ALIGN_PARAGRAPH.CENTER
            _no_space(_paragraph(cell, text, align=align, size=size, reuse_first=True))
    _cell_widths(table, widths_cm)
    _paragraph(document, "", space_after=Pt(0))


def _count_table(
    document: DocumentObject, caption: str, heading: str, counts: Sequence[Count], total: int
) -> None:
    _caption(document, caption)
    rows = [
        [str(index), count.label, str(count.count), share(count.count, total)]
        for index, count in enumerate(counts, start=1)
    ]
    rows.append(["", "Tổng cộng", str(total), share(total, total)])
    _table(document, ["STT", heading, "Số lượng", "Tỷ lệ"], rows, (1.3, 9.7, 2.7, 2.8))


def _chart(document: DocumentObject, png: bytes | None, caption: str) -> None:
    if png is None:
        return
    picture = document.add_paragraph()
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    picture.add_run().add_picture(io.BytesIO(png), width=Cm(15.5))
    _paragraph(document, caption, align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, size=Pt(12))


def _section(document: DocumentObject, title: str) -> None:
    paragraph = _paragraph(document, title, bold=True)
    paragraph.paragraph_format.keep_with_next = True
    paragraph.paragraph_format.space_before = Pt(6)


def _received(
    document: DocumentObject, commune: CommuneConfig, data: ReportData, charts: dict[str, bytes]
) -> None:
    _section(document, SECTION_RECEIVED)
    if data.is_empty:
        _paragraph(document, NO_TICKETS)
        return
    total = data.outcomes.received
    text = (
        f"Trong kỳ báo cáo ({period_text(data)}), {issuer_name(commune, data)} tiếp nhận "
        f"{total} ý kiến của người dân, doanh nghiệp qua trợ lý ảo."
    )
    if data.as_of < data.end:
        text += f" Số liệu tính đến hết ngày {data.as_of:%d/%m/%Y}."
    _paragraph(document, text)
    if data.confidential:
        _paragraph(
            document,
            f"Trong đó có {data.confidential} ý kiến khiếu nại, tố cáo được bảo mật theo quy "
            "định của Luật Khiếu nại, Luật Tố cáo; báo cáo chỉ thống kê số lượng, không nêu "
            "nội dung và người gửi.",
        )
    channels = "; ".join(f"{c.label}: {c.count} ý kiến" for c in data.by_channel)
    _paragraph(document, f"Theo kênh tiếp nhận: {channels}.")
    _count_table(document, "Bảng 1. Ý kiến tiếp nhận theo loại", "Loại ý kiến", data.by_kind, total)
    _count_table(
        document, "Bảng 2. Ý kiến tiếp nhận theo lĩnh vực", "Lĩnh vực", data.by_category, total
    )
    _count_table(document, "Bảng 3. Ý kiến tiếp nhận theo thôn", "Thôn", data.by_village, total)
    _chart(document, charts.get("theo-thang"), "Biểu đồ 1. Số ý kiến tiếp nhận theo tháng")


def _results(document: DocumentObject, data: ReportData, charts: dict[str, bytes]) -> None:
    _section(document, SECTION_RESULTS)
    if data.is_empty:
        _paragraph(document, "Không có ý kiến cần xử lý trong kỳ báo cáo.")
        return
    outcomes = data.outcomes
    _caption(document, "Bảng 4. Kết quả xử lý ý kiến")
    rows = [
        [str(index), label, str(value), share(value, outcomes.received)]
        for index, (label, value) in enumerate(outcome_rows(outcomes), start=1)
    ]
    _table(document, ["STT", "Chỉ tiêu", "Số lượng", "Tỷ lệ"], rows, (1.3, 9.7, 2.7, 2.8))
    median = data.median_working_days
    _paragraph(
        document,
        f"{L_ON_TIME_RATE}: {percent(outcomes.on_time_rate)} "
        f"({outcomes.on_time}/{outcomes.handled} ý kiến đã giải quyết).",
    )
    _paragraph(
        document,
        f"{L_MEDIAN}: "
        + (
            "chưa có ý kiến được giải quyết."
            if median is None
            else f"{number(median)} ngày (không tính thứ Bảy, Chủ nhật, ngày lễ, Tết)."
        ),
    )
    if not data.office_code:
        _caption(document, "Bảng 5. Kết quả xử lý theo đơn vị")
        office_rows = [
            [
                str(index),
                office.name,
                str(office.outcomes.received),
                str(office.outcomes.handled),
                str(office.outcomes.on_time),
                str(office.outcomes.still_open),
                str(office.outcomes.overdue),
                percent(office.outcomes.on_time_rate),
            ]
            for index, office in enumerate(data.by_office, start=1)
        ]
        _table(
            document,
            [
                "STT",
                "Đơn vị",
                "Tiếp nhận",
                "Đã giải quyết",
                "Đúng hạn",
                "Đang xử lý",
                "Quá hạn",
                "Tỷ lệ đúng hạn",
            ],
            office_rows,
            (1.3, 4.7, 1.7, 1.9, 1.6, 1.7, 1.5, 2.1),
            size=SMALL_TABLE_SIZE,
        )
        _chart(document, charts.get("theo-don-vi"), "Biểu đồ 2. Kết quả xử lý theo đơn vị")
        _chart(document, charts.get("dung-han"), "Biểu đồ 3. Tỷ lệ giải quyết đúng hạn theo đơn vị")
    satisfaction = data.satisfaction
    if satisfaction.responses:
        average = satisfaction.average or 0.0
        _paragraph(
            document,
            f"Mức độ hài lòng của người gửi: {satisfaction.responses} lượt đánh giá, "
            f"điểm trung bình {number(round(average, 2), 2)}/5.",
        )
        _caption(document, "Bảng 6. Mức độ hài lòng")
        _table(
            document,
            ["STT", "Mức đánh giá", "Số lượt"],
            [
                [str(index), level, str(count)]
                for index, (level, count) in enumerate(
                    zip(SATISFACTION_LEVELS, satisfaction.counts, strict=True), start=1
                )
            ],
            (1.3, 11.2, 4.0),
        )
    else:
        _paragraph(document, "Mức độ hài lòng của người gửi: chưa có lượt đánh giá nào.")


def _faq(document: DocumentObject, data: ReportData) -> None:
    _section(document, SECTION_FAQ)
    if not data.faq_included:
        _paragraph(document, FAQ_ELSEWHERE)
        return
    if data.faq:
        useful = sum(topic.useful for topic in data.faq)
        unclear = sum(topic.unclear for topic in data.faq)
        _paragraph(
            document,
            f"Người dân đã đánh giá {useful + unclear} lượt câu trả lời hỏi đáp của trợ lý ảo: "
            f"{useful} lượt “Hữu ích”, {unclear} lượt “Chưa rõ”. Các chủ đề có nhiều lượt "
            "“Chưa rõ” cần bổ sung, làm rõ nội dung trả lời.",
        )
        _caption(document, "Bảng 7. Đánh giá câu trả lời hỏi đáp theo chủ đề")
        _table(
            document,
            ["STT", "Chủ đề", "Hữu ích", "Chưa rõ", "Tổng"],
            [
                [str(i), t.title, str(t.useful), str(t.unclear), str(t.total)]
                for i, t in enumerate(data.faq, start=1)
            ],
            (1.3, 8.2, 2.3, 2.3, 2.4),
        )
    else:
        _paragraph(document, "Trong kỳ chưa có lượt đánh giá câu trả lời hỏi đáp nào.")
    if data.unanswered:
        _paragraph(
            document,
            f"Những câu hỏi trợ lý ảo chưa trả lời được, được hỏi nhiều nhất "
            f"({len(data.unanswered)} câu; thông tin liên hệ trong câu hỏi đã được ẩn). "
            "Đây là những nội dung người dân cần thêm thông tin:",
        )
        _caption(document, "Bảng 8. Câu hỏi chưa được trả lời")
        _table(
            document,
            ["STT", "Câu hỏi", "Số lần"],
            [[str(i), q.text, str(q.count)] for i, q in enumerate(data.unanswered, start=1)],
            (1.3, 12.7, 2.5),
        )
    else:
        _paragraph(document, "Trong kỳ không có câu hỏi nào trợ lý ảo chưa trả lời được.")


def _misinformation(document: DocumentObject, data: ReportData) -> None:
    _section(document, SECTION_MISINFORMATION)
    if data.misinformation_received:
        _paragraph(
            document,
            f"Tiếp nhận {data.misinformation_received} phản ánh về thông tin sai sự thật, "
            "trái chiều liên quan đến Nghị quyết số 57-NQ/TW và chuyển đổi số trên địa bàn; "
            f"đã xử lý {data.misinformation_handled} phản ánh.",
        )
    else:
        _paragraph(document, "Trong kỳ không tiếp nhận phản ánh nào về thông tin sai sự thật.")


def _proposals(document: DocumentObject) -> None:
    _section(document, SECTION_PROPOSALS)
    # Left for the office: the figures cannot say what it needs from the Department.
    _paragraph(document, "(Đơn vị bổ sung đề xuất, kiến nghị)", italic=True)
    for _ in range(3):
        _paragraph(document, DOTS, indent=False)


def _signer_title(office_name: str | None) -> tuple[str, ...]:
    if office_name is None:
        # The plan itself is signed on behalf of the Chairman by a Vice-Chairman.
        return ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    lowered = office_name.lower()
    if lowered.startswith("phòng"):
        return ("TRƯỞNG PHÒNG",)
    if lowered.startswith("trung tâm"):
        return ("GIÁM ĐỐC",)
    if lowered.startswith("văn phòng"):
        return ("CHÁNH VĂN PHÒNG",)
    return ("THỦ TRƯỞNG ĐƠN VỊ",)


def _recipients(commune: CommuneConfig, data: ReportData) -> list[str]:
    if data.office_code:
        return [
            f"- UBND xã {commune.commune.name} (để tổng hợp);",
            f"- Lưu: {data.office_code}.",
        ]
    return [
        f"- Sở Khoa học và Công nghệ {commune.commune.city};",
        "- Thường trực Đảng ủy, HĐND xã;",
        "- Lãnh đạo UBND xã;",
        "- Các cơ quan, đơn vị thuộc UBND xã;",
        "- Lưu: VT.",
    ]


def _closing(document: DocumentObject, commune: CommuneConfig, data: ReportData) -> None:
    _paragraph(
        document,
        f"Trên đây là báo cáo kết quả tiếp nhận, xử lý ý kiến của người dân, doanh nghiệp về "
        f"thực hiện Nghị quyết số 57-NQ/TW {period_text(data)} của "
        f"{issuer_name(commune, data)}./.",
    )
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    _cell_widths(table, (8.0, TEXT_WIDTH_CM - 8.0))
    recipients, signature = table.rows[0].cells
    _no_space(
        _paragraph(
            recipients,
            "Nơi nhận:",
            align=WD_ALIGN_PARAGRAPH.LEFT,
            bold=True,
            italic=True,
            size=Pt(12),
            reuse_first=True,
        )
    )
    for line in _recipients(commune, data):
        _no_space(_paragraph(recipients, line, align=WD_ALIGN_PARAGRAPH.LEFT, size=Pt(11)))
    for index, line in enumerate(_signer_title(data.office_name)):
        _heading_line(signature, line, bold=True, size=Pt(14), first=index == 0)
    # Room for the signature and the signer's name, which the signer writes.
    for _ in range(5):
        _no_space(_paragraph(signature, "", align=WD_ALIGN_PARAGRAPH.CENTER))


def write_docx(
    *,
    data: ReportData,
    commune: CommuneConfig,
    charts: dict[str, bytes],
    generated_on: date,
    path: Path,
) -> Path:
    document = Document()
    _base_style(document)
    _page(document)
    _header(document, commune, data, generated_on)
    title = _paragraph(document, "BÁO CÁO", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    title.paragraph_format.space_before = Pt(18)
    title.paragraph_format.space_after = Pt(0)
    _paragraph(document, report_subtitle(data), align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    _paragraph(document, "-----------", align=WD_ALIGN_PARAGRAPH.CENTER, size=Pt(10))
    _paragraph(
        document,
        "Thực hiện Kế hoạch tuyên truyền Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính "
        f"trị trên địa bàn xã {commune.commune.name} (mục V.4: định kỳ trước ngày 15 tháng 6 "
        "và trước ngày 15 tháng 12 hằng năm báo cáo tình hình, kết quả thực hiện), "
        f"{issuer_name(commune, data)} báo cáo kết quả tiếp nhận, xử lý ý kiến của người dân, "
        f"doanh nghiệp qua trợ lý ảo {period_text(data)} như sau:",
    )
    _received(document, commune, data, charts)
    _results(document, data, charts)
    _faq(document, data)
    _misinformation(document, data)
    _proposals(document)
    _closing(document, commune, data)
    document.core_properties.title = "BÁO CÁO " + report_subtitle(data)
    # The template's fields would otherwise say "python-docx": say who made it instead.
    document.core_properties.author = issuer_name(commune, data)
    document.core_properties.last_modified_by = issuer_name(commune, data)
    document.core_properties.created = datetime.combine(generated_on, time(0))
    document.core_properties.modified = datetime.combine(generated_on, time(0))
    document.core_properties.comments = ""
    document.save(str(path))
    return path


__all__ = ["write_docx"]
