"""Composition root of the web process: settings, the session factory, templates, routes
of the back office (web/pages.py) and of the website's chat window (web/widget.py, which
talks to the engine). Nothing else happens here; the rules are in services/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.conversation import Conversation
from bot.engine_client import EngineClient
from bot.wiring import eraser_for
from db.session import sessionmaker_for, unit_of_work
from laikhe import clock
from laikhe.commune import load_commune_config
from laikhe.settings import Settings
from services import web_chat
from services.outbox import WEB
from services.photo_store import PhotoStore
from services.telegram_files import TelegramFiles
from services.tickets import TicketPolicy
from services.web_sessions import SESSION_LIFETIME
from web import dashboard, knowledge, pages
from web.context import COOKIE, WebContext
from web.security import SecurityHeaders
from web.widget import RateLimiter, WidgetContext, allowed_origins, widget_app

HERE = Path(__file__).resolve().parent


def create_app(
    settings: Settings,
    *,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    secret_key: str | None = None,
    now: Callable[[], datetime] = clock.now,
    engine: EngineClient | None = None,
) -> Starlette:
    """The web app. The secret key signs the session cookies: WEB_SECRET_KEY, or the
    tests' own (`secret_key`). The widget's turns go to `engine` (RASA_URL by default)."""
    key = secret_key or (
        settings.web_secret_key.get_secret_value() if settings.web_secret_key else None
    )
    if not key:
        raise ValueError("WEB_SECRET_KEY is not set")
    owned = sessions is None
    commune = load_commune_config(settings.commune_config)
    context = WebContext(
        sessions=sessions or sessionmaker_for(settings.database_url),
        templates=Jinja2Templates(directory=HERE / "templates"),
        now=now,
        policy=TicketPolicy.from_config(commune),
        files=TelegramFiles.from_settings(settings),
        commune=commune,
        public_url=settings.web_url,
        photos=PhotoStore(settings.photo_dir),
    )

    owns_engine = engine is None
    if engine is None:
        secret = settings.internal_secret
        engine = EngineClient(
            settings.rasa_url,
            settings.rasa_timeout_seconds,
            secret=secret.get_secret_value() if secret else None,
        )
    sessions_ = context.sessions

    async def erase(sender_id: str) -> int:
        """«Xóa dữ liệu của tôi» from the widget: its history, then the conversation."""
        async with unit_of_work(sessions_) as session:
            await web_chat.erase(session=session, sender_id=sender_id)
        return await eraser_for(sessions_, settings.tracker_store_url, sender_id)

    widget = WidgetContext(
        sessions=sessions_,
        conversation=Conversation(engine, WEB, erase),
        secret_key=key,
        allowed_origins=allowed_origins(settings.widget_origins, settings.web_url),
        now=now,
        https=settings.web_url.startswith("https://"),
        per_session=RateLimiter(settings.widget_session_limit_per_minute, 60.0),
        per_address=RateLimiter(settings.widget_address_limit_per_minute, 60.0),
        reads=RateLimiter(settings.widget_read_limit_per_minute, 60.0),
        photos=context.photos,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        if owns_engine:
            await engine.aclose()
        if owned:  # the engine this app made: its connections close with it
            await context.sessions.kw["bind"].dispose()

    app = Starlette(
        lifespan=lifespan,
        routes=[
            Route("/", pages.home),
            Route("/quan-ly", pages.staff_home),
            Route("/dang-nhap/{token}", pages.sign_in_page, methods=["GET"]),
            Route("/dang-nhap/{token}", pages.sign_in, methods=["POST"]),
            Route("/dang-xuat", pages.sign_out, methods=["POST"]),
            Route("/hang-doi", pages.queue),
            Route("/hang-doi/tim", pages.queue_search, methods=["POST"]),
            Route("/y-kien/{code}", pages.ticket_page),
            Route("/y-kien/{code}/anh/{number:int}", pages.ticket_file),
            Route("/y-kien/{code}/{action}", pages.ticket_action, methods=["POST"]),
            Route("/mau-tra-loi", knowledge.saved_list),
            Route("/mau-tra-loi", knowledge.saved_add, methods=["POST"]),
            Route(
                "/mau-tra-loi/{answer_id:int}/{action}", knowledge.saved_change, methods=["POST"]
            ),
            Route("/de-xuat-faq", knowledge.proposals_list),
            Route("/de-xuat-faq", knowledge.propose, methods=["POST"]),
            Route("/de-xuat-faq/moi", knowledge.propose_form),
            Route("/de-xuat-faq/{proposal_id:int}/duyet", knowledge.review, methods=["POST"]),
            Route("/cau-hoi-chua-tra-loi", knowledge.unanswered),
            Route("/tong-quan", dashboard.overview),
            Route("/bao-cao", dashboard.report_download),
            Mount("/widget", widget_app(widget)),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=key,
                session_cookie=COOKIE,
                max_age=int(SESSION_LIFETIME.total_seconds()),
                same_site="lax",
                https_only=settings.web_url.startswith("https://"),
            ),
        ],
        exception_handlers={404: pages.not_found, 500: pages.server_error},
    )
    app.state.web = context
    return app
