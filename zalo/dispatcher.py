"""Zalo's outbox rows (answers and notices of tickets that came through Zalo), sent from
the Zalo process through its one sending path, with the outbox's retries and backoff."""

from __future__ import annotations

import json
import logging
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox_dispatcher import BaseOutboxDispatcher, DispatchSettings
from bot.sender import Outcome
from db.models import OutboxMessage
from laikhe.choices import Button
from services import outbox
from zalo.choice_memory import ChoiceMemory
from zalo.sender import ZaloSender

logger = logging.getLogger(__name__)


def keyboard_buttons(reply_markup: str | None) -> tuple[Button, ...]:
    """The buttons of a stored keyboard (services.outbox.keyboard_json), in order."""
    if not reply_markup:
        return ()
    rows = json.loads(reply_markup)["inline_keyboard"]
    return tuple(Button(b["text"], b["callback_data"]) for row in rows for b in row)


class ZaloOutboxDispatcher(BaseOutboxDispatcher):
    channel: ClassVar[str] = outbox.ZALO

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: ZaloSender,
        choices: ChoiceMemory,
        settings: DispatchSettings | None = None,
        leaders_chat_id: int | None = None,
    ) -> None:
        super().__init__(sessions, settings, leaders_chat_id)
        self._sender = sender
        self._choices = choices

    @property
    def flood_wait(self) -> float:
        return self._sender.flood_wait

    async def _send(self, row: OutboxMessage) -> Outcome:
        if row.recipient is None or not row.text or row.method != "sendMessage":
            return Outcome("failed", error="tin nhắn Zalo hỏng: thiếu người nhận hoặc nội dung")
        try:
            buttons = keyboard_buttons(row.reply_markup)
        except (ValueError, KeyError, TypeError) as error:
            logger.exception("outbox message %s: keyboard cannot be read", row.id)
            return Outcome("failed", error=f"tin nhắn hỏng: {type(error).__name__}")
        outcome = await self._sender.attempt(row.recipient, row.text, wait=False)
        if outcome.kind == "sent" and buttons:
            # The text numbers them (services.outbox): the resident's "1" presses the first.
            self._choices.show(row.recipient, buttons)
        return outcome
