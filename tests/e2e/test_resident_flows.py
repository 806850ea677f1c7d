"""Resident and business flows end to end: fake Bot API -> real bot -> real engine and
action server -> database. Every test checks the rows the flow left, not only the words."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import ConsentRecord, Ticket
from db.session import sessionmaker_for
from scripts.stack import Stack
from services.tickets import TICKET_CODE_PATTERN
from testkit.telegram import FakeTelegramServer, SentMessage

pytestmark = pytest.mark.e2e
TIMEOUT = 30.0
T = TypeVar("T")


class Resident:
    """One chat driven like a person: say or press something, wait for the expected reply."""

    def __init__(self, telegram: FakeTelegramServer, chat_id: int) -> None:
        self.telegram = telegram
        self.chat_id = chat_id

    def _wait(self, seen: int, contains: str) -> SentMessage:
        messages = self.telegram.wait_for_messages(
            self.chat_id,
            seen + 1,
            timeout=TIMEOUT,
            predicate=lambda sent: any(contains in (m.text or "") for m in sent[seen:]),
        )
        return next(m for m in messages[seen:] if contains in (m.text or ""))

    def _seen(self) -> int:
        return len(self.telegram.messages(self.chat_id))

    def say(self, text: str, expect: str) -> SentMessage:
        seen = self._seen()
        self.telegram.send_text(self.chat_id, text)
        return self._wait(seen, expect)

    def press(self, title: str, expect: str) -> SentMessage:
        seen = self._seen()
        self.telegram.press_button_with_text(self.chat_id, title)
        return self._wait(seen, expect)

    def transcript(self) -> str:
        return "\n".join(m.text or "" for m in self.telegram.messages(self.chat_id))

    def photo(self, expect: str) -> SentMessage:
        seen = self._seen()
        self.telegram.send_photo(self.chat_id)
        return self._wait(seen, expect)


def on_database(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Read what the action server wrote, as staff would, from the same database."""

    async def go() -> T:
        factory = sessionmaker_for(database_url)
        try:
            async with factory() as session:
                return await work(session)
        finally:
            await factory.kw["bind"].dispose()

    return asyncio.run(go())


def ticket_by_code(database_url: str, code: str) -> Ticket:
    async def work(session: AsyncSession) -> Ticket | None:
        return await session.scalar(
            select(Ticket)
            .options(selectinload(Ticket.office), selectinload(Ticket.attachments))
            .where(Ticket.code == code)
        )

    ticket = on_database(database_url, work)
    assert ticket is not None
    return ticket


def consents_of(database_url: str, chat_id: int | None) -> list[ConsentRecord]:
    """The consent records of a chat; chat None: those kept without a chat id."""

    async def work(session: AsyncSession) -> list[ConsentRecord]:
        sender = ConsentRecord.sender_id
        query = select(ConsentRecord).where(
            sender.is_(None) if chat_id is None else sender == str(chat_id)
        )
        return list((await session.scalars(query)).all())

    return on_database(database_url, work)


def tickets_of(database_url: str, chat_id: int) -> list[Ticket]:
    async def work(session: AsyncSession) -> list[Ticket]:
        query = select(Ticket).where(Ticket.sender_id == str(chat_id))
        return list((await session.scalars(query)).all())

    return on_database(database_url, work)


def tracker_rows(stack: Stack, chat_id: int) -> int:
    """The engine's stored events of this chat (its SQL tracker store)."""
    path = stack.tracker_store_url.removeprefix("sqlite:///")
    with sqlite3.connect(path, timeout=30) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM events WHERE sender_id = ?", (str(chat_id),)
        ).fetchone()
    return int(count)


def code_in(message: SentMessage) -> str:
    match = TICKET_CODE_PATTERN.search(message.text or "")
    assert match is not None, message.text
    return match.group(0)


def test_anonymous_suggestion_after_refusing_consent(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7201)
    resident.say("toi muon gop y", "Bảo vệ dữ liệu cá nhân")
    resident.press("Không đồng ý", "lĩnh vực")  # no kind question: only a góp ý is possible
    resident.press("Kỹ năng số, Bình dân học vụ số", "nội dung")
    content = "Nên mở lớp hướng dẫn dùng điện thoại thông minh cho người cao tuổi vào buổi tối"
    resident.say(content, "thôn nào")
    summary = resident.press("Không theo thôn / bỏ qua", "kiểm tra lại")
    assert "ẩn danh" in (summary.text or "")
    # A photo is not attached to an anonymous suggestion: one reply says so, then the
    # summary again.
    seen = len(telegram.messages(7201))
    resident.photo("kiểm tra lại")
    replies = [m.text or "" for m in telegram.messages(7201)[seen:]]
    assert replies[0].startswith("Góp ý ẩn danh không kèm ảnh"), replies
    assert len(replies) == 2, replies
    code = code_in(resident.press("Gửi", "Mã:"))

    ticket = ticket_by_code(stack.database_url, code)
    assert ticket.attachments == []
    assert ticket.kind == "gop_y" and ticket.anonymous
    assert ticket.sender_id is None and ticket.contact_name is None and ticket.contact_phone is None
    assert ticket.office.code == "VHXH" and ticket.content == content
    # Nothing names the chat (#17 item 8): the refusal is kept without the chat id, and
    # the engine's record of the conversation (the content typed, under the chat id) is
    # erased by the bot once the confirmation is delivered.
    assert consents_of(stack.database_url, 7201) == []
    assert [r.granted for r in consents_of(stack.database_url, None)] == [False]
    deadline = time.monotonic() + 15
    while tracker_rows(stack, 7201) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert tracker_rows(stack, 7201) == 0
    # The chat goes on as a new conversation.
    resident.say("xin chào", "Xin chào")


def test_formal_report_with_photo_bad_phone_and_a_correction(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7202)
    resident.say("phan anh", "Bảo vệ dữ liệu cá nhân")
    # The kind the resident named is shown to confirm; no field without a matter.
    reading = resident.press("Đồng ý", "Tôi hiểu ý kiến")
    assert "• Loại: Phản ánh" in (reading.text or "")
    assert "Lĩnh vực" not in (reading.text or "")
    resident.press("Đúng", "lĩnh vực")
    resident.press("Hạ tầng số (Internet, sóng, wifi)", "nội dung")
    resident.say("Cột cáp quang đầu ngõ bị đổ, cả xóm mất mạng", "thôn nào")
    resident.press("Thôn Mẫu 1 (mẫu)", "họ tên và số điện thoại")
    resident.say("Phạm Thị Hoa", "số điện thoại")
    resident.say("09123abc45", "số điện thoại liên hệ")  # letters: refused, asked again
    assert "chỉ gồm chữ số" in resident.transcript()
    resident.say("0912 345 678", "kiểm tra lại")
    resident.photo("• Ảnh: 1")  # sent at the summary, which is shown again with it
    resident.press("Sửa", "sửa mục nào")
    resident.press("Nội dung", "nội dung")
    corrected = "Cột cáp quang đầu ngõ 3 bị đổ từ hôm qua, cả xóm mất mạng"
    summary = resident.say(corrected, "kiểm tra lại")
    assert corrected in (summary.text or "") and "Ảnh: 1" in (summary.text or "")
    code = code_in(resident.press("Gửi", "Mã:"))

    ticket = ticket_by_code(stack.database_url, code)
    assert (ticket.kind, ticket.office.code, ticket.content) == ("phan_anh", "KT", corrected)
    assert (ticket.contact_name, ticket.contact_phone) == ("Phạm Thị Hoa", "+84912345678")
    assert ticket.sender_id == "7202" and not ticket.anonymous
    assert [a.kind for a in ticket.attachments] == ["photo"]
    assert ticket.attachments[0].telegram_file_id.startswith("fake-photo-")
    [consent] = consents_of(stack.database_url, 7202)
    assert consent.granted and consent.channel == "telegram"


def test_business_proposal_with_a_bad_then_good_tax_code(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7203)
    resident.say("doanh nghiep minh muon de xuat ho tro chuyen doi so", "Bảo vệ dữ liệu")
    resident.press("Đồng ý", "tên doanh nghiệp")
    resident.say("Công ty TNHH Gốm Lại Khê", "mã số thuế")
    resident.say("0100109107", "chi nhánh 13 số")  # wrong check digit: asked again
    assert "chữ số kiểm tra" in resident.transcript()
    resident.say("0100109106", "ngành nghề")
    resident.say("Sản xuất gốm sứ", "kiến nghị")
    proposal = "Đề nghị xã hỗ trợ tập huấn bán hàng trên sàn thương mại điện tử"
    resident.say(proposal, "họ tên và số điện thoại")
    resident.say("Vũ Minh Đức", "điện thoại hoặc email")
    resident.say("duc@gomlaikhe.vn", "kiểm tra lại")
    code = code_in(resident.press("Gửi", "Mã:"))

    ticket = ticket_by_code(stack.database_url, code)
    assert (ticket.kind, ticket.office.code) == ("kien_nghi", "KT")
    assert (ticket.business_name, ticket.tax_code) == ("Công ty TNHH Gốm Lại Khê", "0100109106")
    assert (ticket.sector, ticket.content) == ("Sản xuất gốm sứ", proposal)
    assert (ticket.contact_name, ticket.contact_email) == ("Vũ Minh Đức", "duc@gomlaikhe.vn")


def test_complaint_is_explained_then_recorded_confidential(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7204)
    explained = resident.say("toi muon khieu nai", "Luật Khiếu nại")
    assert "30 ngày" in (explained.text or "")
    resident.press("Ghi nhận nội dung", "Bảo vệ dữ liệu")
    resident.press("Đồng ý", "khiếu nại, tố cáo")
    resident.say(
        "Tôi khiếu nại việc xã chưa trả lời đơn xin cấp phép từ tháng trước",
        "họ tên và số điện thoại",
    )
    resident.say("Đỗ Văn Hải", "số điện thoại")
    resident.say("+84 912 345 679", "giữ kín")
    done = resident.press("Gửi", "Mã:")
    code = code_in(done)

    ticket = ticket_by_code(stack.database_url, code)
    assert ticket.kind == "khieu_nai_to_cao" and ticket.confidential
    assert ticket.contact_phone == "+84912345679"


def test_misinformation_without_contact(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7205)
    resident.say("bao tin sai su that ve nghi quyet 57", "thấy thông tin đó ở đâu")
    resident.say("nhóm Zalo của thôn", "nói gì")
    resident.say("Tin nhắn nói cài VNeID phải nộp phí 200 nghìn", "kiểm tra lại")
    code = code_in(resident.press("Gửi", "Mã:"))

    ticket = ticket_by_code(stack.database_url, code)
    assert (ticket.kind, ticket.office.code) == ("thong_tin_sai", "VHXH")
    assert ticket.source == "nhóm Zalo của thôn" and ticket.sender_id is None


def test_cancel_midway_and_faq_in_the_middle_leave_no_ticket(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7206)
    resident.say("gui gop y", "Bảo vệ dữ liệu")
    reading = resident.press("Đồng ý", "Tôi hiểu ý kiến")
    assert "• Loại: Góp ý" in (reading.text or "")
    resident.press("Sửa loại", "loại ý kiến")  # the named kind is not what is meant
    resident.press("Câu hỏi", "lĩnh vực")
    # A question at a button step is answered, then the form asks its question again.
    resident.say("quen mat khau vneid thi lam sao", "lĩnh vực")
    resident.say("thôi", "Đã hủy")
    assert tickets_of(stack.database_url, 7206) == []
    # A stray photo outside any form is not lost silently.
    resident.photo("chưa cần ảnh")
