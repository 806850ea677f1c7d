"""Updates of different chats run concurrently; updates of one chat run in arrival order.

python-telegram-bot handles one update at a time by default, so one resident waiting for
the engine (hundreds of ms) holds up every other resident. Fully concurrent processing
would let two quick messages of one resident reach the engine out of order, so each chat
takes its turn (laikhe.keyed_locks: first come, first served).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from laikhe.keyed_locks import KeyedLocks


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: KeyedLocks[int] = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        async with self._chats.turn(chat.id):
            await coroutine

    @property
    def active_chats(self) -> int:
        return len(self._chats)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
