"""A resident who says everything in the first message (issue #22): fake Bot API -> real
bot -> real engine and action server -> database. Consent is asked, and the kind and
field read from the message are shown in one step to confirm; the content, village, name
and phone come from the message and are shown in the summary before «Gửi». A report
naming an FAQ topic is heard as a report; a wrong field is corrected in the same step."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Ticket
from scripts.stack import Stack
from testkit.telegram import FakeTelegramServer
from tests.e2e.test_resident_flows import Resident, code_in, on_database

pytestmark = pytest.mark.e2e

ONE_MESSAGE = (
    "toi muon phan anh duong day internet o thon mau 1 hay bi mat mang, "
    "toi la Nguyen Van Binh sdt 0912000123"
)


Row = tuple[str, str, str | None, str, str, str, int]


def ticket_row(database_url: str, code: str) -> Row:
    async def work(session: AsyncSession) -> Row:
        ticket = await session.scalar(
            select(Ticket)
            .options(
                selectinload(Ticket.village),
                selectinload(Ticket.category),
                selectinload(Ticket.attachments),
            )
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
            len(ticket.attachments),
        )

    return on_database(database_url, work)


def test_a_one_message_report_asks_only_what_is_missing(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7401)
    resident.say(ONE_MESSAGE, "Bảo vệ dữ liệu")
    reading = resident.press("Đồng ý", "Tôi hiểu ý kiến")
    assert "• Loại: Phản ánh\n• Lĩnh vực: Hạ tầng số (Internet, sóng, wifi)" in (reading.text or "")
    # No content, village, name or phone question: straight to the summary.
    summary = resident.press("Đúng", "kiểm tra lại")
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
        0,
    )
    transcript = resident.transcript()
    for never_asked in (
        "loại ý kiến nào",
        "lĩnh vực nào",
        "viết nội dung",
        "thôn nào",
        "cho biết họ tên",
    ):
        assert never_asked not in transcript


# Names an FAQ topic (dịch vụ công) but is a report: today's FAQ brochure is not the reply.
FAQ_TOPIC_REPORT = (
    "hồ sơ xin giấy phép kinh doanh nộp trên dịch vụ công của gia đình tôi ở xóm 2 thôn Mẫu 3 "
    "quá hạn 3 tuần rồi mà không thấy ai trả lời"
)


def test_a_report_naming_an_faq_topic_is_heard_and_a_field_corrected(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7403)
    resident.say(FAQ_TOPIC_REPORT, "Bảo vệ dữ liệu")
    reading = resident.press("Đồng ý", "Tôi hiểu ý kiến")
    assert "• Loại: Phản ánh" in (reading.text or "")
    # The resident says the field is another one: asked, the likeliest fields first.
    fields = resident.press("Sửa lĩnh vực", "lĩnh vực nào")
    assert fields.buttons[0][0][0] == "Dịch vụ công trực tuyến"
    resident.press("Thương mại điện tử, thanh toán số", "họ tên và số điện thoại")
    # Name and phone in one message; then a photo sent at the summary is kept.
    resident.say("Hoàng Thị Mai 0987 000 301", "kiểm tra lại")
    resident.photo("• Ảnh: 1")
    assert "Đã nhận 1 ảnh" in resident.transcript()
    shown = resident.transcript()
    code = code_in(resident.press("Gửi", "Mã:"))
    assert ticket_row(stack.database_url, code) == (
        "phan_anh",
        "thuong_mai_dien_tu",
        "THON-MAU-3",
        FAQ_TOPIC_REPORT,
        "Hoàng Thị Mai",
        "+84987000301",
        1,
    )
    assert "Câu trả lời có giúp ích" not in shown  # no FAQ answer, no vote
