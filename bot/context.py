"""What the bot's handlers and jobs share, typed: python-telegram-bot's ContextTypes with
our own `bot_data` and context class (as in its examples/contexttypesbot.py), so every
handler reads `context.conversation` or `context.staff` rather than a string key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.conversation import Conversation
from bot.outbox_dispatcher import OutboxDispatcher
from laikhe.commune import CommuneConfig


@dataclass(frozen=True)
class StaffContext:
    """The database and the commune configuration the staff side works with."""

    sessions: async_sessionmaker[AsyncSession]
    commune: CommuneConfig
    # The back office address the sign-in links point to (Settings.web_url); None when
    # this bot offers no back office.
    web_url: str | None = None


class BotData:
    """`context.bot_data`. python-telegram-bot makes it with no arguments when the
    application is built; build_application sets the conversation and the staff context
    before any update is handled, the start-up hook the outbox dispatcher."""

    conversation: Conversation
    staff: StaffContext

    def __init__(self) -> None:
        self.dispatcher: OutboxDispatcher | None = None

    def wake_dispatcher(self) -> None:
        """Something was just committed to the outbox: send it now, not at the next poll."""
        if self.dispatcher is not None:
            self.dispatcher.wake()


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def conversation(self) -> Conversation:
        return self.bot_data.conversation

    @property
    def staff(self) -> StaffContext:
        return self.bot_data.staff


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)

BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[BotContext]
]
