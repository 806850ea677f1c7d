"""Updates of different chats run concurrently; updates of one chat run in arrival order.

python-telegram-bot handles one update at a time by default, so one resident waiting for
the engine (hundreds of ms) holds up every other resident. Fully concurrent processing
would let two quick messages of one resident reach the engine out of order, so each chat
gets its own lock (asyncio locks wake waiters first come, first served).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        # chat id -> (lock, number of updates holding or waiting for it)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._chats.get(chat.id) or (asyncio.Lock(), 0)
        self._chats[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._chats[chat.id]
            if users == 1:
                del self._chats[chat.id]  # nothing waits: do not keep a lock per chat forever
            else:
                self._chats[chat.id] = (lock, users - 1)

    @property
    def active_chats(self) -> int:
        return len(self._chats)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
