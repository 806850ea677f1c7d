"""The bot reuses its connections to the engine instead of opening one per message."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.engine_client import EngineClient, EngineUnavailable
from laikhe.internal_auth import HEADER


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


async def test_the_shared_secret_goes_with_every_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The engine refuses a message without the secret (403): the client sends it, and a
    refusal is logged without the sender id."""
    secret = "s" * 32

    async def webhook(request: web.Request) -> web.Response:
        if request.headers.get(HEADER) != secret:
            return web.json_response({"error": "forbidden"}, status=403)
        return web.json_response([{"recipient_id": "1", "text": "ok"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with_secret, without = EngineClient(url, 5, secret=secret), EngineClient(url, 5)
    try:
        assert await with_secret.send(sender_id="777001", message="a", channel="t") == [
            {"recipient_id": "1", "text": "ok"}
        ]
        with pytest.raises(EngineUnavailable):
            await without.send(sender_id="777001", message="a", channel="t")
    finally:
        await with_secret.aclose()
        await without.aclose()
        await runner.cleanup()
    assert "engine call failed" in caplog.text
    assert "777001" not in caplog.text
