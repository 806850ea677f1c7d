"""The one path by which the Zalo process sends: conversation replies and the outbox.

As bot/sender.py for Telegram: one message at a time per chat in arrival order, retries
only of what surely was not sent, exponential backoff with jitter. Zalo documents no rate
limits, so sends are paced at Telegram's documented ones, the only ones known for an API
of this shape: at most one message a second per chat (PER_CHAT_INTERVAL) and
ZALO_MESSAGES_PER_SECOND in all (30 by default). A 429 means the guess was too high:
a given `retry_after` pauses every send, and any 429 halves the overall rate (down to one
a second) until ten minutes pass without one (SLOWER_FOR).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any, Final

from bot.sender import Outcome, RetryPolicy, until_sent
from laikhe.keyed_locks import KeyedLocks
from zalo.api import ZaloApi, ZaloApiError, classify

logger = logging.getLogger(__name__)

PER_CHAT_INTERVAL: Final = 1.0
MESSAGES_PER_SECOND: Final = 30.0
SLOWEST_INTERVAL: Final = 1.0  # a 429 never slows the bot below one message a second
SLOWER_FOR: Final = 600.0


class ZaloSender:
    def __init__(
        self,
        api: ZaloApi,
        policy: RetryPolicy | None = None,
        *,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        messages_per_second: float = MESSAGES_PER_SECOND,
    ) -> None:
        self.api = api
        self.policy = policy or RetryPolicy()
        self._per_chat = per_chat_interval
        self._configured = 1.0 / messages_per_second
        self._global = self._configured
        self._slowed_at = 0.0
        self._chats: KeyedLocks[str] = KeyedLocks()
        self._last_in_chat: dict[str, float] = {}
        self._next_global = 0.0
        self._flood_until = 0.0

    @property
    def messages_per_second(self) -> float:
        """The overall rate now: the configured one, or less after a recent 429."""
        return 1.0 / self._global

    @property
    def flood_wait(self) -> float:
        return max(0.0, self._flood_until - time.monotonic())

    def chat_busy(self, chat_id: str) -> bool:
        return self._chats.busy(chat_id)

    async def _pace(self, chat_id: str) -> None:
        """Wait for the chat's and the bot's next slot (called in the chat's turn)."""
        while (wait := self.flood_wait) > 0:  # noqa: ASYNC110 - a 429 may push it further
            await asyncio.sleep(wait)
        now = time.monotonic()
        if self._global > self._configured and now - self._slowed_at > SLOWER_FOR:
            self._global = self._configured
            logger.info("Zalo sends back at %.1f a second", self.messages_per_second)
        slot = max(self._next_global, self._last_in_chat.get(chat_id, 0.0) + self._per_chat, now)
        self._next_global = slot + self._global
        if slot > now:
            await asyncio.sleep(slot - now)
        self._last_in_chat[chat_id] = time.monotonic()
        if len(self._last_in_chat) > 10_000:  # forget chats quiet for longer than a pause
            cutoff = time.monotonic() - self._per_chat
            self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if t > cutoff}

    async def _try(self, chat_id: str, text: str) -> tuple[Outcome, Any]:
        await self._pace(chat_id)
        try:
            result = await self.api.send_message(chat_id, text)
        except Exception as error:
            outcome = classify(error)
            if isinstance(error, ZaloApiError) and error.code == 429:
                self._slow_down()
        else:
            return Outcome("sent"), result
        if outcome.flood:
            self._flood_until = max(self._flood_until, time.monotonic() + outcome.delay)
        return outcome, None

    def _slow_down(self) -> None:
        self._slowed_at = time.monotonic()
        slower = min(self._global * 2, max(SLOWEST_INTERVAL, self._configured))
        if slower > self._global:
            self._global = slower
            logger.warning("Zalo answered 429: sends slowed to %.1f a second", 1 / slower)

    async def attempt(self, chat_id: str, text: str, *, wait: bool = True) -> Outcome:
        """One try in the chat's turn (the outbox keeps its own retry schedule); with
        `wait=False` a taken turn or a flood pause gives `busy` at once."""
        if not wait and (self.chat_busy(chat_id) or self.flood_wait > 0):
            return Outcome("busy", error="chờ tin trước trong cùng cuộc trò chuyện")
        async with self._chats.turn(chat_id):
            outcome, _ = await self._try(chat_id, text)
            return outcome

    async def deliver(self, chat_id: str, texts: list[str]) -> None:
        """Send the texts in order now, each retried while surely not sent.

        Raises DeliveryFailed when one cannot be delivered (refused, or still failing
        after the policy's attempts or time); a text that may have arrived is not resent.
        """
        async with self._chats.turn(chat_id):
            for text in texts:
                await until_sent(functools.partial(self._try, chat_id, text), self.policy, "Zalo")
