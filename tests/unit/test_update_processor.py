"""Per-chat ordering with cross-chat concurrency, through a real PTB Application."""

from __future__ import annotations

import asyncio
import time

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.update_processor import PerChatUpdateProcessor
from testkit.telegram import FakeTelegramServer

TOKEN = "123:ORDER"
DELAY = 0.5


async def test_chats_overlap_but_one_chat_keeps_its_order() -> None:
    processor = PerChatUpdateProcessor()
    log: list[tuple[str, int, str, float]] = []

    async def slow_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_chat is not None
        chat, text = update.effective_chat.id, update.effective_message.text or ""
        log.append(("start", chat, text, time.monotonic()))
        # The first message of each chat is the slow one: a later one must still wait.
        await asyncio.sleep(DELAY if text.endswith("1") else 0.01)
        log.append(("end", chat, text, time.monotonic()))
        await update.effective_message.reply_text(text)

    with FakeTelegramServer(TOKEN) as fake:
        app = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(fake.base_url)
            .concurrent_updates(processor)
            .build()
        )
        app.add_handler(MessageHandler(filters.TEXT, slow_echo))
        async with app:
            await app.start()
            assert app.updater is not None
            for chat in (1, 2, 3):
                fake.send_text(chat, f"c{chat} m1")
                fake.send_text(chat, f"c{chat} m2")
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            started = time.monotonic()
            for chat in (1, 2, 3):
                await fake.wait_for_messages_async(chat, 2, timeout=10)
            elapsed = time.monotonic() - started
            await app.updater.stop()
            await app.stop()

        for chat in (1, 2, 3):
            assert [m.text for m in fake.messages(chat)] == [f"c{chat} m1", f"c{chat} m2"]
            events = [(kind, text) for kind, c, text, _ in log if c == chat]
            assert events == [
                ("start", f"c{chat} m1"),
                ("end", f"c{chat} m1"),
                ("start", f"c{chat} m2"),
                ("end", f"c{chat} m2"),
            ]
    # Three slow first messages ran side by side, not one after another.
    assert elapsed < 3 * DELAY
    assert processor.active_chats == 0
