"""The back office in a real browser: Debian's Chromium, headless, driven by Selenium
through Debian's chromedriver, against `python -m web` as a commune runs it (its own
process, a migrated SQLite database, the fake Bot API for the resident's photo). A staff
member opens the sign-in link the bot would send, sees the queue, opens a ticket with its
photo, answers it, adds an internal note and sees both in the history; a leader sees the
overview's charts of a seeded half-year, and the README's screenshots
(scripts/screenshots.py) are taken."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from admin.database import prepare
from db.models import AttachmentKind, OutboxMessage
from db.session import sessionmaker_for, unit_of_work
from laikhe import clock
from laikhe.commune import load_commune_config
from scripts.screenshots import capture, seed, sign_in_link
from scripts.stack import free_port
from services.resident import add_attachment
from services.web_sessions import create_sign_in_link
from testkit.telegram import FakeTelegramServer, make_png
from tests.browser.conftest import start_web
from tests.conftest import COMMUNE_YML, ROOT
from tests.integration.dashboard_seed import NOW, weeks_to
from tests.integration.staff_helpers import (
    KT_OFFICER,
    LEADER,
    configure_groups,
    register_default_staff,
)
from tests.integration.ticket_helpers import new_ticket

CONTENT = "Đèn đường ở ngõ 3 thôn Mẫu 2 không sáng đã một tuần"
ANSWER = "Xã đã thay bóng đèn ngõ 3, Anh/Chị kiểm tra lại giúp."
NOTE = "Đã báo điện lực kiểm tra cả tuyến ngõ 3"
TOKEN = "616161:BROWSER-TEST"
PHOTO = make_png(7, 5, (0, 0, 200))


async def _set_up(database_url: str, photo_file_id: str) -> tuple[str, str]:
    """A KT officer, one ticket for their office with the resident's photo, and the link
    /dangnhap would send."""
    sessions = sessionmaker_for(database_url)
    try:
        await configure_groups(sessions)
        await register_default_staff(sessions)
        commune = load_commune_config(COMMUNE_YML)
        code = await new_ticket(sessions, commune, content=CONTENT, at=clock.now())
        async with unit_of_work(sessions) as session:
            await add_attachment(
                session=session,
                code=code,
                sender_id="1001",
                telegram_file_id=photo_file_id,
                kind=AttachmentKind.PHOTO,
            )
        async with unit_of_work(sessions) as session:
            token = await create_sign_in_link(
                session=session, telegram_user_id=KT_OFFICER, now=clock.now()
            )
        return code, token
    finally:
        await sessions.kw["bind"].dispose()


async def _outbox_texts(database_url: str) -> list[str]:
    sessions = sessionmaker_for(database_url)
    try:
        async with sessions() as session:
            rows = await session.scalars(
                select(OutboxMessage.text).where(OutboxMessage.purpose == "answer")
            )
            return [text or "" for text in rows.all()]
    finally:
        await sessions.kw["bind"].dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'backoffice.db'}"
    prepare(url, COMMUNE_YML)
    return url


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    server = FakeTelegramServer(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def web_server(database_url: str, tmp_path: Path, telegram: FakeTelegramServer) -> Iterator[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(free_port()),
        "WEB_SECRET_KEY": secrets.token_urlsafe(32),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "TELEGRAM_FILE_BASE_URL": telegram.base_file_url,
    }
    with start_web(env, tmp_path / "web.log") as base:
        yield base


def test_sign_in_see_the_queue_open_a_ticket_answer_it_and_see_the_history(
    web_server: str, browser: WebDriver, database_url: str, telegram: FakeTelegramServer
) -> None:
    photo = telegram.send_photo(1001, user_id=1001, data=PHOTO)["message"]["photo"][-1]
    code, token = asyncio.run(_set_up(database_url, photo["file_id"]))
    wait = WebDriverWait(browser, 10)

    browser.get(f"{web_server}/dang-nhap/{token}")
    browser.find_element(By.ID, "sign-in").click()
    wait.until(ec.url_to_be(f"{web_server}/hang-doi"))
    assert "Trần Văn Kinh" in browser.find_element(By.CLASS_NAME, "who").text
    # The stylesheet is served and the Content-Security-Policy lets it apply.
    body = browser.find_element(By.TAG_NAME, "body")
    assert body.value_of_css_property("background-color") == "rgba(246, 247, 249, 1)"
    row = browser.find_element(By.LINK_TEXT, code)
    assert CONTENT in browser.find_element(By.CSS_SELECTOR, "table.queue").text

    row.click()
    wait.until(ec.url_to_be(f"{web_server}/y-kien/{code}"))
    assert browser.find_element(By.ID, "content").text == CONTENT
    # The resident's photo shows: fetched from (fake) Telegram by our route, allowed by
    # the Content-Security-Policy.
    image = browser.find_element(By.CSS_SELECTOR, "#files img")
    wait.until(lambda _: browser.execute_script("return arguments[0].complete", image))
    assert browser.execute_script("return arguments[0].naturalWidth", image) == 7
    assert photo["file_id"] not in browser.page_source
    browser.find_element(By.ID, "answer").send_keys(ANSWER)
    browser.find_element(By.ID, "send-answer").click()

    wait.until(ec.text_to_be_present_in_element((By.ID, "state"), "Đã trả lời"))
    assert browser.current_url == f"{web_server}/y-kien/{code}"
    assert f"{code}: Đã trả lời: Trần Văn Kinh" in browser.find_element(By.CLASS_NAME, "flash").text
    history = browser.find_element(By.ID, "history").text
    assert f"Trả lời: {ANSWER}" in history and "Trần Văn Kinh" in history
    # The answer form is gone (an answered ticket can only be closed) ...
    assert browser.find_elements(By.ID, "answer") == []
    # ... and the resident's message waits in the outbox.
    [text] = asyncio.run(_outbox_texts(database_url))
    assert ANSWER in text and code in text

    # A note for colleagues, in the history with its label, not sent to the resident.
    browser.find_element(By.ID, "note").send_keys(NOTE)
    browser.find_element(By.ID, "add-note").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "history"), NOTE))
    assert "Ghi chú nội bộ" in browser.find_element(By.CSS_SELECTOR, "#history li.internal").text
    assert len(asyncio.run(_outbox_texts(database_url))) == 1


def test_a_leader_sees_the_overview_charts_and_the_screenshots_are_taken(
    web_server: str, browser: WebDriver, database_url: str, tmp_path: Path
) -> None:
    codes = asyncio.run(seed(database_url))
    token = asyncio.run(sign_in_link(database_url, LEADER))
    wait = WebDriverWait(browser, 10)
    browser.get(f"{web_server}/dang-nhap/{token}")
    browser.find_element(By.ID, "sign-in").click()
    wait.until(ec.url_to_be(f"{web_server}/hang-doi"))

    browser.find_element(By.LINK_TEXT, "Tổng quan").click()
    wait.until(ec.url_to_be(f"{web_server}/tong-quan"))
    # The seeded half-year, moved to end this week or last: from its first Monday on.
    first_monday = (NOW + weeks_to(clock.now())).date() - (NOW.date() - date(2026, 1, 5))
    browser.get(f"{web_server}/tong-quan?tu={first_monday}&den={clock.today()}")
    assert browser.find_element(By.ID, "so-y-kien").text == "15"
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 6 and all(chart.size["height"] > 50 for chart in charts)
    # The bars are coloured by the stylesheet: the CSP lets it reach inline SVG.
    bar = browser.find_element(By.CSS_SELECTOR, "#bieu-do-tuan rect.k-gop_y")
    assert bar.value_of_css_property("fill") == "rgb(11, 92, 173)"
    assert "Phòng Kinh tế" in browser.find_element(By.ID, "bieu-do-dung-han").text

    pictures = capture(browser, web_server, codes["A3"], tmp_path / "shots")
    assert [p.name for p in pictures] == ["hang-doi.png", "y-kien.png", "tong-quan.png"]
    for picture in pictures:
        assert picture.stat().st_size < 300_000
        with Image.open(picture) as image:
            assert image.width == 1280
