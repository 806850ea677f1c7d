"""A resident on Zalo end to end: fake Zalo Bot API -> the real `python -m zalo` -> the
real engine and action server -> database, and a staff answer back on Zalo; on SQLite
(the session's stack) and on PostgreSQL (a stack of this module's)."""

from __future__ import annotations

import asyncio
import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.database import prepare
from db.models import (
    OutboxMessage,
    OutboxStatus,
    StaffMember,
    StaffRole,
    Ticket,
    TicketAttachment,
)
from db.session import sessionmaker_for, unit_of_work
from laikhe.choices import CHOICE_HINT
from scripts.model import ensure_model
from scripts.stack import Stack, free_port
from services import handling
from services.photo_store import NOT_AN_IMAGE
from services.staff import register_staff
from testkit.zalo import FakeZaloServer
from tests.conftest import COMMUNE_YML, PostgresDatabase
from tests.e2e.test_resident_flows import code_in, on_database
from tests.e2e.test_zalo_delivery import ZaloProcess

pytestmark = pytest.mark.e2e
TOKEN = "2718281828:ZALO-RESIDENT-E2E"
TIMEOUT = 60.0
LEADER = 919_191  # a commune leader of this test, who may answer any office's ticket


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def zalo_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The session's stack (SQLite), or one of this module's with the tickets and the
    conversations on PostgreSQL, started once for all its tests."""
    if request.param == "sqlite":
        yield request.getfixturevalue("stack")
        return
    tickets, tracker = PostgresDatabase(), PostgresDatabase()
    running: Stack | None = None
    try:
        running = Stack(
            model=ensure_model(),
            database_url=tickets.url,
            tracker_store_url=tracker.url,
            log_dir=tmp_path_factory.mktemp("zalo-postgresql") / "logs",
            engine_port=free_port(),
            action_port=free_port(),
        )
        running.start(
            timeout=float(os.environ.get("E2E_START_TIMEOUT", "240")),
            while_engine_loads=lambda: prepare(tickets.url, COMMUNE_YML),
        )
        yield running
    finally:
        if running is not None:
            running.stop()
        tickets.drop()
        tracker.drop()


@pytest.fixture(scope="module")
def zalo(zalo_stack: Stack) -> Iterator[FakeZaloServer]:
    server = FakeZaloServer(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def photo_dir(zalo_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zalo-photos")


@pytest.fixture(scope="module")
def zalo_process(zalo_stack: Stack, zalo: FakeZaloServer, photo_dir: Path) -> Iterator[ZaloProcess]:
    yield from started(zalo_stack, zalo, photo_dir, zalo_stack.log_dir / "zalo.log")


def started(
    stack: Stack, zalo: FakeZaloServer, photo_dir: Path, log: Path
) -> Iterator[ZaloProcess]:
    """`python -m zalo` polling the fake server, with the stack's engine and databases."""
    process = ZaloProcess(
        stack.database_url, zalo, log,
        **stack.client_env(),
        TRACKER_STORE_URL=stack.tracker_store_url,
        PHOTO_DIR=str(photo_dir),
    )  # fmt: skip
    process.start()
    try:
        zalo.wait_for_calls("getUpdates", timeout=float(os.environ.get("E2E_START_TIMEOUT", "240")))
        yield process
    finally:
        process.stop()


class ZaloResident:
    """One Zalo chat: type something, wait for the reply that contains the expected words;
    a button is chosen by typing its number, read from the numbered lines on screen."""

    def __init__(self, zalo: FakeZaloServer, chat_id: str) -> None:
        self.zalo = zalo
        self.chat_id = chat_id
        self._turn_start = 0

    def say(self, text: str, expect: str) -> str:
        seen = len(self.zalo.texts(self.chat_id))
        self._turn_start = seen
        self.zalo.say(self.chat_id, text)
        return self.zalo.wait_for_text(self.chat_id, expect, after=seen, timeout=TIMEOUT)[1]

    def number_of(self, title: str) -> str:
        """The number the last turn gave the button `title`."""
        shown = "\n".join(self.zalo.texts(self.chat_id)[self._turn_start :])
        found = re.search(rf"^  \[(\d+)\] {re.escape(title)}$", shown, re.MULTILINE)
        assert found is not None, f"no choice {title!r} in:\n{shown}"
        return found.group(1)

    def choose(self, title: str, expect: str) -> str:
        return self.say(self.number_of(title), expect)

    def start_feedback(self) -> None:
        """Consent given and the field chosen (a title typed without diacritics presses
        its button too): the form asks for the content."""
        self.say("gửi góp ý", "Bảo vệ dữ liệu cá nhân")
        self.choose("Đồng ý", "Tôi hiểu ý kiến")
        self.say("dung", "lĩnh vực")
        self.choose("Hạ tầng số (Internet, sóng, wifi)", "nội dung")

    def describe(self, content: str) -> None:
        """The content and the village: the summary, whose «Gửi» has a number."""
        self.say(content, "thôn nào")
        self.choose("Thôn Mẫu 2 (mẫu)", "kiểm tra lại")


def tickets_of(database_url: str, sender_id: str) -> list[Ticket]:
    async def work(session: AsyncSession) -> list[Ticket]:
        rows = await session.scalars(select(Ticket).where(Ticket.sender_id == sender_id))
        return list(rows.all())

    return on_database(database_url, work)


def answer_as_leader(database_url: str, code: str, text: str) -> bool:
    """What the back office does when staff answer (web/pages.py -> services.handling)."""

    async def run() -> bool:
        factory = sessionmaker_for(database_url)
        try:
            async with unit_of_work(factory) as session:
                known = await session.scalar(
                    select(StaffMember.id).where(StaffMember.telegram_user_id == LEADER)
                )
                if known is None:
                    await register_staff(
                        session=session,
                        telegram_user_id=LEADER,
                        full_name="Lãnh đạo Thử",
                        office_code=None,
                        role=StaffRole.COMMUNE_LEADER,
                        can_read_confidential=False,
                    )
            async with unit_of_work(factory) as session:
                result = await handling.answer(
                    session=session, telegram_user_id=LEADER, code=code, text=text
                )
                return result.resident_notified
        finally:
            await factory.kw["bind"].dispose()

    return asyncio.run(run())


def zalo_rows(database_url: str, recipient: str) -> list[OutboxMessage]:
    async def work(session: AsyncSession) -> list[OutboxMessage]:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == "zalo", OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        )
        return list(rows.all())

    return on_database(database_url, work)


def test_a_faq_question_without_diacritics_is_answered_on_zalo(
    zalo: FakeZaloServer, zalo_process: ZaloProcess
) -> None:
    resident = ZaloResident(zalo, "zf-1001")
    reply = resident.say("lam sao dang ky tai khoan vneid muc 2", "giúp ích")
    # The answer and its «giúp ích» question come as one message, the choices last.
    assert zalo.texts("zf-1001") == [reply]
    answer, question = reply.split("\n\n", 1)
    assert "VNeID" in answer and "giúp ích" in question
    # The FAQ's vote buttons are numbered choices: no button reaches Zalo.
    assert "[1] " in question and reply.endswith(CHOICE_HINT)


def test_a_feedback_ticket_by_numbered_choices_is_answered_back_on_zalo(
    zalo: FakeZaloServer, zalo_process: ZaloProcess, zalo_stack: Stack
) -> None:
    chat = "zf-2002"
    resident = ZaloResident(zalo, chat)
    resident.start_feedback()
    resident.describe("Sóng điện thoại ở xóm Zalo rất yếu, gọi hay bị ngắt")
    code = code_in_text(resident.choose("Gửi", "Mã:"))

    [ticket] = tickets_of(zalo_stack.database_url, f"zalo:{chat}")
    assert (ticket.code, ticket.channel) == (code, "zalo")
    # Telegram's chat with the same number would be "2002", never this conversation.
    assert tickets_of(zalo_stack.database_url, "2002") == []

    # Staff answer from the back office; Zalo refuses twice (429, then 500) first.
    seen = len(zalo.texts(chat))
    zalo.fail_next("sendMessage", 1, status=429)
    zalo.fail_next("sendMessage", 1, status=500)
    assert answer_as_leader(zalo_stack.database_url, code, "Nhà mạng đã lắp thêm trạm phát sóng.")
    _, answer = zalo.wait_for_text(chat, "Nhà mạng đã lắp thêm", after=seen, timeout=TIMEOUT)
    assert code in answer and "[1] Chưa được giải quyết" in answer
    time.sleep(2)  # a resend would have come by now (0.2 s polls)
    assert [t for t in zalo.texts(chat)[seen:] if "Nhà mạng đã lắp thêm" in t] == [answer]
    [row] = zalo_rows(zalo_stack.database_url, chat)
    assert (row.status, row.attempts, row.chat_id) == (OutboxStatus.SENT, 3, None)

    # The reopen choice is pressed by its number, as a button would be on Telegram.
    resident.say("1", "vì sao vấn đề")


def test_a_photo_sent_on_zalo_reaches_the_ticket_without_its_location(
    zalo: FakeZaloServer, zalo_process: ZaloProcess, zalo_stack: Stack, photo_dir: Path
) -> None:
    chat = "zf-3003"
    resident = ZaloResident(zalo, chat)
    resident.start_feedback()
    resident.describe("Cột điện ở xóm Zalo bị nghiêng sắp đổ")

    seen = len(zalo.texts(chat))
    zalo.send_photo(chat, zalo.host_photo(b"%PDF-1.4 not a photo"))
    zalo.wait_for_text(chat, NOT_AN_IMAGE, after=seen, timeout=TIMEOUT)

    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (11.0, 15.0, 30.0)}
    Image.new("RGB", (64, 48), (120, 60, 30)).save(out, format="JPEG", exif=exif.tobytes())
    seen = len(zalo.texts(chat))
    zalo.send_photo(chat, zalo.host_photo(out.getvalue()))
    zalo.wait_for_text(chat, "Đã nhận 1 ảnh", after=seen, timeout=TIMEOUT)
    # The photo's reply has no choices: the summary's stay, and «Gửi» keeps its number.
    code = code_in_text(resident.choose("Gửi", "Mã:"))

    [ticket] = tickets_of(zalo_stack.database_url, f"zalo:{chat}")
    assert ticket.code == code

    async def keys(session: AsyncSession) -> list[str | None]:
        rows = await session.scalars(
            select(TicketAttachment.storage_key).where(TicketAttachment.ticket_id == ticket.id)
        )
        return list(rows.all())

    [key] = on_database(zalo_stack.database_url, keys)
    assert key is not None
    kept = (photo_dir / key).read_bytes()
    assert b"Exif" not in kept
    # Only the photo that was taken is on disk.
    assert [p.name for p in (photo_dir).iterdir()] == [key]


def code_in_text(text: str) -> str:
    return code_in(_Sent(text))


class _Sent:
    """code_in reads `.text` of a Telegram message."""

    def __init__(self, text: str) -> None:
        self.text = text
