"""Shared set-up for the back office tests: the app on a test database, a controllable
clock, sign-in through a real one-time link."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from starlette.applications import Starlette
from starlette.testclient import TestClient

from db.session import unit_of_work
from laikhe.settings import Settings
from services.web_sessions import create_sign_in_link
from tests.integration.staff_helpers import Sessions
from tests.integration.ticket_helpers import T0
from web.app import create_app

SECRET_KEY = "test-only-key-" + "k" * 32
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Clock:
    moment: datetime = field(default=T0)

    def __call__(self) -> datetime:
        return self.moment


def back_office(database_url: str, clock: Clock) -> Starlette:
    """The app with its own session factory: TestClient runs it on its own event loop."""
    return create_app(Settings(database_url=database_url), secret_key=SECRET_KEY, now=clock)


async def sign_in_token(sessions: Sessions, telegram_user_id: int, now: datetime) -> str:
    """What the bot's /dangnhap does."""
    async with unit_of_work(sessions) as session:
        return await create_sign_in_link(
            session=session, telegram_user_id=telegram_user_id, now=now
        )


async def sign_in(
    client: TestClient, sessions: Sessions, telegram_user_id: int, now: datetime
) -> None:
    token = await sign_in_token(sessions, telegram_user_id, now)
    response = client.post(f"/dang-nhap/{token}", follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/hang-doi"


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)
