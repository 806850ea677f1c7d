"""The bot reuses its connections to the engine instead of opening one per message."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.engine_client import EngineClient


@pytest.fixture
async def engine() -> AsyncIterator[tuple[str, list[int]]]:
    """A REST-channel stand-in that records the client port of every request."""
    ports: list[int] = []

    async def webhook(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        ports.append(int(peer[1]) if peer else -1)
        body = await request.json()
        return web.json_response([{"recipient_id": body["sender"], "text": body["message"]}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", ports
    finally:
        await runner.cleanup()


async def test_messages_share_one_connection(engine: tuple[str, list[int]]) -> None:
    url, ports = engine
    client = EngineClient(url, timeout_seconds=5)
    try:
        for text in ("một", "hai", "ba"):
            answer = await client.send(sender_id="42", message=text, channel="test")
            assert answer == [{"recipient_id": "42", "text": text}]
        # Three concurrent senders need at most three connections, then reuse them.
        await asyncio.gather(
            *(client.send(sender_id=str(i), message="x", channel="test") for i in range(3))
        )
    finally:
        await client.aclose()
    assert len(set(ports[:3])) == 1
    assert len(set(ports)) <= 3
