"""The website chat window in Debian's Chromium against the whole stack: `python -m web`
(the demo page at / embeds the widget as a portal would), the real engine with the
trained model and the real action server, a migrated SQLite database.

A resident on a phone-sized screen asks a question typed without diacritics and reads the
FAQ answer, presses a button, sends a feedback ticket by buttons and text; staff answer it
through services.handling; after a reload the answer is in the window.

WIDGET_SCREENSHOTS=docs/screenshots also writes the README's screenshots there.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
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
from scripts.model import ensure_model
from scripts.stack import ROOT, Stack, free_port
from services import handling
from services.staff import register_staff
from tests.browser.conftest import start_web
from tests.conftest import COMMUNE_YML

pytestmark = pytest.mark.e2e
T = TypeVar("T")
TIMEOUT = 60.0
LEADER = 929_292  # a commune leader of this test, who may answer any office's ticket
CONTENT = "Sóng điện thoại ở xóm Web rất yếu, gọi hay bị ngắt"
ANSWER = "Nhà mạng đã lắp thêm trạm phát sóng ở xóm Web."


@pytest.fixture(scope="module")
def widget_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("widget")


@pytest.fixture(scope="module")
def stack(widget_dir: Path) -> Iterator[Stack]:
    database_url = f"sqlite:///{widget_dir / 'tickets.db'}"
    running = Stack(
        model=ensure_model(),
        database_url=database_url,
        tracker_store_url=f"sqlite:///{widget_dir / 'tracker.db'}",
        log_dir=widget_dir / "logs",
        engine_port=free_port(),
        action_port=free_port(),
    )
    running.start(
        timeout=float(os.environ.get("E2E_START_TIMEOUT", "240")),
        while_engine_loads=lambda: prepare(database_url, COMMUNE_YML),
    )
    yield running
    running.stop()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def portal(widget_dir: Path, web_port: int) -> Iterator[str]:
    """Another site's page with the one script tag: "localhost" is not the same site as
    the web process's "127.0.0.1", so the browser treats our cookie as third-party."""
    folder = widget_dir / "portal"
    folder.mkdir()
    (folder / "index.html").write_text(
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        "<title>Cổng thông tin (thử)</title></head><body><h1>Cổng thông tin</h1>"
        f'<script src="http://127.0.0.1:{web_port}/static/widget.js" defer></script>'
        "</body></html>",
        encoding="utf-8",
    )
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site(stack: Stack, widget_dir: Path, web_port: int, portal: str) -> Iterator[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        **stack.client_env(),
        "DATABASE_URL": stack.database_url,
        "TRACKER_STORE_URL": stack.tracker_store_url,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(web_port),
        "WIDGET_ALLOWED_ORIGINS": portal,
        "WEB_SECRET_KEY": secrets.token_urlsafe(32),
        "PHOTO_DIR": str(widget_dir / "photos"),
    }
    env.pop("WEB_PUBLIC_URL", None)
    with start_web(env, widget_dir / "web.log") as base:
        yield base


class Window:
    """The chat window as a resident uses it: typed messages, pressed buttons, and the
    assistant's messages read from the log."""

    def __init__(self, browser: WebDriver) -> None:
        self.browser = browser

    def open(self) -> None:
        self.browser.find_element(By.CSS_SELECTOR, ".lk-launcher").click()
        WebDriverWait(self.browser, 10).until(
            lambda b: b.switch_to.active_element.get_attribute("id") == "lk-input"
        )

    def replies(self) -> list[str]:
        return [e.text for e in self.browser.find_elements(By.CSS_SELECTOR, ".lk-log .lk-bot")]

    def _wait(self, seen: int, expect: str) -> str:
        def arrived(_: WebDriver) -> str | bool:
            new = "\n".join(self.replies()[seen:])
            return new if expect in new else False

        found: str = WebDriverWait(self.browser, TIMEOUT).until(arrived)
        return found

    def say(self, text: str, expect: str) -> str:
        seen = len(self.replies())
        field = self.browser.find_element(By.ID, "lk-input")
        field.send_keys(text)
        field.send_keys(Keys.ENTER)
        return self._wait(seen, expect)

    def button(self, title: str) -> WebElement:
        return self.browser.find_element(
            By.XPATH, f"//button[contains(@class, 'lk-choice') and normalize-space()='{title}']"
        )

    def press(self, title: str, expect: str) -> str:
        seen = len(self.replies())
        self.button(title).click()
        return self._wait(seen, expect)


def run(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def go() -> T:
        factory = sessionmaker_for(database_url)
        try:
            async with unit_of_work(factory) as session:
                return await work(session)
        finally:
            await factory.kw["bind"].dispose()

    return asyncio.run(go())


def answer_as_leader(database_url: str, code: str, text: str) -> bool:
    """What the back office does when staff answer (web/pages.py -> services.handling)."""

    async def work(session: AsyncSession) -> bool:
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
        result = await handling.answer(
            session=session, telegram_user_id=LEADER, code=code, text=text
        )
        return result.resident_notified

    return run(database_url, work)


def shoot(browser: WebDriver, name: str) -> None:
    folder = os.environ.get("WIDGET_SCREENSHOTS")
    if folder:
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(target / name))


def test_a_resident_asks_sends_a_ticket_and_reads_the_answer_after_a_reload(
    site: str, stack: Stack, browser: WebDriver, widget_dir: Path
) -> None:
    # A 360 x 740 phone screen (the window's size would include the browser's frame).
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True},
    )
    browser.get(site + "/")
    window = Window(browser)
    launcher = browser.find_element(By.CSS_SELECTOR, ".lk-launcher")
    assert launcher.tag_name == "button" and launcher.text == "Hỏi trợ lý xã"
    window.open()
    log = browser.find_element(By.CSS_SELECTOR, ".lk-log")
    assert (log.get_attribute("role"), log.get_attribute("aria-live")) == ("log", "polite")
    label = browser.find_element(By.CSS_SELECTOR, "label[for='lk-input']")
    assert label.text == "Nội dung tin nhắn"
    # Large text on a small screen, and nothing wider than it.
    font = browser.find_element(By.ID, "lk-input").value_of_css_property("font-size")
    assert float(font.removesuffix("px")) >= 18
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    # The send button is whole on screen, not under a scrollbar.
    assert browser.execute_script(
        "return document.querySelector('.lk-send').getBoundingClientRect().right"
        " <= document.documentElement.clientWidth"
    )

    # A question typed without diacritics: the FAQ answer, with its vote buttons.
    window.say("lam sao dang ky tai khoan vneid muc 2", "giúp ích")
    assert "VNeID" in "\n".join(window.replies())
    assert window.button("Hữu ích").tag_name == "button"
    window.press("Hữu ích", "Cảm ơn Anh/Chị đã đánh giá")
    # The pressed button is shown as the resident's message, and no longer offered.
    mine = browser.find_elements(By.CSS_SELECTOR, ".lk-log .lk-me")
    assert mine[-1].find_element(By.CSS_SELECTOR, ".lk-text").text == "Hữu ích"
    assert not browser.find_elements(By.XPATH, "//button[normalize-space()='Hữu ích']")
    # The pressed button is gone; the keyboard's focus is back in the message box.
    WebDriverWait(browser, 10).until(
        lambda b: b.switch_to.active_element.get_attribute("id") == "lk-input"
    )

    # A feedback ticket by buttons and text.
    window.say("gửi góp ý", "Bảo vệ dữ liệu cá nhân")
    window.press("Đồng ý", "Tôi hiểu ý kiến")
    window.press("Đúng", "lĩnh vực")
    window.press("Hạ tầng số (Internet, sóng, wifi)", "nội dung")
    window.say(CONTENT, "thôn nào")
    window.press("Thôn Mẫu 2 (mẫu)", "kiểm tra lại")
    # A photo with its GPS position, attached at the summary with «Gửi ảnh».
    photo = widget_dir / "o-ga.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (11.0, 15.0, 30.0)}
    Image.new("RGB", (64, 48), (90, 90, 90)).save(photo, format="JPEG", exif=exif.tobytes())
    assert browser.find_element(By.CSS_SELECTOR, "label[for='lk-photo']").text == "Gửi ảnh"
    seen = len(window.replies())
    browser.find_element(By.ID, "lk-photo").send_keys(str(photo))
    window._wait(seen, "Đã nhận 1 ảnh")
    assert "[Đã gửi 1 ảnh]" in browser.find_element(By.CSS_SELECTOR, ".lk-log").text
    shoot(browser, "widget-phone.png")
    sent = window.press("Gửi", "Mã:")
    found = re.search(r"LK-\d{4}-\d{6}", sent)
    assert found is not None, sent
    code = found.group(0)

    async def ticket_of(session: AsyncSession) -> tuple[str, str] | None:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
        return None if ticket is None else (ticket.channel, ticket.sender_id or "")

    made = run(stack.database_url, ticket_of)
    assert made is not None and made[0] == "web" and made[1].startswith("web:")

    async def stored_keys(session: AsyncSession) -> list[str | None]:
        rows = await session.scalars(
            select(TicketAttachment.storage_key)
            .join(Ticket, Ticket.id == TicketAttachment.ticket_id)
            .where(Ticket.code == code)
        )
        return list(rows.all())

    [key] = run(stack.database_url, stored_keys)
    assert key is not None
    kept = (widget_dir / "photos" / key).read_bytes()
    assert b"Exif" not in kept

    # Staff answer; the resident comes back later on the same device.
    assert answer_as_leader(stack.database_url, code, ANSWER)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.set_window_size(1280, 800)
    browser.refresh()
    window.open()
    WebDriverWait(browser, TIMEOUT).until(lambda _: ANSWER in "\n".join(window.replies()))
    assert CONTENT in browser.find_element(By.CSS_SELECTOR, ".lk-log").text  # the history
    assert window.button("Chưa được giải quyết").is_displayed()
    shoot(browser, "widget-desktop.png")

    async def web_rows(session: AsyncSession) -> list[OutboxStatus]:
        rows = await session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.channel == "web")
        )
        return list(rows.all())

    assert run(stack.database_url, web_rows) == [OutboxStatus.SENT]
    # Escape closes the window and gives the focus back to the launcher.
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert browser.switch_to.active_element.get_attribute("class") == "lk-launcher"


def test_a_portal_on_another_site_embeds_the_window_and_keeps_the_conversation(
    site: str, portal: str, browser: WebDriver
) -> None:
    browser.get(portal + "/")
    window = Window(browser)
    window.open()
    window.say("thu tuc dang ky khai sinh", "giúp ích")
    asked = len(window.replies())
    browser.refresh()
    window.open()
    # The same conversation after a reload, though the browser sent no cookie across sites.
    WebDriverWait(browser, TIMEOUT).until(lambda _: len(window.replies()) >= asked)
    mine = browser.find_elements(By.CSS_SELECTOR, ".lk-log .lk-me .lk-text")
    assert [m.text for m in mine] == ["thu tuc dang ky khai sinh"]


def test_erasing_one_s_data_clears_the_window_and_confirms_it_once(
    site: str, browser: WebDriver
) -> None:
    browser.get(site + "/")
    window = Window(browser)
    window.open()
    window.say("thu tuc dang ky khai sinh", "giúp ích")
    window.say("xoa du lieu cua toi", "không hoàn tác được")
    window.button("Xóa dữ liệu").click()

    def notices(_: WebDriver) -> list[str]:
        return [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".lk-log .lk-notice")]

    WebDriverWait(browser, TIMEOUT).until(
        lambda b: any("Đã xóa dữ liệu cá nhân" in text for text in notices(b))
    )
    # Nothing of the erased conversation stays on screen, and nothing comes back later.
    assert browser.find_elements(By.CSS_SELECTOR, ".lk-log .lk-me, .lk-log .lk-bot") == []
    browser.refresh()
    window.open()
    WebDriverWait(browser, TIMEOUT).until(
        lambda b: any("Xin chào Anh/Chị" in text for text in notices(b))
    )
    assert browser.find_elements(By.CSS_SELECTOR, ".lk-log .lk-me, .lk-log .lk-bot") == []
