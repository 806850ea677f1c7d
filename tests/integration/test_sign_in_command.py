"""`/dangnhap` through python-telegram-bot against the fake Bot API, on both databases:
a registered member gets a one-time link in their private chat that opens the back
office; a group gets a hint and no link; a resident gets a refusal."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from telegram import Update

from bot.context import StaffContext
from bot.conversation import Conversation
from bot.engine_client import EngineClient
from bot.telegram_app import build_application
from bot.web_sign_in import PRIVATE_ONLY
from db.models import WebSignInLink
from laikhe import clock
from laikhe.commune import CommuneConfig
from laikhe.settings import Settings
from services.web_sessions import NOT_STAFF
from testkit.telegram import FakeTelegramServer
from tests.integration.staff_helpers import KT_GROUP, KT_OFFICER, Sessions, register_default_staff
from tests.integration.web_helpers import Clock, back_office

TOKEN = "424242:SIGN-IN-TEST"
WEB = "http://127.0.0.1:8080"
RESIDENT = 1001
LINK = re.compile(re.escape(WEB) + r"/dang-nhap/([A-Za-z0-9_-]{43})\b")


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    server = FakeTelegramServer(TOKEN).start()
    yield server
    server.stop()


async def links(sessions: Sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(WebSignInLink)) or 0


async def test_dangnhap_sends_a_one_time_link_only_in_a_private_chat(
    sessions: Sessions,
    commune: CommuneConfig,
    telegram: FakeTelegramServer,
    database_url: str,
) -> None:
    await register_default_staff(sessions)
    settings = Settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram.base_url,
        telegram_file_base_url=telegram.base_file_url,
    )
    engine = EngineClient("http://127.0.0.1:9", 1.0)  # never called: no conversation here
    application = build_application(
        settings,
        Conversation(engine, "telegram"),
        StaffContext(sessions, commune, web_url=WEB),
    )
    telegram.register_chat(KT_GROUP, "supergroup", title="Phòng Kinh tế")
    async with application:
        for chat, user in ((KT_GROUP, KT_OFFICER), (RESIDENT, RESIDENT), (KT_OFFICER, KT_OFFICER)):
            update = telegram.send_command(chat, "/dangnhap", user_id=user)
            await application.process_update(Update.de_json(update, application.bot))

    [hint] = telegram.messages(KT_GROUP)
    assert hint.content == PRIVATE_ONLY and WEB not in hint.content
    [refusal] = telegram.messages(RESIDENT)
    assert refusal.content == NOT_STAFF
    [sent] = telegram.messages(KT_OFFICER)
    found = LINK.search(sent.content)
    assert found is not None, sent.content
    assert "10 phút" in sent.content
    assert await links(sessions) == 1  # only the private request made one

    with TestClient(back_office(database_url, Clock(clock.now()))) as client:
        opened = client.post(f"/dang-nhap/{found.group(1)}")
        assert opened.status_code == 200 and "Trần Văn Kinh" in opened.text
