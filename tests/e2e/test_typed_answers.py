"""A resident who types every answer instead of pressing buttons (issue #17, item 17):
fake Bot API -> real bot -> real engine and action server -> database."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Ticket
from scripts.stack import Stack
from testkit.telegram import FakeTelegramServer
from tests.e2e.test_resident_flows import Resident, code_in, on_database, tickets_of

pytestmark = pytest.mark.e2e


def village_and_photos(database_url: str, code: str) -> tuple[str, str | None, int]:
    async def work(session: AsyncSession) -> tuple[str, str | None, int]:
        ticket = await session.scalar(
            select(Ticket)
            .options(selectinload(Ticket.village), selectinload(Ticket.attachments))
            .where(Ticket.code == code)
        )
        assert ticket is not None
        village = ticket.village.code if ticket.village else None
        return ticket.kind, village, len(ticket.attachments)

    return on_database(database_url, work)


def test_every_button_step_accepts_the_typed_answer(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    resident = Resident(telegram, 7402)
    resident.say("gui gop y", "Bảo vệ dữ liệu")
    # The kind said in the message («góp ý») is shown to confirm; "đúng rồi" confirms it.
    reading = resident.say("dạ vâng ạ", "Tôi hiểu ý kiến")
    assert "• Loại: Góp ý" in (reading.text or "")
    resident.say("đúng rồi", "lĩnh vực")
    resident.say("vấn đề khác", "nội dung ý kiến")
    resident.say("Cột điện đầu ngõ bị nghiêng, dây điện sà xuống thấp", "thôn nào")
    resident.say("o thon mau 1", "kiểm tra lại")
    resident.say("sửa lại giúp em", "muốn sửa mục nào")
    resident.press("Ảnh", "ảnh chụp minh họa")
    # "bỏ qua" is a cancel to the NLU; at the photo step it skips the photos.
    resident.say("bỏ qua", "kiểm tra lại")
    code = code_in(resident.say("ok gửi luôn", "Mã:"))
    assert village_and_photos(stack.database_url, code) == ("gop_y", "THON-MAU-1", 0)
    # The review's case: a yes with words after it at «Ghi nhận nội dung?».
    resident.say("toi muon khieu nai", "Luật Khiếu nại")
    resident.say("vâng, ghi nhận giúp em", "Bảo vệ dữ liệu")
    resident.say("thôi", "Đã hủy")
    assert "ngoài phạm vi" not in resident.transcript()
    assert len(tickets_of(stack.database_url, 7402)) == 1
