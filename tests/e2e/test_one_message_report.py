"""A resident who says everything in the first message (issue #22, items 2, 4, 5): fake
Bot API -> real bot -> real engine and action server -> database. Only consent, kind,
field and photos are asked; the content, village, name and phone come from the message
and are shown in the summary before «Gửi»."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Ticket
from scripts.stack import Stack
from tests.e2e.test_resident_flows import Resident, code_in, on_database
from tests.fake_telegram import FakeTelegramServer

pytestmark = pytest.mark.e2e

ONE_MESSAGE = (
    "toi muon phan anh duong day internet o thon mau 1 hay bi mat mang, "
    "toi la Nguyen Van Binh sdt 0912000123"
)


def ticket_row(database_url: str, code: str) -> tuple[str, str, str | None, str, str, str]:
    async def work(session: AsyncSession) -> tuple[str, str, str | None, str, str, str]:
        ticket = await session.scalar(
            select(Ticket)
            .options(selectinload(Ticket.village), selectinload(Ticket.category))
            .where(Ticket.code == code)
        )
        assert ticket is not None
        return (
            ticket.kind,
            ticket.category.code if ticket.category else "",
            ticket.village.code if ticket.village else None,
            ticket.content,
            str(ticket.contact_name),
            str(ticket.contact_phone),
        )

    return on_database(database_url, work)


def test_a_one_message_report_asks_only_what_is_missing(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7401)
    resident.say(ONE_MESSAGE, "Bảo vệ dữ liệu")
    resident.press("Đồng ý", "loại ý kiến")
    resident.press("Phản ánh", "lĩnh vực")
    # No content, village, name or phone question: straight to the photos.
    resident.press("Hạ tầng số (Internet, sóng, wifi)", "ảnh chụp minh họa")
    summary = resident.press("Không có ảnh", "kiểm tra lại")
    for shown in ("hay bi mat mang", "Thôn Mẫu 1", "Nguyen Van Binh", "+84912000123"):
        assert shown in (summary.text or "")
    code = code_in(resident.press("Gửi", "Mã:"))
    assert ticket_row(stack.database_url, code) == (
        "phan_anh",
        "ha_tang_so",
        "THON-MAU-1",
        "toi muon phan anh duong day internet o thon mau 1 hay bi mat mang",
        "Nguyen Van Binh",
        "+84912000123",
    )
    transcript = resident.transcript()
    for never_asked in ("viết nội dung", "thôn nào", "họ và tên", "số điện thoại liên hệ"):
        assert never_asked not in transcript
