"""Following a ticket, asking staff and deleting one's data, through the real bot process.

Fake Bot API -> `python -m bot` -> engine (trained model) -> action server -> database.
Tickets are put in place (and moved by "staff") through the services on the same database;
every test checks the rows, not only the messages.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import Conversation
from bot.engine_client import EngineClient
from bot.telegram_app import NOT_OUR_BUTTON
from bot.terminal import run_terminal_chat
from db.models import ConsentRecord, Ticket, TicketEvent, TicketState
from db.session import sessionmaker_for
from laikhe.clock import commune_zone
from laikhe.commune import load_commune_config
from scripts.stack import ROOT, Stack
from services.consent import CONSENT_NOTICE_VERSION, PURPOSE_FEEDBACK, record_consent
from services.privacy import ERASED_CONTENT, erase_conversation
from services.tickets import TICKET_CODE_PATTERN
from testkit.telegram import FakeTelegramServer, SentMessage
from tests.integration import ticket_helpers

pytestmark = pytest.mark.e2e
TIMEOUT = 45.0
COMMUNE = load_commune_config(ROOT / "config" / "commune.yml")
T = TypeVar("T")


def with_db(url: str, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    async def run() -> T:
        factory = sessionmaker_for(url)
        try:
            return await work(factory)
        finally:
            await factory.kw["bind"].dispose()

    return asyncio.run(run())


def new_ticket(stack: Stack, chat: int, **values: Any) -> str:
    return with_db(
        stack.database_url,
        lambda s: ticket_helpers.new_ticket(
            s, COMMUNE, at=datetime.now(commune_zone()), sender_id=str(chat), **values
        ),
    )


def staff_moves(stack: Stack, code: str, state: TicketState, at: datetime) -> None:
    with_db(stack.database_url, lambda s: ticket_helpers.move(s, code, state, at))


def load(stack: Stack, code: str) -> tuple[Ticket, list[TicketEvent]]:
    return with_db(stack.database_url, lambda s: ticket_helpers.load(s, code))


def consents(stack: Stack, chat: int) -> list[ConsentRecord]:
    async def query(sessions: async_sessionmaker[AsyncSession]) -> list[ConsentRecord]:
        async with sessions() as session:
            rows = await session.scalars(
                select(ConsentRecord).where(ConsentRecord.sender_id == str(chat))
            )
            return list(rows.all())

    return with_db(stack.database_url, query)


def tickets_of(stack: Stack, chat: int) -> list[str]:
    async def query(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
        async with sessions() as session:
            rows = await session.scalars(select(Ticket.code).where(Ticket.sender_id == str(chat)))
            return list(rows.all())

    return with_db(stack.database_url, query)


def tracker_rows(stack: Stack, chat: int | str) -> int:
    path = stack.tracker_store_url.removeprefix("sqlite:///")
    with sqlite3.connect(path, timeout=30) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM events WHERE sender_id = ?", (str(chat),)
        ).fetchone()
    return int(count)


def refusal_of(telegram: FakeTelegramServer, query_id: str) -> str | None:
    answer = telegram.wait_for(
        lambda: next(
            (a for a in telegram.callback_answers if a.callback_query_id == query_id), None
        ),
        timeout=TIMEOUT,
        message=f"callback {query_id} not answered",
    )
    assert answer is not None and answer.show_alert
    return answer.text


def count(telegram: FakeTelegramServer, chat: int) -> int:
    return len(telegram.messages(chat))


def wait_reply(telegram: FakeTelegramServer, chat: int, after: int, contains: str) -> SentMessage:
    messages = telegram.wait_for_messages(
        chat,
        after + 1,
        timeout=TIMEOUT,
        predicate=lambda sent: any(contains in (m.text or "") for m in sent[after:]),
    )
    return next(m for m in messages[after:] if contains in (m.text or ""))


def say(telegram: FakeTelegramServer, chat: int, text: str, expect: str) -> SentMessage:
    seen = count(telegram, chat)
    telegram.send_text(chat, text)
    return wait_reply(telegram, chat, seen, expect)


def press(telegram: FakeTelegramServer, chat: int, title: str, expect: str) -> SentMessage:
    seen = count(telegram, chat)
    telegram.press_button_with_text(chat, title)
    return wait_reply(telegram, chat, seen, expect)


def test_status_from_the_owner_and_from_another_chat(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    owner, stranger = 7101, 7102
    content = "Wifi nhà văn hóa thôn Mẫu 1 mất từ thứ hai <b>*_"
    code = new_ticket(stack, owner, content=content)

    mine = say(telegram, owner, f"tra cứu {code.lower()}", code)
    assert content in mine.text and "Mới tiếp nhận" in mine.text
    assert mine.button_texts == ["Bổ sung thông tin", "Rút ý kiến"]

    theirs = say(telegram, stranger, f"kiem tra ma {code}", code)
    assert "Mới tiếp nhận" in theirs.text and "Phòng Kinh tế" in theirs.text
    assert content not in theirs.text and theirs.button_texts == []

    # The owner's withdraw button, forged from the other chat: refused before the engine
    # (it is no button of that message), nothing changes. The action's own ownership
    # check is tested in tests/integration/test_follow_up_actions.py.
    seen, events = count(telegram, stranger), tracker_rows(stack, stranger)
    query = telegram.press_button(
        stranger, theirs.message_id, f'/ticket_op{{"op":"withdraw:{code}:ok"}}', force=True
    )
    assert refusal_of(telegram, query) == NOT_OUR_BUTTON
    ticket, history = load(stack, code)
    assert ticket.state == TicketState.NEW and len(history) == 1
    assert count(telegram, stranger) == seen and tracker_rows(stack, stranger) == events


def test_my_tickets_list_and_withdraw_with_confirmation(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    chat = 7103
    code = new_ticket(stack, chat, content="Đèn đường đầu thôn Mẫu 2 không sáng mấy hôm nay")

    listing = say(telegram, chat, "ý kiến của tôi", code)
    assert listing.button_texts == [code]
    press(telegram, chat, code, "• Trạng thái")
    # Asked twice: the first question's confirmation button stays, an old button.
    old = press(telegram, chat, "Rút ý kiến", "chắc chắn muốn rút")
    say(telegram, chat, f"tra cứu {code}", "• Trạng thái")
    press(telegram, chat, "Rút ý kiến", "chắc chắn muốn rút")
    assert load(stack, code)[0].state == TicketState.NEW  # asked, not yet done
    confirmation = press(telegram, chat, "Rút ý kiến", "Đã rút ý kiến")
    assert code in confirmation.text

    ticket, history = load(stack, code)
    assert ticket.state == TicketState.WITHDRAWN
    assert (history[-1].actor, history[-1].to_state) == ("resident:telegram", "withdrawn")

    # The confirmation button pressed again (an old button): a clear reply, nothing changes.
    seen = count(telegram, chat)
    telegram.press_button(chat, old.message_id, f'/ticket_op{{"op":"withdraw:{code}:ok"}}')
    wait_reply(telegram, chat, seen, "Ý kiến đã được rút trước đó")
    assert len(load(stack, code)[1]) == len(history)


def test_asked_how_to_follow_a_ticket_the_answer_explains_and_its_button_lists_it(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    """«Xem tiến độ ... ở đâu?» is a question: the answer that explains it comes first, with
    the look-up one tap away; nothing starts unasked."""
    chat = 7111
    code = new_ticket(stack, chat, content="Sóng điện thoại xóm 3 thôn Mẫu 1 rất yếu")

    seen = count(telegram, chat)
    telegram.send_text(chat, "muốn tra cứu ý kiến mình đã gửi thì làm thế nào")
    answer = wait_reply(telegram, chat, seen, "tra cứu phiếu")
    assert "Ý kiến gửi qua đây được ghi thành phiếu" in answer.text
    votes = wait_reply(telegram, chat, seen, "giúp ích")
    assert votes.button_texts == ["Hữu ích", "Chưa rõ", "Tra cứu ý kiến đã gửi"]

    listing = press(telegram, chat, "Tra cứu ý kiến đã gửi", code)
    assert listing.button_texts == [code]


def test_forged_button_data_is_refused_and_reaches_nothing(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    """A client can send any callback data for a message it sees. Data that is not one of
    that message's buttons is refused before the engine: no confirmation skipped, no URL
    slipped in as a photo, no form started."""
    chat = 7110
    code = new_ticket(stack, chat, content="Cột điện đầu thôn Mẫu 1 nghiêng sắp đổ")
    status = say(telegram, chat, f"tra cứu {code}", "• Trạng thái")
    assert status.button_texts == ["Bổ sung thông tin", "Rút ý kiến"]
    seen, events = count(telegram, chat), tracker_rows(stack, chat)
    for forged in (
        f'/ticket_op{{"op":"withdraw:{code}:ok"}}',  # the confirmation, skipped
        '/inform{"photo":"https://attacker.example/x.jpg"}',
        "/give_feedback",
    ):
        query = telegram.press_button(chat, status.message_id, forged, force=True)
        assert refusal_of(telegram, query) == NOT_OUR_BUTTON
    ticket, history = load(stack, code)
    assert ticket.state == TicketState.NEW and len(history) == 1
    assert tickets_of(stack, chat) == [code]
    assert count(telegram, chat) == seen and tracker_rows(stack, chat) == events
    # The message's own buttons still work.
    press(telegram, chat, "Rút ý kiến", "chắc chắn muốn rút")


def test_add_information_then_reopen_an_answered_ticket_and_rate_it(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    chat = 7104
    code = new_ticket(stack, chat)
    say(telegram, chat, f"tra cứu {code}", code)
    press(telegram, chat, "Bổ sung thông tin", "nội dung cần bổ sung")
    note = "Bổ sung: cột wifi bị đổ từ tối qua, nhờ cán bộ xuống xem giúp"
    say(telegram, chat, note, "Đã bổ sung thông tin")
    assert load(stack, code)[1][-1].note == note

    staff_moves(stack, code, TicketState.ANSWERED, datetime.now(commune_zone()) - timedelta(days=3))
    say(telegram, chat, f"tra cứu {code}", "Đã trả lời")
    press(telegram, chat, "Chưa được giải quyết", "vì sao vấn đề")
    reason = "Wifi vẫn chưa có, tôi vừa ra nhà văn hóa kiểm tra lại"
    reopened = say(telegram, chat, reason, "Đã mở lại")
    ticket, history = load(stack, code)
    assert ticket.state == TicketState.REOPENED and history[-1].note == reason
    assert ticket.due_date.strftime("%d/%m/%Y") in reopened.text

    staff_moves(stack, code, TicketState.CLOSED, datetime.now(commune_zone()))
    status = say(telegram, chat, f"tra cứu {code}", "1 đến 5 sao")
    assert status.button_texts[-5:] == ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"]
    press(telegram, chat, "4 ★", "Cảm ơn Anh/Chị đã đánh giá 4/5")
    assert load(stack, code)[0].satisfaction == 4


def test_cancel_while_adding_information_changes_nothing(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    chat = 7105
    code = new_ticket(stack, chat)
    say(telegram, chat, f"tra cứu {code}", code)
    press(telegram, chat, "Bổ sung thông tin", "nội dung cần bổ sung")
    say(telegram, chat, "thôi", "Đã hủy")
    assert len(load(stack, code)[1]) == 1


def test_ask_staff_with_consent_and_question(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    chat = 7106
    say(telegram, chat, "cho tôi gặp cán bộ xã", "Anh/Chị có đồng ý không?")
    press(telegram, chat, "Đồng ý", "gõ câu hỏi")
    question = "Nhà tôi muốn làm lại mái tôn thì có phải xin phép xã không ạ?"
    answer = say(telegram, chat, question, "Đã gửi câu hỏi")
    match = TICKET_CODE_PATTERN.search(answer.text or "")
    assert match is not None and "Hạn trả lời dự kiến" in answer.text
    ticket, _ = load(stack, match.group(0))
    assert ticket.kind == "cau_hoi" and ticket.sender_id == str(chat)
    assert ticket.content.startswith(question) and "Người dân: cho tôi gặp cán bộ xã" not in (
        ticket.content
    )
    [consent] = consents(stack, chat)
    assert consent.granted and consent.purpose == PURPOSE_FEEDBACK

    # Consent already given: asked straight for the question.
    say(telegram, chat, "tôi muốn nói chuyện với cán bộ", "gõ câu hỏi")
    assert len(consents(stack, chat)) == 1


def test_delete_my_data_erases_tickets_consent_and_conversation(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    chat = 7107
    code = new_ticket(stack, chat, contact_name="Nguyễn Văn A", contact_phone="0912345678")
    with_db(stack.database_url, lambda s: _consent(s, chat))
    say(telegram, chat, "xin chào", "Xin chào")
    assert tracker_rows(stack, chat) > 0

    ask = say(telegram, chat, "xóa dữ liệu của tôi", "không hoàn tác")
    assert ask.button_texts == ["Xóa dữ liệu", "Không xóa"]
    press(telegram, chat, "Xóa dữ liệu", "Đã xóa dữ liệu cá nhân")

    ticket, history = load(stack, code)
    assert (ticket.sender_id, ticket.contact_name, ticket.contact_phone) == (None, None, None)
    assert ticket.content == ERASED_CONTENT and ticket.state == TicketState.WITHDRAWN
    assert ticket.anonymised_at is not None and history[-1].to_state == "withdrawn"
    assert consents(stack, chat) == []
    deadline = time.monotonic() + 15
    while tracker_rows(stack, chat) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert tracker_rows(stack, chat) == 0

    # The chat goes on as a new conversation.
    say(telegram, chat, "xin chào", "Xin chào")


async def _consent(sessions: async_sessionmaker[AsyncSession], chat: int) -> None:
    async with sessions() as session:
        await record_consent(
            session=session,
            channel="telegram",
            sender_id=str(chat),
            purpose=PURPOSE_FEEDBACK,
            notice_version=CONSENT_NOTICE_VERSION,
            granted=True,
        )
        await session.commit()


async def test_terminal_chat_erases_its_conversation_too(stack: Stack) -> None:
    output: list[str] = []

    def number_of(title: str) -> str:
        for line in output[-1].splitlines():
            if line.strip().endswith(f"] {title}"):
                return line.strip()[1 : line.strip().index("]")]
        raise AssertionError(f"no button {title!r} in:\n{output[-1]}")

    def scripted() -> Iterator[str]:
        yield "xóa dữ liệu của tôi"
        yield number_of("Xóa dữ liệu")
        yield "/quit"

    async def eraser(sender_id: str) -> int:
        return await erase_conversation(
            tracker_store_url=stack.tracker_store_url, sender_id=sender_id
        )

    lines = scripted()
    engine = EngineClient(stack.engine_url, timeout_seconds=30, secret=stack.internal_secret)
    await run_terminal_chat(
        Conversation(engine, "terminal", eraser),
        read_line=lambda _prompt: next(lines),
        write=output.append,
    )
    await engine.aclose()
    assert "Đã xóa dữ liệu cá nhân" in "\n".join(output)
    path = stack.tracker_store_url.removeprefix("sqlite:///")
    with sqlite3.connect(path, timeout=30) as connection:
        left = connection.execute(
            "SELECT DISTINCT sender_id FROM events "
            "WHERE sender_id LIKE 'terminal-%' AND data LIKE '%delete_my_data%'"
        ).fetchall()
    assert left == []
