"""Bad input on Zalo end to end (fake Zalo Bot API -> the real `python -m zalo` -> the
real engine and action server): each gets a short, polite Vietnamese reply where there
is someone to answer, the form in progress keeps its state and its numbered choices,
nothing half-made is stored, and no trace reaches the resident or the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import EMPTY_MESSAGE, ONLY_TEXT, TOO_LONG
from db.models import TicketAttachment
from scripts.stack import Stack
from services.photo_store import NOT_AN_IMAGE, NOT_DOWNLOADED, TOO_LARGE
from testkit.zalo import FakeZaloServer
from tests.e2e.test_resident_flows import on_database
from tests.e2e.test_zalo_delivery import ZaloProcess
from tests.e2e.test_zalo_resident import (
    TIMEOUT,
    ZaloResident,
    code_in_text,
    started,
    tickets_of,
)

pytestmark = pytest.mark.e2e
TOKEN = "1618033988:ZALO-BAD-INPUT-E2E"
CONTENT = "Đèn đường ở ngõ 5 xóm Zalo bị tắt cả tuần nay"
SHORT_CONTENT = "Nội dung hơi ngắn"  # the form's reason (laikhe.validators)


@pytest.fixture(scope="module")
def zalo() -> Iterator[FakeZaloServer]:
    server = FakeZaloServer(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zalo-bad-input-photos")


@pytest.fixture(scope="module")
def zalo_process(stack: Stack, zalo: FakeZaloServer, photo_dir: Path) -> Iterator[ZaloProcess]:
    yield from started(stack, zalo, photo_dir, stack.log_dir / "zalo-bad-input.log")


class Chat(ZaloResident):
    """What the resident sends besides plain words, each answered on its own."""

    def send(self, update: dict[str, object], expect: str) -> str:
        """Any update (the resident's numbered choices stay those of the last `say`)."""
        seen = len(self.zalo.texts(self.chat_id))
        self.zalo.send_update(update)
        _, reply = self.zalo.wait_for_text(self.chat_id, expect, after=seen, timeout=TIMEOUT)
        assert "Anh/Chị" in reply and len(reply) <= 200, reply
        return reply

    def typed(self, text: object, expect: str) -> str:
        return self.send(self.zalo.update(self.chat_id, "message.text.received", text=text), expect)

    def photo(self, url: object, expect: str) -> str:
        update = self.zalo.update(self.chat_id, "message.image.received", photo=url)
        return self.send(update, expect)


def test_bad_input_mid_form_is_answered_and_the_form_goes_on(
    zalo: FakeZaloServer, zalo_process: ZaloProcess, stack: Stack, photo_dir: Path
) -> None:
    chat = "zb-4004"
    resident = Chat(zalo, chat)
    resident.start_feedback()

    # At the free-text step: nothing of these becomes the ticket's content.
    resident.typed("", EMPTY_MESSAGE)
    resident.typed(" \u200b\u200d ", EMPTY_MESSAGE)
    resident.typed("Đèn hỏng. " * 500, TOO_LONG)
    resident.say("😀🙏👍", SHORT_CONTENT)
    resident.send(zalo.update(chat, "message.sticker.received", sticker="s-123"), ONLY_TEXT)
    resident.send(zalo.update(chat, "message.unsupported.received"), ONLY_TEXT)
    resident.describe(CONTENT)

    # At the summary, whose «Gửi» has a number: refused input keeps the numbers.
    resident.typed("", EMPTY_MESSAGE)
    resident.typed("x" * 2001, TOO_LONG)
    resident.typed(12345, ONLY_TEXT)  # a forged text that is not a string
    resident.send(zalo.update(chat, "message.sticker.received", sticker="s-456"), ONLY_TEXT)
    resident.send(zalo.update(chat, "message.unsupported.received"), ONLY_TEXT)
    resident.photo(zalo.host_photo(b"GIF89a not a photo"), NOT_AN_IMAGE)
    resident.photo(zalo.host_photo(b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024)), TOO_LARGE)
    resident.photo(None, NOT_DOWNLOADED)
    resident.photo({"url": "https://x.example/p.jpg"}, NOT_DOWNLOADED)
    # Updates with no one to answer are dropped without a word to anyone.
    for forged in (
        "not an update",
        {"event_name": "message.text.received"},
        {"message": {"chat": {"id": {"id": chat}}, "text": "gửi"}},
        {"message": {"chat": {"id": True}, "text": "gửi"}},
    ):
        zalo.send_update(forged)
    code = code_in_text(resident.choose("Gửi", "Mã:"))

    [ticket] = tickets_of(stack.database_url, f"zalo:{chat}")
    assert (ticket.code, ticket.content) == (code, CONTENT)

    async def attachments(session: AsyncSession) -> int:
        count = await session.scalar(
            select(func.count()).where(TicketAttachment.ticket_id == ticket.id)
        )
        return int(count or 0)

    assert on_database(stack.database_url, attachments) == 0
    assert list(photo_dir.iterdir()) == []  # no refused photo kept
    assert {call.body["chat_id"] for call in zalo.calls("sendMessage")} == {chat}
    texts = "\n".join(zalo.texts(chat))
    assert "Traceback" not in texts and "Error" not in texts
    assert zalo_process.process is not None and zalo_process.process.poll() is None
    log = zalo_process.log.read_text(encoding="utf-8")
    assert "Traceback" not in log and "failed for" not in log


def test_an_empty_or_too_long_text_leaves_the_numbered_choices_pressable(
    zalo: FakeZaloServer, zalo_process: ZaloProcess
) -> None:
    """The FAQ's vote is no form step the engine reads numbers at: only the numbers kept on
    screen make «1» a press after a refused text."""
    resident = Chat(zalo, "zb-5005")
    resident.say("lam sao dang ky tai khoan vneid muc 2", "giúp ích")
    resident.typed("   ", EMPTY_MESSAGE)
    resident.typed("a" * 3000, TOO_LONG)
    resident.choose("Hữu ích", "Cảm ơn Anh/Chị đã đánh giá")
