"""The outbox dispatcher with the real python-telegram-bot Bot against the fake Bot API
server, on both databases: retries, backoff, exactly-once delivery, permanent failures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.outbox_dispatcher import DispatchSettings, OutboxDispatcher
from db.models import OutboxMessage, OutboxStatus
from laikhe.commune import CommuneConfig
from services import outbox
from services.delivery import INSPECT_UNKNOWN
from services.outbox import utcnow
from testkit.telegram import FakeTelegramServer
from tests.integration.staff_helpers import (
    KT_GROUP,
    LEADERS_CHAT,
    VP_GROUP,
    Sessions,
    configure_groups,
    outbox_rows,
)
from tests.integration.ticket_helpers import load, new_ticket

TOKEN = "424242:OUTBOX-TEST"
RESIDENT = 1001
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


async def drain(dispatcher: OutboxDispatcher, sessions: Sessions, rounds: int = 200) -> None:
    """Run cycles until nothing is pending (waiting out backoffs), bounded."""
    for _ in range(rounds):
        await dispatcher.run_once()
        async with sessions() as session:
            left = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.status.in_(["pending", "sending"]))
            )
        if left is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("outbox not drained")


async def test_429_and_500_then_recovery_delivers_each_message_exactly_once(
    sessions: Sessions, commune: CommuneConfig, telegram: FakeTelegramServer, bot: Bot
) -> None:
    await configure_groups(sessions)
    codes = [await new_ticket(sessions, commune, content=f"Phản ánh số {n}") for n in range(3)]
    telegram.fail_next("sendMessage", count=1, status=429, retry_after=1)
    telegram.fail_next("sendMessage", count=2, status=500)
    telegram.fail_next("sendMessage", count=1, status=502)

    await drain(OutboxDispatcher(sessions, bot, FAST), sessions)

    sent = telegram.messages(KT_GROUP)
    texts = [m.text or "" for m in sent]
    assert len(sent) == 3
    for code, text in zip(codes, texts, strict=True):  # in order, each once
        assert code in text
    failures = [r for r in telegram.requests("sendMessage") if not r.ok]
    # Telegram answered each of these: surely not sent, so retried. (A dropped connection
    # is not: see test_a_reset_after_the_request_is_maybe_sent_and_never_resent.)
    assert [r.status for r in failures] == [429, 500, 500, 502]
    rows = await outbox_rows(sessions, KT_GROUP)
    assert {row.status for row in rows} == {"sent"}
    assert sorted(r.telegram_message_id or 0 for r in rows) == sorted(m.message_id for m in sent)
    assert sum(row.attempts for row in rows) == 3 + 4


async def test_429_waits_for_retry_after(
    sessions: Sessions, commune: CommuneConfig, telegram: FakeTelegramServer, bot: Bot
) -> None:
    await configure_groups(sessions)
    await new_ticket(sessions, commune)
    telegram.fail_next("sendMessage", count=1, status=429, retry_after=2)
    started = time.monotonic()
    await drain(OutboxDispatcher(sessions, bot, FAST), sessions)
    requests = telegram.requests("sendMessage")
    assert [r.status for r in requests] == [429, 200]
    assert requests[1].time - requests[0].time >= 1.9
    assert time.monotonic() - started < 10


async def test_blocked_resident_is_a_permanent_failure_staff_can_see(
    sessions: Sessions, commune: CommuneConfig, telegram: FakeTelegramServer, bot: Bot
) -> None:
    await configure_groups(sessions)
    code = await new_ticket(sessions, commune, sender_id=str(RESIDENT))
    ticket, _ = await load(sessions, code)
    async with sessions() as session:
        await outbox.enqueue(
            session=session, chat_id=RESIDENT, purpose="answer", text="Trả lời", ticket_id=ticket.id
        )
        await session.commit()
    telegram.set_blocked(RESIDENT)

    await drain(OutboxDispatcher(sessions, bot, FAST), sessions)

    (failed,) = await outbox_rows(sessions, RESIDENT)
    assert failed.status == "failed" and "bị chặn" in (failed.last_error or "")
    to_resident = [r for r in telegram.requests("sendMessage") if r.params["chat_id"] == RESIDENT]
    assert len(to_resident) == 1  # a 403 is not retried
    _, events = await load(sessions, code)
    assert events[-1].actor == "system:outbox" and "người gửi" in (events[-1].note or "")
    group = [m.text or "" for m in telegram.messages(KT_GROUP)]
    assert any(f"⚠ Không gửi được tin nhắn #{failed.id}" in text for text in group)


async def test_a_claim_interrupted_mid_send_is_not_resent(
    sessions: Sessions, commune: CommuneConfig, telegram: FakeTelegramServer, bot: Bot
) -> None:
    await configure_groups(sessions)
    await new_ticket(sessions, commune)
    async with sessions() as session:
        # A dispatcher claimed the row, then its process died before settling it.
        (claimed,) = await outbox.claim_batch_and_commit(session=session)
    dispatcher = OutboxDispatcher(sessions, bot, FAST)
    await dispatcher.run_once()  # within the lease: still someone else's
    assert (await outbox_rows(sessions))[0].status == OutboxStatus.SENDING
    await dispatcher.run_once(now=utcnow() + FAST.lease + timedelta(seconds=1))
    row = (await outbox_rows(sessions))[0]
    assert row.id == claimed.id and row.status == OutboxStatus.UNKNOWN
    # Not resent: the only request is the alert about it to the office group (item 14c).
    (alert,) = telegram.requests("sendMessage")
    assert INSPECT_UNKNOWN in alert.params["text"]
    # Staff decide to send it after all.
    async with sessions() as session:
        assert await outbox.requeue(session=session, message_id=row.id)
        await session.commit()
    await drain(dispatcher, sessions)
    cards = [m for m in telegram.messages(KT_GROUP) if "Ý kiến mới" in (m.text or "")]
    assert len(cards) == 1
    # The group was also told once that a message may not have arrived (item 14c).
    alerts = [m for m in telegram.messages(KT_GROUP) if INSPECT_UNKNOWN in (m.text or "")]
    assert len(alerts) == 1 and len(telegram.messages(KT_GROUP)) == 2


async def test_two_dispatchers_never_claim_the_same_row(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    for n in range(3):
        await new_ticket(sessions, commune, content=f"Phản ánh {n}")
    async with sessions() as first, sessions() as second:
        mine = await outbox.claim_batch_and_commit(session=first)
        theirs = await outbox.claim_batch_and_commit(session=second)
    # Same chat: the first row is claimed, the next ones wait for it (order kept).
    assert len(mine) == 1 and theirs == []


async def test_flood_pause_gives_unattempted_claims_back(
    sessions: Sessions, commune: CommuneConfig, telegram: FakeTelegramServer, bot: Bot
) -> None:
    await configure_groups(sessions)
    await new_ticket(sessions, commune)  # KT group
    await new_ticket(sessions, commune, category_code="vneid")  # VP group
    telegram.fail_next("sendMessage", count=1, status=429, retry_after=1)
    dispatcher = OutboxDispatcher(sessions, bot, FAST)
    assert await dispatcher.run_once() == 1  # the 429 pauses the whole bot
    rows = await outbox_rows(sessions)
    assert [(r.status, r.attempts, r.claim_token) for r in rows] == [
        ("pending", 1, None),
        ("pending", 0, None),
    ]
    await drain(dispatcher, sessions)
    assert len(telegram.messages(KT_GROUP)) == 1 and len(telegram.messages(VP_GROUP)) == 1


# --- Item 14: "maybe sent" is not resent, leases hold, unknown rows alert staff ---------------


@pytest.mark.parametrize("fault", ["after_accept", "before_handling"])
async def test_a_reset_after_the_request_is_maybe_sent_and_never_resent(
    sessions: Sessions,
    commune: CommuneConfig,
    telegram: FakeTelegramServer,
    bot: Bot,
    fault: str,
) -> None:
    """A connection closed without an answer once the request was written: the client cannot
    tell whether Telegram delivered it (here it did, or did not), so it is `unknown`, sent
    once at most, and the office group and the leaders' chat are told once."""
    await configure_groups(sessions)
    code = await new_ticket(sessions, commune, sender_id=str(RESIDENT))
    ticket, _ = await load(sessions, code)
    async with sessions() as session:
        await outbox.enqueue(
            session=session, chat_id=RESIDENT, purpose="answer", text="Trả lời", ticket_id=ticket.id
        )
        await session.commit()
    if fault == "after_accept":
        telegram.drop_connection_after_next("sendMessage", chat_id=RESIDENT)
    else:
        telegram.drop_connection_next("sendMessage", chat_id=RESIDENT)
    dispatcher = OutboxDispatcher(sessions, bot, FAST, leaders_chat_id=LEADERS_CHAT)

    await drain(dispatcher, sessions)
    for _ in range(3):  # later cycles neither resend it nor alert again
        await dispatcher.run_once()

    (row,) = await outbox_rows(sessions, RESIDENT)
    assert row.status == OutboxStatus.UNKNOWN and row.attempts == 1
    to_resident = [r for r in telegram.requests("sendMessage") if r.params["chat_id"] == RESIDENT]
    assert len(to_resident) == 1
    assert len(telegram.messages(RESIDENT)) == (1 if fault == "after_accept" else 0)
    expected = (
        f"⚠ Tin nhắn #{row.id} của ý kiến {code} có thể chưa đến nơi: kết nối bị ngắt giữa "
        "chừng nên hệ thống không tự gửi lại. Cán bộ quản trị kiểm tra bằng lệnh: "
        "python -m admin outbox list --status unknown"
    )
    for chat in (KT_GROUP, LEADERS_CHAT):
        alerts = [m.text for m in telegram.messages(chat) if INSPECT_UNKNOWN in (m.text or "")]
        assert alerts == [expected]  # no name, phone, text or chat id of the resident
    _, events = await load(sessions, code)
    assert events[-1].actor == "system:outbox" and f"#{row.id}" in (events[-1].note or "")


async def test_an_alert_that_is_itself_unknown_does_not_alert_again(
    sessions: Sessions, commune: CommuneConfig, telegram: FakeTelegramServer, bot: Bot
) -> None:
    async with sessions() as session:
        await outbox.enqueue(session=session, chat_id=VP_GROUP, purpose="digest", text="Tổng hợp")
        await session.commit()
    telegram.drop_connection_after_next("sendMessage", chat_id=VP_GROUP)
    telegram.drop_connection_after_next("sendMessage", chat_id=LEADERS_CHAT)
    await drain(OutboxDispatcher(sessions, bot, FAST, leaders_chat_id=LEADERS_CHAT), sessions)
    rows = await outbox_rows(sessions)
    assert [(r.chat_id, r.purpose, r.status) for r in rows] == [
        (VP_GROUP, "digest", "unknown"),
        (LEADERS_CHAT, "outbox_unknown", "unknown"),
    ]


async def test_a_batch_slower_than_its_lease_is_never_sent_twice(
    sessions: Sessions, telegram: FakeTelegramServer, bot: Bot
) -> None:
    """Two bot processes: one claims a batch whose sends take longer in total than the lease;
    the other expires stale claims meanwhile. No claim of a live dispatcher is taken from it,
    and what staff requeue afterwards (every `unknown`) is not a second copy."""
    chats = [7001 + n for n in range(5)]
    async with sessions() as session:
        for chat in chats:
            telegram.register_chat(chat, "private")
            await outbox.enqueue(session=session, chat_id=chat, purpose="answer", text=f"#{chat}")
        await session.commit()
    telegram.delay_next("sendMessage", 0.4, count=len(chats))  # 2 s in all
    lease = DispatchSettings(poll_interval=0.05, lease=timedelta(seconds=1))
    slow = OutboxDispatcher(sessions, bot, lease)
    other = OutboxDispatcher(sessions, bot, lease)

    batch = asyncio.create_task(slow.run_once())
    # Polls rows another task writes; no event to wait on.
    while {r.status for r in await outbox_rows(sessions)} == {"pending"}:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    while not batch.done():
        await other.run_once()
        await asyncio.sleep(0.1)
    assert await batch == len(chats)
    # Staff requeue whatever is unknown, as `python -m admin outbox retry` would.
    async with sessions() as session:
        for row in await outbox.list_messages(session=session, statuses=(OutboxStatus.UNKNOWN,)):
            await outbox.requeue(session=session, message_id=row.id)
        await session.commit()
    await drain(other, sessions)

    for chat in chats:
        assert [m.text for m in telegram.messages(chat)] == [f"#{chat}"]
    assert {r.status for r in await outbox_rows(sessions)} == {"sent"}


async def test_a_dispatcher_that_lost_its_claim_does_not_send(
    sessions: Sessions, telegram: FakeTelegramServer, bot: Bot
) -> None:
    """The other side of the lease: a dispatcher stalled past the lease (another one marked
    its row unknown) must not send it when it wakes up."""
    telegram.register_chat(7100, "private")
    async with sessions() as session:
        await outbox.enqueue(session=session, chat_id=7100, purpose="answer", text="Một lần")
        await session.commit()
        (claimed,) = await outbox.claim_batch_and_commit(session=session)
        expired = await outbox.expire_stale_claims_and_commit(
            session=session, lease=timedelta(0), now=utcnow() + timedelta(seconds=1)
        )
        assert [r.id for r in expired] == [claimed.id]
        assert not await outbox.renew_claim_and_commit(session=session, row=claimed)
    assert telegram.requests("sendMessage") == []
