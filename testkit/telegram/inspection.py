"""What tests read: the bot's messages, the request log, callback answers, commands, files,
webhook deliveries, a readable transcript, and waits for any of them."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
from collections.abc import Callable
from typing import TypeVar

from testkit.telegram.core import ServerState
from testkit.telegram.models import (
    CallbackAnswer,
    JSONDict,
    RequestRecord,
    SentMessage,
    WebhookDelivery,
)

T = TypeVar("T")


class Inspection(ServerState):
    def messages(self, chat_id: int, *, include_deleted: bool = True) -> list[SentMessage]:
        """Messages the bot sent to the chat, oldest first, each in its current (edited) state.

        Deleted messages are included (``deleted=True``) by default so counts never go down.
        """
        with self._lock:
            return self._messages_locked(chat_id, include_deleted)

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        with self._lock:
            chat = self._chats.get(chat_id)
            stored = chat.messages.get(message_id) if chat is not None else None
            if stored is None or not stored.from_bot:
                raise KeyError(f"the bot sent no message #{message_id} to chat {chat_id}")
            return self._snapshot(stored)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        with self._lock:
            return list(self._callback_answers)

    def requests(self, method: str | None = None) -> list[RequestRecord]:
        """The request log (optionally one method, case-insensitive), in response order."""
        with self._lock:
            if method is None:
                return list(self._requests)
            return [r for r in self._requests if r.method.lower() == method.lower()]

    def my_commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """Commands set by setMyCommands for the scope (default scope if None)."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True), language_code
        with self._lock:
            return [(c["command"], c["description"]) for c in self._commands.get(key, [])]

    def file_bytes(self, file_id: str) -> bytes:
        with self._lock:
            stored = self._files.get(file_id)
            if stored is None:
                raise KeyError(f"unknown file_id {file_id!r}")
            return stored.data

    @property
    def webhook_info(self) -> JSONDict:
        """What getWebhookInfo would return now."""
        with self._lock:
            return self._webhook_info_json()

    def webhook_deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by getUpdates nor delivered to the webhook."""
        with self._lock:
            return copy.deepcopy(self._pending_updates)

    def transcript(self, chat_id: int) -> str:
        """A human-readable log of the chat: user and bot messages, edits, failures, callbacks."""
        with self._lock:
            return self._transcript_locked(chat_id)

    def on_bot_message(self, listener: Callable[[SentMessage, float], None]) -> Callable[[], None]:
        """Calls ``listener(message, arrival_time)`` for every new message the bot sends.

        For load drivers: waking every waiter on every change costs O(waiters) snapshots per
        message, which would distort a benchmark with many chats. The listener runs on the
        server thread with the state lock held, so it must only hand the message over (e.g.
        ``loop.call_soon_threadsafe``). Returns a function that removes the listener.
        """
        with self._lock:
            self._message_listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._message_listeners:
                    self._message_listeners.remove(listener)

        return remove

    # --- waiting -------------------------------------------------------------------------

    @staticmethod
    def _refuse_blocking_in_loop(name: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        raise RuntimeError(
            f"{name}() blocks; inside a running event loop it would freeze the application "
            f"under test. Use `await fake.{name}_async(...)` instead."
        )

    def _wait_sync(
        self, check: Callable[[], T | None], timeout: float, explain: Callable[[], str]
    ) -> T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = check()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(explain())
                self._cond.wait(remaining)

    async def _wait_async(
        self, check: Callable[[], T | None], timeout: float, explain: Callable[[], str]
    ) -> T:
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        waiter = (loop, event)
        with self._lock:
            self._async_waiters.add(waiter)
        try:
            deadline = loop.time() + timeout
            while True:
                event.clear()
                with self._lock:
                    result = check()
                if result is not None:
                    return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    with self._lock:
                        raise AssertionError(explain())
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
        finally:
            with self._lock:
                self._async_waiters.discard(waiter)

    def _messages_check(
        self,
        chat_id: int,
        count: int,
        predicate: Callable[[list[SentMessage]], object] | None,
    ) -> tuple[Callable[[], list[SentMessage] | None], Callable[[], str]]:
        def check() -> list[SentMessage] | None:
            sent = self._messages_locked(chat_id)
            if len(sent) >= count and (predicate is None or predicate(sent)):
                return sent
            return None

        def explain() -> str:
            got = len(self._messages_locked(chat_id))
            condition = " matching the predicate" if predicate is not None else ""
            return (
                f"expected at least {count} bot message(s){condition} in chat {chat_id}, "
                f"got {got}\n{self._transcript_locked(chat_id)}"
            )

        return check, explain

    def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[list[SentMessage]], object] | None = None,
    ) -> list[SentMessage]:
        """Blocks until the bot has sent at least ``count`` messages to the chat (deleted ones
        included) and ``predicate(messages)`` is truthy; returns all of them.

        Raises AssertionError with the conversation so far on timeout. For sync tests whose
        application runs in another thread; async tests use :meth:`wait_for_messages_async`.
        """
        self._refuse_blocking_in_loop("wait_for_messages")
        check, explain = self._messages_check(chat_id, count, predicate)
        return self._wait_sync(check, timeout, explain)

    async def wait_for_messages_async(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[list[SentMessage]], object] | None = None,
    ) -> list[SentMessage]:
        """Awaitable :meth:`wait_for_messages`, letting the test's loop run the application."""
        check, explain = self._messages_check(chat_id, count, predicate)
        return await self._wait_async(check, timeout, explain)

    @staticmethod
    def _predicate_check(
        predicate: Callable[[], T], timeout: float, message: str
    ) -> tuple[Callable[[], T | None], Callable[[], str]]:
        def check() -> T | None:
            result = predicate()
            return result if result else None

        def explain() -> str:
            return message or f"condition {predicate!r} not met within {timeout} s"

        return check, explain

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0, message: str = "") -> T:
        """Blocks until ``predicate()`` is truthy (re-checked on every server state change) and
        returns its value; raises AssertionError(``message``) on timeout."""
        self._refuse_blocking_in_loop("wait_for")
        check, explain = self._predicate_check(predicate, timeout, message)
        return self._wait_sync(check, timeout, explain)

    async def wait_for_async(
        self, predicate: Callable[[], T], timeout: float = 5.0, message: str = ""
    ) -> T:
        """Awaitable :meth:`wait_for`."""
        check, explain = self._predicate_check(predicate, timeout, message)
        return await self._wait_async(check, timeout, explain)

    def wait_for_requests(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[RequestRecord]:
        """Blocks until ``count`` requests of ``method`` were answered; returns them."""
        return self.wait_for(
            lambda: self._requests_if(method, count),
            timeout,
            f"expected {count} {method} request(s) within {timeout} s",
        )

    async def wait_for_requests_async(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[RequestRecord]:
        """Awaitable :meth:`wait_for_requests`."""
        return await self.wait_for_async(
            lambda: self._requests_if(method, count),
            timeout,
            f"expected {count} {method} request(s) within {timeout} s",
        )

    def _requests_if(self, method: str, count: int) -> list[RequestRecord]:
        found = self.requests(method)
        return found if len(found) >= count else []
