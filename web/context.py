"""What every page shares, typed (set once by the composition root on app.state)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from laikhe.commune import CommuneConfig
from services.photo_store import PhotoStore
from services.telegram_files import TelegramFiles
from services.tickets import TicketPolicy

COOKIE: Final = "laikhe_backoffice"


@dataclass(frozen=True)
class WebContext:
    sessions: async_sessionmaker[AsyncSession]
    templates: Jinja2Templates
    now: Callable[[], datetime]
    # The ticket page: forwarding follows the commune's rules; photos are read from
    # Telegram (None without a bot token).
    policy: TicketPolicy
    files: TelegramFiles | None
    commune: CommuneConfig  # the report's letterhead and signers
    # Where the web process is reached from outside (WEB_PUBLIC_URL): the demo page's
    # script tag names it, as a portal would.
    public_url: str = ""
    # Photos sent through Zalo or the website (PHOTO_DIR).
    photos: PhotoStore | None = None


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context
