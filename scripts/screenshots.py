"""python -m scripts.screenshots [--out docs/screenshots]

Pictures of the back office for the README: the queue, a ticket page and the overview,
as a commune leader sees them in a desktop browser. The data are the tests' half-year
(tests/integration/dashboard_seed.py, moved to the last weeks) in a throw-away SQLite
database; the back office runs as `python -m web` does, and Debian's Chromium (headless,
through Selenium) takes the pictures. The PNGs are reduced to 256 colours to stay small.

The browser test (tests/browser/test_back_office_browser.py) uses the same parts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from admin.database import prepare
from db.session import sessionmaker_for, unit_of_work
from laikhe import clock
from laikhe.commune import load_commune_config
from laikhe.settings import PROJECT_ROOT, get_settings
from scripts.stack import free_port
from services.web_sessions import create_sign_in_link
from tests.integration.dashboard_seed import seed_half_year, weeks_to
from tests.integration.staff_helpers import LEADER, configure_groups, register_default_staff

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP = (1280, 900)


async def seed(database_url: str) -> dict[str, str]:
    """Offices' staff and the half-year of tickets, ending this week; key -> code."""
    sessions = sessionmaker_for(database_url)
    try:
        await configure_groups(sessions)
        await register_default_staff(sessions)
        commune = load_commune_config(get_settings().commune_config)
        return await seed_half_year(sessions, commune, shift=weeks_to(clock.now()))
    finally:
        await sessions.kw["bind"].dispose()


async def sign_in_link(database_url: str, telegram_user_id: int) -> str:
    """What the bot's /dangnhap sends (the token of /dang-nhap/<token>)."""
    sessions = sessionmaker_for(database_url)
    try:
        async with unit_of_work(sessions) as session:
            return await create_sign_in_link(
                session=session, telegram_user_id=telegram_user_id, now=clock.now()
            )
    finally:
        await sessions.kw["bind"].dispose()


@contextmanager
def back_office(database_url: str, log_path: Path) -> Iterator[str]:
    """`python -m web` on a free loopback port; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "DATABASE_URL": database_url,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "WEB_SECRET_KEY": secrets.token_urlsafe(32),
    }
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "web"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/static/style.css", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text())
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def chromium(size: tuple[int, int] = DESKTOP) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--lang=vi-VN",
        "--hide-scrollbars",
        f"--window-size={size[0]},{size[1]}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(browser: WebDriver, base: str, token: str) -> None:
    browser.get(f"{base}/dang-nhap/{token}")
    browser.find_element(By.ID, "sign-in").click()


def _save(browser: WebDriver, path: Path, *, full_height: bool = False) -> Path:
    """The window as a PNG; `full_height` grows the window to the whole page first."""
    if full_height:
        height = int(browser.execute_script("return document.documentElement.scrollHeight"))
        browser.set_window_size(DESKTOP[0], max(DESKTOP[1], height + 160))
    png = path.with_suffix(".tmp.png")
    browser.save_screenshot(str(png))
    with Image.open(png) as image:
        image.convert("RGB").quantize(colors=256).save(path, optimize=True)
    png.unlink()
    browser.set_window_size(*DESKTOP)
    return path


def capture(browser: WebDriver, base: str, ticket_code: str, out: Path) -> list[Path]:
    """Queue, one ticket, overview: the signed-in browser's pictures in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(*DESKTOP)
    browser.get(f"{base}/hang-doi")
    queue = _save(browser, out / "hang-doi.png")
    browser.get(f"{base}/y-kien/{ticket_code}")
    ticket = _save(browser, out / "y-kien.png")
    browser.get(f"{base}/tong-quan")
    overview = _save(browser, out / "tong-quan.png", full_height=True)
    return [queue, ticket, overview]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'back-office.db'}"
        prepare(database_url, get_settings().commune_config)
        codes = asyncio.run(seed(database_url))
        token = asyncio.run(sign_in_link(database_url, LEADER))
        with back_office(database_url, Path(folder) / "web.log") as base, chromium() as browser:
            sign_in(browser, base, token)
            for path in capture(browser, base, codes["A3"], args.out):
                print(f"{path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
