"""`python -m zalo`: the Zalo front end and Zalo's outbox dispatcher in one process.

Long polling by default (no public address needed); ZALO_MODE=webhook serves the webhook
on ZALO_WEBHOOK_LISTEN:ZALO_WEBHOOK_PORT behind the HTTPS address ZALO_WEBHOOK_URL, and
refuses to start without a long random ZALO_WEBHOOK_SECRET.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette

from bot.conversation import Conversation
from bot.engine_client import EngineClient
from bot.outbox_dispatcher import DispatchSettings
from bot.wiring import describe_config_problem, eraser_for
from db.session import sessionmaker_for
from laikhe import logsafe
from laikhe.commune import load_commune_config
from laikhe.settings import Settings, get_settings
from services.outbox import ZALO
from services.photo_store import PhotoStore
from services.tickets import TicketPolicy
from zalo.api import ZaloApi, ZaloApiError
from zalo.app import PhotoDownloads, ZaloFrontEnd, webhook_app
from zalo.choice_memory import ChoiceMemory
from zalo.dispatcher import ZaloOutboxDispatcher
from zalo.sender import ZaloSender
from zalo.staff_desk import StaffDesk

logger = logging.getLogger("zalo")

POLL_TIMEOUT = 30  # seconds Zalo may hold a getUpdates call open
MAX_POLL_BACKOFF = 30.0


class ZaloProcess:
    def __init__(self, settings: Settings) -> None:
        token = settings.zalo_bot_token
        if token is None:
            raise SystemExit("ZALO_BOT_TOKEN is not set")
        secret = settings.internal_secret
        self.settings = settings
        self.engine = EngineClient(
            settings.rasa_url,
            settings.rasa_timeout_seconds,
            secret=secret.get_secret_value() if secret else None,
        )
        sessions = sessionmaker_for(settings.database_url)
        eraser = functools.partial(eraser_for, sessions, settings.tracker_store_url)
        self.api = ZaloApi(token.get_secret_value(), settings.zalo_api_base_url)
        sender = ZaloSender(self.api, messages_per_second=settings.zalo_messages_per_second)
        choices = ChoiceMemory()
        commune = load_commune_config(settings.commune_config)
        self.dispatcher = ZaloOutboxDispatcher(
            sessions,
            sender,
            choices,
            DispatchSettings.from_env(os.environ),
            leaders_chat_id=commune.commune.leaders_chat_id,
        )
        desk = StaffDesk(
            sessions,
            TicketPolicy.from_config(commune),
            settings.web_url,
            committed=self.dispatcher.wake,
        )
        # Photos are fetched with a client of their own: the API client carries the token.
        self.photo_client = httpx.AsyncClient()
        photos = PhotoDownloads(PhotoStore(settings.photo_dir), self.photo_client)
        self.front = ZaloFrontEnd(
            Conversation(self.engine, ZALO, eraser), sender, choices, desk, photos
        )

    async def close(self) -> None:
        await self.dispatcher.stop()
        await self.front.drain()
        await self.engine.aclose()
        await self.api.aclose()
        await self.photo_client.aclose()

    async def poll(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            # getUpdates does not work while a webhook is set (a webhook run before).
            await self.api.call("deleteWebhook")
        except Exception as error:
            logger.warning("deleteWebhook failed: %s", type(error).__name__)
        self.dispatcher.start()
        logger.info("Zalo polling started")
        failures = 0
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                poll = asyncio.create_task(self.api.get_updates(POLL_TIMEOUT))
                await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stop.is_set():
                    poll.cancel()
                    with contextlib.suppress(BaseException):
                        await poll
                    break
                try:
                    updates = poll.result()
                except Exception as error:
                    failures += 1
                    delay = min(2.0**failures, MAX_POLL_BACKOFF)
                    code = error.code if isinstance(error, ZaloApiError) else type(error).__name__
                    logger.warning("getUpdates failed (%s): next try in %.0fs", code, delay)
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    continue
                failures = 0
                for update in updates:
                    self.front.accept(update)
        finally:
            stopping.cancel()
            await self.close()
            logger.info("Zalo polling stopped")

    def webhook(self) -> Starlette:
        settings = self.settings
        url, secret = settings.zalo_webhook_url, settings.zalo_webhook_secret
        if not url:
            raise SystemExit("ZALO_WEBHOOK_URL is required in webhook mode")
        if secret is None:  # Settings refuses webhook mode without a fit one
            raise SystemExit("ZALO_WEBHOOK_SECRET is required in webhook mode")

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            await self.api.call(
                "setWebhook", {"url": url, "secret_token": secret.get_secret_value()}
            )
            self.dispatcher.start()
            logger.info("Zalo webhook set")
            try:
                yield
            finally:
                await self.close()

        return webhook_app(
            self.front, secret.get_secret_value(), urlsplit(url).path or "/", lifespan
        )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx logs every request's URL at INFO, and Zalo's URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logsafe.install()
    try:
        settings = get_settings()
    except ValidationError as error:
        raise SystemExit(
            "Configuration error:\n"
            + "\n".join(describe_config_problem(problem) for problem in error.errors())
        ) from None
    process = ZaloProcess(settings)
    if settings.zalo_mode == "webhook":
        app = process.webhook()
        uvicorn.run(
            app,
            host=settings.zalo_webhook_listen,
            port=settings.zalo_webhook_port,
            log_level="warning",
            access_log=False,
            server_header=False,
            # No websockets; the installed websockets (rasa-sdk's) does not fit uvicorn's.
            ws="none",
        )
    else:
        asyncio.run(process.poll())


if __name__ == "__main__":
    main()
