"""Staff side end to end: the real `python -m bot` process against the fake Bot API server,
on SQLite and PostgreSQL. Tickets are created with the services on the same database, as
the action server does; the resident conversation itself is covered by the other e2e tests,
and the engine is not needed here.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from admin.database import load_config
from bot.staff_handling import OPEN_PRIVATE_CHAT_TO_ANSWER, PROMPT_SENT_PRIVATELY
from bot.telegram_app import EDITS_NOT_READ
from db.models import Office, OutboxMessage, Ticket, TicketEvent, TicketKind
from db.session import sessionmaker_for, unit_of_work
from laikhe.clock import commune_zone
from laikhe.commune import load_commune_config
from scripts.stack import ROOT
from services.digest import digest_due
from testkit.telegram import CallbackAnswer, FakeTelegramServer, SentMessage
from tests.conftest import COMMUNE_YML
from tests.integration.staff_helpers import (
    KT_GROUP,
    KT_LEAD_CLEARED,
    KT_OFFICER,
    LEADER,
    VP_GROUP,
    VP_OFFICER,
    configure_groups,
    register_default_staff,
)
from tests.integration.ticket_helpers import new_ticket

pytestmark = pytest.mark.e2e
TOKEN = "777000:STAFF-E2E"
RESIDENT = 8001
STRANGER = 777
TIMEOUT = 30.0


LOG_KEY = "e2e-staff-flow-log-key-0123456789abcdef"


def log_pseudonym(value: object) -> str:
    """What laikhe.logsafe.pseudonym gives in the bot process, keyed with LOG_KEY."""
    digest = hmac.new(LOG_KEY.encode(), str(value).encode(), hashlib.sha256).hexdigest()
    return f"id:{digest[:10]}"


class BotProcess:
    """The bot as `make run` starts it, which a test can stop and start again."""

    def __init__(self, database_url: str, telegram: FakeTelegramServer, log: Path) -> None:
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "TELEGRAM_FILE_BASE_URL": telegram.base_file_url,
            "DATABASE_URL": database_url,
            "RASA_URL": "http://127.0.0.1:9",  # residents are not part of these tests
            "OUTBOX_POLL_SECONDS": "0.2",
            "OUTBOX_BACKOFF_BASE_SECONDS": "0.2",
            "OUTBOX_BACKOFF_MAX_SECONDS": "1",
            # The key of the log pseudonyms (laikhe.logsafe), so the test can compute them.
            "INTERNAL_SECRET": LOG_KEY,
        }
        self.telegram = telegram
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # The updater deletes any webhook right before it starts polling; a getUpdates
        # shows up only when its long poll returns.
        ready = len(self.telegram.requests("deleteWebhook")) + 1
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            # Importing the bot (reports, charts) is slow on a busy 2-core machine.
            self.telegram.wait_for_requests("deleteWebhook", ready, timeout=120)
        except AssertionError:
            self.stop()
            raise

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None


@pytest.fixture
def prepared_db(database_url: str) -> str:
    async def prepare() -> None:
        factory = sessionmaker_for(database_url)
        async with unit_of_work(factory) as session:
            await load_config(session, COMMUNE_YML)
        await configure_groups(factory)
        await register_default_staff(factory)
        await factory.kw["bind"].dispose()

    asyncio.run(prepare())
    return database_url


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    server = FakeTelegramServer(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def bot(prepared_db: str, telegram: FakeTelegramServer, tmp_path: Path) -> Iterator[BotProcess]:
    process = BotProcess(prepared_db, telegram, tmp_path / "bot.log")
    process.start()
    yield process
    process.stop()


def create_ticket(database_url: str, **overrides: object) -> str:
    """What the action server does when a resident presses «Gửi»."""

    async def run() -> str:
        factory = sessionmaker_for(database_url)
        try:
            values: dict[str, object] = {"sender_id": str(RESIDENT)}
            values.update(overrides)
            return await new_ticket(
                factory, load_commune_config(ROOT / "config" / "commune.yml"), **values
            )
        finally:
            await factory.kw["bind"].dispose()

    return asyncio.run(run())


def admin(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "admin", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def wait_text(telegram: FakeTelegramServer, chat: int, contains: str) -> SentMessage:
    messages = telegram.wait_for_messages(
        chat, 1, timeout=TIMEOUT, predicate=lambda ms: any(contains in m.content for m in ms)
    )
    return next(m for m in messages if contains in m.content)


def with_code(telegram: FakeTelegramServer, chat: int, code: str) -> list[SentMessage]:
    """The ticket cards for `code` (the morning digest may name it too, once a day)."""
    return [m for m in telegram.messages(chat) if m.content.startswith(f"📌 Ý kiến mới: {code}")]


def answer_for(telegram: FakeTelegramServer, query_id: str) -> str:
    found = telegram.wait_for(
        lambda: next(
            (a for a in telegram.callback_answers if a.callback_query_id == query_id), None
        ),
        timeout=TIMEOUT,
        message=f"callback {query_id} not answered",
    )
    return found.text or ""


def test_ticket_reaches_its_office_group_and_an_officer_takes_answers_and_closes_it(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    code = create_ticket(prepared_db, content="Wifi nhà văn hóa thôn Mẫu 1 hỏng")
    card = wait_text(telegram, KT_GROUP, code)
    assert "Wifi nhà văn hóa thôn Mẫu 1 hỏng" in card.content and "Thôn Mẫu 1" in card.content
    assert card.button_texts == ["Nhận xử lý", "Trả lời", "Chuyển đơn vị", "Từ chối", "Đóng"]
    assert with_code(telegram, VP_GROUP, code) == []

    # Refused: someone not registered, and an officer of another office.
    take = card.callback_data_for("Nhận xử lý")
    for user, refusal in ((STRANGER, "cán bộ đã đăng ký"), (VP_OFFICER, "không thuộc đơn vị")):
        query = telegram.press_button(KT_GROUP, card.message_id, take, user_id=user)
        assert refusal in answer_for(telegram, query)
    assert telegram.messages(RESIDENT) == []
    log = bot.log.read_text(encoding="utf-8")
    stranger, officer = log_pseudonym(STRANGER), log_pseudonym(VP_OFFICER)
    assert f"refused take on {code}: Telegram user {stranger} is not registered staff" in log
    assert f"refused take on {code}: staff {officer} (office VP" in log
    assert str(STRANGER) not in log and str(VP_OFFICER) not in log

    query = telegram.press_button(KT_GROUP, card.message_id, take, user_id=KT_OFFICER)
    assert "Đã nhận xử lý: Trần Văn Kinh" in answer_for(telegram, query)
    assert "được Phòng Kinh tế tiếp nhận" in wait_text(telegram, RESIDENT, code).content
    assert "➜ Đã nhận xử lý: Trần Văn Kinh" in telegram.message(KT_GROUP, card.message_id).content

    # "Trả lời": the bot asks with a ForceReply prompt; the officer replies to it.
    seen = len(telegram.messages(KT_GROUP))
    telegram.press_button(
        KT_GROUP, card.message_id, card.callback_data_for("Trả lời"), user_id=KT_OFFICER
    )
    prompt = wait_text(telegram, KT_GROUP, f"Trả lời ý kiến {code}")
    assert (prompt.sent_reply_markup or {}).get("force_reply") is True
    answer = "Đã báo nhà mạng, wifi được sửa xong trong tuần này."
    telegram.send_text(KT_GROUP, answer, user_id=KT_OFFICER, reply_to_message_id=prompt.message_id)
    to_resident = wait_text(telegram, RESIDENT, "Trả lời của Phòng Kinh tế")
    assert answer in to_resident.content and code in to_resident.content
    assert to_resident.buttons == [
        [("Chưa được giải quyết", '/ticket_op{"op":"reopen:' + code + '"}')]
    ]
    assert "Đã trả lời: Trần Văn Kinh" in wait_text(telegram, KT_GROUP, "Đã trả lời").content
    assert len(telegram.messages(KT_GROUP)) > seen

    query = telegram.press_button(
        KT_GROUP, card.message_id, card.callback_data_for("Đóng"), user_id=KT_OFFICER
    )
    assert "Đã đóng" in answer_for(telegram, query)
    rating = wait_text(telegram, RESIDENT, "hài lòng")
    assert rating.callback_data[:5] == [
        f'/ticket_op{{"op":"rate:{code}:{n}"}}' for n in range(1, 6)
    ]

    # Every resident message arrived once.
    assert [m.content.count(code) > 0 for m in telegram.messages(RESIDENT)] == [True] * 3
    history = admin(prepared_db, "tickets", "show", code)
    assert history.returncode == 0, history.stderr
    actor = f"staff:{KT_OFFICER} Trần Văn Kinh"
    for step in ("new → assigned", "assigned → answered", "answered → closed"):
        assert f"{actor}: {step}" in history.stdout
    assert "resident:telegram: new" in history.stdout


def test_429_and_500_from_telegram_then_recovery_deliver_each_message_once(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    telegram.fail_next("sendMessage", count=2, status=429, retry_after=1, chat_id=KT_GROUP)
    telegram.fail_next("sendMessage", count=3, status=500, chat_id=KT_GROUP)
    codes = [create_ticket(prepared_db, content=f"Phản ánh thứ {n}") for n in range(3)]
    telegram.wait_for_messages(
        KT_GROUP,
        3,
        timeout=60,
        predicate=lambda ms: all(any(c in m.content for m in ms) for c in codes),
    )
    for code in codes:
        assert len(with_code(telegram, KT_GROUP, code)) == 1
    statuses = [
        r.status for r in telegram.requests("sendMessage") if r.params["chat_id"] == KT_GROUP
    ]
    assert statuses.count(429) == 2 and statuses.count(500) == 3 and statuses.count(200) == 3


def test_bot_stopped_between_commit_and_send_delivers_once_after_restart(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    bot.stop()
    code = create_ticket(prepared_db)  # committed while no bot runs
    assert with_code(telegram, KT_GROUP, code) == []
    bot.start()
    wait_text(telegram, KT_GROUP, code)
    # A second restart must not send it again.
    bot.stop()
    bot.start()
    telegram.wait_for_requests("getUpdates", len(telegram.requests("getUpdates")) + 1, timeout=30)
    assert len(with_code(telegram, KT_GROUP, code)) == 1

    async def statuses() -> list[str]:
        factory = sessionmaker_for(prepared_db)
        async with factory() as session:
            rows = (await session.scalars(select(OutboxMessage.status))).all()
        await factory.kw["bind"].dispose()
        return list(rows)

    assert set(asyncio.run(statuses())) == {"sent"}
    if digest_due(datetime.now(commune_zone())):
        # The working-morning digest (overdue: this ticket) came once across the restarts.
        digests = [m for m in telegram.messages(KT_GROUP) if m.content.startswith("🗓")]
        assert len(digests) == 1 and code in digests[0].content


def test_the_command_menus_are_set_per_chat_scope_at_startup(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    # Set before polling starts (post_init), so already there when the bot is up: the two
    # general scopes, then one call per registered staff member.
    assert [r.status for r in telegram.requests("setMyCommands")] == [200] * 6
    # Residents, in private chats: the greeting and help commands.
    assert telegram.my_commands({"type": "all_private_chats"}) == [
        ("start", "Bắt đầu trò chuyện với trợ lý"),
        ("menu", "Xem các mục hỗ trợ"),
        ("help", "Hướng dẫn sử dụng"),
    ]
    # Staff, in their office groups and the leaders' chat.
    assert telegram.my_commands({"type": "all_group_chats"}) == [
        ("traloi", "Trả lời ý kiến: /traloi <mã> [nội dung]"),
        ("tuchoi", "Từ chối ý kiến: /tuchoi <mã> [lý do]"),
        ("trung", "Đánh dấu ý kiến trùng: /trung <mã> <mã gốc>"),
        ("xem", "Xem chi tiết ý kiến (nhắn riêng cho trợ lý)"),
        ("baocao", "Lập báo cáo ý kiến theo kỳ"),
        ("dangnhap", "Nhận đường dẫn đăng nhập trang quản lý (chat riêng)"),
    ]
    # Nothing in the default scope: staff commands never show in a resident's menu.
    assert telegram.my_commands() == []
    # Each registered staff member's private chat (its id is the user's): the residents'
    # commands and the staff ones, which work there too.
    staff_private_menu = [
        ("start", "Bắt đầu trò chuyện với trợ lý"),
        ("menu", "Xem các mục hỗ trợ"),
        ("help", "Hướng dẫn sử dụng"),
        ("traloi", "Trả lời ý kiến: /traloi <mã> [nội dung]"),
        ("tuchoi", "Từ chối ý kiến: /tuchoi <mã> [lý do]"),
        ("trung", "Đánh dấu ý kiến trùng: /trung <mã> <mã gốc>"),
        ("xem", "Xem chi tiết ý kiến (nhắn riêng cho trợ lý)"),
        ("baocao", "Lập báo cáo ý kiến theo kỳ"),
        ("dangnhap", "Nhận đường dẫn đăng nhập trang quản lý (chat riêng)"),
    ]
    staff = (KT_OFFICER, VP_OFFICER, LEADER, KT_LEAD_CLEARED)
    for user in staff:
        assert telegram.my_commands({"type": "chat", "chat_id": user}) == staff_private_menu
    assert telegram.my_commands({"type": "chat", "chat_id": RESIDENT}) == []
    assert telegram.requests("deleteMyCommands") == []

    # A removed staff member loses the staff menu at the next start (back to the residents'
    # one); the others keep theirs.
    assert admin(prepared_db, "staff", "remove", "--telegram-id", str(VP_OFFICER)).returncode == 0
    bot.stop()
    bot.start()
    assert telegram.my_commands({"type": "chat", "chat_id": VP_OFFICER}) == []
    deleted = telegram.requests("deleteMyCommands")
    assert [(r.params["scope"], r.status) for r in deleted] == [
        ({"type": "chat", "chat_id": VP_OFFICER}, 200)
    ]
    for user in (KT_OFFICER, LEADER, KT_LEAD_CLEARED):
        assert telegram.my_commands({"type": "chat", "chat_id": user}) == staff_private_menu
    assert [r.status for r in telegram.requests("setMyCommands")] == [200] * (6 + 5)


def test_forward_to_another_group_answer_in_private_and_confidential_view(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    code = create_ticket(prepared_db, content="Cần hướng dẫn ký số hồ sơ trực tuyến")
    card = wait_text(telegram, KT_GROUP, code)
    telegram.press_button(
        KT_GROUP, card.message_id, card.callback_data_for("Chuyển đơn vị"), user_id=KT_OFFICER
    )
    menu = wait_text(telegram, KT_GROUP, f"Chuyển ý kiến {code} đến đơn vị nào?")
    assert "Phòng Kinh tế" not in menu.button_texts
    assert "Ngoài thẩm quyền của xã" in menu.button_texts
    telegram.press_button(
        KT_GROUP,
        menu.message_id,
        menu.callback_data_for("Văn phòng HĐND và UBND xã"),
        user_id=KT_OFFICER,
    )
    moved = wait_text(telegram, VP_GROUP, code)
    assert "Ý kiến chuyển từ Phòng Kinh tế" in moved.content
    assert "chuyển đến Văn phòng HĐND và UBND xã" in wait_text(telegram, RESIDENT, code).content

    # The VP officer answers from a private chat with the bot.
    telegram.send_command(VP_OFFICER, f"/traloi {code}")
    prompt = wait_text(telegram, VP_OFFICER, f"Trả lời ý kiến {code}")
    telegram.send_text(
        VP_OFFICER, "Anh/Chị làm theo hướng dẫn tại bộ phận một cửa.",
        reply_to_message_id=prompt.message_id,
    )  # fmt: skip
    answer = wait_text(telegram, RESIDENT, "Trả lời của Văn phòng HĐND và UBND xã")
    assert "bộ phận một cửa" in answer.content
    history = admin(prepared_db, "tickets", "show", code).stdout
    assert f"staff:{KT_OFFICER} Trần Văn Kinh: new - Chuyển từ KT sang VP" in history
    assert f"staff:{VP_OFFICER} Lê Thị Văn: new → answered" in history

    secret = create_ticket(
        prepared_db, kind=TicketKind.KHIEU_NAI_TO_CAO, content="Tố cáo cán bộ thôn nhận tiền"
    )
    card = wait_text(telegram, KT_GROUP, secret)
    assert "Tố cáo cán bộ" not in card.content and "bảo mật" in card.content
    query = telegram.press_button(
        KT_GROUP, card.message_id, card.callback_data_for("Nhận xử lý"), user_id=KT_OFFICER
    )
    assert "bảo mật" in answer_for(telegram, query)
    telegram.press_button(
        KT_GROUP, card.message_id, card.callback_data_for("Xem riêng"), user_id=KT_LEAD_CLEARED
    )
    assert "Tố cáo cán bộ thôn" in wait_text(telegram, KT_LEAD_CLEARED, secret).content
    assert "Tố cáo cán bộ" not in "".join(m.content for m in telegram.messages(KT_GROUP))


def test_a_duplicate_is_marked_in_the_group_and_its_sender_gets_the_original_answer(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    second_resident = 8002
    original = create_ticket(prepared_db, content="Đèn đường thôn Mẫu 2 hỏng từ tuần trước")
    repeat = create_ticket(
        prepared_db, sender_id=str(second_resident), content="Đèn đường Mẫu 2 tắt cả tuần nay"
    )
    wait_text(telegram, KT_GROUP, repeat)
    telegram.send_command(KT_GROUP, f"/trung {repeat}", user_id=KT_OFFICER)
    wait_text(telegram, KT_GROUP, "Cú pháp: /trung <mã ý kiến trùng> <mã ý kiến gốc>")
    telegram.send_command(KT_GROUP, f"/trung {repeat} {original}", user_id=KT_OFFICER)
    assert (
        f"Ý kiến {repeat}: Trùng với {original}"
        in wait_text(telegram, KT_GROUP, "Trùng với").content
    )
    told = wait_text(telegram, second_resident, f"trùng với ý kiến {original}")
    assert "Khi có trả lời, trợ lý sẽ gửi cho Anh/Chị" in told.content

    telegram.send_command(
        KT_GROUP, f"/traloi {original} Điện lực sẽ thay bóng trong hai ngày.", user_id=KT_OFFICER
    )
    assert (
        "đã gửi cả 1 người gửi ý kiến trùng" in wait_text(telegram, KT_GROUP, "Đã trả lời").content
    )
    assert "thay bóng" in wait_text(telegram, RESIDENT, f"về ý kiến {original}").content
    relayed = wait_text(telegram, second_resident, f"trùng với ý kiến {repeat} của Anh/Chị")
    assert "Điện lực sẽ thay bóng trong hai ngày." in relayed.content
    assert history_of(prepared_db, repeat)[1:] == [
        ("new", "duplicate", f"Trùng với ý kiến {original}"),
        ("duplicate", "duplicate", f"Đã gửi người gửi trả lời của ý kiến {original}"),
    ]


# --- hardening (#17) -----------------------------------------------------------------------


def answer_of(telegram: FakeTelegramServer, query_id: str) -> CallbackAnswer:
    return telegram.wait_for(
        lambda: next(
            (a for a in telegram.callback_answers if a.callback_query_id == query_id), None
        ),
        timeout=TIMEOUT,
        message=f"callback {query_id} not answered",
    )


def history_of(database_url: str, code: str) -> list[tuple[str | None, str, str | None]]:
    async def run() -> list[tuple[str | None, str, str | None]]:
        factory = sessionmaker_for(database_url)
        try:
            async with factory() as session:
                ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
                assert ticket is not None
                rows = await session.scalars(
                    select(TicketEvent)
                    .where(TicketEvent.ticket_id == ticket.id)
                    .order_by(TicketEvent.id)
                )
                return [(e.from_state, e.to_state, e.note) for e in rows.all()]
        finally:
            await factory.kw["bind"].dispose()

    return asyncio.run(run())


def test_confidential_ticket_is_answered_privately_never_in_the_group(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    secret = create_ticket(
        prepared_db, kind=TicketKind.KHIEU_NAI_TO_CAO, content="Tố cáo cán bộ thôn nhận tiền"
    )
    card = wait_text(telegram, KT_GROUP, secret)
    query = telegram.press_button(
        KT_GROUP, card.message_id, card.callback_data_for("Trả lời"), user_id=KT_LEAD_CLEARED
    )
    assert answer_of(telegram, query).text == PROMPT_SENT_PRIVATELY
    prompt = wait_text(telegram, KT_LEAD_CLEARED, f"Trả lời ý kiến {secret}")
    assert (prompt.sent_reply_markup or {}).get("force_reply") is True
    answer = "Đơn đã được chuyển Ủy ban kiểm tra xem xét theo quy định."
    telegram.send_text(KT_LEAD_CLEARED, answer, reply_to_message_id=prompt.message_id)
    assert answer in wait_text(telegram, RESIDENT, "Trả lời của Phòng Kinh tế").content
    wait_text(telegram, KT_LEAD_CLEARED, "Đã trả lời")
    group = "\n".join(m.content for m in telegram.messages(KT_GROUP))
    assert "Trả lời ý kiến" not in group and answer not in group

    # A cleared lead who never opened a private chat with the bot (Telegram refuses the
    # message): told in the group, with the code only, to open one; no prompt there.
    other = create_ticket(
        prepared_db, kind=TicketKind.KHIEU_NAI_TO_CAO, content="Khiếu nại việc thu phí"
    )
    card = wait_text(telegram, KT_GROUP, other)
    telegram.set_blocked(KT_LEAD_CLEARED)
    telegram.press_button(
        KT_GROUP, card.message_id, card.callback_data_for("Từ chối"), user_id=KT_LEAD_CLEARED
    )
    told = wait_text(telegram, KT_GROUP, "mở chat riêng")
    assert told.content == OPEN_PRIVATE_CHAT_TO_ANSWER.format(code=other)
    group = "\n".join(m.content for m in telegram.messages(KT_GROUP))
    assert "Lý do từ chối ý kiến" not in group and "thu phí" not in group
    # The same through the command typed in the group.
    telegram.set_blocked(KT_LEAD_CLEARED, False)
    seen = len(telegram.messages(KT_LEAD_CLEARED))
    telegram.send_command(KT_GROUP, f"/tuchoi {other}", user_id=KT_LEAD_CLEARED)
    wait_text(telegram, KT_GROUP, PROMPT_SENT_PRIVATELY)
    assert f"Lý do từ chối ý kiến {other}" in wait_text(telegram, KT_LEAD_CLEARED, other).content
    assert len(telegram.messages(KT_LEAD_CLEARED)) == seen + 1
    assert "Lý do từ chối ý kiến" not in "\n".join(m.content for m in telegram.messages(KT_GROUP))


def test_a_history_longer_than_one_telegram_message_is_sent_in_pieces(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    code = create_ticket(prepared_db, kind=TicketKind.KHIEU_NAI_TO_CAO, content="Tố cáo dài")
    notes = [f"Bổ sung lần {n}: " + " ".join(["chi tiết sự việc"] * 30) for n in range(12)]

    async def add_notes() -> None:
        factory = sessionmaker_for(prepared_db)
        async with factory() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
            assert ticket is not None
            for note in notes:
                session.add(
                    TicketEvent(
                        ticket_id=ticket.id,
                        at=datetime.now(commune_zone()),
                        actor="resident:telegram",
                        from_state=ticket.state,
                        to_state=ticket.state,
                        note=note,
                    )
                )
            await session.commit()
        await factory.kw["bind"].dispose()

    asyncio.run(add_notes())
    assert sum(len(n) for n in notes) > 4096
    card = wait_text(telegram, KT_GROUP, code)
    for ask in (
        lambda: telegram.send_command(KT_LEAD_CLEARED, f"/xem {code}"),
        lambda: telegram.press_button(
            KT_GROUP, card.message_id, card.callback_data_for("Xem riêng"), user_id=KT_LEAD_CLEARED
        ),
    ):
        seen = len(telegram.messages(KT_LEAD_CLEARED))
        ask()
        pieces = telegram.wait_for_messages(
            KT_LEAD_CLEARED,
            seen + 2,
            timeout=TIMEOUT,
            predicate=lambda ms: notes[-1] in ms[-1].content,
        )[seen:]
        assert len(pieces) >= 2 and all(len(p.content) <= 4096 for p in pieces)
        assert pieces[0].content.startswith(code)
        text = "\n".join(p.content for p in pieces)
        assert all(note in text for note in notes)  # cut at line ends: no note split


def test_a_reply_to_another_bots_look_alike_prompt_is_not_an_answer(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    code = create_ticket(prepared_db, content="Mất sóng điện thoại ở xóm Đông")
    card = wait_text(telegram, KT_GROUP, code)
    other_bot = {"id": 424242, "is_bot": True, "first_name": "Bot khác", "username": "khac_bot"}
    fake_prompt = {
        "message_id": 900001,
        "from": other_bot,
        "chat": {"id": KT_GROUP, "type": "supergroup", "title": "KT"},
        "date": int(time.time()),
        "text": f"✍️ Trả lời ý kiến {code}\nAnh/Chị trả lời (reply) tin nhắn này",
    }
    telegram.send_update(
        {
            "message": {
                "message_id": 900002,
                "from": {"id": KT_OFFICER, "is_bot": False, "first_name": "Kinh"},
                "chat": fake_prompt["chat"],
                "date": int(time.time()),
                "text": "Nội dung do bot khác dẫn dắt",
                "reply_to_message": fake_prompt,
            }
        }
    )
    # Then a real answer through our own prompt: once it is handled, the first was too.
    telegram.press_button(
        KT_GROUP, card.message_id, card.callback_data_for("Trả lời"), user_id=KT_OFFICER
    )
    prompt = wait_text(telegram, KT_GROUP, f"Trả lời ý kiến {code}")
    telegram.send_text(
        KT_GROUP, "Nhà mạng đã lắp thêm trạm.", user_id=KT_OFFICER,
        reply_to_message_id=prompt.message_id,
    )  # fmt: skip
    answers = telegram.wait_for_messages(
        RESIDENT,
        1,
        timeout=TIMEOUT,
        predicate=lambda ms: any("Nhà mạng đã lắp thêm trạm." in m.content for m in ms),
    )
    assert not any("bot khác" in m.content for m in answers)
    assert [n for _, to, n in history_of(prepared_db, code) if to == "answered"] == [
        "Trả lời: Nhà mạng đã lắp thêm trạm."
    ]


def test_edited_messages_are_not_new_turns(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    # A resident (the engine is down in these tests: every turn gets the same apology).
    sent = telegram.send_text(RESIDENT, "xin chào")
    first = wait_text(telegram, RESIDENT, "trợ lý đang bận")
    telegram.send_edited_message(RESIDENT, sent["message"]["message_id"], "xin chào trợ lý")
    wait_text(telegram, RESIDENT, EDITS_NOT_READ)
    assert [m.content for m in telegram.messages(RESIDENT)] == [first.content, EDITS_NOT_READ]

    # Staff: an edited "/traloi" is not run again, and a group edit gets no reply.
    code = create_ticket(prepared_db, content="Đèn đường xóm Tây không sáng")
    wait_text(telegram, KT_GROUP, code)
    command = telegram.send_text(
        KT_GROUP, f"/traloi {code} Đã thay bóng đèn.", user_id=KT_OFFICER,
        entities=[{"type": "bot_command", "offset": 0, "length": 7}],
    )  # fmt: skip
    wait_text(telegram, KT_GROUP, "Đã trả lời")
    seen = len(telegram.messages(KT_GROUP))
    telegram.send_edited_message(
        KT_GROUP, command["message"]["message_id"], f"/traloi {code} Đã thay bóng đèn mới."
    )
    telegram.send_command(KT_GROUP, f"/xem {code}", user_id=KT_OFFICER)  # handled after it
    wait_text(telegram, KT_GROUP, f"«/xem {code}»")
    assert len(telegram.messages(KT_GROUP)) == seen + 1
    assert [n for _, to, n in history_of(prepared_db, code) if to == "answered"] == [
        "Trả lời: Đã thay bóng đèn."
    ]


def test_a_group_upgraded_to_a_supergroup_keeps_its_office(
    bot: BotProcess, telegram: FakeTelegramServer, prepared_db: str
) -> None:
    old, new = -4242, -1_004_242

    async def set_group(chat: int) -> None:
        factory = sessionmaker_for(prepared_db)
        await configure_groups(factory, {"KT": chat})
        await factory.kw["bind"].dispose()

    asyncio.run(set_group(old))
    telegram.register_chat(old, "group", title="Phòng Kinh tế")
    telegram.send_update(
        {
            "message": {
                "message_id": 1,
                "from": {"id": KT_OFFICER, "is_bot": False, "first_name": "Kinh"},
                "chat": {"id": old, "type": "group", "title": "Phòng Kinh tế"},
                "date": int(time.time()),
                "migrate_to_chat_id": new,
            }
        }
    )
    telegram.wait_for(
        lambda: f"group {old} became supergroup {new}" in bot.log.read_text(encoding="utf-8"),
        timeout=TIMEOUT,
        message="migration not followed",
    )
    code = create_ticket(prepared_db, content="Trạm BTS thôn Mẫu 1 mất điện")
    wait_text(telegram, new, code)
    assert with_code(telegram, old, code) == []

    # /baocao and the staff checks find the office by its new group.
    async def office_chat() -> int | None:
        factory = sessionmaker_for(prepared_db)
        async with factory() as session:
            chat = await session.scalar(select(Office.staff_chat_id).where(Office.code == "KT"))
        await factory.kw["bind"].dispose()
        return chat

    assert asyncio.run(office_chat()) == new
