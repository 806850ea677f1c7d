"""Log lines name a chat by a keyed pseudonym, never by its id."""

from __future__ import annotations

import logging
import socket

import pytest
from aiohttp import web

from bot.conversation import Conversation
from bot.engine_client import EngineClient
from laikhe import logsafe
from laikhe.logsafe import pseudonym

CHAT = "5550001112"


def test_pseudonyms_are_stable_and_do_not_contain_the_id() -> None:
    assert pseudonym(CHAT) == pseudonym(int(CHAT))
    assert pseudonym(CHAT) != pseudonym("5550001113")
    assert CHAT not in pseudonym(CHAT)


async def test_a_failed_conversation_erasure_is_logged_without_the_chat_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def webhook(_request: web.Request) -> web.Response:
        return web.json_response(
            [{"recipient_id": CHAT, "text": "Đã xóa"}, {"custom": {"erase_conversation": True}}]
        )

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()

    async def eraser(_sender_id: str) -> int:
        raise OSError(f"tracker store unreachable while erasing {CHAT}")

    engine = EngineClient(f"http://127.0.0.1:{sock.getsockname()[1]}", 5)
    previous = logging.getLogRecordFactory()
    logsafe.install()  # as bot/__main__.py does
    try:
        conversation = Conversation(engine, "test", eraser)
        await conversation.handle_payload(CHAT, "/affirm")
        await conversation.finish_turn(CHAT)
    finally:
        logging.setLogRecordFactory(previous)
        await engine.aclose()
        await runner.cleanup()
    assert f"could not erase the conversation of {pseudonym(CHAT)}" in caplog.text
    assert CHAT not in caplog.text.replace(pseudonym(CHAT), "")
