"""The one sending path (bot.sender) with the real python-telegram-bot Bot against the fake
Bot API server: retries of what surely was not sent, order per chat, chats independent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.outbox_dispatcher import DispatchSettings, OutboxDispatcher
from bot.sender import DeliveryFailed, Outgoing, RetryPolicy, Sender
from db.models import OutboxStatus
from services import outbox
from testkit.telegram import FakeTelegramServer
from tests.integration.staff_helpers import Sessions, outbox_rows

TOKEN = "434343:SENDER-TEST"
RESIDENT = 2001
OTHER = 2002
QUICK = RetryPolicy(backoff_base=0.3, backoff_max=1.0, give_up_after=20.0)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    server = FakeTelegramServer(TOKEN).start()
    for chat in (RESIDENT, OTHER):
        server.register_chat(chat, "private")
    yield server
    server.stop()


@pytest.fixture
async def sender(telegram: FakeTelegramServer) -> AsyncIterator[Sender]:
    async with Bot(TOKEN, base_url=telegram.base_url, base_file_url=telegram.base_file_url) as b:
        yield Sender(b, QUICK)


def texts(telegram: FakeTelegramServer, chat: int) -> list[str]:
    return [m.text or "" for m in telegram.messages(chat)]


async def test_a_two_message_reply_survives_429_and_5xx_once_each_in_order(
    telegram: FakeTelegramServer, sender: Sender
) -> None:
    telegram.fail_next("sendMessage", count=1, status=429, retry_after=1, chat_id=RESIDENT)
    telegram.fail_next("sendMessage", count=2, status=500, chat_id=RESIDENT)
    telegram.fail_next("sendMessage", count=1, status=502, chat_id=RESIDENT)

    for text in ("Câu trả lời", "Câu trả lời có giúp ích không?"):
        assert await sender.deliver(Outgoing(RESIDENT, text)) is not None

    assert texts(telegram, RESIDENT) == ["Câu trả lời", "Câu trả lời có giúp ích không?"]
    statuses = [r.status for r in telegram.requests("sendMessage")]
    assert statuses == [429, 500, 500, 502, 200, 200]
    first, second = telegram.requests("sendMessage")[:2]
    assert second.time - first.time >= 0.9  # retry_after was waited


async def test_a_second_send_to_the_chat_waits_for_the_first_one_being_retried(
    telegram: FakeTelegramServer, sender: Sender
) -> None:
    # One failure: "một" backs off while "hai", with nothing in its way, could go first.
    telegram.fail_next("sendMessage", count=1, status=500, chat_id=RESIDENT)
    first = asyncio.create_task(sender.deliver(Outgoing(RESIDENT, "một")))
    await telegram.wait_for_requests_async("sendMessage", 1)  # "một" is being retried
    await sender.deliver(Outgoing(RESIDENT, "hai"))
    await first
    assert texts(telegram, RESIDENT) == ["một", "hai"]


async def test_other_chats_do_not_wait_for_one_chats_backoff(
    telegram: FakeTelegramServer, sender: Sender
) -> None:
    telegram.fail_next("sendMessage", count=4, status=503, chat_id=RESIDENT)
    slow = asyncio.create_task(sender.deliver(Outgoing(RESIDENT, "chậm")))
    await telegram.wait_for_requests_async("sendMessage", 1)
    started = time.monotonic()
    await sender.deliver(Outgoing(OTHER, "nhanh"))
    assert time.monotonic() - started < 0.5
    assert texts(telegram, RESIDENT) == []  # still backing off
    await slow
    assert texts(telegram, RESIDENT) == ["chậm"]


async def test_a_reply_that_may_have_arrived_is_not_sent_again(
    telegram: FakeTelegramServer, sender: Sender
) -> None:
    telegram.drop_connection_after_next("sendMessage", chat_id=RESIDENT)
    assert await sender.deliver(Outgoing(RESIDENT, "một")) is None
    await sender.deliver(Outgoing(RESIDENT, "hai"))
    assert texts(telegram, RESIDENT) == ["một", "hai"]


async def test_a_blocked_chat_or_endless_5xx_is_a_failure_the_caller_sees(
    telegram: FakeTelegramServer, sender: Sender
) -> None:
    telegram.set_blocked(RESIDENT)
    with pytest.raises(DeliveryFailed, match="bị chặn"):
        await sender.deliver(Outgoing(RESIDENT, "một"))
    assert len(telegram.requests("sendMessage")) == 1  # a 403 is not retried
    telegram.fail_next("sendMessage", count=100, status=500, chat_id=OTHER)
    with pytest.raises(DeliveryFailed, match="máy chủ Telegram"):
        await Sender(sender.bot, RetryPolicy(max_attempts=3, backoff_base=0.05)).deliver(
            Outgoing(OTHER, "hai")
        )
    assert len(telegram.requests("sendMessage")) == 1 + 3


async def test_the_outbox_does_not_wait_behind_a_reply_being_retried(
    sessions: Sessions, telegram: FakeTelegramServer, sender: Sender
) -> None:
    """The outbox shares the replies' Sender: a row for a chat whose reply is being retried
    waits its turn (sent after the reply), and other chats' rows go out meanwhile."""
    async with sessions() as session:
        for chat in (RESIDENT, OTHER):
            await outbox.enqueue(session=session, chat_id=chat, purpose="answer", text="từ outbox")
        await session.commit()
    telegram.fail_next("sendMessage", count=3, status=500, chat_id=RESIDENT)
    reply = asyncio.create_task(sender.deliver(Outgoing(RESIDENT, "trả lời")))
    await telegram.wait_for_requests_async("sendMessage", 1)
    dispatcher = OutboxDispatcher(sessions, sender, DispatchSettings(poll_interval=0.05))

    assert await dispatcher.run_once() == 2
    assert texts(telegram, OTHER) == ["từ outbox"]
    (deferred,) = await outbox_rows(sessions, RESIDENT)
    assert (deferred.status, deferred.attempts) == (OutboxStatus.PENDING, 0)
    await reply
    for _ in range(100):
        await dispatcher.run_once()
        if texts(telegram, RESIDENT) == ["trả lời", "từ outbox"]:
            break
        await asyncio.sleep(0.05)
    assert texts(telegram, RESIDENT) == ["trả lời", "từ outbox"]
