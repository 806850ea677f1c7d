"""«Xóa dữ liệu của tôi» and the messages already in Telegram: the real action, the real
outbox dispatcher and python-telegram-bot against the fake Bot API, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update
from telegram import Bot

from actions.privacy import DeleteMyData, erasure_summary
from bot.outbox_dispatcher import DispatchSettings, OutboxDispatcher
from db.models import OutboxMessage
from laikhe.commune import CommuneConfig
from services.outbox import utcnow
from services.privacy import ErasureReport
from testkit.telegram import FakeTelegramServer
from tests.integration.staff_helpers import KT_GROUP, Sessions, configure_groups
from tests.integration.ticket_helpers import new_ticket
from tests.replies import DOMAIN, text_of

pytestmark = pytest.mark.usefixtures("action_runtime")

TOKEN = "424242:ERASE-TEST"
FAST = DispatchSettings(poll_interval=0.05, backoff_base=0.05, backoff_max=0.2)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    server = FakeTelegramServer(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
async def bot(telegram: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=telegram.base_url, base_file_url=telegram.base_file_url) as b:
        yield b


async def drain(dispatcher: OutboxDispatcher, sessions: Sessions) -> None:
    for _ in range(100):
        await dispatcher.run_once()
        async with sessions() as session:
            left = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.status.in_(["pending", "sending"]))
            )
        if left is None:
            return
    raise AssertionError("outbox not drained")


def tracker() -> Tracker:
    return Tracker(
        sender_id="1001",
        slots={"delete_confirm": True},
        latest_message={"text": "/affirm", "intent": {"name": "affirm"}, "entities": []},
        events=[{"event": "user", "text": "/affirm", "input_channel": "telegram"}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def erase() -> str:
    dispatcher = CollectingDispatcher()
    await DeleteMyData().run(dispatcher, tracker(), DOMAIN)
    summary, signal = dispatcher.messages
    assert signal["custom"] == {"erase_conversation": True}
    return str(text_of(summary))


async def test_the_group_card_is_deleted_from_the_office_group(
    sessions: Sessions, commune: CommuneConfig, telegram: FakeTelegramServer, bot: Bot
) -> None:
    await configure_groups(sessions)
    code = await new_ticket(sessions, commune, contact_name="Nguyễn Văn An")
    dispatcher = OutboxDispatcher(sessions, bot, FAST)
    await drain(dispatcher, sessions)
    [card] = telegram.messages(KT_GROUP)
    assert code in (card.text or "") and not card.deleted

    summary = await erase()
    await drain(dispatcher, sessions)

    [card] = telegram.messages(KT_GROUP)
    assert card.deleted
    [request] = telegram.requests("deleteMessage")
    assert request.ok
    assert "• 1 tin nhắn về ý kiến của Anh/Chị trong nhóm cán bộ xã đang được gỡ." in summary
    assert "tin nhắn cũ trong nhóm" not in summary
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert sorted((r.method, r.status, r.ticket_id) for r in rows) == [
        ("deleteMessage", "sent", None),
        ("sendMessage", "sent", None),
    ]


async def test_a_card_older_than_48_hours_stays_and_the_resident_is_told(
    sessions: Sessions, commune: CommuneConfig, telegram: FakeTelegramServer, bot: Bot
) -> None:
    await configure_groups(sessions)
    await new_ticket(sessions, commune)
    dispatcher = OutboxDispatcher(sessions, bot, FAST)
    await drain(dispatcher, sessions)
    async with sessions() as session:
        await session.execute(
            update(OutboxMessage).values(sent_at=utcnow() - timedelta(hours=48, minutes=1))
        )
        await session.commit()

    summary = await erase()
    await drain(dispatcher, sessions)

    [card] = telegram.messages(KT_GROUP)
    assert not card.deleted and telegram.requests("deleteMessage") == []
    assert (
        "• 1 tin nhắn cũ trong nhóm cán bộ xã: Telegram chỉ cho trợ lý xóa tin gửi trong "
        "vòng 48 giờ." in summary
    )
    assert "đang được gỡ" not in summary


def test_the_summary_says_what_remains() -> None:
    report = ErasureReport(
        tickets=2,
        withdrawn=1,
        attachments=1,
        consent_records=1,
        outbox_messages=4,
        group_messages_deleting=2,
        group_messages_kept=1,
    )
    assert erasure_summary(DOMAIN, report) == (
        "Đã xóa dữ liệu cá nhân của Anh/Chị:\n"
        "• 2 ý kiến đã được xóa nội dung và thông tin liên hệ.\n"
        "• 1 ý kiến đang xử lý đã được rút lại.\n"
        "• 1 ảnh/tệp đã được xóa.\n"
        "• Các lần đồng ý xử lý dữ liệu đã được xóa.\n"
        "• 2 tin nhắn về ý kiến của Anh/Chị trong nhóm cán bộ xã đang được gỡ.\n"
        "• Lịch sử trò chuyện với trợ lý và các câu trợ lý chưa hiểu cũng được xóa.\n"
        "Vẫn còn:\n"
        "• Số liệu thống kê của ý kiến (loại, lĩnh vực, thôn, ngày, kết quả xử lý) cho báo "
        "cáo của xã, không gắn với Anh/Chị.\n"
        "• 1 tin nhắn cũ trong nhóm cán bộ xã: Telegram chỉ cho trợ lý xóa tin gửi trong "
        "vòng 48 giờ.\n"
        "• Tin cán bộ tự viết, hoặc đã nhận riêng khi xem ý kiến (nếu có).\n"
        "• Tin nhắn đang hiện trên máy của Anh/Chị: Anh/Chị tự xóa được."
    )
    nothing: dict[str, Any] = {"tickets": 0, "withdrawn": 0, "attachments": 0}
    empty = erasure_summary(DOMAIN, ErasureReport(**nothing, consent_records=0))
    assert "thống kê" not in empty and "nhóm cán bộ" not in empty
