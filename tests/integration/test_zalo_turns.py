"""The Zalo front end takes a chat's messages one turn at a time, in arrival order, while
other chats go on: the real ZaloFrontEnd and ZaloSender against the fake Zalo server, an
engine that is slow on a chat's first message."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.conversation import Conversation
from bot.engine_client import EngineClient
from bot.sender import RetryPolicy
from testkit.zalo import FakeZaloServer
from zalo.api import ZaloApi
from zalo.app import ZaloFrontEnd
from zalo.choice_memory import ChoiceMemory
from zalo.sender import ZaloSender

TOKEN = "4343:turns-test-token"
SLOW = 0.4


@dataclass
class SlowFirstEngine(EngineClient):
    """Echoes each message; a message ending in «1» takes SLOW seconds. Logs when each
    turn starts and ends."""

    log: list[tuple[str, str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("http://127.0.0.1:9", 1.0)

    async def send(
        self, *, sender_id: str, message: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self.log.append(("start", message, time.monotonic()))
        await asyncio.sleep(SLOW if message.endswith("1") else 0.01)
        self.log.append(("end", message, time.monotonic()))
        return [{"text": f"Đã nhận: {message}"}]


@pytest.fixture
def zalo() -> Iterator[FakeZaloServer]:
    server = FakeZaloServer(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def api(zalo: FakeZaloServer) -> AsyncIterator[ZaloApi]:
    client = ZaloApi(TOKEN, zalo.base_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_one_chat_keeps_its_order_and_other_chats_do_not_wait(
    zalo: FakeZaloServer, api: ZaloApi
) -> None:
    engine = SlowFirstEngine()
    sender = ZaloSender(api, RetryPolicy(max_attempts=2), per_chat_interval=0.01)
    front = ZaloFrontEnd(Conversation(engine, "zalo"), sender, ChoiceMemory())
    for chat, text in (("a", "a1"), ("a", "a2"), ("b", "b2")):
        assert front.accept(zalo.update(chat, "message.text.received", text=text))
    await front.drain()

    assert zalo.texts("a") == ["Đã nhận: a1", "Đã nhận: a2"]
    assert zalo.texts("b") == ["Đã nhận: b2"]
    at = {(event, message): when for event, message, when in engine.log}
    assert at["start", "a2"] >= at["end", "a1"]  # the chat's second turn waited
    assert at["end", "b2"] < at["end", "a1"]  # the other chat did not
