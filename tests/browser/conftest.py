"""What the browser tests share: the web process as a commune runs it and Debian's
headless Chromium driven by Selenium through Debian's chromedriver."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@contextmanager
def start_web(env: Mapping[str, str], log_path: Path) -> Iterator[str]:
    """`python -m web` with `env` (WEB_HOST, WEB_PORT, DATABASE_URL, WEB_SECRET_KEY...);
    yields its address once it serves, and checks it printed that address."""
    base = f"http://{env['WEB_HOST']}:{env['WEB_PORT']}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "web"], cwd=ROOT, env=dict(env), stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
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
    assert f"back office: {base}" in log_path.read_text()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=vi"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
