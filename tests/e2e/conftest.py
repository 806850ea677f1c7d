"""The whole assistant as a commune runs it: fake Bot API -> bot process -> engine -> actions -> DB.

The engine runs the model trained from this repository; the bot is the real
`python -m bot` process, pointed at the local fake Telegram server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.database import prepare
from db.session import sessionmaker_for
from scripts.model import ensure_model
from scripts.stack import ROOT, Stack, free_port
from testkit.telegram import FakeTelegramServer
from tests.conftest import COMMUNE_YML

BOT_TOKEN = "123456:E2E-TEST-TOKEN"


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def e2e_database_url(e2e_dir: Path) -> str:
    url = f"sqlite:///{e2e_dir / 'tickets.db'}"
    prepare(url, COMMUNE_YML)
    return url


@pytest.fixture(scope="session")
def stack(e2e_dir: Path, e2e_database_url: str) -> Iterator[Stack]:
    running = Stack(
        model=ensure_model(),
        database_url=e2e_database_url,
        tracker_store_url=f"sqlite:///{e2e_dir / 'tracker.db'}",
        log_dir=e2e_dir / "logs",
        engine_port=free_port(),
        action_port=free_port(),
    )
    # Loading the model takes ~1 min on an idle machine, several on a shared, busy one.
    running.start(timeout=float(os.environ.get("E2E_START_TIMEOUT", "240")))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def telegram() -> Iterator[FakeTelegramServer]:
    server = FakeTelegramServer(BOT_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bot(
    stack: Stack, telegram: FakeTelegramServer, e2e_dir: Path
) -> Iterator[subprocess.Popen[bytes]]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TELEGRAM_FILE_BASE_URL=telegram.base_file_url,
        **stack.client_env(),
        DATABASE_URL=stack.database_url,
        # The bot erases a chat's conversation there when the resident deletes their data.
        TRACKER_STORE_URL=stack.tracker_store_url,
    )
    log = (e2e_dir / "logs" / "bot.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    telegram.wait_for_requests(
        "getUpdates", timeout=float(os.environ.get("E2E_START_TIMEOUT", "240")) / 2
    )
    yield process
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
async def db(stack: Stack) -> async_sessionmaker[AsyncSession]:
    return sessionmaker_for(stack.database_url)
