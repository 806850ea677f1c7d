"""The overview page (/tong-quan) and the report download (/bao-cao) on both databases,
through HTTP: the figures of tests/integration/dashboard_seed.py as the page shows them,
who sees which office, the report for a chosen period, bad periods, refusals."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest
from docx import Document
from openpyxl import load_workbook
from starlette.testclient import TestClient

from laikhe.commune import CommuneConfig
from tests.integration.dashboard_seed import NOW, SECRET, seed_half_year
from tests.integration.staff_helpers import (
    KT_OFFICER,
    LEADER,
    Sessions,
    configure_groups,
    register_default_staff,
)
from tests.integration.web_helpers import Clock, back_office, sign_in
from web.common import SIGNED_OUT
from web.dashboard import REPORT_REFUSED

KT = "Phòng Kinh tế"
VP = "Văn phòng HĐND và UBND xã"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
async def seeded(sessions: Sessions, commune: CommuneConfig) -> Sessions:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    await seed_half_year(sessions, commune)
    return sessions


@pytest.fixture
def client(database_url: str, seeded: Sessions) -> Iterator[TestClient]:
    with TestClient(back_office(database_url, Clock(NOW))) as client:
        yield client


def row(label: str, *cells: int | str) -> str:
    """A row of a chart's numbers table, as the page writes it."""
    return f'<th scope="row">{label}</th>' + "".join(f"<td>{cell}</td>" for cell in cells)


def chart_rows(page: str, chart: str) -> list[str]:
    """The row labels of one chart's numbers table."""
    figure = page.split(f'id="bieu-do-{chart}"')[1].split("</figure>")[0]
    return re.findall(r'<th scope="row">([^<]*)</th>', figure)


async def test_a_leader_sees_the_commune_with_every_office(
    client: TestClient, seeded: Sessions
) -> None:
    await sign_in(client, seeded, LEADER, NOW)
    page = client.get("/tong-quan")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Tổng quan · Toàn xã</h1>" in html
    assert 'id="so-y-kien">15<' in html and 'id="ti-le-dung-han">67%<' in html  # 6 of 9
    assert html.count('role="img"') == 6  # weeks, on time, age, villages, rating, FAQ
    # Office: received, handled, on time, late, open, overdue.
    assert row(KT, 5, 2, 1, 1, 3, 1) in html
    assert row(VP, 4, 2, 2, 0, 2, 1) in html
    assert row("Phòng Văn hóa - Xã hội", 5, 4, 2, 2, 0, 0) in html
    assert "50% (1/2; 1 đang quá hạn)" in html
    assert f"còn quá hạn (đến hết ngày 01/07/2026): {VP} (1), {KT} (1)." in html
    # Weeks: gop_y, phan_anh, kien_nghi, cau_hoi, thong_tin_sai, khieu_nai_to_cao, total.
    assert row("05/01/2026", 1, 1, 0, 0, 0, 0, 2) in html
    assert row("22/06/2026", 3, 0, 0, 0, 0, 0, 3) in html
    assert row("Trên 30 ngày", 2) in html and row("0–2 ngày", 1) in html
    assert row("Thôn Mẫu 3", 5) in html
    assert row("Ý kiến được bảo mật (khiếu nại, tố cáo)", 1) in html
    assert row("5 điểm", 1) in html
    assert row("Đăng ký tài khoản VNeID", 2, 1) in html
    # A screen reader gets each chart's numbers: the SVG is described by its table.
    assert 'aria-describedby="thon-d thon-bang"' in html and 'id="thon-bang"' in html
    # Counted, never shown; and the page obeys its CSP (no script, no inline style).
    assert SECRET not in html and "sender-" not in html
    assert "<script" not in html and "style=" not in html
    assert "script-src" not in page.headers["content-security-policy"]
    assert 'action="/bao-cao"' in html


async def test_an_officer_sees_only_their_office_and_no_report_form(
    client: TestClient, seeded: Sessions
) -> None:
    await sign_in(client, seeded, KT_OFFICER, NOW)
    html = client.get("/tong-quan").text
    assert f"<h1>Tổng quan · {KT}</h1>" in html
    assert 'id="so-y-kien">5<' in html and 'id="ti-le-dung-han">50%<' in html
    assert chart_rows(html, "dung-han") == [KT]
    assert row("22/06/2026", 1, 0, 0, 0, 0, 0, 1) in html  # A6 only: B4, C4 are others'
    assert row("Thôn Mẫu 1", 3) in html and row("Thôn Mẫu 3", 0) in html
    assert "bieu-do-faq" not in html and 'action="/bao-cao"' not in html
    assert VP not in html


async def test_the_period_is_chosen_and_checked(client: TestClient, seeded: Sessions) -> None:
    assert client.get("/tong-quan").status_code == 401
    await sign_in(client, seeded, LEADER, NOW)
    html = client.get("/tong-quan", params={"tu": "2026-01-05", "den": "2026-02-28"}).text
    # A2, answered on 02/03, was still open and overdue at the end of February.
    assert row(KT, 2, 1, 1, 0, 1, 1) in html
    assert len(chart_rows(html, "tuan")) == 8
    for params, message in (
        ({"tu": "2026-07-01", "den": "2026-01-01"}, "sau ngày kết thúc 01/01/2026"),
        ({"tu": "2026-02-30", "den": "2026-03-01"}, "Ngày không hợp lệ"),
        ({"tu": "2026-01-01"}, "cả ngày bắt đầu và ngày kết thúc"),
        ({"tu": "2020-01-01", "den": "2026-01-01"}, "dài nhất là 2 năm"),
    ):
        page = client.get("/tong-quan", params=params)
        assert page.status_code == 400 and message in page.text, params
        assert 'role="img"' not in page.text


async def test_a_leader_downloads_the_report_for_a_chosen_period(
    client: TestClient, seeded: Sessions
) -> None:
    await sign_in(client, seeded, LEADER, NOW)
    response = client.get("/bao-cao", params={"tu": "2026-01-05", "den": "2026-06-29"})
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCX
    assert (
        'filename="bao-cao-toan-xa-2026-01-05-2026-06-29.docx"'
        in response.headers["content-disposition"]
    )
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO" in text
    assert "từ 05/01/2026 đến 29/06/2026" in text
    # A4 came on 30/06, after this period: 14 of the 15.
    assert "tiếp nhận 14 ý kiến" in text
    kinds = next(t for t in document.tables if t.rows[0].cells[1].text == "Loại ý kiến")
    assert [c.text for c in kinds.rows[1].cells[1:3]] == ["Góp ý", "8"]
    assert SECRET not in text
    assert document.inline_shapes, "the charts are in the document"

    sheet = client.get(
        "/bao-cao", params={"tu": "2026-01-05", "den": "2026-06-29", "dinh_dang": "xlsx"}
    )
    assert sheet.status_code == 200 and sheet.headers["content-disposition"].endswith('.xlsx"')
    assert load_workbook(io.BytesIO(sheet.content)).sheetnames

    for params, message in (
        ({"tu": "2026-06-29", "den": "2026-01-05"}, "sau ngày kết thúc"),
        ({"tu": "hôm qua", "den": "2026-01-05"}, "Ngày không hợp lệ"),
        ({"den": "2026-01-05"}, "cả ngày bắt đầu và ngày kết thúc"),
        ({"tu": "2026-01-05", "den": "2026-06-29", "dinh_dang": "pdf"}, "Word (.docx)"),
    ):
        page = client.get("/bao-cao", params=params)
        assert page.status_code == 400 and message in page.text, params
        assert page.headers["content-type"].startswith("text/html")


async def test_an_officer_is_refused_the_report_and_the_log_names_nobody(
    client: TestClient, seeded: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.get("/bao-cao").status_code == 401
    assert SIGNED_OUT in client.get("/bao-cao").text
    await sign_in(client, seeded, KT_OFFICER, NOW)
    with caplog.at_level(logging.INFO):
        page = client.get("/bao-cao", params={"tu": "2026-01-05", "den": "2026-06-30"})
    assert page.status_code == 403 and REPORT_REFUSED in page.text
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals == ["report download refused for role officer"]
    assert "Trần Văn Kinh" not in caplog.text and str(KT_OFFICER) not in caplog.text
