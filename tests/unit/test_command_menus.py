"""The «/» menus list exactly the commands the bot answers: staff's in groups, residents'
in private chats (where /start, /menu and /help are the only commands for them)."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.commands import RESIDENT_COMMANDS, STAFF_COMMANDS
from bot.conversation import Conversation
from bot.engine_client import EngineClient
from bot.staff_reports import StaffContext
from bot.telegram_app import build_application
from laikhe.commune import load_commune_config
from laikhe.settings import PROJECT_ROOT, Settings


def test_every_registered_command_is_in_one_menu_and_no_menu_entry_is_unanswered() -> None:
    settings = Settings(telegram_bot_token="1:MENUS")
    staff = StaffContext(
        sessions=None,  # type: ignore[arg-type]  # nothing runs: handlers are only listed
        commune=load_commune_config(PROJECT_ROOT / "config" / "commune.yml"),
    )
    engine = EngineClient("http://127.0.0.1:9", 1.0)
    application = build_application(settings, Conversation(engine, "telegram"), staff)
    registered = {
        command
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    resident = [c.command for c in RESIDENT_COMMANDS]
    staff_menu = [c.command for c in STAFF_COMMANDS]
    assert not set(resident) & set(staff_menu)
    assert registered == set(resident) | set(staff_menu)
