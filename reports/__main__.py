"""python -m reports [--from YYYY-MM-DD --to YYYY-MM-DD] [--office KT] [--out DIR]

Writes bao-cao-<office|toan-xa>-<start>-<end>.docx and .xlsx and prints their paths.
Without --from/--to: the current half-year period (closing on 15/06 or 15/12).
Exit code 2, with a Vietnamese message, for a bad date, a reversed range or an unknown
office code.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from db.session import sessionmaker_for, unit_of_work
from laikhe import clock
from laikhe.commune import load_commune_config
from laikhe.settings import PROJECT_ROOT, get_settings
from reports.data import UnknownOfficeError
from reports.periods import PeriodError, parse_iso_date, requested_period
from reports.service import ReportFiles, build_report

USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse speaks English; the clerks who run this read Vietnamese.
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"Lỗi: tham số không hợp lệ ({message}).\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m reports",
        description=(
            "Lập báo cáo 6 tháng kết quả tiếp nhận, xử lý ý kiến người dân (Word và Excel)."
        ),
    )
    parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="ngày bắt đầu kỳ")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="ngày kết thúc kỳ")
    parser.add_argument("--office", metavar="MÃ", help="mã đơn vị, ví dụ KT; bỏ trống: toàn xã")
    parser.add_argument(
        "--out",
        type=Path,
        default=PROJECT_ROOT / "var" / "reports",
        metavar="THƯ_MỤC",
        help="thư mục ghi báo cáo (mặc định var/reports)",
    )
    return parser


def _fail(message: str) -> NoReturn:
    print(f"Lỗi: {message}", file=sys.stderr)
    raise SystemExit(USAGE_ERROR)


async def _run(args: argparse.Namespace) -> ReportFiles:
    settings = get_settings()
    commune = load_commune_config(settings.commune_config)
    today = clock.now().date()
    try:
        period = requested_period(
            parse_iso_date(args.start) if args.start else None,
            parse_iso_date(args.end) if args.end else None,
            today=today,
        )
    except PeriodError as error:
        _fail(str(error))
    office = args.office.strip().upper() if args.office else None
    sessions = sessionmaker_for(settings.database_url)
    try:
        async with unit_of_work(sessions) as session:
            return await build_report(
                session=session,
                commune=commune,
                start=period.start,
                end=period.end,
                office_code=office,
                out_dir=args.out,
            )
    except UnknownOfficeError as error:
        _fail(str(error))
    finally:
        await sessions.kw["bind"].dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    files = asyncio.run(_run(args))
    print(files.docx)
    print(files.xlsx)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
