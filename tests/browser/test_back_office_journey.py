"""The back office as staff meet it, every part real: the bot process (`python -m bot`)
against the fake Bot API, the web process (`python -m web`), one migrated SQLite
database, and Debian's Chromium driven by Selenium.

An officer asks the bot for a sign-in link with /dangnhap, opens it, filters the queue,
searches it without diacritics, answers a ticket, and the resident's Telegram chat
receives the answer; an officer of another office is refused the ticket; a complaint
shows no content to an uncleared officer but does to a cleared one."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from admin.database import prepare
from db.models import TicketKind
from db.session import sessionmaker_for
from laikhe import clock
from laikhe.commune import load_commune_config
from scripts.stack import free_port
from testkit.telegram import FakeTelegramServer
from tests.browser.conftest import start_web
from tests.conftest import COMMUNE_YML, ROOT
from tests.integration.staff_helpers import (
    KT_LEAD_CLEARED,
    KT_OFFICER,
    VP_OFFICER,
    configure_groups,
    register_default_staff,
)
from tests.integration.ticket_helpers import new_ticket

TOKEN = "424242:BACK-OFFICE-JOURNEY"
RESIDENT = 8101
LINK = re.compile(r"https?://\S+/dang-nhap/[A-Za-z0-9_-]+")
WIFI = "Wifi nhà văn hóa thôn Mẫu 1 mất kết nối từ thứ Hai"
LAMP = "Đề nghị xã lắp thêm đèn đường ở ngõ 5 thôn Mẫu 2"
COMPLAINT = "Tôi khiếu nại việc cán bộ thu phí không có biên lai"
ANSWER = "Xã đã cử kỹ thuật viên, wifi nhà văn hóa đã hoạt động lại. Cảm ơn Anh/Chị."


async def _seed(database_url: str) -> dict[str, str]:
    sessions = sessionmaker_for(database_url)
    try:
        await configure_groups(sessions)
        await register_default_staff(sessions)
        commune = load_commune_config(COMMUNE_YML)
        now = clock.now()
        return {
            "wifi": await new_ticket(
                sessions, commune, content=WIFI, sender_id=str(RESIDENT), at=now
            ),
            "lamp": await new_ticket(
                sessions, commune, content=LAMP, kind=TicketKind.KIEN_NGHI, at=now
            ),
            "complaint": await new_ticket(
                sessions,
                commune,
                content=COMPLAINT,
                kind=TicketKind.KHIEU_NAI_TO_CAO,
                contact_name="Nguyễn Thị Hoa",
                contact_phone="0912345678",
                at=now,
            ),
        }
    finally:
        await sessions.kw["bind"].dispose()


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    server = FakeTelegramServer(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path: Path, telegram: FakeTelegramServer) -> Iterator[tuple[str, dict[str, str]]]:
    """The bot and the web process on one database; yields the web address and the codes."""
    database_url = f"sqlite:///{tmp_path / 'journey.db'}"
    prepare(database_url, COMMUNE_YML)
    codes = asyncio.run(_seed(database_url))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "WEB_PUBLIC_URL": base,
    }
    bot_env = {
        **env,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "TELEGRAM_FILE_BASE_URL": telegram.base_file_url,
        "RASA_URL": "http://127.0.0.1:9",  # no resident conversation here
        "OUTBOX_POLL_SECONDS": "0.2",
    }
    bot_log = (tmp_path / "bot.log").open("wb")
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=bot_env, stdout=bot_log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        # Importing the bot is slow on a busy 2-core machine.
        telegram.wait_for_requests("getUpdates", timeout=120)
        with start_web(
            {**env, "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port),
             "WEB_SECRET_KEY": secrets.token_urlsafe(32)},
            tmp_path / "web.log",
        ) as started:  # fmt: skip
            assert started == base
            yield base, codes
    finally:
        bot.terminate()
        bot.wait(timeout=30)
        bot_log.close()


def _sign_in(browser: WebDriver, telegram: FakeTelegramServer, user: int, base: str) -> None:
    """/dangnhap in the private chat, then the link the bot sent, as staff do it."""
    before = len(telegram.messages(user))
    telegram.send_command(user, "dangnhap", user_id=user)
    [reply] = telegram.wait_for_messages(user, before + 1, timeout=30)[before:]
    found = LINK.search(reply.content)
    assert found is not None, reply.content
    assert found.group().startswith(f"{base}/dang-nhap/")
    browser.delete_all_cookies()
    browser.get(found.group())
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 10).until(ec.url_to_be(f"{base}/hang-doi"))


def test_sign_in_from_the_bot_filter_answer_and_the_resident_receives_it(
    stack: tuple[str, dict[str, str]],
    telegram: FakeTelegramServer,
    browser: WebDriver,
) -> None:
    base, codes = stack
    wait = WebDriverWait(browser, 10)
    _sign_in(browser, telegram, KT_OFFICER, base)

    queue = browser.find_element(By.CSS_SELECTOR, "table.queue").text
    assert codes["wifi"] in queue and codes["lamp"] in queue
    # The complaint is listed for its office, its content hidden from an uncleared officer.
    assert codes["complaint"] in queue and COMPLAINT not in queue
    assert "(Nội dung bảo mật)" in queue

    Select(browser.find_element(By.NAME, "loai")).select_by_visible_text("Kiến nghị")
    browser.find_element(By.CSS_SELECTOR, "form[action='/hang-doi'] button[type=submit]").click()
    wait.until(ec.url_contains("loai=kien_nghi"))
    queue = browser.find_element(By.CSS_SELECTOR, "table.queue").text
    assert codes["lamp"] in queue and codes["wifi"] not in queue

    # Searched as residents type it, without diacritics; the words stay out of the URL.
    browser.get(f"{base}/hang-doi")
    browser.find_element(By.NAME, "tim").send_keys("mat ket noi")
    browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    wait.until(ec.text_to_be_present_in_element((By.CLASS_NAME, "searching"), "mat ket noi"))
    queue = browser.find_element(By.CSS_SELECTOR, "table.queue").text
    assert codes["wifi"] in queue and codes["lamp"] not in queue
    assert "mat" not in browser.current_url
    browser.find_element(By.LINK_TEXT, codes["wifi"]).click()
    wait.until(ec.url_to_be(f"{base}/y-kien/{codes['wifi']}"))
    browser.find_element(By.ID, "answer").send_keys(ANSWER)
    browser.find_element(By.ID, "send-answer").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "state"), "Đã trả lời"))

    # The bot process's outbox dispatcher delivers it to the resident's chat.
    [delivered] = telegram.wait_for_messages(RESIDENT, 1, timeout=30)
    assert ANSWER in delivered.content and codes["wifi"] in delivered.content

    browser.get(f"{base}/y-kien/{codes['complaint']}")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "được bảo mật" in page and "chưa được phân quyền" in page
    assert COMPLAINT not in page and "0912345678" not in page


def test_another_office_is_refused_and_a_cleared_lead_reads_the_complaint(
    stack: tuple[str, dict[str, str]],
    telegram: FakeTelegramServer,
    browser: WebDriver,
) -> None:
    base, codes = stack
    _sign_in(browser, telegram, VP_OFFICER, base)
    assert codes["wifi"] not in browser.find_element(By.TAG_NAME, "main").text
    browser.get(f"{base}/y-kien/{codes['wifi']}")
    refusal = browser.find_element(By.TAG_NAME, "main").text
    assert "không thuộc đơn vị" in refusal and WIFI not in refusal

    _sign_in(browser, telegram, KT_LEAD_CLEARED, base)
    browser.get(f"{base}/y-kien/{codes['complaint']}")
    assert browser.find_element(By.ID, "content").text == COMPLAINT
    assert "0912345678" in browser.find_element(By.ID, "contact").text
