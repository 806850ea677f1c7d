"""The one path by which the bot sends a message to a resident or a group.

Conversation replies (bot.telegram_app) and the outbox (bot.outbox_dispatcher) both go
through a `Sender`, so both get the same reading of Telegram's errors and the same rules:

* per-chat order: one message at a time per chat, first come first served, retries
  included, so a reply's second message never overtakes its first; other chats have
  their own turn and are not held up by one chat's backoff;
* 429: Telegram's flood control. Its `retry_after` holds every send of the bot (as
  python-telegram-bot's own AIORateLimiter does), since a 429 may be the bot-wide limit;
* errors that prove the message was not delivered (no connection, the request never
  fully written, or Telegram answered with an error status, 5xx included) are retried
  with exponential backoff; errors after which it may have been delivered (the answer
  never came back) are not: Telegram has no idempotency key, a retry could duplicate.

python-telegram-bot's AIORateLimiter would add throttling ahead of the limits, but it
needs the `rate-limiter` extra (aiolimiter), which is not in requirements/app.lock; its
contract also leaves 5xx and network errors to the caller, which this module handles.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TypeVar

import httpx
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from laikhe.keyed_locks import KeyedLocks

logger = logging.getLogger(__name__)

T = TypeVar("T")

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


@dataclass(frozen=True)
class Outcome:
    kind: str  # sent | retry | failed | unknown | busy
    message_id: int | None = None
    delay: float = 0.0
    error: str = ""
    new_chat_id: int | None = None
    count_attempt: bool = True
    flood: bool = False  # 429: the whole bot must wait


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


# The request never fully left this machine: Telegram cannot have acted on it.
_NOT_SENT_TRANSPORT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.LocalProtocolError,
    httpx.UnsupportedProtocol,
)


def classify(error: TelegramError) -> Outcome:
    """What a Telegram error means for a message: surely not sent (retry or failed) or
    maybe sent (unknown: never resent automatically)."""
    if isinstance(error, RetryAfter):
        return Outcome("retry", delay=_seconds(error.retry_after), error=str(error), flood=True)
    if isinstance(error, ChatMigrated):
        # A group upgraded to a supergroup: same people, new id.
        return Outcome(
            "retry", new_chat_id=int(error.new_chat_id), error=str(error), count_attempt=False
        )
    if isinstance(error, Forbidden):
        return Outcome("failed", error=f"bị chặn hoặc không còn trong nhóm: {error.message}")
    if isinstance(error, BadRequest):
        return Outcome("failed", error=f"Telegram từ chối: {error.message}")
    if isinstance(error, NetworkError):  # TimedOut included
        cause = error.__cause__
        if isinstance(cause, _NOT_SENT_TRANSPORT) or "Pool timeout" in str(error):
            return Outcome("retry", error=f"không kết nối được tới Telegram: {error.message}")
        if cause is None or isinstance(cause, TelegramError):
            # python-telegram-bot raises NetworkError with no transport cause only for an
            # HTTP error status (its body possibly unparsable): Telegram answered that the
            # call failed, so nothing was delivered. 5xx included: the Bot API reports its
            # own failures so, and a reply lost is worse than the rare gateway timeout
            # (504 after the backend had sent) that could duplicate one.
            return Outcome("retry", error=f"máy chủ Telegram báo lỗi: {error.message}")
        # The request was written and the answer did not come back (read timeout,
        # connection reset or closed, an unexpected client error): it may have been
        # delivered, and there is no idempotency key to ask. Not resent.
        kind = "hết thời gian chờ phản hồi" if isinstance(error, TimedOut) else "mất kết nối"
        return Outcome("unknown", error=f"{kind} sau khi đã gửi yêu cầu: {error.message}")
    if type(error) is TelegramError:
        # An answer that could not be read (e.g. invalid JSON with status 200): the call
        # may well have succeeded.
        return Outcome("unknown", error=f"phản hồi không đọc được: {error.message}")
    # InvalidToken, Conflict, ...: Telegram refused the call before doing anything.
    return Outcome("retry", error=f"lỗi Telegram: {error}")


def backoff(attempts: int, base: float, maximum: float) -> float:
    """Exponential, capped, jittered so retries of many chats do not arrive together."""
    delay: float = min(base * 2.0**attempts, maximum)
    return delay * random.uniform(0.8, 1.2)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a conversation reply is retried in memory (the resident is waiting)."""

    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    give_up_after: float = 120.0


@dataclass(frozen=True)
class Outgoing:
    chat_id: int
    text: str | None = None
    method: str = "sendMessage"  # or sendPhoto / sendDocument (text is the caption)
    file_id: str | None = None
    reply_markup: Markup | None = None
    message_id: int | None = None  # deleteMessage: the message to delete


class DeliveryFailed(Exception):
    """A message could not be delivered for good (blocked, refused, retries exhausted)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


async def until_sent(
    once: Callable[[], Awaitable[tuple[Outcome, T | None]]], policy: RetryPolicy, channel: str
) -> T | None:
    """Try `once` (one send, in the chat's turn) again while the message surely was not
    sent, with the policy's backoff: what it sent, or None when it may have been sent (never
    resent: no channel has an idempotency key). The one retry loop of every channel's
    conversation replies.

    Raises DeliveryFailed when it cannot be delivered (refused, or still failing after the
    policy's attempts or time).
    """
    deadline = time.monotonic() + policy.give_up_after
    attempts = 0
    while True:
        outcome, sent = await once()
        if outcome.kind == "sent":
            return sent
        if outcome.kind == "unknown":
            logger.warning(
                "a %s message may not have arrived, not resent: %s", channel, outcome.error
            )
            return None
        if outcome.kind == "failed":
            raise DeliveryFailed(outcome)
        if outcome.count_attempt:
            attempts += 1
        delay = outcome.delay or backoff(attempts - 1, policy.backoff_base, policy.backoff_max)
        if attempts >= policy.max_attempts or time.monotonic() + delay > deadline:
            raise DeliveryFailed(replace(outcome, kind="failed"))
        logger.warning("%s send retried in %.1fs: %s", channel, delay, outcome.error)
        await asyncio.sleep(delay)


class Sender:
    def __init__(
        self, bot: Bot, policy: RetryPolicy | None = None, read_timeout: float = 20.0
    ) -> None:
        self.bot = bot
        self.policy = policy or RetryPolicy()
        self._read_timeout = read_timeout
        self._chats: KeyedLocks[int] = KeyedLocks()
        self._flood_until = 0.0

    @property
    def flood_wait(self) -> float:
        """Seconds left of a bot-wide pause Telegram asked for (429)."""
        return max(0.0, self._flood_until - time.monotonic())

    def chat_busy(self, chat_id: int) -> bool:
        return self._chats.busy(chat_id)

    async def _call(self, message: Outgoing) -> Message | None:
        timeout = self._read_timeout
        if message.method == "deleteMessage":
            await self.bot.delete_message(
                message.chat_id, message.message_id or 0, read_timeout=timeout
            )
            return None
        if message.method == "sendPhoto":
            return await self.bot.send_photo(
                message.chat_id, message.file_id or "", caption=message.text,
                reply_markup=message.reply_markup, read_timeout=timeout,
            )  # fmt: skip
        if message.method == "sendDocument":
            return await self.bot.send_document(
                message.chat_id, message.file_id or "", caption=message.text,
                reply_markup=message.reply_markup, read_timeout=timeout,
            )  # fmt: skip
        # Plain text, no parse mode: whatever a resident typed is shown literally.
        return await self.bot.send_message(
            message.chat_id, message.text or "", reply_markup=message.reply_markup,
            read_timeout=timeout,
        )  # fmt: skip

    async def _try(self, message: Outgoing) -> tuple[Outcome, Message | None]:
        # A loop, not an Event: another chat's 429 may push the end of the pause further.
        while (wait := self.flood_wait) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        try:
            sent = await self._call(message)
        except TelegramError as error:
            outcome = classify(error)
        except Exception as error:  # a bug or an unexpected client failure
            # Raised before or after the request was written: cannot tell, not resent.
            logger.exception("unexpected error sending to a chat")
            outcome = Outcome("unknown", error=f"lỗi không xác định: {type(error).__name__}")
        else:
            return Outcome("sent", message_id=None if sent is None else sent.message_id), sent
        if outcome.flood:
            self._flood_until = max(self._flood_until, time.monotonic() + outcome.delay)
        return outcome, None

    async def attempt(
        self, message: Outgoing, *, wait: bool = True
    ) -> tuple[Outcome, Message | None]:
        """One try, in the chat's turn; the caller (the outbox) keeps its own retry schedule.

        With `wait=False`, a chat whose turn is taken (a reply being retried) or a flood
        pause gives `busy` at once: the caller's other chats are not held up, and nothing
        lies between the caller's last check and the request.
        """
        if not wait and (self.chat_busy(message.chat_id) or self.flood_wait > 0):
            return Outcome("busy", error="chờ tin trước trong cùng cuộc trò chuyện"), None
        async with self._chats.turn(message.chat_id):
            return await self._try(message)

    async def deliver(self, message: Outgoing) -> Message | None:
        """Send now, retrying what surely was not sent; None when it may have been sent.

        Raises DeliveryFailed when it cannot be delivered (blocked, refused, or still
        failing after the policy's attempts or time).
        """
        async with self._chats.turn(message.chat_id):

            async def once() -> tuple[Outcome, Message | None]:
                nonlocal message
                outcome, sent = await self._try(message)
                if outcome.new_chat_id is not None:
                    message = replace(message, chat_id=outcome.new_chat_id)
                return outcome, sent

            return await until_sent(once, self.policy, "Telegram")


# One Sender per Bot object, so handlers that only hold a Message (message.get_bot()) and
# the outbox dispatcher share one per-chat order and one flood pause. Keyed by identity:
# a Bot's hash changes once it is initialised.
_SENDERS: dict[int, tuple[Bot, Sender]] = {}


def sender_for(bot: Bot) -> Sender:
    entry = _SENDERS.get(id(bot))
    if entry is None or entry[0] is not bot:
        entry = (bot, Sender(bot))
        _SENDERS[id(bot)] = entry
    return entry[1]


async def send_text(
    bot: Bot, chat_id: int, text: str, reply_markup: Markup | None = None
) -> Message | None:
    """One plain message to a chat, through the same path as every other.

    Raises DeliveryFailed when it cannot be delivered (blocked, never started, refused).
    """
    return await sender_for(bot).deliver(Outgoing(chat_id, text, reply_markup=reply_markup))
