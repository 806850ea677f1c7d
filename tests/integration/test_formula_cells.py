"""Residents' words that a spreadsheet would run as a formula stay text in the report
spreadsheet and in the CSV export (issue #17 item 15), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from db.models import TicketKind, UnansweredQuestion
from laikhe.cells import csv_cell, looks_like_formula
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from reports.service import build_report
from reports.xlsx_report import SHEET_FAQ
from services.ticket_queries import export_csv
from services.tickets import NewTicket, TicketPolicy, create_ticket
from tests.integration.ticket_helpers import Sessions

AT = datetime(2026, 3, 2, 9, 0, tzinfo=commune_zone())
FORMULAS = [
    '=HYPERLINK("http://evil.example/x","Bấm vào đây")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]
PLAIN = ["Làm sao đăng ký VNeID", "Giá = bao nhiêu", "1-2 ngày", "", None, 5]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_starts_are_recognised_and_quoted_for_csv(text: str) -> None:
    assert looks_like_formula(text)
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", PLAIN)
def test_other_values_pass_unchanged(value: object) -> None:
    assert not looks_like_formula(value)
    assert csv_cell(value) == value


async def test_the_csv_export_quotes_formula_like_content(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    async with sessions() as session:
        for index, text in enumerate([*FORMULAS[:4], "Wifi yếu ở nhà văn hóa"]):
            await create_ticket(
                session=session,
                policy=TicketPolicy.from_config(commune),
                ticket=NewTicket(
                    kind=TicketKind.GOP_Y,
                    content=text,
                    channel="telegram",
                    sender_id=f"{3000 + index}",
                    category_code="ha_tang_so",
                ),
                now=AT,
            )
        await session.commit()
        out = io.StringIO(newline="")
        await export_csv(
            session=session, out=out, created_from=date(2026, 3, 1), created_to=date(2026, 3, 31)
        )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    contents = [row[-1] for row in rows[1:]]
    assert contents == [*("'" + text for text in FORMULAS[:4]), "Wifi yếu ở nhà văn hóa"]
    # No cell of the file starts a formula.
    assert not any(looks_like_formula(cell) for row in rows for cell in row)


async def test_the_report_spreadsheet_keeps_formula_like_questions_as_text(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    async with sessions() as session:
        for text in FORMULAS[:4]:
            session.add(UnansweredQuestion(text=text, channel="telegram", at=AT))
        await session.commit()
        files = await build_report(
            session=session,
            commune=commune,
            start=date(2025, 12, 16),
            end=date(2026, 6, 15),
            office_code=None,
            out_dir=tmp_path,
            now=datetime(2026, 6, 20, 9, 0, tzinfo=commune_zone()),
        )
    sheet = load_workbook(files.xlsx)[SHEET_FAQ]
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if cell.value}
    for text in FORMULAS[:4]:
        cell = cells[text]  # the words as typed, readable
        assert (cell.data_type, cell.quotePrefix) == ("s", True)
    # Nowhere in the package a formula element.
    with zipfile.ZipFile(files.xlsx) as package:
        sheets = [name for name in package.namelist() if name.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in package.read(name) for name in sheets)
