"""The «/» menus list exactly the commands the bot answers: staff's in groups, residents'
in private chats (where /start, /menu and /help are the only commands for them), both in
each registered staff member's private chat."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import BotCommand, BotCommandScopeChat, Chat, Message, MessageEntity, Update, User
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import CommandHandler

from bot.commands import (
    RESIDENT_COMMANDS,
    STAFF_COMMANDS,
    STAFF_PRIVATE_COMMANDS,
    publish_staff_commands,
    publish_staff_menus,
)
from bot.context import StaffContext
from bot.conversation import Conversation
from bot.engine_client import EngineClient
from bot.telegram_app import build_application
from laikhe.commune import load_commune_config
from laikhe.settings import PROJECT_ROOT, Settings
from services.staff import StaffPrivateChats

STAFF_A, STAFF_B, FORMER = 5001, 5002, 5009


def command_handlers() -> list[CommandHandler]:  # type: ignore[type-arg]
    settings = Settings(telegram_bot_token="1:MENUS")
    staff = StaffContext(
        sessions=None,  # type: ignore[arg-type]  # nothing runs: handlers are only listed
        commune=load_commune_config(PROJECT_ROOT / "config" / "commune.yml"),
    )
    engine = EngineClient("http://127.0.0.1:9", 1.0)
    application = build_application(settings, Conversation(engine, "telegram"), staff)
    return [
        handler
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
    ]


def test_every_registered_command_is_in_one_menu_and_no_menu_entry_is_unanswered() -> None:
    registered = {command for handler in command_handlers() for command in handler.commands}
    resident = [c.command for c in RESIDENT_COMMANDS]
    staff_menu = [c.command for c in STAFF_COMMANDS]
    assert not set(resident) & set(staff_menu)
    assert registered == set(resident) | set(staff_menu)


def private_command(command: str) -> Update:
    chat = Chat(id=STAFF_A, type=ChatType.PRIVATE)
    user = User(id=STAFF_A, first_name="Cán bộ", is_bot=False)
    text = f"/{command}"
    entity = MessageEntity(MessageEntity.BOT_COMMAND, 0, len(text))
    now = datetime.now(timezone.utc)
    message = Message(1, now, chat, from_user=user, text=text, entities=[entity])
    # CommandHandler compares «/lệnh@tên_bot» with the bot's username.
    message.set_bot(SimpleNamespace(username="laikhe_bot"))  # type: ignore[arg-type]
    return Update(1, message=message)


def test_every_command_of_the_staff_private_menu_is_answered_in_a_private_chat() -> None:
    handlers = command_handlers()
    menu = [c.command for c in STAFF_PRIVATE_COMMANDS]
    # The residents' commands first, as in every private chat, then the staff ones.
    assert menu == [
        "start", "menu", "help", "traloi", "tuchoi", "trung", "xem", "baocao", "dangnhap",
    ]  # fmt: skip
    for command in menu:
        update = private_command(command)
        assert any(h.check_update(update) for h in handlers), command


class RecordingBot:
    """The two Bot API calls the staff menus use; one chat refused, as Telegram may."""

    def __init__(self, refused: int | None = None) -> None:
        self.refused = refused
        self.calls: list[tuple[str, int, list[str]]] = []

    async def set_my_commands(
        self, commands: Sequence[BotCommand], *, scope: BotCommandScopeChat
    ) -> bool:
        self.calls.append(("set", int(scope.chat_id), [c.command for c in commands]))
        if scope.chat_id == self.refused:
            raise BadRequest("Chat not found")
        return True

    async def delete_my_commands(self, *, scope: BotCommandScopeChat) -> bool:
        self.calls.append(("delete", int(scope.chat_id), []))
        if scope.chat_id == self.refused:
            raise BadRequest("Chat not found")
        return True


async def test_active_staff_get_the_staff_menu_and_removed_staff_lose_it() -> None:
    bot = RecordingBot(refused=STAFF_A)
    chats = StaffPrivateChats(active=(STAFF_A, STAFF_B), removed=(FORMER,))
    await publish_staff_menus(bot, chats)  # type: ignore[arg-type]
    full = [c.command for c in STAFF_PRIVATE_COMMANDS]
    # One call per staff member; a refused one does not stop the others.
    assert bot.calls == [("set", STAFF_A, full), ("set", STAFF_B, full), ("delete", FORMER, [])]


async def test_an_unreadable_staff_registry_leaves_the_menus_alone_and_is_not_fatal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_sessions() -> AsyncSession:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    bot = RecordingBot()
    with caplog.at_level(logging.WARNING, logger="bot.commands"):
        await publish_staff_commands(bot, broken_sessions)  # type: ignore[arg-type]
    assert bot.calls == []
    assert "could not read the staff" in caplog.text
