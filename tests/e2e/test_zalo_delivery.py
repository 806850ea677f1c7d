"""The Zalo process (`python -m zalo`) against the fake Zalo Bot API, on SQLite and
PostgreSQL, without the engine: a staff answer to a ticket that came through Zalo goes
back on Zalo, exactly once through 429 and 5xx answers; the webhook refuses callers
without the secret. The conversation itself is in tests/e2e/test_zalo_resident.py."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.conversation import ONLY_TEXT
from db.models import OutboxMessage, OutboxStatus, Ticket, TicketEvent
from db.session import sessionmaker_for, unit_of_work
from scripts.stack import ROOT, Stack, free_port
from services import handling
from testkit.zalo import FakeZaloServer
from tests.e2e.test_staff_flow import create_ticket, prepared_db  # noqa: F401 - a fixture
from tests.integration.staff_helpers import KT_GROUP, KT_OFFICER
from zalo.app import MAX_WEBHOOK_BODY, SECRET_HEADER

pytestmark = pytest.mark.e2e
TOKEN = "3141592653:ZALO-E2E-TOKEN"
RESIDENT = "a1b2c3d4e5f6"  # Zalo chat ids are strings
SECRET = "Zalo-e2e-webhook-secret-4f9c2b7e1d8a"


class ZaloProcess:
    """`python -m zalo` against a fake Zalo server; without a RASA_URL in `env` its engine
    is a closed port (the polite "busy" reply)."""

    def __init__(self, database_url: str, zalo: FakeZaloServer, log: Path, **env: str) -> None:
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ZALO_BOT_TOKEN": zalo.token,
            "ZALO_API_BASE_URL": zalo.base_url,
            "DATABASE_URL": database_url,
            "RASA_URL": "http://127.0.0.1:9",
            "OUTBOX_POLL_SECONDS": "0.2",
            "OUTBOX_BACKOFF_BASE_SECONDS": "0.2",
            "OUTBOX_BACKOFF_MAX_SECONDS": "1",
            **env,
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "zalo"], cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self.process

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def zalo() -> Iterator[FakeZaloServer]:
    server = FakeZaloServer(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def polling(
    prepared_db: str,  # noqa: F811 - the fixture imported above
    zalo: FakeZaloServer,
    tmp_path: Path,
) -> Iterator[ZaloProcess]:
    process = ZaloProcess(prepared_db, zalo, tmp_path / "zalo.log")
    process.start()
    zalo.wait_for_calls("getUpdates", timeout=120)  # imports are slow on a busy machine
    yield process
    process.stop()


def answer(database_url: str, code: str, text: str) -> handling.ActionResult:
    """What the back office does when an officer answers (web/pages.py)."""

    async def run() -> handling.ActionResult:
        factory = sessionmaker_for(database_url)
        try:
            async with unit_of_work(factory) as session:
                return await handling.answer(
                    session=session, telegram_user_id=KT_OFFICER, code=code, text=text
                )
        finally:
            await factory.kw["bind"].dispose()

    return asyncio.run(run())


def outbox_rows(database_url: str) -> list[OutboxMessage]:
    async def run() -> list[OutboxMessage]:
        factory = sessionmaker_for(database_url)
        try:
            async with factory() as session:
                rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
                return list(rows.all())
        finally:
            await factory.kw["bind"].dispose()

    return asyncio.run(run())


def history(database_url: str, code: str) -> list[str]:
    async def run() -> list[str]:
        factory = sessionmaker_for(database_url)
        try:
            async with factory() as session:
                notes = await session.scalars(
                    select(TicketEvent.note)
                    .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                    .where(Ticket.code == code)
                    .order_by(TicketEvent.id)
                )
                return [note or "" for note in notes]
        finally:
            await factory.kw["bind"].dispose()

    return asyncio.run(run())


def test_a_staff_answer_reaches_the_zalo_resident_once_through_429_and_500(
    polling: ZaloProcess,
    zalo: FakeZaloServer,
    prepared_db: str,  # noqa: F811
) -> None:
    code = create_ticket(
        prepared_db,
        channel="zalo",
        sender_id=f"zalo:{RESIDENT}",
        content="Wifi nhà văn hóa thôn Mẫu 1 hỏng",
    )
    zalo.fail_next("sendMessage", 1, status=429)
    zalo.fail_next("sendMessage", 1, status=500)
    long_answer = "Đã thay bộ phát wifi mới. " * 100  # over Zalo's 2,000 characters
    result = answer(prepared_db, code, long_answer)
    assert result.resident_notified

    index, last = zalo.wait_for_text(RESIDENT, "Chưa được giải quyết", timeout=60)
    texts = zalo.texts(RESIDENT)
    # Split on sentence ends under 2,000 characters, in order, each once.
    assert index == len(texts) - 1 >= 1
    assert texts[0].startswith("📩 Trả lời của") and code in texts[0]
    assert all(len(text) <= 2000 for text in texts)
    assert all(text.endswith(".") for text in texts[:-1])
    assert "".join(texts).count("Đã thay bộ phát wifi mới.") == 100
    # No button on Zalo: the reopen button is a numbered choice.
    assert "[1] Chưa được giải quyết" in last and "gõ số" in last
    injected = [call.status for call in zalo.calls("sendMessage") if call.injected]
    assert injected == [429, 500]
    time.sleep(1.5)  # a duplicate would have been sent by now (0.2 s polls)
    assert zalo.texts(RESIDENT) == texts

    rows = [row for row in outbox_rows(prepared_db) if row.channel == "zalo"]
    assert [row.recipient for row in rows] == [RESIDENT] * len(texts)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert all(row.chat_id is None for row in rows)
    assert rows[0].attempts == 3  # the 429, the 500, then sent
    # Telegram's rows (the office group's card) stay Telegram's: the Zalo process never
    # sends them.
    telegram_rows = [row for row in outbox_rows(prepared_db) if row.channel == "telegram"]
    assert telegram_rows and all(row.chat_id == KT_GROUP for row in telegram_rows)
    assert {row.status for row in telegram_rows} == {OutboxStatus.PENDING}


def test_a_refusal_of_zalo_is_recorded_in_the_ticket_history(
    polling: ZaloProcess,
    zalo: FakeZaloServer,
    prepared_db: str,  # noqa: F811
) -> None:
    code = create_ticket(prepared_db, channel="zalo", sender_id=f"zalo:{RESIDENT}")
    zalo.fail_next("sendMessage", 1, status=403)
    answer(prepared_db, code, "Đã sửa xong.")
    deadline = time.monotonic() + 30
    while not any("Không gửi được" in note for note in history(prepared_db, code)):
        assert time.monotonic() < deadline, history(prepared_db, code)
        time.sleep(0.3)
    assert zalo.texts(RESIDENT) == []
    note = next(note for note in history(prepared_db, code) if "Không gửi được" in note)
    assert "cho người gửi" in note and "Zalo từ chối" in note


def test_redelivered_and_group_updates_are_not_answered(
    polling: ZaloProcess, zalo: FakeZaloServer
) -> None:
    update = zalo.say(RESIDENT, "xin chào")
    # The engine is down in this test: the polite "busy" reply, once.
    zalo.wait_for_text(RESIDENT, "trợ lý đang bận", timeout=60)
    zalo.redeliver(update)
    group = zalo.update("g-77", "message.text.received", text="xin chào")
    group["message"]["chat"]["chat_type"] = "GROUP"
    zalo.redeliver(group)
    # A photo whose address cannot be fetched: said so, nothing stored.
    zalo.send_photo(RESIDENT, "https://example.invalid/p.jpg")
    zalo.wait_for_text(RESIDENT, "Chưa tải được ảnh này", timeout=60)
    assert len(zalo.texts(RESIDENT)) == 2
    assert zalo.texts("g-77") == []


def test_webhook_mode_refuses_to_start_without_a_secret(
    prepared_db: str,  # noqa: F811
    zalo: FakeZaloServer,
    tmp_path: Path,
) -> None:
    process = ZaloProcess(
        prepared_db, zalo, tmp_path / "zalo.log",
        ZALO_MODE="webhook", ZALO_WEBHOOK_URL="https://xa.example/zalo/hook",
    )  # fmt: skip
    assert process.start().wait(timeout=120) != 0
    log = process.log.read_text(encoding="utf-8")
    assert "ZALO_WEBHOOK_SECRET" in log and "Traceback" not in log
    assert zalo.webhook is None


def test_webhook_mode_sets_the_webhook_and_checks_the_secret_header(
    prepared_db: str,  # noqa: F811
    zalo: FakeZaloServer,
    tmp_path: Path,
) -> None:
    port = free_port()
    process = ZaloProcess(
        prepared_db, zalo, tmp_path / "zalo.log",
        ZALO_MODE="webhook", ZALO_WEBHOOK_URL="https://xa.example/zalo/hook",
        ZALO_WEBHOOK_SECRET=SECRET, ZALO_WEBHOOK_PORT=str(port),
    )  # fmt: skip
    process.start()
    try:
        zalo.wait_for_calls("setWebhook", timeout=120)
        assert zalo.webhook == {"url": "https://xa.example/zalo/hook", "secret_token": SECRET}
        url = f"http://127.0.0.1:{port}/zalo/hook"
        update = zalo.update(RESIDENT, "message.text.received", text="xin chào")
        deadline = time.monotonic() + 30
        while True:
            try:
                refused = httpx.post(url, json=update)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert refused.status_code == 403
        for wrong_secret in (SECRET[:-1], "", SECRET + "x"):
            wrong = httpx.post(url, json=update, headers={SECRET_HEADER: wrong_secret})
            assert (wrong.status_code, wrong.json()) == (403, {"ok": False})
        assert zalo.texts(RESIDENT) == []

        # Forged or malformed calls with the secret: refused or dropped, never a trace.
        signed = {SECRET_HEADER: SECRET}
        unreadable = httpx.post(url, content=b"{not json", headers=signed)
        assert unreadable.status_code == 400
        huge = {**update, "padding": "x" * MAX_WEBHOOK_BODY}
        assert httpx.post(url, json=huge, headers=signed).status_code == 413

        def streamed() -> Iterator[bytes]:  # no Content-Length: cut off while reading
            yield json.dumps(update)[:-1].encode() + b', "padding": "'
            for _ in range(20):
                yield b"x" * 8192
            yield b'"}'

        chunked = httpx.post(url, content=streamed(), headers=signed)
        assert chunked.status_code == 413
        for body in (
            [update],
            "xin chào",
            {"event_name": "message.text.received"},
            {"message": {"chat": {"id": {"id": RESIDENT}}, "text": "xin chào"}},
            {"message": {"chat": {"id": ["a", "b"]}, "text": "xin chào"}},
            {"result": None},
        ):
            assert httpx.post(url, json=body, headers=signed).status_code == 200
        # A readable chat with a text that is not text: the polite "only text" reply.
        odd = zalo.update(RESIDENT, "message.text.received", text={"x": 1})
        assert httpx.post(url, json=odd, headers=signed).status_code == 200
        zalo.wait_for_text(RESIDENT, ONLY_TEXT, timeout=60)

        accepted = httpx.post(url, json=update, headers=signed)
        assert accepted.status_code == 200
        zalo.wait_for_text(RESIDENT, "trợ lý đang bận", timeout=60)
        assert len(zalo.texts(RESIDENT)) == 2
        assert {call.body["chat_id"] for call in zalo.calls("sendMessage")} == {RESIDENT}
    finally:
        process.stop()
    assert "Traceback" not in process.log.read_text(encoding="utf-8")


def test_the_stack_starts_zalo_as_make_run_does(
    prepared_db: str,  # noqa: F811
    zalo: FakeZaloServer,
    tmp_path: Path,
) -> None:
    stack = Stack(
        model=tmp_path / "unused.tar.gz",  # the engine is not started here
        database_url=prepared_db,
        tracker_store_url=f"sqlite:///{tmp_path / 'tracker.db'}",
        log_dir=tmp_path / "logs",
        engine_port=free_port(),
        extra_env={"ZALO_BOT_TOKEN": TOKEN, "ZALO_API_BASE_URL": zalo.base_url},
    )
    try:
        stack.start_zalo()
        zalo.wait_for_calls("getUpdates", timeout=120)
        zalo.say(RESIDENT, "xin chào")
        # Pointed at the stack's engine (down here): the polite "busy" reply.
        zalo.wait_for_text(RESIDENT, "trợ lý đang bận", timeout=60)
    finally:
        stack.stop()
    assert stack.processes == {}
    log = (tmp_path / "logs" / "zalo.log").read_text(encoding="utf-8")
    assert "Zalo polling stopped" in log and TOKEN not in log
