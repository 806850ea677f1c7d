"""Reporting periods, who may ask for a report, and the report's small text helpers."""

from __future__ import annotations

from datetime import date

import pytest

from reports.data import mask_contacts
from reports.periods import (
    Period,
    PeriodError,
    half_year_period,
    parse_iso_date,
    previous_half_year_period,
    requested_period,
)
from reports.service import report_basename
from reports.text import administrative_date, number, percent
from services.access import may_request_report


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        # The examples of the brief.
        (date(2026, 11, 26), date(2026, 6, 16), date(2026, 12, 15)),
        (date(2026, 6, 10), date(2025, 12, 16), date(2026, 6, 15)),
        # The closing day belongs to the period it closes; the next day opens the next.
        (date(2026, 6, 15), date(2025, 12, 16), date(2026, 6, 15)),
        (date(2026, 6, 16), date(2026, 6, 16), date(2026, 12, 15)),
        (date(2026, 12, 15), date(2026, 6, 16), date(2026, 12, 15)),
        # After 15 December the period runs into the next year.
        (date(2026, 12, 16), date(2026, 12, 16), date(2027, 6, 15)),
        (date(2026, 12, 31), date(2026, 12, 16), date(2027, 6, 15)),
        (date(2027, 1, 1), date(2026, 12, 16), date(2027, 6, 15)),
        (date(2028, 2, 29), date(2027, 12, 16), date(2028, 6, 15)),
    ],
)
def test_half_year_period_closes_on_15_june_or_15_december(
    today: date, start: date, end: date
) -> None:
    assert half_year_period(today) == Period(start, end)


def test_previous_period_is_the_one_already_closed() -> None:
    assert previous_half_year_period(date(2026, 11, 26)) == Period(
        date(2025, 12, 16), date(2026, 6, 15)
    )
    assert previous_half_year_period(date(2026, 6, 10)) == Period(
        date(2025, 6, 16), date(2025, 12, 15)
    )


def test_any_range_on_request_and_the_default() -> None:
    today = date(2026, 11, 26)
    assert requested_period(None, None, today=today) == Period(
        date(2026, 6, 16), date(2026, 12, 15)
    )
    assert requested_period(date(2026, 1, 1), date(2026, 3, 31), today=today) == Period(
        date(2026, 1, 1), date(2026, 3, 31)
    )
    # One day is a valid range.
    assert requested_period(date(2026, 5, 5), date(2026, 5, 5), today=today).label == (
        "từ 05/05/2026 đến 05/05/2026"
    )


def test_reversed_or_half_ranges_are_refused_in_vietnamese() -> None:
    with pytest.raises(PeriodError, match="sau ngày kết thúc"):
        requested_period(date(2026, 6, 1), date(2026, 5, 1), today=date(2026, 11, 26))
    with pytest.raises(PeriodError, match="--to"):
        requested_period(date(2026, 6, 1), None, today=date(2026, 11, 26))
    with pytest.raises(PeriodError, match="Ngày không hợp lệ"):
        parse_iso_date("15/06/2026")
    assert parse_iso_date(" 2026-06-15 ") == date(2026, 6, 15)


@pytest.mark.parametrize(
    ("role", "staff_office", "requested", "allowed"),
    [
        # Not registered staff: nothing, whatever is asked.
        (None, None, None, False),
        (None, "KT", "KT", False),
        # Leaders: commune-wide and any office.
        ("commune_leader", None, None, True),
        ("commune_leader", None, "KT", True),
        ("admin", "VP", "KT", True),
        # Office staff: their own office only.
        ("officer", "KT", "KT", True),
        ("office_lead", "KT", "kt", True),
        ("officer", "KT", "VP", False),
        ("office_lead", "KT", None, False),
        ("officer", None, "KT", False),
        # An unknown role string is not a role.
        ("resident", "KT", "KT", False),
    ],
)
def test_who_may_request_a_report(
    role: str | None, staff_office: str | None, requested: str | None, allowed: bool
) -> None:
    assert may_request_report(role, staff_office, requested) is allowed


def test_file_names() -> None:
    assert (
        report_basename(None, date(2026, 6, 16), date(2026, 12, 15))
        == "bao-cao-toan-xa-2026-06-16-2026-12-15"
    )
    assert (
        report_basename("KT", date(2025, 12, 16), date(2026, 6, 15))
        == "bao-cao-kt-2025-12-16-2026-06-15"
    )


def test_administrative_date_pads_as_decree_30_says() -> None:
    assert administrative_date(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert administrative_date(date(2026, 11, 26)) == "ngày 26 tháng 11 năm 2026"
    assert administrative_date(date(2026, 6, 20)) == "ngày 20 tháng 6 năm 2026"


def test_vietnamese_numbers() -> None:
    assert number(6.0) == "6"
    assert number(9.5) == "9,5"
    assert number(3.4) == "3,4"
    assert number(3.4, 2) == "3,4"
    assert number(3.456, 2) == "3,46"
    assert number(3.0, 2) == "3"
    assert percent(7 / 8) == "87,5%"
    assert percent(1.0) == "100%"
    assert percent(6 / 17) == "35,3%"
    assert percent(None) == "-"


def test_contacts_in_free_text_are_masked() -> None:
    assert mask_contacts("gọi 0987 654 321 giúp") == "gọi [đã ẩn] giúp"
    assert mask_contacts("sdt 0912.345.678") == "sdt [đã ẩn]"
    assert mask_contacts("+84 912 345 678 nhé") == "[đã ẩn] nhé"
    assert mask_contacts("CCCD 001203004567") == "CCCD [đã ẩn]"
    assert mask_contacts("mail dan.nguyen@example.com.vn ok") == "mail [đã ẩn] ok"
    # Dates, years and short numbers stay: they are the question, not a contact.
    assert mask_contacts("hạn nộp 15/06/2026, phí 10.000.000 đồng") == (
        "hạn nộp 15/06/2026, phí 10.000.000 đồng"
    )
