"""Make the six-monthly report: figures from the database, then the Word document and the
spreadsheet. Used by `python -m reports` and, later, by the bot for staff who ask for it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from laikhe import clock
from laikhe.commune import CommuneConfig
from reports.charts import report_charts
from reports.data import ReportData, collect_report_data, to_local
from reports.docx_report import write_docx
from reports.xlsx_report import write_xlsx

COMMUNE_WIDE = "toan-xa"


@dataclass(frozen=True)
class ReportFiles:
    docx: Path
    xlsx: Path
    data: ReportData


def report_basename(office_code: str | None, start: date, end: date) -> str:
    """bao-cao-toan-xa-2026-06-16-2026-12-15, bao-cao-kt-2026-06-16-2026-12-15."""
    scope = office_code.lower() if office_code else COMMUNE_WIDE
    return f"bao-cao-{scope}-{start.isoformat()}-{end.isoformat()}"


async def build_report(
    *,
    session: AsyncSession,
    commune: CommuneConfig,
    start: date,
    end: date,
    office_code: str | None,
    out_dir: Path,
    now: datetime | None = None,
) -> ReportFiles:
    now = to_local(now or clock.now())
    data = await collect_report_data(
        session=session, start=start, end=end, office_code=office_code, now=now
    )
    base = out_dir / report_basename(data.office_code, start, end)
    docx_path = base.with_suffix(".docx")
    xlsx_path = base.with_suffix(".xlsx")

    def render() -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        charts = report_charts(data)
        write_docx(
            data=data, commune=commune, charts=charts, generated_on=now.date(), path=docx_path
        )
        write_xlsx(data=data, commune=commune, path=xlsx_path)

    # Drawing charts and writing the files takes a second or two of CPU: off the event
    # loop, so a bot serving residents keeps answering while a report is made.
    await asyncio.to_thread(render)
    return ReportFiles(docx=docx_path, xlsx=xlsx_path, data=data)


__all__ = ["ReportFiles", "build_report", "report_basename"]
