"""Composition root: read settings, wire the engine client, start Telegram or the terminal."""

from __future__ import annotations

import asyncio
import functools
import logging
import os

from pydantic import ValidationError

from bot.context import StaffContext
from bot.conversation import Conversation
from bot.engine_client import EngineClient
from bot.outbox_dispatcher import DispatchSettings
from bot.telegram_app import build_application
from bot.terminal import run_terminal_chat
from bot.wiring import describe_config_problem, eraser_for
from db.session import sessionmaker_for
from laikhe import logsafe
from laikhe.commune import load_commune_config
from laikhe.settings import get_settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logsafe.install()  # exceptions logged by type and frames, never their messages
    try:
        settings = get_settings()
    except ValidationError as error:
        # A configuration mistake: say what to fix, not a traceback (no values are shown).
        raise SystemExit(
            "Configuration error:\n"
            + "\n".join(describe_config_problem(problem) for problem in error.errors())
        ) from None
    secret = settings.internal_secret
    engine = EngineClient(
        settings.rasa_url,
        settings.rasa_timeout_seconds,
        secret=secret.get_secret_value() if secret else None,
    )
    sessions = sessionmaker_for(settings.database_url)
    eraser = functools.partial(eraser_for, sessions, settings.tracker_store_url)
    if settings.telegram_bot_token is None:
        asyncio.run(run_terminal_chat(Conversation(engine, "terminal", eraser)))
        return
    staff = StaffContext(
        sessions=sessions,
        commune=load_commune_config(settings.commune_config),
        web_url=settings.web_url,
    )
    application = build_application(
        settings,
        Conversation(engine, "telegram", eraser),
        staff,
        DispatchSettings.from_env(os.environ),
    )
    if settings.telegram_mode == "webhook":
        if not settings.telegram_webhook_url:
            raise SystemExit("TELEGRAM_WEBHOOK_URL is required in webhook mode")
        secret = settings.telegram_webhook_secret
        if secret is None:  # Settings refuses webhook mode without one
            raise SystemExit("TELEGRAM_WEBHOOK_SECRET is required in webhook mode")
        application.run_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            webhook_url=settings.telegram_webhook_url,
            secret_token=secret.get_secret_value(),
        )
    else:
        application.run_polling()


if __name__ == "__main__":
    main()
